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
} from '../protocol/response';
import {
  PageChannel,
  createNonce,
  loadPage,
  renderWebviewHtml,
  webviewCsp,
  webviewPanelOptions,
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
}

/** Shown in the attribution box when the check ended without a result. */
export const ATTRIBUTION_NOT_CHECKED = 'Not checked again: the check was cancelled. The result shown is the previous one.';

export type ResponseHtmlParts = WebviewHtmlParts;

export const RESPONSE_PAGE: WebviewPageAssets = {
  script: 'response.js',
  style: 'response/response.css',
  title: 'Response',
  placeholder: 'Waiting for the response…',
};

export function responseCsp(cspSource: string, nonce: string): string {
  return webviewCsp(cspSource, nonce);
}

/** The page's HTML. Pure, and free of response data by construction: it takes none. */
export function renderResponseHtml(parts: ResponseHtmlParts): string {
  return renderWebviewHtml(parts, RESPONSE_PAGE);
}

/** "Response · 403 · Jane Doe <jane@acme.test> (6045)" */
export function responseTitle(view: ResponseView): string {
  return `Response · ${view.status} · ${view.sentAs.who}`;
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
  static readonly viewType = 'behalf.response';
  private static current: ResponsePanel | undefined;

  private view: ResponseView;
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

  /** Shows `view`, in the existing panel if there is one. */
  static show(extensionUri: vscode.Uri, view: ResponseView, handlers: ResponsePanelHandlers, extras: ResponseExtras = {}): ResponsePanel {
    const identified = hostView(view, handlers, extras);
    const existing = ResponsePanel.current;
    if (existing) {
      existing.rawBody = extras.rawBody;
      existing.savedFile = extras.savedFile;
      existing.update(identified, handlers);
      existing.panel.reveal(undefined, true);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      ResponsePanel.viewType,
      responseTitle(identified),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      webviewPanelOptions(extensionUri),
    );
    ResponsePanel.current = new ResponsePanel(panel, extensionUri, identified, handlers);
    ResponsePanel.current.rawBody = extras.rawBody;
    ResponsePanel.current.savedFile = extras.savedFile;
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
    view: ResponseView,
    handlers: ResponsePanelHandlers,
  ) {
    this.view = view;
    this.handlers = handlers;
    loadPage(panel.webview, extensionUri, RESPONSE_PAGE);
    this.channel = new PageChannel<HostToPanel, PanelToHost>(panel, {
      accepts: isPanelToHost,
      current: () => {
        const messages: HostToPanel[] = [{ type: 'show', view: this.view }];
        if (this.check && this.check.viewId === this.view.id) messages.push({ type: 'attribution', viewId: this.check.viewId, check: this.check.check });
        return messages;
      },
      handle: (message) => this.handle(message),
    });
    this.disposables.push(
      this.channel,
      panel.onDidDispose(() => this.dispose()),
    );
  }

  get currentView(): ResponseView {
    return this.view;
  }

  /** Replace the view shown (same response, more to say: e.g. the attribution result arrived). */
  private update(view: ResponseView, handlers: ResponsePanelHandlers): void {
    this.view = view;
    this.handlers = handlers;
    this.panel.title = responseTitle(view);
    this.channel.send();
  }

  private async handle(message: Exclude<PanelToHost, { type: 'ready' }>): Promise<void> {
    const view = this.view;
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

  private async resend(): Promise<void> {
    const run = this.handlers.onResend;
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
    if (this.view.id !== viewId) return; // another response took the panel meanwhile
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
    this.rawBody = undefined;
    this.savedFile = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
