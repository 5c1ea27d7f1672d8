// The access matrix in VS Code: a file's reads (or one request) sent as each identity the user picks, shown as a grid.
// The work is the core's (src/core/matrix.ts: concurrency, rate limits, sessions ended at the end); this file picks the
// identities (remembered per file), shows progress with Cancel, logs every send made as someone else, fills the panel
// as cells arrive, exports, and after a run puts unmet `# @expect` lines in the Problems view.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { BehalfError } from '../core/errors';
import type { HttpFileRequest, ParsedHttpFile } from '../core/http/parser';
import {
  matrixIdentities,
  matrixIdentity,
  matrixRow,
  uniqueRowNames,
  runMatrix,
  type MatrixCell,
  type MatrixIdentity,
  type MatrixResult,
  type MatrixRow,
} from '../core/matrix';
import { matrixCsv, matrixJson, matrixMarkdown } from '../core/matrixExport';
import type { Connection, Principal } from '../core/model';
import { describePrincipal } from '../core/vendor';
import type { MatrixExportFormat, MatrixView, MatrixViewCell } from '../protocol/matrix';
import { cellKey } from '../protocol/matrix';
import { assetOfRecord } from './attributionCommands';
import { logSent } from './loggedSend';
import { MatrixPanel, type MatrixPanelHandlers } from './matrixPanel';
import type { Services } from './services';
import { connectionFor, reportError, showResponse } from './sendCommands';

/** workspaceState key of the identities last picked for a file. */
export function rememberedKey(uri: vscode.Uri): string {
  return `behalf.matrix.identities:${uri.toString()}`;
}

/** An identity as remembered and as tests and other extensions name it: `<connection id>/<principal id | self>`. */
export function identityKey(connectionId: string, principal: Principal | undefined): string {
  return `${connectionId}/${principal ? principal.id : 'self'}`;
}

interface MatrixArgs {
  uri?: vscode.Uri;
  /** A request's line (the CodeLens): that request only; absent: every request of the file. */
  line?: number;
  /** Identity keys: no QuickPick. */
  identities?: string[];
}

/** (uri, line) from the CodeLens and menus · ({ uri, line?, identities? }) from tests and other extensions. */
function matrixArgs(args: unknown[], wholeFile: boolean): MatrixArgs {
  const [a, b] = args;
  if (a instanceof vscode.Uri) return { uri: a, line: wholeFile ? undefined : typeof b === 'number' ? b : undefined };
  if (a && typeof a === 'object') {
    const o = a as Record<string, unknown>;
    const uri = o['uri'] instanceof vscode.Uri ? o['uri'] : typeof o['uri'] === 'string' ? vscode.Uri.parse(o['uri']) : undefined;
    const identities = Array.isArray(o['identities']) ? o['identities'].filter((x): x is string => typeof x === 'string') : undefined;
    return { uri, line: !wholeFile && typeof o['line'] === 'number' ? o['line'] : undefined, identities };
  }
  return {};
}

/** What one run was made of, kept for Re-run, Open response and Export. */
interface MatrixRun {
  view: MatrixView;
  doc: vscode.TextDocument;
  rows: MatrixRow[];
  identities: MatrixIdentity[];
  /** Cells by cellKey, with their records (host memory only). */
  cells: Map<string, MatrixCell>;
  result?: MatrixResult;
  controller: AbortController;
  /** The request line the run was for (the CodeLens); absent: the whole file. */
  line?: number;
}

let runSequence = 0;
const PROGRESS_EVERY_MS = 100;

export function registerMatrixCommands(s: Services): void {
  const diagnostics = vscode.languages.createDiagnosticCollection('behalf-matrix');
  s.context.subscriptions.push(
    diagnostics,
    // An edit makes the positions (and maybe the expectations) stale: the next run sets them again.
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length && diagnostics.has(e.document.uri)) diagnostics.delete(e.document.uri);
    }),
    vscode.workspace.onDidCloseTextDocument((doc) => diagnostics.delete(doc.uri)),
  );
  const register = (id: string, wholeFile: boolean) =>
    s.registerCommand(id, (...args: unknown[]) => {
      const run = (): Promise<unknown> => accessMatrix(s, diagnostics, matrixArgs(args, wholeFile));
      return run().catch((e) => reportError(s, e, run));
    });
  register('behalf.accessMatrix', false);
  register('behalf.runAccessMatrixForFile', true);
}

