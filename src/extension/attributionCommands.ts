// Writes as a principal and what the vendor recorded: which asset a request changes, its history before the
// write, and "Verify Attribution" (who the asset's latest version names). The core does the work
// (src/core/attribution.ts); this file asks the user and shows the result.

import * as vscode from 'vscode';
import type { AttributionResult, ImpersonationLogEntry } from '../core/audit';
import { verifyAttribution } from '../core/attribution';
import { BehalfError } from '../core/errors';
import type { ActAs, AssetVersion, Connection, ImpersonationMode, Principal, RequestSpec, ResponseRecord } from '../core/model';
import { isMutating } from '../core/model';
import { assetIdOf } from '../vendors';
import { pickConnection, pickPrincipal, resolvePrincipal } from './picks';
import type { Services } from './services';

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

export interface AssetArgs {
  connectionId?: string;
  assetId?: string;
  principalId?: string;
  mode?: ImpersonationMode;
}

/** (assetId) · (connectionId, assetId) · ({ connectionId?, assetId?, principalId?, mode? }) */
export function assetArgs(args: unknown[]): AssetArgs {
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
export async function assetConnection(s: Services, connectionId: string | undefined, purpose: string): Promise<Connection | undefined> {
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

export async function askAssetId(connection: Connection, title: string): Promise<string | undefined> {
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
export async function principalOn(s: Services, connection: Connection, principalId: string | undefined): Promise<Principal | undefined> {
  if (principalId) return resolvePrincipal(s, connection, principalId);
  const active = await s.identity.current();
  return active?.connection.id === connection.id ? active.principal : undefined;
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
