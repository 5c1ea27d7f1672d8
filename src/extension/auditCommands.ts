// The audit trail in VS Code: asset version history, "did the vendor record my write under the principal?",
// comparing what two identities see, and the impersonation log's commands. The work is done by the core
// (src/core/versionDiff.ts, attribution.ts, compare.ts, impersonationLog.ts); this file asks the user, shows
// progress, records every request sent as someone else and opens the panels.

import * as vscode from 'vscode';
import type { CompareResult } from '../core/audit';
import { compareAs, sideNames } from '../core/compare';
import { BehalfError } from '../core/errors';
import { toCsv, toJson } from '../core/impersonationLog';
import type { ActAs, AssetVersion, Connection, ImpersonationMode, Principal } from '../core/model';
import { describePrincipal } from '../core/vendor';
import { diffVersion, summariseVersions, usersOf } from '../core/versionDiff';
import { compareViewFrom } from '../protocol/compare';
import type { HistoryView } from '../protocol/history';
import { ComparePanel } from './comparePanel';
import type { Services } from './services';
import { HistoryPanel, type HistoryReading } from './historyPanel';
import type { LogNode } from './impersonationLog';
import { assetArgs, assetConnection, assetOfRecord, askAssetId, principalOn, verifyAttributionCommand, type AssetArgs } from './attributionCommands';
import { loggingEngine } from './loggedSend';
import { pickPrincipal, resolvePrincipal, shortUrl } from './picks';
import { connectionFor, reportError, showResponse } from './sendCommands';

// --- version history ------------------------------------------------------------------------------------------

let historySequence = 0;

