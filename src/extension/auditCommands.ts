// The audit trail in VS Code: asset version history, "did the vendor record my write under the principal?",
// comparing what two identities see, and the impersonation log's commands. The work is done by the core
// (src/core/versionDiff.ts, attribution.ts, compare.ts, impersonationLog.ts); this file asks the user, shows
// progress, records every request sent as someone else and opens the panels.

import * as vscode from 'vscode';
import type { AttributionResult, CompareResult, ImpersonationLogEntry } from '../core/audit';
import { verifyAttribution } from '../core/attribution';
import { compareAs, sideNames } from '../core/compare';
import type { BehalfEngine, SendOptions } from '../core/engine';
import { BehalfError, isBehalfError } from '../core/errors';
import { logEntryFromError, logEntryFromRecord, toCsv, toJson } from '../core/impersonationLog';
import type { ActAs, AssetVersion, Connection, ImpersonationMode, Principal, RequestSpec, ResponseRecord } from '../core/model';
import { isMutating } from '../core/model';
import { describePrincipal } from '../core/vendor';
import { diffVersions, usersOf } from '../core/versionDiff';
import { compareViewFrom } from '../protocol/compare';
import type { HistoryView } from '../protocol/history';
import { assetIdOf } from '../vendors';
import { ComparePanel } from './comparePanel';
import type { Services } from './extension';
import { HistoryPanel } from './historyPanel';
import type { LogNode } from './impersonationLog';
import { connectionFor, pickConnection, pickPrincipal, reportError, resolvePrincipal, shortUrl, showResponse } from './sendCommands';

// --- sending, logged ----------------------------------------------------------------------------------------

/** A request made absolute against its connection, as the engine sends it (for log entries of failures). */
function absoluteUrl(url: string, connection: Connection): string {
  const raw = url.trim();
  return /^[a-z][a-z0-9+.-]*:/i.test(raw) ? raw : `${connection.baseUrl.replace(/\/+$/, '')}${raw.startsWith('/') ? '' : '/'}${raw}`;
}

/**
 * engine.sendAs, and every request sent as someone else goes into the impersonation log: the response, or
 * the error when none came back. A request the user declined to confirm was not sent and is not logged.
 */
export async function sendLogged(
  s: Services,
  spec: RequestSpec,
  actAs: ActAs,
  options: SendOptions = {},
): Promise<{ record: ResponseRecord; entry?: ImpersonationLogEntry }> {
  const time = new Date();
  try {
    const record = await s.engine.sendAs(spec, actAs, options);
    const entry = logEntryFromRecord(record, time);
    if (entry) await s.impersonationLog.record(entry);
    return { record, entry };
  } catch (e) {
    if (!(isBehalfError(e) && e.code === 'not-confirmed')) {
      const entry = logEntryFromError(
        s.engine.sentAs(actAs),
        { method: spec.method, url: absoluteUrl(spec.url, actAs.connection) },
        e,
        time,
        s.engine.redactor,
      );
      if (entry) await s.impersonationLog.record(entry);
    }
    throw e;
  }
}

/** The engine, with sendAs going through sendLogged (compareAs sends both sides through it). */
function loggingEngine(s: Services): BehalfEngine {
  const engine = s.engine;
  const logged = Object.create(engine) as BehalfEngine;
  logged.sendAs = async (spec, actAs, options) => (await sendLogged(s, spec, actAs, options)).record;
  return logged;
}

// --- assets -------------------------------------------------------------------------------------------------

/** The connection's vendor keeps asset version histories that Behalf can read. */
export function hasAssetHistory(s: Services, connection: Connection): boolean {
  try {
    return typeof s.engine.adapter(connection).assetHistory === 'function';
  } catch {
    return false;
  }
}

/** The asset a write as a principal changes, when its history can be read (attribution is checked then). */
export function writeTargetAsset(s: Services, spec: RequestSpec, actAs: ActAs): string | undefined {
  if (!actAs.principal || !isMutating(spec.method) || !hasAssetHistory(s, actAs.connection)) return undefined;
  const body = spec.body === undefined ? undefined : String(spec.body);
  return assetIdOf(actAs.connection.vendor, { url: spec.url, body });
}

/** The asset a response is about (the panel offers its history), from the request sent or the answer. */
export function assetOfRecord(s: Services, connection: Connection, record: ResponseRecord): string | undefined {
  if (record.status >= 400 || !hasAssetHistory(s, connection)) return undefined;
  return assetIdOf(connection.vendor, { url: record.request.url, body: record.request.body }, record.body);
}