async function accessMatrix(s: Services, diagnostics: vscode.DiagnosticCollection, args: MatrixArgs): Promise<MatrixView | undefined> {
  const doc = args.uri ? await vscode.workspace.openTextDocument(args.uri) : s.documents.httpEditor()?.document;
  if (!doc) throw new BehalfError('no-request', 'Open a .http file, then run the access matrix again.');
  const parsed = s.documents.parse(doc);
  const requests = args.line === undefined ? parsed.requests : [(await s.documents.target(doc.uri, args.line)).request];
  if (requests.length === 0) throw new BehalfError('no-request', `${path.basename(doc.uri.fsPath)} has no requests.`);
  const rows = await matrixRows(s, doc, parsed, requests);
  const connections = [...new Map(rows.flatMap((r) => (r.connection ? [[r.connection.id, r.connection] as const] : []))).values()];
  const keys = args.identities ?? (await pickIdentities(s, doc, rows, connections));
  if (!keys) return undefined;
  const identities = await identitiesFromKeys(s, keys, connections);
  if (identities.length === 0) throw new BehalfError('usage', 'Pick at least one identity to send the requests as.');
  await s.context.workspaceState.update(rememberedKey(doc.uri), keys);
  return run(s, diagnostics, { doc, rows, identities, line: args.line });
}

/** One row per request: resolved with the editor's environment; a request that cannot be is an error row, not a stop. */
async function matrixRows(s: Services, doc: vscode.TextDocument, parsed: ParsedHttpFile, requests: HttpFileRequest[]): Promise<MatrixRow[]> {
  const rows: MatrixRow[] = [];
  for (const request of requests) {
    const error = request.hasErrors
      ? parsed.diagnostics.find((d) => d.severity === 'error' && d.position.line >= request.range.startLine && d.position.line <= request.range.endLine)
      : undefined;
    let resolved: { spec: Awaited<ReturnType<Services['documents']['resolve']>> } | { error: string };
    try {
      resolved = error ? { error: `line ${error.position.line}: ${error.message}` } : { spec: await s.documents.resolve(doc, parsed, request) };
    } catch (e) {
      resolved = { error: s.engine.redactor.text(e instanceof Error ? e.message : String(e)) };
    }
    const connection = await connectionFor(s, request, 'spec' in resolved ? resolved.spec : { method: request.method, url: request.url, headers: {} });
    rows.push(matrixRow(s.engine, request, connection, resolved));
  }
  return uniqueRowNames(rows);
}

/**
 * Multi-select QuickPick of identities: per connection of the rows (a separator each), the service user and every
 * principal. Preselected: what was picked last time for this file, else the identities its `# @expect` lines name.
 */
