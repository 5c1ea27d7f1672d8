// Serves a panel's real HTML (renderResponseHtml / renderWebviewHtml, same CSP) and bundle to Chromium from a
// fake origin, with a stand-in for VS Code's acquireVsCodeApi that records what the page posts and keeps its
// state in sessionStorage (so a reload plays the part of a panel that was hidden and shown again). The response
// page by default; `PageSpec` names another page (history, compare).

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { PanelToHost, ResponseView } from '../../src/protocol/response';
import { launchChromium, until, type PwBrowser, type PwPage } from './browser';
import { FAKE_WEBVIEW_ORIGIN, type FakeWebviewPanel } from './fakeVscode';
import { THEMES, type ThemeName } from './themes';

export const ORIGIN = 'http://webview.test';
const ROOT = resolve(__dirname, '..', '..');

/** The pure HTML builder lives in the host module, which imports 'vscode': load it with a stand-in. */
export type HtmlRenderer = (
  parts: { cspSource: string; nonce: string; scriptUri: string; styleUri: string } | { cspSource: string; nonce: string; script: string; style: string },
) => string;

const STUB = (themes: typeof THEMES): string => `(() => {
  const STATE_KEY = '__behalf_state';
  const THEMES = ${JSON.stringify(themes)};
  window.__posted = [];
  window.__csp = [];
  window.__errors = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__csp.push({ directive: e.violatedDirective, blocked: e.blockedURI, sample: e.sample });
  });
  window.addEventListener('error', (e) => window.__errors.push(String(e.message)));
  let acquired = false;
  window.acquireVsCodeApi = () => {
    if (acquired) throw new Error('acquireVsCodeApi may be called only once');
    acquired = true;
    return Object.freeze({
      postMessage(message) {
        const copy = JSON.parse(JSON.stringify(message));
        window.__posted.push(copy);
        if (typeof window.__toHost === 'function') window.__toHost(copy);
      },
      getState() {
        const s = sessionStorage.getItem(STATE_KEY);
        return s === null ? undefined : JSON.parse(s);
      },
      setState(state) {
        sessionStorage.setItem(STATE_KEY, JSON.stringify(state));
        return state;
      },
    });
  };
  window.__applyTheme = (name) => {
    const theme = THEMES[name];
    const apply = () => {
      const body = document.body;
      for (const t of Object.values(THEMES)) body.classList.remove(t.bodyClass);
      body.classList.add(theme.bodyClass);
      for (const [k, v] of Object.entries(theme.vars)) body.style.setProperty(k, v);
    };
    if (document.body) apply(); else document.addEventListener('DOMContentLoaded', apply, { once: true });
  };
  window.__applyTheme(sessionStorage.getItem('__behalf_theme') || 'dark');
})();`;

/**
 * Which page to serve: its bundle (dist/webviews/<script>), stylesheet (media/<style>, or with `inline` the CSS
 * bundle dist/webviews/<style>: both then go into the HTML, as the host does) and what marks it drawn.
 */
export interface PageSpec {
  script: string;
  style: string;
  inline?: boolean;
  /** A selector present once the page has drawn a view. */
  shown: string;
}

export const RESPONSE_SPEC: PageSpec = { script: 'response.js', style: 'response.css', inline: true, shown: '.banner' };

export interface PanelPage<View = ResponseView, ToHost = PanelToHost> {
  page: PwPage;
  pageErrors: string[];
  /** Posts `{type:'show', view}` the way the host does. */
  show(view: View): Promise<void>;
  posted(): Promise<ToHost[]>;
  cspViolations(): Promise<unknown[]>;
  theme(name: ThemeName): Promise<void>;
  eval<T>(expression: string): Promise<T>;
  /** Waits until the expression is truthy in the page. */
  until(expression: string, timeoutMs?: number): Promise<void>;
}

