// Host side of the response panel: one webview panel, reused for every response.
//
// The HTML (webviewShell.ts) carries no response data at all; the view goes by postMessage once the page says
// `ready` (and again after every `ready`: with retainContextWhenHidden off, a hidden panel is torn down and its
// page reloads when shown; the page restores tab, folding and scroll from its webview state).
// The page renders server data, so nothing it sends is trusted: every message goes through isPanelToHost, and
// copy / action / history requests are answered from the host's own copy of the view, never from the message.

import * as os from 'node:os';
import * as path from 'node:path';
import { applyEdits, format as formatJson } from 'jsonc-parser';
import * as vscode from 'vscode';
import { PANEL_VIEW_TYPES } from './panelViewTypes';
import type { AttributionResult } from '../core/audit';
import { formatBytes } from '../../media/shared/format';
import {
  attributionView,
  defaultBodyFileName,
  editorLanguage,
  isBinaryBody,
  isPanelToHost,
  mediaType,
  type AttributionCheck,
  type HostToPanel,
  type PanelToHost,
  type ResponseView,
  type SendStatus,
} from '../protocol/response';
import {
  PageChannel,
  createNonce,
  loadPage,
  renderWebviewHtml,
  webviewCsp,
  webviewPanelOptions,
  type InlineWebviewHtmlParts,
  type WebviewHtmlParts,
  type WebviewPageAssets,
} from './webviewShell';

export { createNonce };

export interface ResponsePanelHandlers {
  /** The user clicked the explanation's action (e.g. create a proxy assignment). */
  onAction(kind: string, args: Record<string, string>): void | Promise<void>;
  /** The user asked for the version history of the asset this response describes. */
  onOpenHistory(assetId: string): void | Promise<void>;
  /**
   * The user asked to check again who the vendor recorded the write under (views with `attribution`). The
   * result replaces the one in the panel; undefined means the check did not happen (cancelled, or it failed
   * and said so itself); a rejection's message is shown in the panel.
   */
  onVerifyAttribution?(assetId: string): PromiseLike<AttributionResult | undefined> | void;
  /**
   * "Resend": send the same request again as the same identity, through the usual send path (confirmations
   * included); the new response replaces this one in the panel. Absent when the request is not known (a
   * panel restored after a reload): the page then offers no Resend.
   */
  onResend?: () => PromiseLike<unknown> | void;
}

/** What the host keeps about the shown response beyond its view: never posted, never in HTML or state. */
export interface ResponseExtras {
  /** The body exactly as received, for "Save body…" (the view's body is decoded and redacted). */
  rawBody?: Uint8Array;
  /** The file the whole body was streamed to (a response too large to show): "Save body…" copies it. */
  savedFile?: string;
  /** The send (ResponsePanel.sending) this is the response of: shown only while the panel still follows it. */
  send?: PanelSend;
}

/** A send the panel was opened for (ResponsePanel.sending): its progress, and its end when no response came. */
export interface PanelSend {
  readonly id: string;
  /** Nothing newer (another send, another response) has been put in the panel since this send began. */
  readonly current: boolean;
  /** A progress note ("Starting an impersonation session…"): the panel shows the latest while it is sending. */
  note(message: string): void;
  /** No response: the panel, if it still shows this send, says what happened (`cancelled`: cancelled or declined). */
  fail(state: 'failed' | 'cancelled', message: string): void;
}

/** What the panel's buttons do while it shows a send rather than a response. */
export interface SendHandlers {
  onCancel(): void;
  /** "Send again" once it failed or was cancelled (absent: not offered). */
  onResend?: () => PromiseLike<unknown> | void;
}

/** Shown in the attribution box when the check ended without a result. */
export const ATTRIBUTION_NOT_CHECKED = 'Not checked again: the check was cancelled. The result shown is the previous one.';

export type ResponseHtmlParts = InlineWebviewHtmlParts | WebviewHtmlParts;

// Inline: a new panel is painted without a single webview resource load (see webviewShell.ts).
export const RESPONSE_PAGE: WebviewPageAssets = {
  script: 'response.js',
  style: 'response.css',
  title: 'Response',
  placeholder: 'Waiting for the response…',
  inline: true,
};

export function responseCsp(cspSource: string, nonce: string): string {
  return webviewCsp(cspSource, nonce, RESPONSE_PAGE.inline);
}

/** The page's HTML. Pure, and free of response data by construction: it takes none. */
export function renderResponseHtml(parts: ResponseHtmlParts): string {
  return renderWebviewHtml(parts, RESPONSE_PAGE);
}

