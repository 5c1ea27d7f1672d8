// The response panel's page. Bundled by scripts/build-webviews.mjs into dist/webviews/response.js.
//
// Rules this file keeps:
// - Everything from the server (body, headers, status text, explanation, notes, who) reaches the DOM as text:
//   createTextNode / textContent only, never an API that parses markup (test/webview/protocol.test.ts greps
//   the media code for them).
// - No inline styles (the CSP has no 'unsafe-inline'): classes and the `hidden` attribute only.
// - Big bodies never block the page: the JSON tree creates children only when a node is expanded and pages
//   long containers; raw text is appended in slices between tasks.

import {
  isHostToPanel,
  isResponseView,
  isShowResponse,
  type AttributionCheck,
  type PanelToHost,
  type ResponseView,
  type ResponseViewAttribution,
} from '../../src/protocol/response';
import { bannerParts, formatBytes, formatCount, formatDuration, isBinaryContentType, looksLikeJson, statusClass, viewKey } from './format';
import { JsonText, type JsonEntry } from './jsonScan';
import { button, h, section, visibleButtons } from '../shared/dom';
import { acquire, onHostViews, stateSaver, type VsCodeApi } from '../shared/vscodeApi';

// --- state ------------------------------------------------------------------------------------------------

type TabId = 'body' | 'headers' | 'request';
const TABS: ReadonlyArray<{ id: TabId; label: string }> = [
  { id: 'body', label: 'Body' },
  { id: 'headers', label: 'Headers' },
  { id: 'request', label: 'Request' },
];

/** What the user did to the panel, kept across hide/show (the page is torn down while hidden). */
interface UiState {
  viewId: string;
  tab: TabId;
  raw: boolean;
  /** Tree nodes whose expansion differs from the default, by index path ("/0/3"). */
  toggled: Record<string, boolean>;
  /** Members shown in paged containers, by index path. */
  shown: Record<string, number>;
  /** Long strings shown in full, by index path. */
  fullStrings: Record<string, true>;
  showBinary: boolean;
  scrollY: number;
}

interface PanelState {
  v: 1;
  /** Kept only for small responses: restores without a round trip. Large ones come back from the host. */
  view?: ResponseView;
  ui: UiState;
}

/** Views up to this many characters (body + headers) are kept in the webview state. */
const STATE_VIEW_LIMIT = 256 * 1024;
/** Members per page in a long container, and the threshold for collapsing an array by default. */
const PAGE = 200;
const LARGE_CONTAINER = 100;
/** Characters of a string value shown before "show all". */
const STRING_PREVIEW = 500;
/** Raw text: slice size, and how long one task may spend appending slices. */
const RAW_SLICE = 64 * 1024;
const RAW_BUDGET_MS = 12;

function freshUi(viewId: string): UiState {
  return { viewId, tab: 'body', raw: false, toggled: {}, shown: {}, fullStrings: {}, showBinary: false, scrollY: 0 };
}

function isRecordOf<T>(x: unknown, check: (v: unknown) => v is T): x is Record<string, T> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && Object.values(x).every(check);
}
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isTrue = (v: unknown): v is true => v === true;

function isUiState(x: unknown): x is UiState {
  if (typeof x !== 'object' || x === null) return false;
  const u = x as Record<string, unknown>;
  return (
    typeof u.viewId === 'string' &&
    (u.tab === 'body' || u.tab === 'headers' || u.tab === 'request') &&
    isBool(u.raw) &&
    isBool(u.showBinary) &&
    isNum(u.scrollY) &&
    isRecordOf(u.toggled, isBool) &&
    isRecordOf(u.shown, isNum) &&
    isRecordOf(u.fullStrings, isTrue)
  );
}

function readState(api: VsCodeApi<PanelToHost>): PanelState | undefined {
  const s = api.getState();
  if (typeof s !== 'object' || s === null) return undefined;
  const state = s as Record<string, unknown>;
  if (state.v !== 1 || !isUiState(state.ui)) return undefined;
  const out: PanelState = { v: 1, ui: state.ui };
  if (state.view !== undefined && isResponseView(state.view)) out.view = state.view;
  return out;
}

