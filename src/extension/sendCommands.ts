import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { toCurl } from '../core/curl';
import { BehalfError, isBehalfError } from '../core/errors';
import type { HttpFileRequest } from '../core/http/parser';
import { UnsentRequestError, type RequestExchange } from '../core/http/requestVariables';
import type { AttributionResult } from '../core/audit';
import { urlOnConnection, type ActAs, type Connection, type ImpersonationMode, type RequestSpec, type ResponseRecord } from '../core/model';
import { formatBytes, originOf, type BodyFile } from '../core/transport';
import { rawBodyOf } from '../core/engine';
import { describePrincipal } from '../core/vendor';
import { responseViewFromRecord, type SendStatus } from '../protocol/response';
import {
  announceAttribution,
  assetOfRecord,
  checkAttributionAfterWrite,
  historyBeforeWrite,
  verifyAttributionCommand,
  writeTargetAsset,
} from './attributionCommands';
import { SEND_PROGRESS_DELAY_MS, withDelayedProgress } from './delayedProgress';
import { sendLogged } from './loggedSend';
import { pickConnection, pickPrincipal, resolvePrincipal, shortUrl } from './picks';
import type { Services } from './services';
import { ResponsePanel, type PanelSend, type ResponsePanelHandlers } from './responsePanel';
import type { ConnectionsNode } from './trees';

export function registerSendCommands(s: Services): void {
  // Credentials read through request variables ({{login.response.body.$.token}}) are redacted everywhere.
  s.documents.onSecret = (value) => s.engine.redactor.add(value);
  // The "Send" lens of a request without # @as names who "Send" acts as (sendRequestAt's rule, without asking).
  s.documents.lensActAs = async (request) => {
    const connections = await s.store.connections();
    if (connections.length === 0) return undefined;
    let connection = request.connection ? connections.find((c) => c.id === request.connection) : undefined;
    if (request.connection && !connection) return undefined; // an unknown connection: sending says so
    if (!connection && /^https?:/i.test(request.url)) {
      const byPrefix = connections.filter((c) => request.url.startsWith(c.baseUrl.replace(/\/+$/, '')));
      const byOrigin = connections.filter((c) => originOf(c.baseUrl) === originOf(request.url));
      connection = byPrefix.length === 1 ? byPrefix[0] : byOrigin.length === 1 ? byOrigin[0] : undefined;
    }
    const active = await s.identity.current();
    if (!active || (connection && connection.id !== active.connection.id) || !active.principal) return 'service user';
    const p = active.principal;
    return { name: p.name ?? p.email ?? p.id, mode: request.mode ?? active.mode, detail: describePrincipal(p) };
  };
  const register = (id: string, run: (...args: never[]) => Promise<unknown>) => registerReported(s, id, run);

  register('behalf.sendRequest', (uri?: vscode.Uri, line?: number) => sendRequestAt(s, uri, line));

  register('behalf.sendAsUser', async (uri?: vscode.Uri, line?: number) => {
    const target = await s.documents.target(uri, line);
    const spec = await s.documents.resolve(target.doc, target.parsed, target.request);
    const connection = await connectionFor(s, target.request, spec);
    const picked = await pickPrincipal(s, connection, `Send ${spec.method} ${shortUrl(spec.url)} as…`);
    if (!picked) return;
    const active = await s.identity.current();
    const mode = target.request.mode ?? (active?.connection.id === connection.id ? active.mode : undefined) ?? s.engine.defaultMode(connection);
    return sendAndShow(s, spec, { connection, principal: picked.principal, mode }, target);
  });

  // From the tree: the request under the cursor, as the principal that was right-clicked.
  register('behalf.sendAsThisUser', async (node?: ConnectionsNode) => {
    if (!node || node.kind !== 'principal') throw new BehalfError('usage', 'Right-click a principal in the Connections view.');
    const editor = s.documents.httpEditor();
    if (!editor) throw new BehalfError('no-request', 'Open a .http file with the request to send, then try again.');
    const line = editor.selection.active.line + 1;
    const target = await s.documents.target(editor.document.uri, line);
    const spec = await s.documents.resolve(target.doc, target.parsed, target.request);
    const active = await s.identity.current();
    const mode = target.request.mode ?? (active?.connection.id === node.connection.id ? active.mode : undefined) ?? s.engine.defaultMode(node.connection);
    return sendAndShow(s, spec, { connection: node.connection, principal: node.principal, mode }, target);
  });

  register('behalf.toggleMode', () => s.identity.toggleMode());

  register('behalf.cancelRequests', async () => {
    for (const controller of s.inFlight) controller.abort();
  });

  register('behalf.selectIdentity', async () => {
    const connections = await s.store.connections();
    if (connections.length === 0) throw new BehalfError('config', 'No connections yet: run "Behalf: Add Connection…" or "Behalf: Start the Vendor Sandbox".');
    const connection = connections.length === 1 ? connections[0] : await pickConnection(connections, 'Act as a user of which connection?');
    if (!connection) return;
    const picked = await pickPrincipal(s, connection, `Act as… (${connection.label})`);
    if (picked) await s.identity.set(connection, picked.principal?.id);
  });

  register('behalf.setActivePrincipal', async (node?: ConnectionsNode) => {
    if (node?.kind !== 'principal') return vscode.commands.executeCommand('behalf.selectIdentity');
    await s.identity.set(node.connection, node.principal.id);
  });

  register('behalf.actAsServiceUser', async (node?: ConnectionsNode) => {
    const connection = node?.connection ?? (await s.identity.current())?.connection;
    if (connection) await s.identity.set(connection, undefined);
  });
}