/** "Response · 403 · Jane Doe <jane@acme.test> (6045)" */
export function responseTitle(view: ResponseView): string {
  return `Response · ${view.status} · ${view.sentAs.who}`;
}

const STATUS_TITLE: Record<SendStatus['state'], string> = { sending: 'Sending', failed: 'Failed', cancelled: 'Not sent' };

/** "Sending · Jane Doe <jane@acme.test> (6045)" */
export function sendStatusTitle(status: SendStatus): string {
  return `${STATUS_TITLE[status.state]} · ${status.sentAs.who}`;
}

let sequence = 0;

/**
 * The view as the host shows it: with an id, and with what only the host knows (binary by its bytes, whether
 * it can resend). Only flags: the bytes themselves never go into the view.
 */
function hostView(view: ResponseView, handlers: ResponsePanelHandlers, extras: ResponseExtras): ResponseView {
  const out: ResponseView = { ...view, id: view.id || `${Date.now().toString(36)}-${++sequence}` };
  delete out.binary;
  delete out.canResend;
  if (view.binary === true || isBinaryBody(view.contentType, extras.rawBody)) out.binary = true;
  if (handlers.onResend) out.canResend = true;
  return out;
}

/** JSON pretty-printed with two spaces, numbers and strings kept as written; anything else as it is. */
export function prettyJson(text: string): string {
  try {
    const formatted = applyEdits(text, formatJson(text, undefined, { tabSize: 2, insertSpaces: true, eol: '\n' }));
    return formatted;
  } catch {
    return text;
  }
}

export class ResponsePanel {
  static readonly viewType = PANEL_VIEW_TYPES.response;
  private static current: ResponsePanel | undefined;
  /** Bumped by every send begun and every response shown: the newest one has the panel. */
  private static generation = 0;
  /** How long an open panel keeps showing the previous response before it says "Sending…" (a new one says it at once). */
  static sendingDelayMs = 200;
  /** How long the tab keeps its old title if the page does not say it painted the response (it failed, a message was lost). */
  static titleFallbackMs = 1000;

  /** The response shown, or the last one before the send shown now (undefined: a panel opened for a send). */
  private view: ResponseView | undefined;
  /** The send shown instead of a response, and what its buttons do. */
  private status: { status: SendStatus; handlers: SendHandlers } | undefined;
  private handlers: ResponsePanelHandlers;
  /** The current response's bytes as received (memory only; replaced with the response, dropped on dispose). */
  private rawBody: Uint8Array | undefined;
  private savedFile: string | undefined;
  /** A resend is under way (one at a time). */
  private resending = false;
  private readonly channel: PageChannel<HostToPanel, PanelToHost>;
  private readonly disposables: vscode.Disposable[] = [];
  /** The latest "Check again" of the attribution (re-sent after `ready` while it is about the view shown). */
  private check: { viewId: string; check: AttributionCheck } | undefined;
  /** The view whose attribution is being checked (one check at a time per response). */
  private checking: string | undefined;
  /** The tab title of the view shown, set once its page has painted it (retitleAfterPaint). */
  private pendingTitle: { viewId: string; title: string; timer: NodeJS.Timeout } | undefined;

  /**
   * Shows `view`, in the existing panel if there is one. The response of a send (`extras.send`) that something
   * newer has replaced in the panel is not shown (undefined is returned): the panel follows what was asked for last.
   */
  static show(extensionUri: vscode.Uri, view: ResponseView, handlers: ResponsePanelHandlers, extras: ResponseExtras = {}): ResponsePanel | undefined {
    if (extras.send && !extras.send.current) return undefined;
    ResponsePanel.generation++; // the send (if any) is over: its late notes, failure or "Sending…" change nothing
    const identified = hostView(view, handlers, extras);
    const existing = ResponsePanel.current;
    const target = existing ?? ResponsePanel.open(extensionUri, responseTitle(identified), handlers);
    target.rawBody = extras.rawBody;
    target.savedFile = extras.savedFile;
    target.update(identified, handlers);
    if (existing) existing.panel.reveal(undefined, true);
    return target;
  }