// --- the page -------------------------------------------------------------------------------------------------

class ResponsePage {
  readonly key: string;
  private readonly tabButtons = new Map<TabId, HTMLButtonElement>();
  private readonly panels = new Map<TabId, HTMLElement>();
  private readonly rendered = new Set<TabId>();
  private rawButton: HTMLButtonElement | undefined;
  private bodyJson: JsonText | undefined;
  private bodyError: string | undefined;
  private treeHost: HTMLElement | undefined;
  private rawHost: HTMLElement | undefined;
  private attributionBox: AttributionBox | undefined;
  private disposed = false;

  constructor(
    private readonly view: ResponseView,
    private readonly ui: UiState,
    private readonly save: () => void,
    private readonly post: (m: PanelToHost) => void,
  ) {
    this.key = ui.viewId;
  }

  dispose(): void {
    this.disposed = true;
  }

  render(root: HTMLElement): void {
    const v = this.view;
    const isJson = v.body !== '' && looksLikeJson(v.contentType, v.body);
    if (isJson) {
      const parsed = JsonText.parse(v.body);
      if (parsed instanceof JsonText) this.bodyJson = parsed;
      else this.bodyError = parsed.error;
    }

    const content = h('div', { class: 'content' }, this.summary());
    if (v.explanation) content.append(this.explanation(v.explanation));
    if (v.attribution) content.append(this.attribution(v.attribution));
    if (v.notes.length > 0) content.append(this.notes(v.notes));
    content.append(this.toolbar());
    for (const tab of TABS) content.append(this.panel(tab.id));
    root.replaceChildren(this.banner(), content);
    root.removeAttribute('aria-busy');
    this.selectTab(this.ui.tab, false);
  }

  // The identity comes first and stays in view: who the request acted as is the point of this extension.
  private banner(): HTMLElement {
    const { who, mode, connection } = bannerParts(this.view.sentAs);
    const impersonated = this.view.sentAs.mode !== 'self';
    const banner = h('div', {
      class: `banner ${impersonated ? 'banner-impersonated' : 'banner-self'}`,
      role: 'status',
      title: `${this.view.sentAs.vendor} connection "${connection}"`,
    });
    banner.append('Sent as ', h('strong', { class: 'who' }, who));
    if (mode) {
      banner.append(' · ', h('span', { class: 'badge mode', title: mode === 'full' ? 'Full impersonation' : 'Lite impersonation' }, mode));
    }
    banner.append(' · ', h('span', { class: 'connection' }, connection));
    return banner;
  }

  private summary(): HTMLElement {
    const v = this.view;
    const cls = statusClass(v.status);
    const status = h('span', { class: `status status-${cls}`, title: `HTTP ${v.status}` }, `${v.status}${v.statusText ? ` ${v.statusText}` : ''}`);
    const time = h('span', { class: 'metric time', title: 'Time' }, formatDuration(v.durationMs));
    const size = h('span', { class: 'metric size', title: `${v.bodyBytes.toLocaleString('en-US')} bytes` }, formatBytes(v.bodyBytes));
    const line = h(
      'span',
      { class: 'request-line', title: `${v.request.method} ${v.request.url}` },
      h('span', { class: 'method' }, v.request.method),
      ' ',
      v.request.url,
    );
    const summary = h('div', { class: 'summary' }, status, time, size, line);
    if (v.name) summary.prepend(h('span', { class: 'name' }, v.name));
    return summary;
  }

  private explanation(ex: NonNullable<ResponseView['explanation']>): HTMLElement {
    const box = h('div', { class: 'explanation', role: 'note' }, h('span', { class: 'explanation-message' }, ex.message));
    const action = ex.action;
    if (action) {
      const b = button(action.title, { class: 'primary action' }, () => {
        this.post({ type: 'action', kind: action.kind, args: { ...action.args } });
        // One request per click: a second click while the host works would run the action twice.
        b.disabled = true;
        window.setTimeout(() => (b.disabled = false), 1500);
      });
      box.append(b);
    }
    return box;
  }