/** The history read: each version's summary to show, and one version's diffs when the page opens it (see HistoryPanel). */
async function readHistory(s: Services, connection: Connection, assetId: string, principal: Principal | undefined): Promise<HistoryReading> {
  const versions = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Behalf: reading the version history of ${assetId}` },
    () => s.engine.assetHistory(connection, assetId),
  );
  const email = principal?.email;
  const summaries = summariseVersions(versions, { principalEmail: email });
  const view: HistoryView = {
    id: `${Date.now().toString(36)}-${++historySequence}`,
    assetId,
    connectionId: connection.id,
    connectionLabel: connection.label,
    vendor: connection.vendor,
    versions: summaries,
    users: usersOf(summaries),
    readAt: new Date().toISOString(),
  };
  if (principal && email) view.principal = { who: describePrincipal(principal), email };
  return { view, diffs: (version) => diffVersion(versions, version, { principalEmail: email }) };
}

/**
 * A version's diffs for a panel restored after a window reload: its page kept only the summaries, so the
 * history is read again (once, when the first version is opened) with the connection the view names.
 */
export function revivedHistoryDiffs(s: Services, view: HistoryView): HistoryReading['diffs'] {
  let reading: Promise<AssetVersion[]> | undefined;
  return async (version) => {
    const connection = await s.store.connection(view.connectionId);
    if (!connection)
      throw new BehalfError('connection', `the connection "${view.connectionId}" is no longer configured. Add it again, then open the history anew.`);
    reading ??= s.engine.assetHistory(connection, view.assetId);
    const versions = await reading.catch((e: unknown) => {
      reading = undefined; // the next open tries again
      throw e;
    });
    return diffVersion(versions, version, { principalEmail: view.principal?.email });
  };
}

async function openAssetHistory(s: Services, args: AssetArgs): Promise<HistoryView | undefined> {
  const connection = await assetConnection(s, args.connectionId, 'Version history on which connection?');
  if (!connection) return undefined;
  const assetId = args.assetId ?? (await askAssetId(connection, `Version history of which asset? (${connection.label})`));
  if (!assetId) return undefined;
  const principal = await principalOn(s, connection, args.principalId);
  const { view, diffs } = await readHistory(s, connection, assetId, principal);
  HistoryPanel.show(s.context.extensionUri, view, () => readHistory(s, connection, assetId, principal), diffs);
  return view;
}

// --- compare as two users -------------------------------------------------------------------------------------

interface IdentityArg {
  connectionId: string;
  principalId?: string;
  mode?: ImpersonationMode;
}

interface CompareArgs {
  uri?: vscode.Uri;
  line?: number;
  left?: IdentityArg;
  right?: IdentityArg;
}

function identityArg(x: unknown): IdentityArg | undefined {
  if (!x || typeof x !== 'object') return undefined;
  const o = x as Record<string, unknown>;
  if (typeof o['connectionId'] !== 'string') return undefined;
  return {
    connectionId: o['connectionId'],
    principalId: typeof o['principalId'] === 'string' && o['principalId'] !== '' ? o['principalId'] : undefined,
    mode: o['mode'] === 'lite' || o['mode'] === 'full' ? o['mode'] : undefined,
  };
}

/** (uri, line) from the CodeLens · ({ uri, line, left, right }) from tests and other extensions. */
function compareArgs(args: unknown[]): CompareArgs {
  const [a, b] = args;
  if (a instanceof vscode.Uri) return { uri: a, line: typeof b === 'number' ? b : undefined };
  if (a && typeof a === 'object') {
    const o = a as Record<string, unknown>;
    const uri = o['uri'] instanceof vscode.Uri ? o['uri'] : typeof o['uri'] === 'string' ? vscode.Uri.parse(o['uri']) : undefined;
    return { uri, line: typeof o['line'] === 'number' ? o['line'] : undefined, left: identityArg(o['left']), right: identityArg(o['right']) };
  }
  return {};
}

async function identityFromArg(s: Services, arg: IdentityArg, requestMode: ImpersonationMode | undefined): Promise<ActAs> {
  const connection = await s.store.connection(arg.connectionId);
  if (!connection) throw new BehalfError('connection', `No connection "${arg.connectionId}".`);
  const principal = arg.principalId ? await resolvePrincipal(s, connection, arg.principalId) : undefined;
  return { connection, principal, mode: s.engine.readMode(connection, arg.mode ?? requestMode) };
}

let compareSequence = 0;

async function compareAsUsers(s: Services, args: CompareArgs): Promise<{ result: CompareResult } | undefined> {
  const target = await s.documents.target(args.uri, args.line);
  const spec = await s.documents.resolve(target.doc, target.parsed, target.request);
  let left: ActAs;
  let right: ActAs;
  if (args.left && args.right) {
    left = await identityFromArg(s, args.left, target.request.mode);
    right = await identityFromArg(s, args.right, target.request.mode);
  } else {
    const connection = await connectionFor(s, target.request, spec);
    const mode = s.engine.readMode(connection, target.request.mode);
    const note = `compared in ${mode} mode${mode === 'full' ? " (the principal's own privileges)" : ''}`;
    const first = await pickPrincipal(s, connection, `Compare ${spec.method} ${shortUrl(spec.url)}: first identity`, { modeNote: note });
    if (!first) return undefined;
    const second = await pickPrincipal(s, connection, `Compare with… (first: ${describePrincipal(first.principal)})`, { modeNote: note });
    if (!second) return undefined;
    left = { connection, principal: first.principal, mode };
    right = { connection, principal: second.principal, mode };
  }
  const controller = new AbortController();
  s.inFlight.add(controller);
  let compared: Awaited<ReturnType<typeof compareAs>>;
  try {
    compared = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Behalf: ${spec.method} as ${describePrincipal(left.principal)} and as ${describePrincipal(right.principal)}`,
        cancellable: true,
      },
      (progress, token) => {
        token.onCancellationRequested(() => controller.abort());
        return compareAs(loggingEngine(s), spec, left, right, { signal: controller.signal, onNote: (message) => progress.report({ message }) });
      },
    );
  } finally {
    s.inFlight.delete(controller);
    s.sessionsTree.refresh();
  }
  const { result } = compared;
  const [leftName, rightName] = sideNames(compared.left, compared.right);
  const view = compareViewFrom(result, compared.left, compared.right, `${Date.now().toString(36)}-${++compareSequence}`, { left: leftName, right: rightName });
  const records = { left: compared.left, right: compared.right };
  const sides = { left, right };
  ComparePanel.show(s.context.extensionUri, view, {
    onOpenResponse: (side) => showResponse(s, records[side], { actAs: sides[side], assetId: assetOfRecord(s, sides[side].connection, records[side]) }),
  });
  return { result };
}