  /**
   * Opens the panel (or takes over the open one) for a send that is starting: it says "Sending as …" with the
   * request and Cancel until the response replaces it (show() with `send`), or until fail() says what happened
   * instead. A new panel's page loads while the request is in flight.
   */
  static sending(extensionUri: vscode.Uri, request: Omit<SendStatus, 'id' | 'state' | 'message' | 'canResend'>, handlers: SendHandlers): PanelSend {
    const generation = ++ResponsePanel.generation;
    const id = `send-${Date.now().toString(36)}-${++sequence}`;
    let status: SendStatus = { ...request, id, state: 'sending' };
    const existing = ResponsePanel.current;
    const target = existing ?? ResponsePanel.open(extensionUri, sendStatusTitle(status));
    // Only the panel this send began in, and only while nothing newer took it (a closed panel is not reopened for an error).
    const mine = (): ResponsePanel | undefined => (ResponsePanel.generation === generation && ResponsePanel.current === target ? target : undefined);
    let shown = false;
    const showNow = () => {
      clearTimeout(timer);
      const panel = mine();
      if (!panel) return;
      panel.showStatus(status, handlers);
      if (!shown && existing) panel.panel.reveal(undefined, true);
      shown = true;
    };
    // A new panel says "Sending…" at once (its page loads meanwhile); an open one keeps the previous response for a
    // moment, so a quick answer replaces it without a "Sending…" flash.
    const delay = existing ? ResponsePanel.sendingDelayMs : 0;
    const timer = delay > 0 ? setTimeout(showNow, delay) : undefined;
    if (delay === 0) showNow();
    return {
      id,
      get current() {
        return ResponsePanel.generation === generation;
      },
      note: (message) => {
        if (!mine()) return;
        status = { ...status, message };
        if (shown) showNow();
      },
      fail: (state, message) => {
        if (!mine()) return clearTimeout(timer);
        status = { ...status, state, message, ...(handlers.onResend ? { canResend: true } : {}) };
        showNow();
      },
    };
  }

  /** A new panel beside the editor, without stealing focus; its page starts loading at once. */
  private static open(
    extensionUri: vscode.Uri,
    title: string,
    handlers: ResponsePanelHandlers = { onAction: () => undefined, onOpenHistory: () => undefined },
  ): ResponsePanel {
    const panel = vscode.window.createWebviewPanel(
      ResponsePanel.viewType,
      title,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      webviewPanelOptions(extensionUri),
    );
    ResponsePanel.current = new ResponsePanel(panel, extensionUri, undefined, handlers);
    return ResponsePanel.current;
  }

  /**
   * Takes over a panel VS Code restored after a reload (WebviewPanelSerializer). The page shows the view it
   * kept in its state; without a live record there is nothing for copy/actions to act on but that view.
   */
  static revive(panel: vscode.WebviewPanel, extensionUri: vscode.Uri, view: ResponseView, handlers: ResponsePanelHandlers): ResponsePanel {
    ResponsePanel.current?.dispose();
    // Restored panels keep the options they were created with; set today's (resource roots move with the install).
    panel.webview.options = webviewPanelOptions(extensionUri);
    const identified = hostView(view, handlers, {});
    ResponsePanel.current = new ResponsePanel(panel, extensionUri, identified, handlers);
    panel.title = responseTitle(view);
    return ResponsePanel.current;
  }

  /** The open panel, if any (for commands that act on "the current response"). */
  static get active(): ResponsePanel | undefined {
    return ResponsePanel.current;
  }

  private constructor(
    readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    view: ResponseView | undefined,
    handlers: ResponsePanelHandlers,
  ) {
    this.view = view;
    this.handlers = handlers;
    loadPage(panel.webview, extensionUri, RESPONSE_PAGE);
    this.channel = new PageChannel<HostToPanel, PanelToHost>(panel, {
      eager: RESPONSE_PAGE.inline,
      accepts: isPanelToHost,
      current: () => {
        if (this.status) return [{ type: 'status', status: this.status.status }];
        if (!this.view) return [];
        const messages: HostToPanel[] = [{ type: 'show', view: this.view }];
        if (this.check && this.check.viewId === this.view.id) messages.push({ type: 'attribution', viewId: this.check.viewId, check: this.check.check });
        return messages;
      },
      handle: (message) => this.handle(message),
    });
    this.channel.send();
    this.disposables.push(
      this.channel,
      panel.onDidDispose(() => this.dispose()),
    );
  }

  /** The response shown (undefined while the panel shows a send, or a send it was opened for). */
  get currentView(): ResponseView | undefined {
    return this.status ? undefined : this.view;
  }

  /** The send shown instead of a response, if any. */
  get currentStatus(): SendStatus | undefined {
    return this.status?.status;
  }