/**
 * Registers a command whose errors are reported (reportError). "Send login first" sends the request a request
 * variable reads, then runs the command again.
 */
export function registerReported(s: Services, id: string, run: (...args: never[]) => Promise<unknown>): void {
  s.registerCommand(id, (...args: never[]) => {
    const guarded = (): Promise<unknown> => run(...args).catch((e) => reportError(s, e, guarded));
    return guarded();
  });
}

/** "Send": the request at `line` (else the cursor's) with its @as and @mode, else the active identity. */
async function sendRequestAt(s: Services, uri?: vscode.Uri, line?: number): Promise<ResponseRecord | undefined> {
  const target = await s.documents.target(uri, line);
  const spec = await s.documents.resolve(target.doc, target.parsed, target.request);
  const connection = await connectionFor(s, target.request, spec);
  const active = await s.identity.current();
  const sameConnection = active?.connection.id === connection.id;
  const principal = target.request.as ? await resolvePrincipal(s, connection, target.request.as) : sameConnection ? active?.principal : undefined;
  const mode = target.request.mode ?? (sameConnection ? active?.mode : undefined) ?? s.engine.defaultMode(connection);
  return sendAndShow(s, spec, { connection, principal, mode }, target);
}

/** Where a request came from: a named one's exchange is kept (in memory) for the request variables of its file. */
interface SendTarget {
  doc: vscode.TextDocument;
  request: HttpFileRequest;
}

/**
 * Send with progress and Cancel, record it in the impersonation log when it was sent as someone else, then
 * show the response panel. A write as a principal to an asset whose vendor keeps a version history is
 * checked: the history is read before and after, and the panel and a message say who the vendor recorded.
 */
