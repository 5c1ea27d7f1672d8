import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { loadDotenv, loadEnvironments } from '../core/http/environments';
import { parseHttpFile, requestAtLine, type HttpDiagnostic, type HttpFileRequest, type ParsedHttpFile } from '../core/http/parser';
import { RequestVariableStore } from '../core/http/requestVariables';
import { resolveRequest } from '../core/http/variables';
import { BehalfError } from '../core/errors';
import type { RequestSpec } from '../core/model';

/** Finds the asset a request (as written) is about, on a connection whose history can be read. */
export type AssetLensLookup = (request: HttpFileRequest) => Promise<{ connectionId: string; assetId: string } | undefined>;

/** Who "Send" would act as for a request without `# @as` (no prompt): a principal's name and mode, else the service user. */
export type LensActAsLookup = (request: HttpFileRequest) => Promise<{ name: string; mode: string; detail: string } | 'service user' | undefined>;

export function isHttpDocument(doc: vscode.TextDocument): boolean {
  return doc.languageId === 'http' || /\.(http|rest)$/i.test(doc.uri.path);
}

/** `# @prompt name [description]`: an input box per name, password-style for names like password or token. */
async function askPrompts(request: HttpFileRequest): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  for (const p of request.prompts ?? []) {
    const value = await vscode.window.showInputBox({
      title: `Behalf: ${p.name} (# @prompt, line ${p.line})`,
      prompt: p.description ?? `The value of {{${p.name}}} for this request`,
      password: p.secret,
      ignoreFocusOut: true,
    });
    if (value === undefined) throw new BehalfError('cancelled', `Not sent: no value was given for ${p.name} (# @prompt).`);
    values[p.name] = value;
  }
  return values;
}