  // Who the vendor recorded the write under: the check Behalf ran after a write as a principal.
  private attribution(a: ResponseViewAttribution): HTMLElement {
    this.attributionBox = new AttributionBox(a, (assetId) => this.post({ type: 'verifyAttribution', assetId }));
    return this.attributionBox.el;
  }

  /** A "Check again" moved on (the host says so): update the box in place, nothing else on the page changes. */
  applyAttributionCheck(check: AttributionCheck): void {
    this.attributionBox?.apply(check);
  }

  private notes(notes: string[]): HTMLElement {
    return h('ul', { class: 'notes', 'aria-label': 'Notes' }, ...notes.map((n) => h('li', {}, n)));
  }

  private toolbar(): HTMLElement {
    const tablist = h('div', { class: 'tabs', role: 'tablist', 'aria-label': 'Response details' });
    for (const tab of TABS) {
      const label = tab.id === 'headers' ? `${tab.label} (${Object.keys(this.view.headers).length})` : tab.label;
      const b = h(
        'button',
        { type: 'button', role: 'tab', id: `tab-${tab.id}`, 'aria-controls': `panel-${tab.id}`, 'aria-selected': 'false', tabindex: '-1', class: 'tab' },
        label,
      );
      b.addEventListener('click', () => this.selectTab(tab.id, true));
      b.addEventListener('keydown', (ev) => this.onTabKey(ev, tab.id));
      this.tabButtons.set(tab.id, b);
      tablist.append(b);
    }

    const actions = h('div', { class: 'actions' });
    if (this.bodyJson) {
      this.rawButton = button('Raw', { class: 'toggle-raw', 'aria-pressed': String(this.ui.raw), title: 'Show the body exactly as received' }, () =>
        this.setRaw(!this.ui.raw),
      );
      actions.append(this.rawButton);
    }
    actions.append(
      // Text buttons are named by their text; the title adds detail without hiding it from assistive tech.
      button('Copy body', { class: 'copy-body', title: 'Copy the response body' }, () => this.post({ type: 'copy', what: 'body' })),
      button('Copy cURL', { class: 'copy-curl', title: 'Copy the request as a cURL command (secrets redacted)' }, () =>
        this.post({ type: 'copy', what: 'curl' }),
      ),
    );
    if (this.view.id) {
      actions.append(button('Save body…', { class: 'save-body', title: 'Save the body to a file, exactly as received' }, () => this.ask('save')));
      const open = button('Open in editor', { class: 'open-in-editor', title: 'Open the body in an editor tab (JSON pretty-printed)' }, () =>
        this.ask('openInEditor'),
      );
      if (this.isBinary()) {
        // Still focusable and announced: says why it does nothing rather than vanishing.
        open.setAttribute('aria-disabled', 'true');
        open.title = 'A binary body cannot be opened as text: use Save body…';
      }
      actions.append(open);
      if (this.view.canResend) {
        const who = this.view.sentAs.who;
        const resend = button(
          'Resend',
          { class: 'resend', title: `Send the same request again as ${who}`, 'aria-label': `Resend the request as ${who}` },
          () => {
            if (resend.getAttribute('aria-disabled') === 'true') return;
            this.ask('resend');
            // One send per click: a second click while the host sends would send twice.
            resend.setAttribute('aria-disabled', 'true');
            window.setTimeout(() => resend.removeAttribute('aria-disabled'), 1500);
          },
        );
        actions.append(resend);
      }
    }
    const assetId = this.view.assetId;
    if (assetId) {
      actions.append(
        button('Version history', { class: 'open-history', title: `Open the version history of asset ${assetId}` }, () =>
          this.post({ type: 'openHistory', assetId }),
        ),
      );
    }
    return h('div', { class: 'toolbar' }, tablist, actions);
  }

  private panel(id: TabId): HTMLElement {
    const p = h('div', { class: `panel panel-${id}`, role: 'tabpanel', id: `panel-${id}`, 'aria-labelledby': `tab-${id}`, tabindex: '0' });
    p.hidden = true;
    this.panels.set(id, p);
    return p;
  }

