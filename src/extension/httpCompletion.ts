// Completion in .http files: principals after `# @as `, connection ids after `# @connection `, modes after
// `# @mode ` (also with `//`), and variable names inside `{{`. Reads the parse HttpDocuments caches, the
// connections store and the environment files (cached briefly per folder): no request is sent. Part of the extras
// chunk (src/extension/extras.ts): main.ts registers the provider and calls it through there.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { httpCompletionContext } from '../core/http/completion';
import { loadEnvironments, parseDotenv } from '../core/http/environments';
import { requestAtLine, type HttpFileRequest, type ParsedHttpFile } from '../core/http/parser';
import type { Connection, ImpersonationMode } from '../core/model';
import { originOf } from '../core/transport';
import type { Services } from './services';

const ALL_MODES: readonly ImpersonationMode[] = ['lite', 'full'];
/** How long the environment files and .env of a folder are reused before they are read again. */
const FILES_TTL_MS = 3000;

/** System variables offered inside `{{`: what to insert and what it does. */
const SYSTEM_VARIABLES: ReadonlyArray<{ label: string; snippet: string; detail: string }> = [
  { label: '$guid', snippet: '\\$guid', detail: 'a random UUID v4' },
  { label: '$uuid', snippet: '\\$uuid', detail: 'a random UUID v4 (same as $guid)' },
  { label: '$timestamp', snippet: '\\$timestamp', detail: 'seconds since the epoch; an offset: $timestamp -1 d' },
  { label: '$randomInt', snippet: '\\$randomInt ${1:0} ${2:100}', detail: 'an integer in [min, max)' },
  { label: '$datetime', snippet: '\\$datetime ${1|iso8601,rfc1123|}', detail: 'the UTC date: iso8601, rfc1123 or a "format"; an offset' },
  { label: '$localDatetime', snippet: '\\$localDatetime ${1|iso8601,rfc1123|}', detail: 'the local date: iso8601, rfc1123 or a "format"; an offset' },
  { label: '$processEnv', snippet: '\\$processEnv ${1:NAME}', detail: 'a variable of the environment Behalf runs in' },
  { label: '$dotenv', snippet: '\\$dotenv ${1:NAME}', detail: 'a variable of the .env file next to this .http file' },
  { label: '$isoTimestamp', snippet: '\\$isoTimestamp', detail: 'the current time in ISO 8601, UTC (JetBrains)' },
  { label: '$random.uuid', snippet: '\\$random.uuid', detail: 'a random UUID v4 (JetBrains)' },
  { label: '$random.integer', snippet: '\\$random.integer(${1:0}, ${2:100})', detail: 'an integer in [from, to) (JetBrains)' },
  { label: '$random.email', snippet: '\\$random.email', detail: 'a random address at example.com (JetBrains)' },
];

export class HttpCompletion implements vscode.CompletionItemProvider {
  private readonly files = new Map<string, { at: number; environment: Record<string, string>; dotenv: string[] }>();

  constructor(private readonly s: Services) {}

  async provideCompletionItems(doc: vscode.TextDocument, position: vscode.Position): Promise<vscode.CompletionItem[] | undefined> {
    const before = doc.lineAt(position.line).text.slice(0, position.character);
    const context = httpCompletionContext(before);
    if (!context) return undefined;
    const range = new vscode.Range(position.translate(0, -context.typed.length), position);
    const parsed = this.s.documents.parse(doc);
    if (context.kind === 'variable') return this.variables(doc, parsed, range);
    const request = requestAtLine(parsed, position.line + 1);
    switch (context.key) {
      case 'connection':
        return (await this.s.store.connections()).map((c) => {
          const item = new vscode.CompletionItem({ label: c.id, description: c.label }, vscode.CompletionItemKind.Module);
          item.detail = `${c.label} · ${c.vendor} · ${c.baseUrl}${c.production ? ' · PRODUCTION' : ''}`;
          item.range = range;
          return item;
        });
      case 'mode': {
        const connection = await this.connectionOf(request);
        const modes = connection ? this.modesOf(connection) : ALL_MODES;
        return modes.map((mode) => {
          const item = new vscode.CompletionItem(mode, vscode.CompletionItemKind.EnumMember);
          item.detail = mode === 'lite' ? 'your privileges; writes attributed to the principal' : "the principal's privileges";
          item.range = range;
          return item;
        });
      }
      case 'as': {
        const connection = await this.connectionOf(request);
        const connections = connection ? [connection] : await this.s.store.connections();
        const items: vscode.CompletionItem[] = [];
        for (const c of connections) {
          for (const p of this.s.store.principals(c)) {
            const name = p.name ?? p.email ?? p.id;
            const item = new vscode.CompletionItem(
              {
                label: p.id,
                detail: name === p.id ? undefined : ` ${name}`,
                description: connection ? p.email : `${c.label}${p.email ? ` · ${p.email}` : ''}`,
              },
              vscode.CompletionItemKind.User,
            );
            item.detail = [
              name,
              p.email,
              `id ${p.id}`,
              p.userId ? `user ${p.userId}` : undefined,
              p.clientId ? `app ${p.clientId}` : undefined,
              connection ? undefined : `on ${c.id}`,
            ]
              .filter(Boolean)
              .join(' · ');
            // Typing a name or an email finds the principal too.
            item.filterText = [p.id, p.name, p.email].filter(Boolean).join(' ');
            item.range = range;
            items.push(item);
          }
        }
        return items;
      }
    }
  }