export class Harness<View = ResponseView, ToHost = PanelToHost> {
  private constructor(
    readonly browser: PwBrowser,
    /** A stand-in extension root: the bundles are built into its dist/webviews (a host under test inlines them from there). */
    readonly extensionRoot: string,
    private readonly html: string,
    private readonly spec: PageSpec,
  ) {}

  static async start<View = ResponseView, ToHost = PanelToHost>(renderHtml: HtmlRenderer, spec: PageSpec = RESPONSE_SPEC): Promise<Harness<View, ToHost>> {
    const extensionRoot = mkdtempSync(join(tmpdir(), 'behalf-webview-'));
    const bundleDir = join(extensionRoot, 'dist', 'webviews');
    const { buildWebviews } = (await import(pathToFileURL(join(ROOT, 'scripts', 'build-webviews.mjs')).href)) as {
      buildWebviews(o: { production: boolean; outdir: string }): Promise<void>;
    };
    await buildWebviews({ production: false, outdir: bundleDir });
    const common = { cspSource: ORIGIN, nonce: randomBytes(16).toString('base64') };
    const html = renderHtml(
      spec.inline
        ? { ...common, script: readFileSync(join(bundleDir, spec.script), 'utf8'), style: readFileSync(join(bundleDir, spec.style), 'utf8') }
        : { ...common, scriptUri: `${ORIGIN}/dist/webviews/${spec.script}`, styleUri: `${ORIGIN}/media/${spec.style}` },
    );
    const browser = await launchChromium();
    return new Harness<View, ToHost>(browser, extensionRoot, html, spec);
  }