  private onTabKey(ev: KeyboardEvent, id: TabId): void {
    const i = TABS.findIndex((t) => t.id === id);
    let next: number;
    if (ev.key === 'ArrowRight') next = (i + 1) % TABS.length;
    else if (ev.key === 'ArrowLeft') next = (i - 1 + TABS.length) % TABS.length;
    else if (ev.key === 'Home') next = 0;
    else if (ev.key === 'End') next = TABS.length - 1;
    else return;
    ev.preventDefault();
    const tab = TABS[next];
    if (tab) this.selectTab(tab.id, true, true);
  }

  private selectTab(id: TabId, save: boolean, focus = false): void {
    this.ui.tab = id;
    for (const [tabId, b] of this.tabButtons) {
      const selected = tabId === id;
      b.setAttribute('aria-selected', String(selected));
      b.tabIndex = selected ? 0 : -1;
      if (selected && focus) b.focus();
    }
    for (const [tabId, p] of this.panels) p.hidden = tabId !== id;
    if (this.rawButton) this.rawButton.hidden = id !== 'body';
    if (!this.rendered.has(id)) {
      this.rendered.add(id);
      const p = this.panels.get(id);
      if (p) this.fillPanel(id, p);
    }
    if (save) this.save();
  }

  private fillPanel(id: TabId, p: HTMLElement): void {
    if (id === 'body') this.fillBody(p);
    else if (id === 'headers') p.append(headerTable(this.view.headers, 'Response headers'));
    else this.fillRequest(p);
  }

  // --- body ---------------------------------------------------------------------------------------------

  private isBinary(): boolean {
    return this.view.binary === true || isBinaryContentType(this.view.contentType);
  }

  /** Body and request commands: about this response (the host ignores them once another one is shown). */
  private ask(type: 'save' | 'openInEditor' | 'resend'): void {
    const viewId = this.view.id;
    if (viewId) this.post({ type, viewId });
  }

  private fillBody(p: HTMLElement): void {
    const v = this.view;
    if (v.body === '') {
      p.append(h('p', { class: 'empty' }, v.bodyBytes > 0 ? `The body (${formatBytes(v.bodyBytes)}) was not kept.` : 'No body.'));
      return;
    }
    if (this.isBinary() && !this.ui.showBinary) {
      const reveal = button(
        'Show as text anyway',
        { class: 'show-binary secondary', title: 'Show the body decoded as UTF-8 (binary data shows as noise)' },
        () => {
          this.ui.showBinary = true;
          p.replaceChildren();
          this.fillBody(p);
          this.save();
        },
      );
      const save = button('Save body…', { class: 'save-binary primary', title: 'Save the body to a file, byte for byte' }, () => this.ask('save'));
      const type = v.contentType.split(';')[0]?.trim() || 'unknown type';
      p.append(
        h(
          'p',
          { class: 'empty binary-body' },
          h('span', { class: 'binary-summary' }, `Binary body (${type}, ${formatBytes(v.bodyBytes)}) — Save body… to keep it.`),
          ' ',
          save,
          ' ',
          reveal,
        ),
      );
      return;
    }
    if (this.bodyError !== undefined) {
      p.append(h('p', { class: 'parse-error' }, `The body is not valid JSON, shown as received: ${this.bodyError}`));
    }
    if (this.bodyJson && !this.ui.raw) this.showTree(p);
    else this.showRaw(p);
  }

  private setRaw(raw: boolean): void {
    this.ui.raw = raw;
    this.rawButton?.setAttribute('aria-pressed', String(raw));
    const p = this.panels.get('body');
    if (p && this.rendered.has('body')) {
      if (raw) this.showRaw(p);
      else this.showTree(p);
    }
    this.save();
  }

  private showTree(p: HTMLElement): void {
    if (this.rawHost) this.rawHost.hidden = true;
    if (!this.treeHost && this.bodyJson) {
      this.treeHost = new JsonTree(this.bodyJson, this.ui, this.save).render();
      p.append(this.treeHost);
    }
    if (this.treeHost) this.treeHost.hidden = false;
  }