async function sendAndShow(s: Services, spec: RequestSpec, actAs: ActAs, target?: SendTarget, saveTo?: vscode.Uri): Promise<ResponseRecord | undefined> {
  const who = describePrincipal(actAs.principal);
  const writeAsset = writeTargetAsset(s, spec, actAs);
  const controller = new AbortController();
  // The panel opens now ("Sending as …", Cancel), so a new panel's page loads while the request is in flight.
  const send = ResponsePanel.sending(s.context.extensionUri, sendingStatus(s, spec, actAs), {
    onCancel: () => controller.abort(),
    onResend: () => resendRequest(s, { spec, actAs, target }),
  });
  s.inFlight.add(controller);
  let record: ResponseRecord;
  let attribution: AttributionResult | undefined;
  try {
    // The panel says "Sending as …" with Cancel at once; the notification only for a send that takes a while.
    ({ record, attribution } = await withDelayedProgress(
      { location: vscode.ProgressLocation.Notification, title: `Behalf: ${spec.method} as ${who}`, cancellable: true },
      SEND_PROGRESS_DELAY_MS,
      async (progress, token) => {
        token.onCancellationRequested(() => controller.abort());
        const onNote = (message: string) => {
          progress.report({ message });
          send.note(message);
        };
        const before = writeAsset ? await historyBeforeWrite(s, actAs.connection, writeAsset, controller.signal, onNote) : undefined;
        const name = target?.request.name;
        let raw: RequestExchange['response'] | undefined;
        const sent = await sendLogged(s, spec, actAs, {
          signal: controller.signal,
          onNote,
          onRawResponse: name === undefined ? undefined : (r) => (raw = r),
          saveBody: saveTo && savingWithProgress(saveTo, progress),
        });
        if (target && name !== undefined && raw)
          s.documents.exchanges(target.doc).set(name, { request: { headers: spec.headers, body: spec.body }, response: raw });
        const checked =
          writeAsset && sent.record.status < 300
            ? await checkAttributionAfterWrite(s, actAs, writeAsset, before, sent.entry, controller.signal, onNote)
            : undefined;
        return { record: sent.record, attribution: checked };
      },
    ));
  } catch (e) {
    // Too large to show: offered to be streamed to a file instead (sent again: the first answer was not kept).
    const tooLarge = !saveTo && isBehalfError(e) && e.code === 'too-large';
    failSend(s, send, e, tooLarge ? ' Choose "Save Body to File…" in the notification to stream it to a file instead.' : '');
    if (tooLarge) {
      offerSaveBody(s, e, spec, actAs, target);
      return undefined;
    }
    throw e;
  } finally {
    s.inFlight.delete(controller);
  }
  try {
    showResponse(s, record, { actAs, assetId: writeAsset ?? assetOfRecord(s, actAs.connection, record), attribution, resend: { spec, target }, send });
  } catch (e) {
    failSend(s, send, e);
    throw e;
  }
  if (attribution) announceAttribution(attribution, actAs);
  if (record.explanation) {
    const action = record.explanation.action;
    void vscode.window.showWarningMessage(record.explanation.message, ...(action ? [action.title] : [])).then((choice) => {
      if (action && choice === action.title) void runAction(s, action.kind, action.args ?? {}, { spec, actAs, target });
    });
  }
  s.sessionsTree.refresh();
  return record;
}

/** Who and what the panel says is being sent (the URL redacted, as in the response). */
function sendingStatus(s: Services, spec: RequestSpec, actAs: ActAs): Pick<SendStatus, 'sentAs' | 'request'> {
  const { who, mode, connectionLabel, vendor } = s.engine.sentAs(actAs);
  return {
    sentAs: { who, mode, connectionLabel, vendor },
    request: { method: spec.method.toUpperCase(), url: s.engine.redactor.url(urlOnConnection(spec.url, actAs.connection)) },
  };
}

/** A send that got no response: the panel (if it still shows it) says why; nothing is left saying "Sending…". */
function failSend(s: Services, send: PanelSend, e: unknown, more = ''): void {
  if (isBehalfError(e) && e.code === 'cancelled') send.fail('cancelled', 'Cancelled before a response arrived.');
  else if (isBehalfError(e) && e.code === 'not-confirmed') send.fail('cancelled', errorText(s, e));
  else send.fail('failed', errorText(s, e) + more);
}

/** What went wrong, redacted, with the hint: for the error message and the panel. */
function errorText(s: Services, e: unknown): string {
  return isBehalfError(e)
    ? s.engine.redactor.text(e.hint ? `${e.message} — ${e.hint}` : e.message)
    : s.engine.redactor.text(`Unexpected error: ${e instanceof Error ? e.message : String(e)}`);
}

/** What the panel keeps of a body streamed to a file: enough to show its start. */
const SAVED_BODY_SHOWN_BYTES = 1024 * 1024;

/** A body file for `uri`, its progress in the send's notification ("Saving big.bin: 120.0 MB of 500.0 MB"). */
function savingWithProgress(uri: vscode.Uri, progress: vscode.Progress<{ message?: string }>): BodyFile {
  let reportedAt = 0;
  return {
    path: uri.fsPath,
    keepBytes: SAVED_BODY_SHOWN_BYTES,
    onProgress: (written, total) => {
      const now = Date.now();
      if (now - reportedAt < 200) return;
      reportedAt = now;
      progress.report({ message: `Saving ${path.basename(uri.fsPath)}: ${formatBytes(written)}${total ? ` of ${formatBytes(total)}` : ''}` });
    },
  };
}

/**
 * A response larger than behalf.maxResponseSizeMB: the error, with "Save Body…", which asks where and sends the
 * request again, the body going to that file as it arrives (a write is sent again only after a modal yes).
 */