  /**
   * Opens a page. By default it serves the panel HTML built for ORIGIN; `html` + `origin` serve another
   * document (e.g. the one a host under test produced), with resources under `/ext/` mapped to the repo.
   */
  async open(options: { theme?: ThemeName; width?: number; height?: number; html?: string; origin?: string } = {}): Promise<PanelPage<View, ToHost>> {
    const origin = options.origin ?? ORIGIN;
    const html = options.html ?? this.html;
    const page = await this.browser.newPage({ viewport: { width: options.width ?? 900, height: options.height ?? 700 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.route(`${origin}/**`, async (route) => {
      const url = new URL(route.request().url());
      const file = this.fileFor(url.pathname.replace(/^\/ext\//, '/'));
      if (file === 'index') return route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html });
      if (!file) return route.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' });
      const type = file.endsWith('.css') ? 'text/css' : file.endsWith('.map') ? 'application/json' : 'text/javascript';
      return route.fulfill({ status: 200, contentType: type, body: readFileSync(file) });
    });
    if (options.theme) await page.addInitScript(`sessionStorage.setItem('__behalf_theme', ${JSON.stringify(options.theme)})`);
    await page.addInitScript(STUB(THEMES));
    await page.goto(`${origin}/index.html`, { waitUntil: 'load' });
    const evaluate = async <T>(expression: string): Promise<T> => (await page.evaluate(expression)) as T;
    return {
      page,
      pageErrors,
      show: async (view) => {
        // postMessage is delivered later: mark what is on screen now, then wait for a rendering without the mark,
        // so a second show() never reads the previous view.
        const shown = JSON.stringify(this.spec.shown);
        const fresh = JSON.stringify(`${this.spec.shown}:not([data-harness-stale])`);
        await page.evaluate(`document.querySelectorAll(${shown}).forEach((e) => e.setAttribute('data-harness-stale', ''))`);
        await page.evaluate(`window.postMessage(${JSON.stringify({ type: 'show', view })}, '*')`);
        await until(page, `document.querySelector(${fresh}) !== null`);
      },
      posted: () => evaluate<ToHost[]>('window.__posted'),
      cspViolations: () => evaluate<unknown[]>('window.__csp'),
      theme: async (name) => {
        await page.evaluate(`window.__applyTheme(${JSON.stringify(name)})`);
      },
      eval: evaluate,
      until: (expression, timeoutMs) => until(page, expression, timeoutMs),
    };
  }

  private fileFor(pathname: string): string | 'index' | undefined {
    if (pathname === '/index.html') return 'index';
    if (pathname.startsWith('/dist/webviews/')) return safeJoin(join(this.extensionRoot, 'dist', 'webviews'), pathname.slice('/dist/webviews/'.length));
    if (pathname.startsWith('/media/')) return safeJoin(join(ROOT, 'media'), pathname.slice('/media/'.length));
    return undefined;
  }

  async close(): Promise<void> {
    await this.browser.close();
    rmSync(this.extensionRoot, { recursive: true, force: true });
  }
}

function safeJoin(dir: string, rel: string): string | undefined {
  const full = resolve(dir, rel);
  if (!full.startsWith(dir + '/')) return undefined;
  try {
    readFileSync(full);
    return full;
  } catch {
    return undefined;
  }
}

export type OpenOptions = Parameters<Harness['open']>[0];

export interface PanelSuite<View, ToHost> {
  /** Open a page and wait for its `ready`. */
  open(options?: OpenOptions): Promise<PanelPage<View, ToHost>>;
  /** Open a page without waiting for `ready` (a test that wires its own bridge to a host first). */
  openRaw(options?: OpenOptions): Promise<PanelPage<View, ToHost>>;
  /**
   * Open the page of a (fake) host panel from its real HTML, wired both ways: what the host posts reaches the
   * page, what the page posts reaches the host. Reloaded once wired, so its `ready` reaches the host. `rebind`
   * wires the same page to another panel (a host revived after a window reload).
   */
  openOnHost(
    panel: FakeWebviewPanel,
    options?: Omit<OpenOptions, 'html' | 'origin'>,
  ): Promise<PanelPage<View, ToHost> & { rebind(panel: FakeWebviewPanel): void }>;
  /** The stand-in extension root with the built bundles, for a host under test (its `extensionUri`). */
  extensionRoot(): string;
}

/**
 * The mocha hooks every Chromium panel suite needs: one browser for the suite, and after every test each page
 * it opened is checked — the CSP blocked nothing and the page threw nothing — then closed.
 */
export function panelSuite<View, ToHost>(start: () => Promise<Harness<View, ToHost>>): PanelSuite<View, ToHost> {
  let harness: Harness<View, ToHost> | undefined;
  let pages: Array<PanelPage<View, ToHost>> = [];
  before(async () => {
    harness = await start();
  });
  after(async () => {
    await harness?.close();
  });
  afterEach(async () => {
    const opened = pages;
    pages = [];
    for (const p of opened) {
      try {
        assert.deepEqual(await p.cspViolations(), [], 'CSP violations');
        assert.deepEqual(await p.eval<string[]>('window.__errors'), [], 'errors in the page');
        assert.deepEqual(p.pageErrors, [], 'uncaught page errors');
      } finally {
        await p.page.close();
      }
    }
  });
  const openRaw = async (options: OpenOptions = {}) => {
    if (!harness) throw new Error("the suite's browser did not start");
    const page = await harness.open(options);
    pages.push(page);
    return page;
  };
  return {
    openRaw,
    extensionRoot() {
      if (!harness) throw new Error("the suite's browser did not start");
      return harness.extensionRoot;
    },
    async openOnHost(panel, options = {}) {
      let host = panel;
      const page = await openRaw({ ...options, html: panel.webview.html, origin: FAKE_WEBVIEW_ORIGIN });
      const rebind = (next: FakeWebviewPanel) => {
        host = next;
        next.webview.onPost = (message) => void page.page.evaluate(`window.postMessage(${JSON.stringify(message)}, '*')`);
      };
      rebind(panel);
      await page.page.exposeFunction('__toHost', (message: unknown) => host.webview.receive(message));
      await page.page.reload({ waitUntil: 'load' });
      return Object.assign(page, { rebind });
    },
    async open(options = {}) {
      const page = await openRaw(options);
      await page.until(`window.__posted.some((m) => m.type === 'ready')`);
      return page;
    },
  };
}