  private showRaw(p: HTMLElement): void {
    if (this.treeHost) this.treeHost.hidden = true;
    if (!this.rawHost) {
      this.rawHost = h('pre', { class: 'raw', tabindex: '0', 'aria-label': 'Response body as received' });
      p.append(this.rawHost);
      appendTextInSlices(this.rawHost, this.view.body, () => this.disposed);
    }
    this.rawHost.hidden = false;
  }

  // --- request --------------------------------------------------------------------------------------------

  private fillRequest(p: HTMLElement): void {
    const r = this.view.request;
    p.append(
      h('p', { class: 'hint' }, 'The request as sent, with tokens and secrets replaced by «redacted».'),
      section('Request line', h('pre', { class: 'code request-line-full' }, `${r.method} ${r.url}`)),
      section('Headers', headerTable(r.headers, 'Request headers')),
    );
    if (r.body !== undefined && r.body !== '') {
      const pre = h('pre', { class: 'code request-body' });
      appendTextInSlices(pre, r.body, () => this.disposed);
      p.append(section('Body', pre));
    }
    p.append(section('cURL', h('pre', { class: 'code curl' }, this.view.curl)));
  }
}

/**
 * The attribution box: the result, its advice, "Check again", and a line for where a re-check stands. The box
 * is a polite live region (not atomic): "Checking again…", then the new result or why there is none, are
 * announced on their own. While a check runs the button stays focusable but does nothing (aria-disabled).
 */
class AttributionBox {
  readonly el: HTMLElement;
  private readonly message: HTMLElement;
  private readonly text: HTMLElement;
  private advice: HTMLElement | undefined;
  private readonly line: HTMLElement;
  private readonly again: HTMLButtonElement;

  constructor(
    private attribution: ResponseViewAttribution,
    ask: (assetId: string) => void,
  ) {
    this.el = h('div', { role: 'status', 'aria-live': 'polite', 'aria-atomic': 'false' });
    this.message = h('span', { class: 'attribution-message' });
    this.text = h('div', { class: 'attribution-text' }, this.message);
    this.line = h('span', { class: 'attribution-check' });
    this.line.hidden = true;
    this.again = button('Check again', { class: 'secondary verify-attribution', title: `Read the version history of ${attribution.assetId} again` }, () => {
      if (this.again.getAttribute('aria-disabled') === 'true') return; // one check at a time
      ask(this.attribution.assetId);
      this.apply({ state: 'checking' }); // at once; the host confirms
    });
    this.text.append(this.line);
    this.el.append(this.text, this.again);
    this.showResult(attribution);
  }

  private showResult(a: ResponseViewAttribution): void {
    this.attribution = a;
    this.el.className = `attribution ${a.outcome === 'recorded-as-principal' ? 'attribution-ok' : 'attribution-warn'}`;
    this.message.textContent = a.message;
    if (a.advice) {
      this.advice ??= h('span', { class: 'attribution-advice' });
      this.advice.textContent = a.advice;
      if (!this.advice.isConnected) this.message.after(this.advice);
    } else {
      this.advice?.remove();
      this.advice = undefined;
    }
  }

  apply(check: AttributionCheck): void {
    const checking = check.state === 'checking';
    if (checking) this.again.setAttribute('aria-disabled', 'true');
    else this.again.removeAttribute('aria-disabled');
    this.el.classList.toggle('attribution-checking', checking);
    this.line.classList.toggle('attribution-error', check.state === 'failed');
    if (check.state === 'checked') this.showResult(check.attribution);
    this.line.textContent = check.state === 'checking' ? 'Checking again…' : check.state === 'checked' ? 'Checked again.' : check.message;
    this.line.hidden = false;
  }
}

function headerTable(headers: Record<string, string>, label: string): HTMLElement {
  const entries = Object.entries(headers);
  if (entries.length === 0) return h('p', { class: 'empty' }, 'No headers.');
  const body = h('tbody');
  for (const [name, value] of entries)
    body.append(h('tr', {}, h('th', { scope: 'row', class: 'header-name' }, name), h('td', { class: 'header-value' }, value)));
  return h(
    'table',
    { class: 'headers grid', 'aria-label': label },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Name'), h('th', { scope: 'col' }, 'Value'))),
    body,
  );
}