function offerSaveBody(s: Services, e: BehalfError, spec: RequestSpec, actAs: ActAs, target: SendTarget | undefined): void {
  const save = 'Save Body to File…';
  const message = s.engine.redactor.text(`${e.message} It can be saved to a file instead (the request is sent again).`);
  s.log.error(message);
  void vscode.window.showErrorMessage(`Behalf: ${message}`, save, 'Show Log').then(async (choice) => {
    if (choice === 'Show Log') s.log.show();
    if (choice !== save) return;
    const method = spec.method.toUpperCase();
    if (!['GET', 'HEAD', 'OPTIONS'].includes(method)) {
      const again = `Send ${method} Again`;
      const yes = await vscode.window.showWarningMessage(
        `Saving the body sends the ${method} again: the change it makes is made twice.`,
        { modal: true },
        again,
      );
      if (yes !== again) return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
    const uri = await vscode.window.showSaveDialog({
      title: 'Save the response body (streamed to the file as it arrives)',
      saveLabel: 'Save body',
      defaultUri: vscode.Uri.joinPath(folder, path.posix.basename(new URL(spec.url, 'http://x').pathname) || 'response.bin'),
    });
    if (!uri) return;
    const run = () => sendAndShow(s, spec, actAs, target, uri);
    await run().catch((err) => reportError(s, err, run));
  });
}

export interface ShowResponseExtra {
  /** Who it was sent as: "Version history" highlights the principal, "Check again" re-checks as them. */
  actAs?: ActAs;
  /** The asset the request or response is about (the panel offers its version history). */
  assetId?: string;
  /** Who the vendor recorded a write under. */
  attribution?: AttributionResult;
  /** The request as it was sent (unredacted, memory only): the panel's "Resend" sends it again as `actAs`. */
  resend?: { spec: RequestSpec; target?: SendTarget };
  /** The send the panel was opened for: the response goes there only while the panel still follows it. */
  send?: PanelSend;
}

export function showResponse(s: Services, record: ResponseRecord, extra: ShowResponseExtra = {}): void {
  const view = responseViewFromRecord(record, { curl: toCurl(record.request), assetId: extra.assetId, attribution: extra.attribution });
  const connectionId = record.sentAs.connectionId;
  const principalId = record.sentAs.principalId;
  const resend = extra.resend && extra.actAs ? { ...extra.resend, actAs: extra.actAs } : undefined;
  // The bytes as received stay in the host (for "Save body…"), for the panel's current response only.
  ResponsePanel.show(s.context.extensionUri, view, responseHandlers(s, { connectionId, principalId, mode: extra.actAs?.mode, resend }), {
    rawBody: rawBodyOf(record),
    savedFile: record.saved?.path,
    send: extra.send,
  });
}

/** A request the panel can send again: as it was sent (unredacted, never in the view), as whom, from where. */
export interface ResendableRequest {
  spec: RequestSpec;
  actAs: ActAs;
  target?: SendTarget;
}

/** What the response panel's buttons do; `origin` says which connection and identity the response came from. */
export function responseHandlers(
  s: Services,
  origin: { connectionId?: string; principalId?: string; mode?: ImpersonationMode; resend?: ResendableRequest },
): ResponsePanelHandlers {
  const resend = origin.resend;
  return {
    onAction: (kind, args) => void runAction(s, kind, args, resend),
    onOpenHistory: (assetId) =>
      void vscode.commands.executeCommand('behalf.openAssetHistory', { connectionId: origin.connectionId, assetId, principalId: origin.principalId }),
    // Not through the command (which turns errors into a notification): the panel's box shows what went wrong.
    onVerifyAttribution: (assetId) =>
      verifyAttributionCommand(s, { connectionId: origin.connectionId, assetId, principalId: origin.principalId, mode: origin.mode }),
    // The usual send path: progress, confirmation of a write as someone else, the log, then this panel.
    onResend: resend ? () => resendRequest(s, resend) : undefined,
  };
}

/** Sends `request` again as the same identity (its connection read afresh: settings may have changed). */
async function resendRequest(s: Services, request: ResendableRequest): Promise<void> {
  const run = async (): Promise<unknown> => {
    const connection = await s.store.connection(request.actAs.connection.id);
    if (!connection)
      throw new BehalfError('connection', `The connection "${request.actAs.connection.id}" no longer exists: the request cannot be sent again as it was.`);
    return sendAndShow(s, request.spec, { ...request.actAs, connection }, request.target);
  };
  await run().catch((e) => reportError(s, e, run));
}

/**
 * Runs a response's action. With `resend` (the request that got the response), a proxy assignment that now
 * exists is followed by an offer to send the request again as the user it was for.
 */
async function runAction(s: Services, kind: string, args: Record<string, string>, resend?: ResendableRequest): Promise<void> {
  if (kind !== 'createProxyAssignment') {
    s.log.warn(`Unknown action "${kind}" from a response.`);
    return;
  }
  // The command reports its own errors and cancellations; on success it stores the vendor's new list of
  // assignments, so a new list that holds the user means it worked.
  const assignments = (): ReadonlySet<string> | undefined => (args.connectionId ? s.store.fetchedUserIds(args.connectionId) : undefined);
  const before = assignments();
  await vscode.commands.executeCommand('behalf.createProxyAssignment', args);
  const after = assignments();
  if (!resend || !args.userId || after === before || !after?.has(args.userId)) return;
  const again = 'Resend the request';
  const choice = await vscode.window.showInformationMessage(
    `Behalf: proxy assignment created for user ${args.userId}. Send ${resend.spec.method} ${shortUrl(resend.spec.url)} again as ${describePrincipal(resend.actAs.principal)}?`,
    again,
  );
  if (choice === again) await resendRequest(s, resend);
}

/** The request's connection: annotated, else the one its absolute URL targets, else the active one, else asked. */
export async function connectionFor(s: Services, request: HttpFileRequest, spec: RequestSpec): Promise<Connection> {
  const connections = await s.store.connections();
  if (connections.length === 0) {
    throw new BehalfError('config', 'No connections yet: run "Behalf: Add Connection…" or "Behalf: Start the Vendor Sandbox".');
  }
  if (request.connection) {
    const named = connections.find((c) => c.id === request.connection);
    if (!named) {
      throw new BehalfError('connection', `No connection "${request.connection}" (known: ${connections.map((c) => c.id).join(', ')}).`, {
        position: spec.position ?? { file: '', line: request.requestLine, column: 1 },
      });
    }
    return named;
  }
  if (/^https?:/i.test(spec.url)) {
    const byPrefix = connections.filter((c) => spec.url.startsWith(c.baseUrl.replace(/\/+$/, '')));
    if (byPrefix.length === 1) return byPrefix[0];
    const byOrigin = connections.filter((c) => originOf(c.baseUrl) === originOf(spec.url));
    if (byOrigin.length === 1) return byOrigin[0];
  }
  const active = await s.identity.current();
  if (active) return active.connection;
  const picked = await pickConnection(connections, 'Which connection should this request use? (add "# @connection <id>" to skip this)');
  if (!picked) throw new BehalfError('cancelled', 'The request was cancelled.');
  return picked;
}

/**
 * Show an error with "Go to Problem" and "Show Log". `retry` runs the command again: given, an error saying a
 * request variable reads a request not sent yet offers "Send <name> first" (sends it, then retries).
 */
export function reportError(s: Services, e: unknown, retry?: () => Promise<unknown>): void {
  if (isBehalfError(e) && e.code === 'cancelled') {
    void vscode.window.setStatusBarMessage('Behalf: cancelled', 3000);
    return;
  }
  const message = errorText(s, e);
  s.log.error(message);
  const position = isBehalfError(e) ? e.position : undefined;
  const unsent = e instanceof UnsentRequestError && retry && position?.file ? e : undefined;
  const sendFirst = unsent ? `Send ${unsent.request} first` : undefined;
  const actions = [...(sendFirst ? [sendFirst] : []), ...(position?.file ? ['Go to Problem', 'Show Log'] : ['Show Log'])];
  void vscode.window.showErrorMessage(`Behalf: ${message}`, ...actions).then(async (choice) => {
    if (choice !== undefined && choice === sendFirst && unsent && retry) {
      const uri = vscode.Uri.file(unsent.position!.file);
      const first = async (): Promise<void> => {
        if (!(await sendRequestAt(s, uri, unsent.requestLine))) return;
        await retry();
      };
      await first().catch((err) => reportError(s, err, first));
    }
    if (choice === 'Show Log') s.log.show();
    if (choice === 'Go to Problem' && position) {
      const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(position.file));
      const at = new vscode.Position(position.line - 1, Math.max(0, position.column - 1));
      await vscode.window.showTextDocument(doc, { selection: new vscode.Range(at, at) });
    }
  });
}