/** The history before a write, to tell the write's version from earlier ones; undefined when it cannot be read. */
export async function historyBeforeWrite(
  s: Services,
  connection: Connection,
  assetId: string,
  signal: AbortSignal,
  onNote: (m: string) => void,
): Promise<AssetVersion[] | undefined> {
  onNote(`reading the history of ${assetId} first`);
  try {
    return await s.engine.assetHistory(connection, assetId, undefined, signal);
  } catch (e) {
    s.log.warn(`Could not read the history of ${assetId} before the write: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

/** After a write as a principal: who did the vendor record? Notes it on the log entry. Undefined when it cannot tell. */
export async function checkAttributionAfterWrite(
  s: Services,
  actAs: ActAs,
  assetId: string,
  before: AssetVersion[] | undefined,
  entry: ImpersonationLogEntry | undefined,
  signal: AbortSignal,
  onNote: (m: string) => void,
): Promise<AttributionResult | undefined> {
  onNote(`checking who ${assetId}'s history names`);
  try {
    const result = await verifyAttribution(s.engine, actAs, assetId, before, signal);
    if (entry) await s.impersonationLog.setAttribution({ time: entry.time, url: entry.url, method: entry.method }, result.outcome);
    s.log.info(`Attribution of ${assetId}: ${result.message}${result.advice ? ` ${result.advice}` : ''}`);
    return result;
  } catch (e) {
    s.log.warn(`Could not check the attribution of ${assetId}: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

/** "Recorded as jane@acme.test in version 4." as information; anything else as a warning with the advice. */
export function announceAttribution(result: AttributionResult, actAs: ActAs): void {
  const open = 'Open History';
  const text = `Behalf: ${result.message}${result.advice ? ` ${result.advice}` : ''}`;
  const shown = result.outcome === 'recorded-as-principal' ? vscode.window.showInformationMessage(text, open) : vscode.window.showWarningMessage(text, open);
  void shown.then((choice) => {
    if (choice === open)
      void vscode.commands.executeCommand('behalf.openAssetHistory', {
        connectionId: actAs.connection.id,
        assetId: result.assetId,
        principalId: actAs.principal?.id,
      });
  });
}

// --- arguments ------------------------------------------------------------------------------------------------

interface AssetArgs {
  connectionId?: string;
  assetId?: string;
  principalId?: string;
  mode?: ImpersonationMode;
}

/** (assetId) · (connectionId, assetId) · ({ connectionId?, assetId?, principalId?, mode? }) */
function assetArgs(args: unknown[]): AssetArgs {
  const [a, b] = args;
  if (typeof a === 'string' && typeof b === 'string') return { connectionId: a, assetId: b };
  if (typeof a === 'string') return { assetId: a };
  if (a && typeof a === 'object' && !Array.isArray(a)) {
    const o = a as Record<string, unknown>;
    const str = (k: string) => (typeof o[k] === 'string' && o[k] !== '' ? o[k] : undefined);
    const mode = o['mode'] === 'lite' || o['mode'] === 'full' ? o['mode'] : undefined;
    return { connectionId: str('connectionId'), assetId: str('assetId'), principalId: str('principalId'), mode };
  }
  return {};
}

/** A connection whose vendor keeps asset histories: the one named, the only one, or asked (the active one first). */
async function assetConnection(s: Services, connectionId: string | undefined, purpose: string): Promise<Connection | undefined> {
  const connections = await s.store.connections();
  if (connectionId) {
    const named = connections.find((c) => c.id === connectionId);
    if (!named) throw new BehalfError('connection', `No connection "${connectionId}" (known: ${connections.map((c) => c.id).join(', ') || 'none'}).`);
    if (!hasAssetHistory(s, named))
      throw new BehalfError('unsupported', `${s.engine.vendor(named).displayName} keeps no asset version history Behalf can read (connection "${named.id}").`);
    return named;
  }
  const withHistory = connections.filter((c) => hasAssetHistory(s, c));
  if (withHistory.length === 0) {
    throw new BehalfError('unsupported', 'None of your connections keeps asset version histories Behalf can read (Orange Logic does).', {
      hint: 'add one with "Behalf: Add Connection…", or start the vendor sandbox',
    });
  }
  if (withHistory.length === 1) return withHistory[0];
  const activeId = (await s.identity.current())?.connection.id;
  const ordered = [...withHistory].sort((a, b) => Number(b.id === activeId) - Number(a.id === activeId));
  return pickConnection(ordered, purpose);
}

async function askAssetId(connection: Connection, title: string): Promise<string | undefined> {
  const value = await vscode.window.showInputBox({
    title,
    prompt: `The asset's id on ${connection.label} (Orange Logic: its RecordID)`,
    placeHolder: 'A-1',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() === '' ? 'An asset id is needed' : /\s/.test(v.trim()) ? 'An asset id has no spaces' : undefined),
  });
  return value?.trim() || undefined;
}

/** The principal named, else the one the user acts as on this connection. */
async function principalOn(s: Services, connection: Connection, principalId: string | undefined): Promise<Principal | undefined> {
  if (principalId) return resolvePrincipal(s, connection, principalId);
  const active = await s.identity.current();
  return active?.connection.id === connection.id ? active.principal : undefined;
}

// --- version history ------------------------------------------------------------------------------------------

let historySequence = 0;

async function readHistoryView(s: Services, connection: Connection, assetId: string, principal: Principal | undefined): Promise<HistoryView> {
  const versions = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Behalf: reading the version history of ${assetId}` },
    () => s.engine.assetHistory(connection, assetId),
  );
  const email = principal?.email;
  const diffs = diffVersions(versions, { principalEmail: email });
  const view: HistoryView = {
    id: `${Date.now().toString(36)}-${++historySequence}`,
    assetId,
    connectionId: connection.id,
    connectionLabel: connection.label,
    vendor: connection.vendor,
    versions: diffs,
    users: usersOf(diffs),
    readAt: new Date().toISOString(),
  };
  if (principal && email) view.principal = { who: describePrincipal(principal), email };
  return view;
}

async function openAssetHistory(s: Services, args: AssetArgs): Promise<HistoryView | undefined> {
  const connection = await assetConnection(s, args.connectionId, 'Version history on which connection?');
  if (!connection) return undefined;
  const assetId = args.assetId ?? (await askAssetId(connection, `Version history of which asset? (${connection.label})`));
  if (!assetId) return undefined;
  const principal = await principalOn(s, connection, args.principalId);
  const view = await readHistoryView(s, connection, assetId, principal);
  HistoryPanel.show(s.context.extensionUri, view, () => readHistoryView(s, connection, assetId, principal));
  return view;
}

// --- attribution ----------------------------------------------------------------------------------------------

/** "Verify Attribution": also called straight from the response panel's "Check again", whose box shows any error. */
export async function verifyAttributionCommand(s: Services, args: AssetArgs): Promise<AttributionResult | undefined> {
  const connection = await assetConnection(s, args.connectionId, 'Verify attribution on which connection?');
  if (!connection) return undefined;
  const assetId = args.assetId ?? (await askAssetId(connection, `Who is the latest version of which asset recorded as? (${connection.label})`));
  if (!assetId) return undefined;
  // From the palette (no asset given) the user says whose write it was; with arguments, the principal named
  // or the one they act as.
  const fromPalette = args.assetId === undefined;
  let principal = fromPalette ? undefined : await principalOn(s, connection, args.principalId);
  if (!principal) {
    const picked = await pickPrincipal(s, connection, `The write to ${assetId} was sent as…`, {
      withServiceUser: false,
      modeNote: "attribution compares the version's user with this email",
    });
    if (!picked?.principal) return undefined;
    principal = picked.principal;
  }
  const active = await s.identity.current();
  const mode = args.mode ?? (active?.connection.id === connection.id ? active.mode : undefined) ?? s.engine.defaultMode(connection);
  const actAs: ActAs = { connection, principal, mode };
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Behalf: checking who ${assetId}'s latest version names` },
    () => verifyAttribution(s.engine, actAs, assetId),
  );
  s.log.info(`Attribution of ${assetId}: ${result.message}${result.advice ? ` ${result.advice}` : ''}`);
  announceAttribution(result, actAs);
  return result;
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

/**
 * The mode for a side. Comparing reads is about privileges, and only full impersonation applies the principal's
 * own (lite keeps the service user's and only attributes writes): full by default where the vendor has it.
 */
function compareMode(s: Services, connection: Connection, wanted: ImpersonationMode | undefined): ImpersonationMode {
  const modes = s.engine.modes(connection);
  if (wanted && modes.includes(wanted)) return wanted;
  return modes.includes('full') ? 'full' : s.engine.defaultMode(connection);
}

async function identityFromArg(s: Services, arg: IdentityArg, requestMode: ImpersonationMode | undefined): Promise<ActAs> {
  const connection = await s.store.connection(arg.connectionId);
  if (!connection) throw new BehalfError('connection', `No connection "${arg.connectionId}".`);
  const principal = arg.principalId ? await resolvePrincipal(s, connection, arg.principalId) : undefined;
  return { connection, principal, mode: compareMode(s, connection, arg.mode ?? requestMode) };
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
    const mode = compareMode(s, connection, target.request.mode);
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