/**
 * Where a slice of at most RAW_SLICE characters should end: after a newline in its second half if there is
 * one, else after a comma or space (a minified JSON body is one long line; a break after a comma changes
 * nothing when a selection is pasted as JSON), else at the limit. Never inside a surrogate pair.
 */
function sliceEnd(text: string, offset: number, limit: number): number {
  const from = offset + RAW_SLICE / 2;
  const tail = text.slice(from, limit);
  let cut = tail.lastIndexOf('\n');
  if (cut < 0) cut = tail.lastIndexOf(',');
  if (cut < 0) cut = tail.lastIndexOf(' ');
  let end = cut >= 0 ? from + cut + 1 : limit;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end++;
  return end;
}

/**
 * Appends text as a series of blocks: the first synchronously, the rest in later tasks within a time budget,
 * so a multi-megabyte body never freezes the page. Each block is its own layout unit with content-visibility,
 * so off-screen ones cost nothing (one inline run of 5 MB took ~0.5 s per layout). The price: a selection
 * that spans two blocks gains a line break where they meet; "Copy body" is always exact.
 */
function appendTextInSlices(target: HTMLElement, text: string, cancelled: () => boolean): void {
  if (text.length <= RAW_SLICE) {
    target.append(text);
    return;
  }
  let offset = 0;
  const step = (budgetMs: number): void => {
    const started = performance.now();
    do {
      let end = Math.min(text.length, offset + RAW_SLICE);
      if (end < text.length) end = sliceEnd(text, offset, end);
      target.append(h('span', { class: 'slice' }, text.slice(offset, end)));
      offset = end;
    } while (offset < text.length && performance.now() - started < budgetMs);
    if (offset < text.length) {
      target.setAttribute('aria-busy', 'true');
      window.setTimeout(() => {
        if (!cancelled()) step(RAW_BUDGET_MS);
      }, 0);
    } else {
      target.removeAttribute('aria-busy');
    }
  };
  step(0);
}

// --- the JSON tree --------------------------------------------------------------------------------------------

interface TreeNode {
  entry: JsonEntry;
  path: string;
  depth: number;
  el: HTMLElement;
  toggle: HTMLButtonElement;
  children?: HTMLElement;
  more?: HTMLButtonElement;
  moreRow?: HTMLElement;
  next: number;
  shown: number;
  expanded: boolean;
  /** What the node would be without the user's say, so only deviations are stored. */
  byDefault: boolean;
}

class JsonTree {
  private readonly nodes = new WeakMap<HTMLButtonElement, TreeNode>();
  private host: HTMLElement | undefined;

  constructor(
    private readonly doc: JsonText,
    private readonly ui: UiState,
    private readonly save: () => void,
  ) {}

  render(): HTMLElement {
    const host = h('div', { class: 'tree code', 'aria-label': 'Response body as a JSON tree' });
    this.host = host;
    host.append(this.node(this.doc.root(), '', 0, 1));
    host.addEventListener('keydown', (ev) => this.onKey(ev));
    return host;
  }

  private defaultExpanded(entry: JsonEntry, depth: number, siblings: number): boolean {
    if (depth === 0) return true;
    return depth === 1 && siblings <= 50 && entry.count <= LARGE_CONTAINER;
  }

  private node(entry: JsonEntry, path: string, depth: number, siblings: number): HTMLElement {
    const el = h('div', { class: 'node' });
    const row = h('div', { class: 'row' });
    el.append(row);
    const label = this.label(entry, depth);
    const container = entry.kind === 'object' || entry.kind === 'array';

    if (!container || entry.count === 0) {
      row.append(h('span', { class: 'spacer', 'aria-hidden': 'true' }));
      if (label) row.append(label);
      row.append(container ? h('span', { class: 'punct' }, entry.kind === 'object' ? '{}' : '[]') : this.value(entry, path));
      return el;
    }

    const name = entry.key !== undefined ? entry.key : depth === 0 ? 'root' : `item ${entry.index}`;
    const toggle = h('button', { type: 'button', class: 'twisty', 'aria-expanded': 'false', 'aria-label': `${name}, ${this.countText(entry)}` });
    const byDefault = this.defaultExpanded(entry, depth, siblings);
    const node: TreeNode = { entry, path, depth, el, toggle, next: -1, shown: 0, expanded: false, byDefault };
    this.nodes.set(toggle, node);
    toggle.addEventListener('click', () => this.setExpanded(node, !node.expanded, true));
    const preview = h(
      'span',
      { class: 'preview' },
      h('span', { class: 'punct' }, entry.kind === 'object' ? '{…}' : '[…]'),
      h('span', { class: 'count' }, this.countText(entry)),
    );
    row.append(toggle);
    if (label) row.append(label);
    row.append(preview);

    const wanted = this.ui.toggled[path] ?? byDefault;
    if (wanted) this.setExpanded(node, true, false);
    return el;
  }

