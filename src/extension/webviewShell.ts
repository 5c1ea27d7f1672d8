// What every Behalf webview host shares: the HTML shell (CSP with a per-load nonce, one script, one
// stylesheet, no data), the panel options, and the host half of the `ready` handshake with its distrust of
// the page (every message goes through the protocol's guard; handler failures become one error message).
//
// The HTML carries no data at all: views go by postMessage once the page says `ready`, and again after every
// `ready` (with retainContextWhenHidden off, a hidden panel is torn down and its page reloads when shown).

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export interface WebviewHtmlParts {
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
}

/** A page of the extension: its bundle in dist/webviews, its stylesheet under media/, its document title. */
export interface WebviewPageAssets {
  script: string;
  style: string;
  title: string;
  /** Shown until the first view arrives. */
  placeholder: string;
}

export function createNonce(): string {
  return randomBytes(16).toString('base64');
}

/** default-src 'none'; scripts only by nonce; styles, images and fonts only from the webview's own origin. */
export function webviewCsp(cspSource: string, nonce: string): string {
  return [`default-src 'none'`, `img-src ${cspSource} data:`, `style-src ${cspSource}`, `script-src 'nonce-${nonce}'`, `font-src ${cspSource}`].join('; ');
}

export function escapeAttribute(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A page's HTML. Pure, and free of view data by construction: it takes none. */
export function renderWebviewHtml({ cspSource, nonce, scriptUri, styleUri }: WebviewHtmlParts, page: Pick<WebviewPageAssets, 'title' | 'placeholder'>): string {
  const csp = escapeAttribute(webviewCsp(cspSource, nonce));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttribute(styleUri)}">
<title>${escapeText(page.title)}</title>
</head>
<body>
<main id="app" aria-busy="true"><p class="placeholder">${escapeText(page.placeholder)}</p></main>
<script nonce="${escapeAttribute(nonce)}" src="${escapeAttribute(scriptUri)}"></script>
</body>
</html>
`;
}

/** Scripts only (for the find widget and the page), resources only from the bundles and media. */
export function webviewPanelOptions(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    enableFindWidget: true,
    retainContextWhenHidden: false,
    localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webviews'), vscode.Uri.joinPath(extensionUri, 'media')],
  };
}

/** Sets the page's HTML on a webview (a fresh nonce every time). */
export function loadPage(webview: vscode.Webview, extensionUri: vscode.Uri, page: WebviewPageAssets): void {
  webview.html = renderWebviewHtml(
    {
      cspSource: webview.cspSource,
      nonce: createNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webviews', page.script)).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', ...page.style.split('/'))).toString(),
    },
    page,
  );
}

export interface PageChannelOptions<ToPage, FromPage extends { type: string }> {
  /** The protocol's guard for what the page may send; anything else is ignored, never acted on. */
  accepts(message: unknown): message is FromPage;
  /** The message (or messages, in order) to (re)send whenever the page is ready. */
  current(): ToPage | readonly ToPage[];
  /** Every accepted message other than `ready`. */
  handle(message: Exclude<FromPage, { type: 'ready' }>): void | Promise<void>;
}

/**
 * The host half of a page's handshake: tracks `ready` (lost when the panel is hidden: the page is torn down),
 * sends the current view on every `ready` and on `send()` when ready, and runs accepted messages, reporting a
 * failure as one error message.
 */
export class PageChannel<ToPage, FromPage extends { type: string }> implements vscode.Disposable {
  private ready = false;
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly options: PageChannelOptions<ToPage, FromPage>,
  ) {
    this.disposables = [
      panel.webview.onDidReceiveMessage((message: unknown) => this.onMessage(message)),
      // Hidden without retained context = the page is gone; it says `ready` again when it comes back.
      panel.onDidChangeViewState((e) => {
        if (!e.webviewPanel.visible) this.ready = false;
      }),
    ];
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** Posts the current view if the page is listening; otherwise it goes when the page says `ready`. */
  send(): void {
    if (!this.ready) return;
    const current = this.options.current();
    for (const message of Array.isArray(current) ? (current as readonly ToPage[]) : [current as ToPage]) void this.panel.webview.postMessage(message);
  }

  /** Posts one message now if the page is listening (a hidden page gets what `current()` says when it is back). */
  post(message: ToPage): void {
    if (this.ready) void this.panel.webview.postMessage(message);
  }

  private onMessage(message: unknown): void {
    if (!this.options.accepts(message)) return; // not ours, or malformed: ignore
    if (message.type === 'ready') {
      this.ready = true;
      this.send();
      return;
    }
    void Promise.resolve()
      .then(() => this.options.handle(message as Exclude<FromPage, { type: 'ready' }>))
      .catch((error: unknown) => {
        void vscode.window.showErrorMessage(`Behalf: ${error instanceof Error ? error.message : String(error)}`);
      });
  }

  dispose(): void {
    this.ready = false;
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