/** Parsed .http documents, cached by version: CodeLens, diagnostics and commands share one parse. */
export class HttpDocuments implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly cache = new Map<string, { version: number; parsed: ParsedHttpFile }>();
  private readonly diagnostics = vscode.languages.createDiagnosticCollection('behalf-http');
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  private readonly disposables: vscode.Disposable[] = [this.diagnostics, this.lensesChanged];

  constructor() {
    const update = (doc: vscode.TextDocument) => {
      if (isHttpDocument(doc)) this.publish(doc);
    };
    this.disposables.push(
      vscode.workspace.onDidOpenTextDocument(update),
      vscode.workspace.onDidChangeTextDocument((e) => update(e.document)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('behalf.codeLens.enabled')) this.lensesChanged.fire();
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        this.cache.delete(doc.uri.toString());
        this.diagnostics.delete(doc.uri);
      }),
    );
    for (const doc of vscode.workspace.textDocuments) update(doc);
    const noteActive = (editor: vscode.TextEditor | undefined) => {
      if (!editor || !isHttpDocument(editor.document)) return;
      const key = editor.document.uri.toString();
      this.recentlyActive = [key, ...this.recentlyActive.filter((k) => k !== key)].slice(0, 50);
    };
    noteActive(vscode.window.activeTextEditor);
    this.disposables.push(vscode.window.onDidChangeActiveTextEditor(noteActive));
  }

  /** .http documents (uri strings) in the order their editors were last active, most recent first. */
  private recentlyActive: string[] = [];

  /**
   * The .http editor a command without a target means: the active editor when it is one, else the visible .http
   * editor that was active most recently (a click in a tree view leaves no active text editor), else any visible one.
   */
  httpEditor(): vscode.TextEditor | undefined {
    const active = vscode.window.activeTextEditor;
    if (active && isHttpDocument(active.document)) return active;
    const visible = vscode.window.visibleTextEditors.filter((e) => isHttpDocument(e.document));
    const rank = (e: vscode.TextEditor) => {
      const k = this.recentlyActive.indexOf(e.document.uri.toString());
      return k < 0 ? Number.MAX_SAFE_INTEGER : k;
    };
    return visible.sort((a, b) => rank(a) - rank(b))[0];
  }

  parse(doc: vscode.TextDocument): ParsedHttpFile {
    const key = doc.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === doc.version) return hit.parsed;
    const parsed = parseHttpFile(doc.getText(), doc.uri.fsPath);
    this.cache.set(key, { version: doc.version, parsed });
    return parsed;
  }

  /**
   * Request variables: the latest exchange of each named request per .http file, for this window only (in
   * memory, never persisted: responses hold tokens).
   */
  private readonly exchangeStores = new Map<string, RequestVariableStore>();

  /** The exchanges of named requests sent from this document in this window. */
  exchanges(doc: vscode.TextDocument | vscode.Uri): RequestVariableStore {
    const key = ('uri' in doc ? doc.uri : doc).toString();
    let store = this.exchangeStores.get(key);
    if (!store) this.exchangeStores.set(key, (store = new RequestVariableStore()));
    return store;
  }

  /** Set by the send commands: credentials read through request variables are registered with the redactor. */
  onSecret: ((value: string) => void) | undefined;

  /** Set by the extension once its services exist: requests about an asset get a "History of …" lens. */
  assetLookup: AssetLensLookup | undefined;

  /** Set by the send commands: the "Send" lens of a request without `# @as` names who it is sent as. */
  lensActAs: LensActAsLookup | undefined;

  /** Connections or the active identity changed: lenses that depend on them are asked for again. */
  refreshLenses(): void {
    this.lensesChanged.fire();
  }

  async provideCodeLenses(doc: vscode.TextDocument): Promise<vscode.CodeLens[]> {
    if (!vscode.workspace.getConfiguration('behalf').get<boolean>('codeLens.enabled', true)) return [];
    const lenses: vscode.CodeLens[] = [];
    for (const request of this.parse(doc).requests) {
      const range = new vscode.Range(request.requestLine - 1, 0, request.requestLine - 1, 0);
      const args = [doc.uri, request.requestLine];
      if (request.disabled) {
        // Clicking it (or Ctrl+Alt+Enter) says why it is not sent.
        const tooltip = 'This request is marked "# @disabled": Behalf does not send it. Remove the line to send it.';
        lenses.push(new vscode.CodeLens(range, { title: '$(circle-slash) Disabled (# @disabled)', command: 'behalf.sendRequest', arguments: args, tooltip }));
        continue;
      }
      const send = await this.sendLens(request);
      lenses.push(
        new vscode.CodeLens(range, { title: send.title, command: 'behalf.sendRequest', arguments: args, tooltip: send.tooltip }),
        new vscode.CodeLens(range, {
          title: '$(account) Send as user…',
          command: 'behalf.sendAsUser',
          arguments: args,
          tooltip: 'Pick a principal and send this request on their behalf',
        }),
        new vscode.CodeLens(range, {
          title: '$(diff) Compare as…',
          command: 'behalf.compareAsUsers',
          arguments: args,
          tooltip: 'Send this request as two identities and show what one sees and the other does not',
        }),
        new vscode.CodeLens(range, {
          title: '$(table) Access matrix…',
          command: 'behalf.accessMatrix',
          arguments: args,
          tooltip: 'Send this request as each of several identities and show who is allowed, who is denied',
        }),
      );
      const asset = await this.assetLookup?.(request).catch(() => undefined);
      if (asset) {
        lenses.push(
          new vscode.CodeLens(range, {
            title: `$(history) History of ${asset.assetId}`,
            command: 'behalf.openAssetHistory',
            arguments: [{ connectionId: asset.connectionId, assetId: asset.assetId }],
            tooltip: `Open the version history of ${asset.assetId}: who changed what, version by version`,
          }),
        );
      }
    }
    return lenses;
  }

  /**
   * "Send" says who: the request's `# @as`, else the active identity it is sent as in the editor (the CLI sends
   * such a request as the service user unless --as), else the service user.
   */
  private async sendLens(request: HttpFileRequest): Promise<{ title: string; tooltip: string }> {
    const keys = ' (Ctrl+Alt+Enter)';
    if (request.as) {
      return {
        title: `$(play) Send as ${request.as}${request.mode ? ` · ${request.mode}` : ''}`,
        tooltip: `Send this request as ${request.as}, its # @as${keys}`,
      };
    }
    const who = await this.lensActAs?.(request).catch(() => undefined);
    if (who === 'service user')
      return { title: '$(play) Send as service user', tooltip: `Send this request as the connection's service user, without impersonation${keys}` };
    if (who)
      return { title: `$(play) Send as ${who.name} · ${who.mode}`, tooltip: `Send this request as ${who.detail}, the active identity (${who.mode})${keys}` };
    return { title: '$(play) Send', tooltip: `Send this request${keys}` };
  }

  /** The request a command targets: an explicit line (CodeLens) or the cursor's. */
  async target(uri?: vscode.Uri, line?: number): Promise<{ doc: vscode.TextDocument; parsed: ParsedHttpFile; request: HttpFileRequest }> {
    const doc = uri ? await vscode.workspace.openTextDocument(uri) : vscode.window.activeTextEditor?.document;
    if (!doc || !isHttpDocument(doc)) throw new BehalfError('no-request', 'Open a .http file and put the cursor on a request.');
    const parsed = this.parse(doc);
    const cursorLine = line ?? (vscode.window.activeTextEditor?.document === doc ? vscode.window.activeTextEditor.selection.active.line + 1 : 1);
    const request = requestAtLine(parsed, cursorLine) ?? (parsed.requests.length === 1 ? parsed.requests[0] : undefined);
    if (!request)
      throw new BehalfError('no-request', `No request at line ${cursorLine} of ${path.basename(doc.uri.fsPath)}: put the cursor inside a request block.`);
    const error = parsed.diagnostics.find(
      (d) => d.severity === 'error' && d.position.line >= request.range.startLine && d.position.line <= request.range.endLine,
    );
    if (error) throw new BehalfError('http', error.message, { position: error.position });
    return { doc, parsed, request };
  }

  /** Variables resolved with the selected environment, the file's .env and the process environment. */
  async resolve(doc: vscode.TextDocument, parsed: ParsedHttpFile, request: HttpFileRequest): Promise<RequestSpec> {
    const dir = path.dirname(doc.uri.fsPath);
    const root = vscode.workspace.getWorkspaceFolder(doc.uri)?.uri.fsPath;
    const environments = loadEnvironments(dir, root);
    const envName = vscode.workspace.getConfiguration('behalf').get<string>('environment') || undefined;
    const environment = envName && environments.names.includes(envName) ? environments.get(envName) : environments.get();
    if (request.disabled) {
      throw new BehalfError('disabled', `This request is marked "# @disabled" (line ${request.requestLine}): Behalf does not send it`, {
        position: { file: doc.uri.fsPath, line: request.requestLine, column: 1 },
        hint: 'remove "# @disabled" to send it',
      });
    }
    return resolveRequest(parsed, request, {
      environment,
      processEnv: process.env,
      dotenv: loadDotenv(dir),
      requestVariables: this.exchanges(doc),
      onSecret: this.onSecret,
      prompted: request.prompts?.length ? await askPrompts(request) : undefined,
    });
  }

  async environmentNames(doc: vscode.TextDocument | undefined): Promise<string[]> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const dir = doc ? path.dirname(doc.uri.fsPath) : folder;
    if (!dir) return [];
    return loadEnvironments(dir, folder).names;
  }

  dispose(): void {
    for (const store of this.exchangeStores.values()) store.clear();
    this.exchangeStores.clear();
    for (const d of this.disposables) d.dispose();
  }

  private publish(doc: vscode.TextDocument): void {
    const parsed = this.parse(doc);
    this.diagnostics.set(
      doc.uri,
      [...parsed.diagnostics, ...missingBodyFiles(doc, parsed)].map((d) => {
        const start = new vscode.Position(Math.max(0, d.position.line - 1), Math.max(0, d.position.column - 1));
        const line = doc.lineAt(Math.min(start.line, doc.lineCount - 1));
        const diagnostic = new vscode.Diagnostic(
          new vscode.Range(start, line.range.end),
          d.message,
          d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
        );
        diagnostic.source = 'Behalf';
        return diagnostic;
      }),
    );
    this.lensesChanged.fire();
  }
}

/** Warnings for `< path` body lines whose file does not exist (paths with {{variables}} are checked when sent). */
function missingBodyFiles(doc: vscode.TextDocument, parsed: ParsedHttpFile): HttpDiagnostic[] {
  if (doc.uri.scheme !== 'file') return [];
  const found: HttpDiagnostic[] = [];
  const dir = path.dirname(doc.uri.fsPath);
  for (const request of parsed.requests) {
    for (const ref of request.bodyFiles ?? []) {
      if (ref.path.includes('{{')) continue;
      const absolute = path.resolve(dir, ref.path);
      if (fs.existsSync(absolute)) continue;
      found.push({
        severity: 'warning',
        message: `body file ${ref.path} not found (resolved to ${absolute}; expected a path relative to this file's folder, or absolute)`,
        position: { file: parsed.file, line: ref.line, column: ref.column },
      });
    }
  }
  return found;
}