  private countText(entry: JsonEntry): string {
    return entry.kind === 'object' ? formatCount(entry.count, 'key', 'keys') : formatCount(entry.count, 'item', 'items');
  }

  /** "name: " for object members, "3: " for array items, nothing for the root. */
  private label(entry: JsonEntry, depth: number): HTMLElement | undefined {
    if (entry.key !== undefined) {
      return h('span', { class: 'key' }, h('span', { class: 'key-name' }, entry.key === '' ? '""' : entry.key), h('span', { class: 'punct' }, ': '));
    }
    if (depth > 0) return h('span', { class: 'key index' }, String(entry.index), h('span', { class: 'punct' }, ': '));
    return undefined;
  }

  private value(entry: JsonEntry, path: string): HTMLElement {
    if (entry.kind !== 'string') return h('span', { class: `value ${entry.kind}` }, this.doc.source(entry));
    // Re-escaped so control characters stay visible on one line; other characters shown as themselves.
    const full = JSON.stringify(this.doc.stringValue(entry));
    const span = h('span', { class: 'value string' });
    if (full.length <= STRING_PREVIEW || this.ui.fullStrings[path]) {
      span.append(full);
      return span;
    }
    const rest = full.length - STRING_PREVIEW;
    const more = button(`… ${formatCount(rest, 'more character', 'more characters')}`, { class: 'link more-chars' }, () => {
      this.ui.fullStrings[path] = true;
      span.replaceChildren(full);
      this.save();
    });
    span.append(full.slice(0, STRING_PREVIEW), more);
    return span;
  }

  private setExpanded(node: TreeNode, expanded: boolean, byUser: boolean): void {
    node.expanded = expanded;
    node.toggle.setAttribute('aria-expanded', String(expanded));
    node.el.classList.toggle('expanded', expanded);
    if (expanded && !node.children) {
      node.children = h('div', { class: 'children', role: 'group' });
      node.el.append(node.children);
      const target = Math.max(PAGE, this.ui.shown[node.path] ?? 0);
      this.loadMore(node, target, undefined);
    }
    if (node.children) node.children.hidden = !expanded;
    if (byUser) {
      if (expanded === node.byDefault) delete this.ui.toggled[node.path];
      else this.ui.toggled[node.path] = expanded;
      this.save();
    }
  }

  /** Renders up to `count` more members of `node`, then a "show more" button if members remain. */
  private loadMore(node: TreeNode, count: number, from: number | undefined): void {
    const children = node.children;
    if (!children) return;
    const { entries, next } = this.doc.page(node.entry, count, from, node.shown);
    const frag = document.createDocumentFragment();
    for (const child of entries) {
      frag.append(this.node(child, `${node.path}/${child.index}`, node.depth + 1, node.entry.count));
    }
    node.shown += entries.length;
    node.next = next;
    node.moreRow?.remove();
    node.more = undefined;
    node.moreRow = undefined;
    if (next >= 0) {
      const remaining = node.entry.count - node.shown;
      const label = `Show ${Math.min(PAGE, remaining).toLocaleString('en-US')} more (${node.shown.toLocaleString('en-US')} of ${node.entry.count.toLocaleString('en-US')} shown)`;
      const more = button(label, { class: 'link more' }, () => {
        const firstNew = node.shown;
        this.loadMore(node, PAGE, node.next);
        this.ui.shown[node.path] = node.shown;
        this.save();
        // Keep the keyboard where it was: on the next "show more", or on the first member just added.
        if (node.more) node.more.focus();
        else
          this.focusable(children)
            .find((b) => this.nodes.get(b)?.entry.index === firstNew)
            ?.focus();
      });
      node.more = more;
      node.moreRow = h('div', { class: 'row more-row' }, more);
      frag.append(node.moreRow);
    }
    children.append(frag);
  }