  /** Replace the view shown (a new response, or the same one with more to say: e.g. the attribution result arrived). */
  private update(view: ResponseView, handlers: ResponsePanelHandlers): void {
    this.view = view;
    this.status = undefined;
    this.handlers = handlers;
    this.channel.send();
    this.retitleAfterPaint(view);
  }

  private showStatus(status: SendStatus, handlers: SendHandlers): void {
    this.status = { status, handlers };
    this.setTitle(sendStatusTitle(status));
    this.channel.send();
  }

  /**
   * The tab says the response's status once the page has painted it (its `shown`), or after titleFallbackMs if it
   * does not say so. Retitling a tab re-lays out the workbench's tabs; in the frame that draws a new panel's first
   * response it made that paint later (send to paint in code-server, 3 runs of 20 sends: 155, 161, 169 ms retitled
   * at once; 132, 155, 150 ms without it). A hidden panel has nothing to paint: retitled at once.
   */
  private retitleAfterPaint(view: ResponseView): void {
    const title = responseTitle(view);
    if (!this.panel.visible || !view.id || this.panel.title === title) return this.setTitle(title);
    this.clearPendingTitle();
    const viewId = view.id;
    const timer = setTimeout(() => this.applyPendingTitle(viewId), ResponsePanel.titleFallbackMs);
    this.pendingTitle = { viewId, title, timer };
  }

  private applyPendingTitle(viewId: string): void {
    const pending = this.pendingTitle;
    if (!pending || pending.viewId !== viewId) return; // the page painted a response the panel no longer shows
    this.setTitle(pending.title);
  }

  private setTitle(title: string): void {
    this.clearPendingTitle();
    this.panel.title = title;
  }

  private clearPendingTitle(): void {
    if (this.pendingTitle) clearTimeout(this.pendingTitle.timer);
    this.pendingTitle = undefined;
  }

  /** Cancel and "Send again" of the send shown: only for that send (the page may be behind the host). */
  private async handleStatus(message: Exclude<PanelToHost, { type: 'ready' }>): Promise<boolean> {
    const shown = this.status;
    if (message.type === 'cancel') {
      if (shown && shown.status.id === message.sendId && shown.status.state === 'sending') shown.handlers.onCancel();
      return true;
    }
    if (message.type !== 'resend' || !shown || shown.status.id !== message.viewId) return false;
    if (shown.status.state !== 'sending') await this.resend(shown.handlers.onResend);
    return true;
  }

  private async handle(message: Exclude<PanelToHost, { type: 'ready' }>): Promise<void> {
    if (message.type === 'shown') return this.applyPendingTitle(message.viewId);
    if (await this.handleStatus(message)) return;
    const view = this.currentView;
    if (!view) return; // about a response the panel no longer shows
    switch (message.type) {
      case 'copy': {
        const text = message.what === 'body' ? view.body : view.curl;
        await vscode.env.clipboard.writeText(text);
        vscode.window.setStatusBarMessage(message.what === 'body' ? 'Behalf: response body copied' : 'Behalf: cURL copied (secrets redacted)', 2500);
        return;
      }
      case 'action': {
        // Only the action this response offers, with the host's arguments: the page merely points at it.
        const action = view.explanation?.action;
        if (!action || action.kind !== message.kind) return;
        await this.handlers.onAction(action.kind, { ...action.args });
        return;
      }
      case 'openHistory':
        if (!view.assetId || view.assetId !== message.assetId) return;
        await this.handlers.onOpenHistory(view.assetId);
        return;
      case 'verifyAttribution':
        if (!view.attribution || view.attribution.assetId !== message.assetId) return;
        await this.verifyAttribution(view, view.attribution.assetId);
        return;
      case 'save':
        if (message.viewId !== view.id) return; // about a response the panel no longer shows
        if (this.savedFile) await this.copySavedBody(view, this.savedFile);
        else await this.saveBody(view, this.rawBody);
        return;
      case 'openInEditor':
        if (message.viewId !== view.id) return;
        await this.openInEditor(view);
        return;
      case 'resend':
        if (message.viewId !== view.id) return;
        await this.resend();
        return;
      case 'cancel':
        return; // handled above
    }
  }

