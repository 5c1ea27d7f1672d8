// Host side of the response panel: one webview panel, reused for every response.
//
// The HTML carries no response data at all; the view goes by postMessage once the page says `ready` (and
// again after every `ready`: with retainContextWhenHidden off, a hidden panel is torn down and its page
// reloads when shown; the page restores tab, folding and scroll from its webview state).
// The page renders server data, so nothing it sends is trusted: every message goes through isPanelToHost, and
// copy / action / history requests are answered from the host's own copy of the view, never from the message.

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { isPanelToHost, type HostToPanel, type PanelToHost, type ResponseView } from '../protocol/response';

export interface ResponsePanelHandlers {
  /** The user clicked the explanation's action (e.g. create a proxy assignment). */
  onAction(kind: string, args: Record<string, string>): void | Promise<void>;
  /** The user asked for the version history of the asset this response describes. */
  onOpenHistory(assetId: string): void | Promise<void>;
}

export interface ResponseHtmlParts {
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
}

export function createNonce(): string {
  return randomBytes(16).toString('base64');
}

export function responseCsp(cspSource: string, nonce: string): string {
  return [
    `default-src 'none'`,
    `img-src ${cspSource} data:`,
    `style-src ${cspSource}`,
    `script-src 'nonce-${nonce}'`,
    `font-src ${cspSource}`,
  ].join('; ');
}

function escapeAttribute(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The page's HTML. Pure, and free of response data by construction: it takes none. */
export function renderResponseHtml({ cspSource, nonce, scriptUri, styleUri }: ResponseHtmlParts): string {
  const csp = escapeAttribute(responseCsp(cspSource, nonce));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttribute(styleUri)}">
<title>Response</title>
</head>
<body>
<main id="app" aria-busy="true"><p class="placeholder">Waiting for the response…</p></main>
<script nonce="${escapeAttribute(nonce)}" src="${escapeAttribute(scriptUri)}"></script>
</body>
</html>
`;
}

/** "Response · 403 · Jane Doe <jane@acme.test> (6045)" */
export function responseTitle(view: ResponseView): string {
  return `Response · ${view.status} · ${view.sentAs.who}`;
}

let sequence = 0;

export class ResponsePanel {
  static readonly viewType = 'behalf.response';
  private static current: ResponsePanel | undefined;

  private view: ResponseView;
  private handlers: ResponsePanelHandlers;
  /** The page has said `ready` since it last (re)loaded. */
  private ready = false;
  private readonly disposables: vscode.Disposable[] = [];

  /** Shows `view`, in the existing panel if there is one. */
  static show(extensionUri: vscode.Uri, view: ResponseView, handlers: ResponsePanelHandlers): ResponsePanel {
    const identified: ResponseView = view.id ? view : { ...view, id: `${Date.now().toString(36)}-${++sequence}` };
    const existing = ResponsePanel.current;
    if (existing) {
      existing.update(identified, handlers);
      existing.panel.reveal(undefined, true);
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      ResponsePanel.viewType,
      responseTitle(identified),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      {
        enableScripts: true,
        enableFindWidget: true,
        retainContextWhenHidden: false,
        localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webviews'), vscode.Uri.joinPath(extensionUri, 'media')],
      },
    );
    ResponsePanel.current = new ResponsePanel(panel, extensionUri, identified, handlers);
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
    const webview = panel.webview;
    webview.html = renderResponseHtml({
      cspSource: webview.cspSource,
      nonce: createNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webviews', 'response.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'response', 'response.css')).toString(),
    });
    this.disposables.push(
      webview.onDidReceiveMessage((message: unknown) => this.onMessage(message)),
      // Hidden without retained context = the page is gone; it says `ready` again when it comes back.
      panel.onDidChangeViewState((e) => {
        if (!e.webviewPanel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => this.dispose()),
    );
  }

  get currentView(): ResponseView {
    return this.view;
  }

  private update(view: ResponseView, handlers: ResponsePanelHandlers): void {
    this.view = view;
    this.handlers = handlers;
    this.panel.title = responseTitle(view);
    this.post();
  }

  private post(): void {
    if (!this.ready) return; // sent when the page says ready
    const message: HostToPanel = { type: 'show', view: this.view };
    void this.panel.webview.postMessage(message);
  }

  private onMessage(message: unknown): void {
    if (!isPanelToHost(message)) return; // not ours, or malformed: ignore, never act on it
    void this.handle(message).catch((error: unknown) => {
      void vscode.window.showErrorMessage(`Behalf: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  private async handle(message: PanelToHost): Promise<void> {
    const view = this.view;
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.post();
        return;
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
    }
  }

  dispose(): void {
    if (ResponsePanel.current === this) ResponsePanel.current = undefined;
    this.ready = false;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