  /** Buttons in the tree a keyboard user can reach: inside expanded nodes only. */
  private focusable(within: HTMLElement): HTMLButtonElement[] {
    return visibleButtons(within);
  }

  private onKey(ev: KeyboardEvent): void {
    const target = ev.target;
    if (!(target instanceof HTMLButtonElement) || !this.host) return;
    const node = this.nodes.get(target);
    const all = (): HTMLButtonElement[] => (this.host ? this.focusable(this.host) : []);
    const move = (delta: number): void => {
      const list = all();
      const i = list.indexOf(target);
      list[Math.max(0, Math.min(list.length - 1, i + delta))]?.focus();
    };
    switch (ev.key) {
      case 'ArrowRight':
        if (!node) return;
        if (!node.expanded) this.setExpanded(node, true, true);
        else if (node.children) this.focusable(node.children)[0]?.focus();
        break;
      case 'ArrowLeft': {
        if (node?.expanded) {
          this.setExpanded(node, false, true);
          break;
        }
        const parentEl = target.closest('.children')?.parentElement;
        const parentToggle = parentEl?.querySelector<HTMLButtonElement>(':scope > .row > .twisty');
        parentToggle?.focus();
        break;
      }
      case 'ArrowDown':
        move(1);
        break;
      case 'ArrowUp':
        move(-1);
        break;
      case 'Home':
        all()[0]?.focus();
        break;
      case 'End':
        all().at(-1)?.focus();
        break;
      default:
        return;
    }
    ev.preventDefault();
  }
}

// --- wiring -----------------------------------------------------------------------------------------------------

const vscode = acquire<PanelToHost>();
const appRoot = document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
let current: ResponsePage | undefined;
let currentView: ResponseView | undefined;
let currentUi: UiState | undefined;
const restored = readState(vscode);

const saver = stateSaver(() => {
  if (!currentView || !currentUi) return;
  const state: PanelState = { v: 1, ui: currentUi };
  const size = currentView.body.length + JSON.stringify(currentView.headers).length + (currentView.request.body?.length ?? 0);
  if (size <= STATE_VIEW_LIMIT) state.view = currentView;
  vscode.setState(state);
});
const saveSoon = (): void => saver.soon();
const saveNow = (): void => saver.now();

function show(view: ResponseView): void {
  const key = viewKey(view);
  if (current?.key === key) return; // the same response again (the host re-sends after every `ready`)
  current?.dispose();
  const ui = restored && restored.ui.viewId === key ? restored.ui : freshUi(key);
  currentView = view;
  currentUi = ui;
  current = new ResponsePage(view, ui, saveSoon, (m) => vscode.postMessage(m));
  current.render(appRoot);
  document.title = `Response ${view.status}`;
  if (ui.scrollY > 0) window.requestAnimationFrame(() => window.scrollTo(0, ui.scrollY));
  else window.scrollTo(0, 0);
  saveNow();
}

/** A "Check again" moved on: the box changes in place, and the kept view (state) takes a new result. */
function attributionCheck(viewId: string, check: AttributionCheck): void {
  if (!current || !currentView || currentView.id !== viewId) return; // about another response
  current.applyAttributionCheck(check);
  if (check.state === 'checked') {
    currentView = { ...currentView, attribution: check.attribution };
    saveNow();
  }
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = event.data;
  if (isHostToPanel(message) && message.type === 'attribution') attributionCheck(message.viewId, message.check);
});

onHostViews(isShowResponse, show, (scrollY) => {
  if (!currentUi) return;
  currentUi.scrollY = scrollY;
  saveSoon();
});

if (restored?.view && viewKey(restored.view) === restored.ui.viewId) show(restored.view);
vscode.postMessage({ type: 'ready' });