  /**
   * "Save body…": asks where (Content-Disposition's name, else response-<status>.<ext>) and writes the bytes
   * as received. Without them (a panel restored after a reload keeps only the view) a text body is saved as
   * shown, and a binary one is refused: its bytes are gone.
   */
  private async saveBody(view: ResponseView, raw: Uint8Array | undefined): Promise<void> {
    if (!raw && view.binary === true) {
      void vscode.window.showErrorMessage(
        'Behalf: the bytes of this binary response are no longer in memory (the window was reloaded). Send the request again to save its body.',
      );
      return;
    }
    const bytes = raw ?? new TextEncoder().encode(view.body);
    const name = defaultBodyFileName(view);
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(os.homedir());
    const uri = await vscode.window.showSaveDialog({
      title: `Save the response body (${mediaType(view.contentType) || 'no content type'}, ${formatBytes(bytes.length)})`,
      saveLabel: 'Save body',
      defaultUri: vscode.Uri.joinPath(folder, name),
    });
    if (!uri) return;
    try {
      await vscode.workspace.fs.writeFile(uri, bytes);
    } catch (error) {
      void vscode.window.showErrorMessage(`Behalf: could not save the body: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    vscode.window.setStatusBarMessage(
      `Behalf: saved ${formatBytes(bytes.length)} to ${path.basename(uri.path)}${raw ? '' : ' (as shown: the bytes as received were not kept)'}`,
      4000,
    );
  }

  /** "Save body…" of a body that was streamed to a file (only its start is in memory): a copy of that file. */
  private async copySavedBody(view: ResponseView, savedFile: string): Promise<void> {
    const source = vscode.Uri.file(savedFile);
    const uri = await vscode.window.showSaveDialog({
      title: `Save the response body (${formatBytes(view.bodyBytes)}, saved to ${path.basename(savedFile)} when it arrived)`,
      saveLabel: 'Save body',
      defaultUri: vscode.Uri.joinPath(source, '..', `copy-of-${path.basename(savedFile)}`),
    });
    if (!uri || uri.toString() === source.toString()) return;
    try {
      await vscode.workspace.fs.copy(source, uri, { overwrite: true });
    } catch (error) {
      void vscode.window.showErrorMessage(`Behalf: could not copy ${savedFile}: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    vscode.window.setStatusBarMessage(`Behalf: saved ${formatBytes(view.bodyBytes)} to ${path.basename(uri.path)}`, 4000);
  }

  /** "Open in editor": an untitled editor in the body's language, JSON pretty-printed; binary bodies refused. */
  private async openInEditor(view: ResponseView): Promise<void> {
    if (view.binary === true) {
      void vscode.window.showErrorMessage(
        `Behalf: the body is binary (${mediaType(view.contentType) || 'no content type'}, ${formatBytes(view.bodyBytes)}) and cannot be opened as text. Use "Save body…" to keep it.`,
      );
      return;
    }
    const language = editorLanguage(view.contentType, view.body);
    const content = language === 'json' ? prettyJson(view.body) : view.body;
    const doc = await vscode.workspace.openTextDocument({ language, content });
    await vscode.window.showTextDocument(doc, { preview: false });
  }

  private async resend(run = this.handlers.onResend): Promise<void> {
    if (!run || this.resending) return;
    this.resending = true;
    try {
      await run();
    } finally {
      this.resending = false;
    }
  }

  /** "Check again": says `checking`, runs the check, then puts the result (or why there is none) in the box. */
  private async verifyAttribution(view: ResponseView, assetId: string): Promise<void> {
    const viewId = view.id;
    if (!viewId || this.checking === viewId) return;
    this.checking = viewId;
    this.report(viewId, { state: 'checking' });
    let check: AttributionCheck;
    try {
      const result = await this.handlers.onVerifyAttribution?.(assetId);
      check = result ? { state: 'checked', attribution: attributionView(result) } : { state: 'failed', message: ATTRIBUTION_NOT_CHECKED };
    } catch (error) {
      check = { state: 'failed', message: `Could not check again: ${error instanceof Error ? error.message : String(error)}` };
    } finally {
      if (this.checking === viewId) this.checking = undefined;
    }
    if (this.view?.id !== viewId) return; // another response took the panel meanwhile
    // The host's copy follows, so a page that reloads (or a copy of the view) has the new result.
    if (check.state === 'checked') this.view = { ...this.view, attribution: check.attribution };
    this.report(viewId, check);
  }

  private report(viewId: string, check: AttributionCheck): void {
    this.check = { viewId, check };
    this.channel.post({ type: 'attribution', viewId, check });
  }

  dispose(): void {
    if (ResponsePanel.current === this) ResponsePanel.current = undefined;
    this.clearPendingTitle();
    this.rawBody = undefined;
    this.savedFile = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