  /** The request's `# @connection`, else the one its absolute URL belongs to; undefined when not known. */
  private async connectionOf(request: HttpFileRequest | undefined): Promise<Connection | undefined> {
    if (!request) return undefined;
    const connections = await this.s.store.connections();
    if (request.connection) return connections.find((c) => c.id === request.connection);
    if (!/^https?:/i.test(request.url)) return undefined;
    const byPrefix = connections.filter((c) => request.url.startsWith(c.baseUrl.replace(/\/+$/, '')));
    if (byPrefix.length === 1) return byPrefix[0];
    const byOrigin = connections.filter((c) => originOf(c.baseUrl) === originOf(request.url));
    return byOrigin.length === 1 ? byOrigin[0] : undefined;
  }

  private modesOf(connection: Connection): readonly ImpersonationMode[] {
    try {
      return this.s.engine.modes(connection);
    } catch {
      return ALL_MODES; // an unknown vendor: sending says so
    }
  }

  private async variables(doc: vscode.TextDocument, parsed: ParsedHttpFile, range: vscode.Range): Promise<vscode.CompletionItem[]> {
    const items: vscode.CompletionItem[] = [];
    const seen = new Set<string>();
    const add = (label: string, kind: vscode.CompletionItemKind, detail: string, sortGroup: string, insert?: vscode.SnippetString) => {
      if (seen.has(label)) return;
      seen.add(label);
      const item = new vscode.CompletionItem(label, kind);
      item.detail = detail;
      item.sortText = `${sortGroup}${label}`;
      item.range = range;
      if (insert) item.insertText = insert;
      items.push(item);
    };
    for (const v of parsed.fileVariables) add(v.name, vscode.CompletionItemKind.Variable, `file variable (line ${v.line})`, '1');
    const files = this.filesOf(doc);
    const envName = vscode.workspace.getConfiguration('behalf').get<string>('environment') || '$shared';
    for (const name of Object.keys(files.environment)) add(name, vscode.CompletionItemKind.Variable, `environment variable (${envName})`, '2');
    for (const request of parsed.requests) {
      if (!request.name) continue;
      add(
        `${request.name}.response.body.$`,
        vscode.CompletionItemKind.Reference,
        `request variable: the JSON response of ${request.name} (a JSON path after $)`,
        '3',
      );
      add(`${request.name}.response.headers.`, vscode.CompletionItemKind.Reference, `request variable: a response header of ${request.name}`, '3');
    }
    for (const name of files.dotenv) add(`$dotenv ${name}`, vscode.CompletionItemKind.Constant, 'from the .env file next to this .http file', '4');
    for (const v of SYSTEM_VARIABLES) add(v.label, vscode.CompletionItemKind.Function, v.detail, '5', new vscode.SnippetString(v.snippet));
    return items;
  }

  /** The selected environment's variables (over $shared) and the .env names of the document's folder. */
  private filesOf(doc: vscode.TextDocument): { environment: Record<string, string>; dotenv: string[] } {
    const dir = path.dirname(doc.uri.fsPath);
    const envName = vscode.workspace.getConfiguration('behalf').get<string>('environment') || undefined;
    const key = `${dir}\n${envName ?? ''}`;
    const hit = this.files.get(key);
    if (hit && Date.now() - hit.at < FILES_TTL_MS) return hit;
    const root = vscode.workspace.getWorkspaceFolder(doc.uri)?.uri.fsPath;
    let environment: Record<string, string> = {};
    let dotenv: string[] = [];
    if (doc.uri.scheme === 'file') {
      try {
        const envs = loadEnvironments(dir, root);
        environment = envName && envs.names.includes(envName) ? envs.get(envName) : envs.get();
      } catch {
        environment = {}; // a broken environment file is the diagnostics' business, not completion's
      }
      try {
        dotenv = [...parseDotenv(fs.readFileSync(path.join(dir, '.env'), 'utf8')).keys()];
      } catch {
        dotenv = [];
      }
    }
    const entry = { at: Date.now(), environment, dotenv };
    this.files.set(key, entry);
    return entry;
  }
}