// --- the impersonation log --------------------------------------------------------------------------------

type ExportFormat = 'json' | 'csv';

/** (uri) or ({ uri, format }) from tests; otherwise a save dialog (the format follows the file's extension). */
async function exportLog(s: Services, arg: unknown): Promise<vscode.Uri | undefined> {
  let uri: vscode.Uri | undefined;
  let format: ExportFormat | undefined;
  if (arg instanceof vscode.Uri) uri = arg;
  else if (arg && typeof arg === 'object' && !('kind' in arg)) {
    const o = arg as Record<string, unknown>;
    uri = o['uri'] instanceof vscode.Uri ? o['uri'] : typeof o['uri'] === 'string' ? vscode.Uri.file(o['uri']) : undefined;
    format = o['format'] === 'csv' || o['format'] === 'json' ? o['format'] : undefined;
  }
  const entries = await s.impersonationLog.entries();
  if (!uri) {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const name = `behalf-impersonation-log-${new Date().toISOString().slice(0, 10)}.csv`;
    uri = await vscode.window.showSaveDialog({
      title: `Export the impersonation log (${entries.length} ${entries.length === 1 ? 'entry' : 'entries'})`,
      saveLabel: 'Export',
      defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
      filters: { CSV: ['csv'], JSON: ['json'] },
    });
    if (!uri) return undefined;
  }
  format ??= /\.json$/i.test(uri.path) ? 'json' : 'csv';
  await vscode.workspace.fs.writeFile(uri, Buffer.from(format === 'json' ? toJson(entries) : toCsv(entries), 'utf8'));
  void vscode.window.setStatusBarMessage(
    `Behalf: exported ${entries.length} impersonation log ${entries.length === 1 ? 'entry' : 'entries'} as ${format.toUpperCase()}`,
    4000,
  );
  return uri;
}

async function clearLog(s: Services): Promise<boolean> {
  const count = (await s.impersonationLog.entries()).length;
  const ok = await vscode.window.showWarningMessage(
    `Clear the impersonation log (${count} ${count === 1 ? 'entry' : 'entries'})? Export it first if you need the record.`,
    { modal: true },
    'Clear',
  );
  if (ok !== 'Clear') return false;
  await s.impersonationLog.clear();
  return true;
}

// --- registration ---------------------------------------------------------------------------------------------

export function registerAuditCommands(s: Services): void {
  const register = (id: string, run: (...args: never[]) => Promise<unknown>) =>
    s.registerCommand(id, (...args: never[]) => run(...args).catch((e) => reportError(s, e)));

  register('behalf.openAssetHistory', (...args: unknown[]) => openAssetHistory(s, assetArgs(args)));
  register('behalf.verifyAttribution', (...args: unknown[]) => verifyAttributionCommand(s, assetArgs(args)));
  register('behalf.compareAsUsers', (...args: unknown[]) => compareAsUsers(s, compareArgs(args)));
  register('behalf.exportImpersonationLog', (arg?: unknown) => exportLog(s, arg));
  register('behalf.clearImpersonationLog', () => clearLog(s));
  register('behalf.refreshImpersonationLog', async () => s.impersonationLogTree.refresh());
  register('behalf.copyImpersonationLogEntry', async (node?: LogNode) => {
    if (node?.kind !== 'entry') return;
    await vscode.env.clipboard.writeText(JSON.stringify(node.entry, null, 2));
    void vscode.window.setStatusBarMessage('Behalf: log entry copied', 2500);
  });
}