async function pickIdentities(s: Services, doc: vscode.TextDocument, rows: MatrixRow[], connections: Connection[]): Promise<string[] | undefined> {
  if (connections.length === 0) throw new BehalfError('config', 'No connection for these requests: add "# @connection <id>" above them.');
  let preselected = s.context.workspaceState.get<string[]>(rememberedKey(doc.uri));
  if (!preselected) {
    const named = await matrixIdentities(s.engine, rows, {}).catch(() => []);
    preselected = named.map((i) => identityKey(i.connection, i.actAs.principal));
  }
  const chosen = new Set(preselected);
  type Item = vscode.QuickPickItem & { key?: string };
  const items: Item[] = [];
  for (const connection of connections) {
    const mode = s.engine.readMode(connection);
    items.push({ label: connection.label, kind: vscode.QuickPickItemKind.Separator });
    const self = identityKey(connection.id, undefined);
    items.push({
      label: '$(server) Service user (self)',
      description: connection.id,
      detail: "no impersonation: the connection's own identity",
      key: self,
      picked: chosen.has(self),
    });
    for (const p of s.store.principals(connection)) {
      const key = identityKey(connection.id, p);
      items.push({
        label: `$(account) ${p.name ?? p.email ?? p.id}`,
        description: p.email,
        detail: `id ${p.id}${p.userId ? ` · user ${p.userId}` : ''}${p.clientId ? ` · app ${p.clientId}` : ''} · ${mode}${p.source === 'vendor' ? ' · from the vendor' : ''}`,
        key,
        picked: chosen.has(key),
      });
    }
  }
  const reads = rows.filter((r) => !r.skipped).length;
  const picked = await vscode.window.showQuickPick(items, {
    title: `Access matrix: send ${reads === rows.length ? '' : `${reads} of `}${rows.length} request${rows.length === 1 ? '' : 's'} of ${path.basename(doc.uri.fsPath)} as…`,
    placeHolder: 'Pick the identities (columns); writes are never sent',
    canPickMany: true,
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (!picked) return undefined;
  return picked.flatMap((i) => (i.key ? [i.key] : []));
}

async function identitiesFromKeys(s: Services, keys: string[], connections: Connection[]): Promise<MatrixIdentity[]> {
  const identities: MatrixIdentity[] = [];
  for (const key of keys) {
    const slash = key.indexOf('/');
    const connection = connections.find((c) => c.id === key.slice(0, slash));
    if (slash < 0 || !connection) continue; // remembered for a connection these requests no longer use
    const ref = key.slice(slash + 1);
    const principal = ref === 'self' ? undefined : s.store.principals(connection).find((p) => p.id === ref);
    if (ref !== 'self' && !principal) continue; // a principal since removed
    identities.push(matrixIdentity(connection, principal, s.engine.readMode(connection)));
  }
  // Unique ids, as the core makes them: a principal id shared by two connections is qualified by its connection.
  const counts = new Map<string, number>();
  for (const i of identities) counts.set(i.id, (counts.get(i.id) ?? 0) + 1);
  for (const i of identities) if ((counts.get(i.id) ?? 0) > 1) i.id = `${i.connection}/${i.id}`;
  return identities;
}

// --- running ----------------------------------------------------------------------------------------------------

async function run(
  s: Services,
  diagnostics: vscode.DiagnosticCollection,
  { doc, rows, identities, line }: Pick<MatrixRun, 'doc' | 'rows' | 'identities' | 'line'>,
): Promise<MatrixView> {
  diagnostics.delete(doc.uri);
  const redactor = s.engine.redactor;
  const view: MatrixView = {
    id: `${Date.now().toString(36)}-${++runSequence}`,
    file: path.basename(doc.uri.fsPath),
    identities: identities.map((i) => ({
      id: i.id,
      label: i.actAs.principal ? (i.actAs.principal.name ?? i.actAs.principal.email ?? i.actAs.principal.id) : 'Service user',
      connection: i.actAs.connection.label,
      detail: `${i.actAs.principal ? describePrincipal(i.actAs.principal) : 'the service user (self)'} · ${i.actAs.principal ? i.actAs.mode : 'no impersonation'}`,
    })),
    requests: rows.map((r) => ({ name: r.name, method: r.method, url: redactor.url(r.url), ...(r.skipped ? { skipped: r.skipped } : {}) })),
    cells: [],
    running: true,
    total: rows.length * identities.length,
    source: {
      uri: doc.uri.toString(),
      ...(line !== undefined ? { line } : {}),
      identities: identities.map((i) => identityKey(i.connection, i.actAs.principal)),
    },
  };
  const state: MatrixRun = { view, doc, rows, identities, line, cells: new Map(), controller: new AbortController() };
  const panel = MatrixPanel.show(s.context.extensionUri, structuredClone(view), handlersFor(s, diagnostics, state));
  s.inFlight.add(state.controller);
  let result: MatrixResult;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Behalf: access matrix of ${view.file}`, cancellable: true },
      (progress, token) => {
        token.onCancellationRequested(() => state.controller.abort());
        let reported = 0;
        let reportedAt = 0;
        return runMatrix(s.engine, rows, identities, {
          signal: state.controller.signal,
          onSent: (event) => logSent(s, event).then(() => undefined),
          onCell: (cell, done, total) => {
            state.cells.set(cellKey(cell.request, cell.identity), cell);
            const shown = viewCell(s, cell);
            view.cells.push(shown);
            panel.addCell(view.id, shown);
            // The notification is told at most every PROGRESS_EVERY_MS (a big matrix answers hundreds of cells a second).
            if (done < total && Date.now() - reportedAt < PROGRESS_EVERY_MS) return;
            reportedAt = Date.now();
            const increment = (100 * (done - reported)) / Math.max(1, total);
            reported = done;
            progress.report({ message: `${done} of ${total} cells`, increment });
          },
        });
      },
    );
  } finally {
    s.inFlight.delete(state.controller);
    s.sessionsTree.refresh();
    s.sessionEnding.check();
  }
  state.result = { ...result, requests: view.requests };
  view.cells = result.cells.filter((c) => c !== undefined).map((c) => viewCell(s, c));
  view.running = false;
  if (state.controller.signal.aborted) view.cancelled = true;
  panel.finish(structuredClone(view));
  publishDiagnostics(diagnostics, doc, result, view);
  const unmet = result.cells.reduce((n, c) => n + (c?.verdicts.filter((v) => !v.met).length ?? 0), 0);
  if (result.unendedSessions?.length)
    void vscode.window.showWarningMessage(
      `Behalf: ${result.unendedSessions.length} impersonation session${result.unendedSessions.length === 1 ? '' : 's'} of the matrix may still be open (${result.unendedSessions.map((u) => u.principalLabel).join(', ')}): see the Sessions view.`,
    );
  void vscode.window.setStatusBarMessage(
    `Behalf: access matrix of ${view.file}${view.cancelled ? ' cancelled' : ' done'}${unmet ? ` · ${unmet} expectation${unmet === 1 ? '' : 's'} not met` : ''}`,
    6000,
  );
  return view;
}

/** A cell as the page shows it: no record, only whether one is kept; texts redacted (they may quote a response). */
function viewCell(s: Services, cell: MatrixCell): MatrixViewCell {
  const r = s.engine.redactor;
  const out: MatrixViewCell = {
    request: cell.request,
    identity: cell.identity,
    outcome: cell.outcome,
    verdicts: cell.verdicts.map((v) => ({ met: v.met, expected: r.text(v.expected), actual: r.text(v.actual), line: v.source.line })),
    hasResponse: cell.record !== undefined,
  };
  if (cell.status !== undefined) out.status = cell.status;
  if (cell.rows !== undefined) out.rows = cell.rows;
  if (cell.durationMs !== undefined) out.durationMs = cell.durationMs;
  if (cell.explanation !== undefined) out.explanation = r.text(cell.explanation);
  if (cell.error !== undefined) out.error = r.text(cell.error);
  if (cell.expected !== undefined) out.expected = cell.expected.map((e) => r.text(e));
  if (cell.met !== undefined) out.met = cell.met;
  return out;
}

/** Each unmet `# @expect` line of the run, on its line in the Problems view. */
function publishDiagnostics(diagnostics: vscode.DiagnosticCollection, doc: vscode.TextDocument, result: MatrixResult, view: MatrixView): void {
  const labels = new Map(view.identities.map((i) => [i.id, i.label]));
  const found: vscode.Diagnostic[] = [];
  for (const cell of result.cells) {
    for (const v of cell?.verdicts ?? []) {
      if (v.met) continue;
      const line = Math.min(Math.max(0, v.source.line - 1), doc.lineCount - 1);
      const start = new vscode.Position(line, Math.max(0, v.source.column - 1));
      const d = new vscode.Diagnostic(
        new vscode.Range(start, doc.lineAt(line).range.end),
        `${labels.get(cell.identity) ?? cell.identity} · ${cell.request}: expected ${v.expected}, got ${v.actual}`,
        vscode.DiagnosticSeverity.Error,
      );
      d.source = 'Behalf access matrix';
      found.push(d);
    }
  }
  diagnostics.set(doc.uri, found);
}

function handlersFor(s: Services, diagnostics: vscode.DiagnosticCollection, state: MatrixRun): MatrixPanelHandlers {
  return {
    onOpenCell: (request: string, identity: string) => {
      const cell = state.cells.get(cellKey(request, identity));
      const who = state.identities.find((i) => i.id === identity);
      const row = state.rows.find((r) => r.name === request);
      if (!cell?.record || !who) return;
      const target = row ? { doc: state.doc, request: row.request } : undefined;
      showResponse(s, cell.record, {
        actAs: who.actAs,
        assetId: assetOfRecord(s, who.actAs.connection, cell.record),
        resend: row?.spec ? { spec: row.spec, target } : undefined,
      });
    },
    onExport: async (format: MatrixExportFormat) => void (await exportMatrix(state, format)),
    // The file again (it may have changed), as the same identities.
    onRerun: async () => {
      const keys = state.identities.map((i) => identityKey(i.connection, i.actAs.principal));
      const again = (): Promise<unknown> => accessMatrix(s, diagnostics, { uri: state.doc.uri, line: state.line, identities: keys });
      await again().catch((e) => reportError(s, e, again));
    },
    onCancel: () => state.controller.abort(),
  };
}

const EXPORTS: Record<MatrixExportFormat, { ext: string; filter: string; write(result: MatrixResult, title: string): string }> = {
  csv: { ext: 'csv', filter: 'CSV', write: (r) => matrixCsv(r) },
  json: { ext: 'json', filter: 'JSON', write: (r) => matrixJson(r) },
  markdown: { ext: 'md', filter: 'Markdown', write: (r, title) => matrixMarkdown(r, title) },
};

/** Save dialog, then the file (the JSON is `behalf matrix --json`'s object). */
export async function exportMatrix(
  state: Pick<MatrixRun, 'result' | 'view' | 'doc'>,
  format: MatrixExportFormat,
  to?: vscode.Uri,
): Promise<vscode.Uri | undefined> {
  const result = state.result;
  if (!result) throw new BehalfError('usage', 'The matrix is still running: export it when it is done.');
  const kind = EXPORTS[format];
  const base = state.view.file.replace(/\.(http|rest)$/i, '');
  const uri =
    to ??
    (await vscode.window.showSaveDialog({
      title: `Export the access matrix of ${state.view.file} as ${kind.filter}`,
      saveLabel: 'Export',
      defaultUri: vscode.Uri.joinPath(state.doc.uri, '..', `${base}-access-matrix.${kind.ext}`),
      filters: { [kind.filter]: [kind.ext] },
    }));
  if (!uri) return undefined;
  await vscode.workspace.fs.writeFile(uri, Buffer.from(kind.write(result, `Access matrix of ${state.view.file}`), 'utf8'));
  void vscode.window.setStatusBarMessage(`Behalf: access matrix exported to ${path.basename(uri.fsPath)}`, 4000);
  return uri;
}
