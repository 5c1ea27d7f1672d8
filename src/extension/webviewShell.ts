// What every Behalf webview host shares: the HTML shell (CSP with a per-load nonce, one script, one
// stylesheet, no data), the panel options, and the host half of the `ready` handshake with its distrust of
// the page (every message goes through the protocol's guard; handler failures become one error message).
//
// A page is either inline (its bundle and stylesheet from dist/webviews written into the HTML under the nonce)
// or loads them as two webview resources. Inline is what a new panel paints fastest with: in VS Code each
// resource is a round trip through the webview's service worker, the workbench and the extension host's file
// system, and the page's frame stays hidden until every resource has loaded.
//
// The HTML carries no data at all: views go by postMessage once the page says `ready`, and again after every
// `ready` (with retainContextWhenHidden off, a hidden panel is torn down and its page reloads when shown).

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';

/** A page that loads its script and stylesheet as webview resources. */
export interface WebviewHtmlParts {
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
}

/** A page with its script and stylesheet inline (their text), allowed by the nonce alone. */
export interface InlineWebviewHtmlParts {
  cspSource: string;
  nonce: string;
  script: string;
  style: string;
}

/** A page of the extension: its bundle in dist/webviews, its stylesheet under media/, its document title. */
export interface WebviewPageAssets {
  script: string;
  style: string;
  title: string;
  /** Shown until the first view arrives. */
  placeholder: string;
  /**
   * Script and stylesheet inline: `script` and `style` are then bundles in dist/webviews (scripts/build-webviews.mjs
   * builds <page>.css from the page's stylesheet), else `style` is the stylesheet under media/.
   */
  inline?: boolean;
}

export function createNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * default-src 'none'; scripts only by nonce; images and fonts only from the webview's own origin; styles from
 * there too, or (an inline page) only the nonce's <style>. Never 'unsafe-inline': no style attribute applies.
 */
export function webviewCsp(cspSource: string, nonce: string, inline = false): string {
  const styles = inline ? `'nonce-${nonce}'` : cspSource;
  return [`default-src 'none'`, `img-src ${cspSource} data:`, `style-src ${styles}`, `script-src 'nonce-${nonce}'`, `font-src ${cspSource}`].join('; ');
}

export function escapeAttribute(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeText(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Text that would end the inline element it is in (a bundle with it is refused, never escaped into something else). */
const CLOSES_INLINE = /<\/(script|style)/i;

function inlineText(text: string, what: string): string {
  if (CLOSES_INLINE.test(text)) throw new Error(`Behalf: the ${what} contains "</${CLOSES_INLINE.exec(text)?.[1]}" and cannot be inlined in the page.`);
  return text;
}

/** A page's HTML. Pure, and free of view data by construction: it takes none (the inline bundle is the page's code). */
export function renderWebviewHtml(parts: WebviewHtmlParts | InlineWebviewHtmlParts, page: Pick<WebviewPageAssets, 'title' | 'placeholder'>): string {
  const { cspSource, nonce } = parts;
  const inline = 'script' in parts;
  const csp = escapeAttribute(webviewCsp(cspSource, nonce, inline));
  const n = escapeAttribute(nonce);
  const style = inline
    ? `<style nonce="${n}">${inlineText(parts.style, 'stylesheet')}</style>`
    : `<link rel="stylesheet" href="${escapeAttribute(parts.styleUri)}">`;
  const script = inline
    ? `<script nonce="${n}">${inlineText(parts.script, 'script')}</script>`
    : `<script nonce="${n}" src="${escapeAttribute(parts.scriptUri)}"></script>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${style}
<title>${escapeText(page.title)}</title>
</head>
<body>
<main id="app" aria-busy="true"><p class="placeholder">${escapeText(page.placeholder)}</p></main>
${script}
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

/** The bundles read so far, by path: they do not change while the extension runs (a new build needs a reload). */
const bundles = new Map<string, string>();

function readBundle(uri: vscode.Uri): string {
  let text = bundles.get(uri.fsPath);
  if (text === undefined) {
    try {
      text = readFileSync(uri.fsPath, 'utf8');
    } catch (error) {
      throw new Error(
        `Behalf cannot open its page: ${uri.fsPath} is missing or unreadable (${error instanceof Error ? error.message : String(error)}). Reinstall the extension (or run "npm run build").`,
        { cause: error },
      );
    }
    bundles.set(uri.fsPath, text);
  }
  return text;
}

/** Sets the page's HTML on a webview (a fresh nonce every time). */
export function loadPage(webview: vscode.Webview, extensionUri: vscode.Uri, page: WebviewPageAssets): void {
  const nonce = createNonce();
  const bundle = (name: string) => vscode.Uri.joinPath(extensionUri, 'dist', 'webviews', name);
  if (page.inline) {
    // A development build's "sourceMappingURL=response.js.map" would resolve against the page: point it at the map.
    const map = (name: string) => webview.asWebviewUri(bundle(name)).toString();
    const script = readBundle(bundle(page.script)).replace(
      /(\/\/# sourceMappingURL=)(\S+\.map)(?=\s*$)/,
      (_, comment: string, name: string) => comment + map(name),
    );
    webview.html = renderWebviewHtml({ cspSource: webview.cspSource, nonce, script, style: readBundle(bundle(page.style)) }, page);
    return;
  }
  webview.html = renderWebviewHtml(
    {
      cspSource: webview.cspSource,
      nonce,
      scriptUri: webview.asWebviewUri(bundle(page.script)).toString(),
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
  /**
   * Post before the page says `ready` too (an inline page only: its script listens before its frame has loaded, and
   * VS Code holds messages for a loading webview until then). A new panel then paints without waiting for the
   * `ready` round trip; `ready` still brings the current view (a page that reloaded, a message VS Code dropped).
   */
  eager?: boolean;
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

  /** Ready, or eager and visible (a hidden panel has no page to hold messages for: it says `ready` when shown). */
  private get listening(): boolean {
    return this.ready || (this.options.eager === true && this.panel.visible);
  }

  /** Posts the current view if the page is listening (or `eager`); otherwise it goes when the page says `ready`. */
  send(): void {
    if (!this.listening) return;
    const current = this.options.current();
    for (const message of Array.isArray(current) ? (current as readonly ToPage[]) : [current as ToPage]) void this.panel.webview.postMessage(message);
  }

  /** Posts one message now if the page is listening or `eager` (a hidden page gets what `current()` says when it is back). */
  post(message: ToPage): void {
    if (this.listening) void this.panel.webview.postMessage(message);
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
