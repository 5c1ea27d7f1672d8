// The response panel's page. Bundled by scripts/build-webviews.mjs into dist/webviews/response.js.
//
// Rules the modules of this folder keep:
// - Everything from the server (body, headers, status text, explanation, notes, who) reaches the DOM as text:
//   createTextNode / textContent only, never an API that parses markup (test/webview/protocol.test.ts greps
//   the media code for them).
// - No inline styles (the CSP has no 'unsafe-inline'): classes and the `hidden` attribute only.
// - Big bodies never block the page: the JSON tree creates children only when a node is expanded and pages
//   long containers; raw text is appended in slices between tasks.

import {
  isHostToPanel,
  isShowResponse,
  type AttributionCheck,
  type PanelToHost,
  type ResponseView,
  type ResponseViewAttribution,
  type SendStatus,
} from '../../src/protocol/response';
import { AttributionBox } from './attributionBox';
import { bannerParts, formatBytes, formatDuration, isBinaryContentType, looksLikeJson, statusClass, viewKey } from './format';
import { headerTable } from './headerTable';
import { JsonText } from './jsonScan';
import { JsonTree } from './jsonTree';
import { appendTextInSlices } from './slicedText';
import { freshUi, panelState, readState, type TabId, type UiState } from './state';
import { button, h, section } from '../shared/dom';
import { acquire, onHostViews, stateSaver } from '../shared/vscodeApi';

const TABS: ReadonlyArray<{ id: TabId; label: string }> = [
  { id: 'body', label: 'Body' },
  { id: 'headers', label: 'Headers' },
  { id: 'request', label: 'Request' },
];

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
    );
    // How it went out: through which proxy (host:port, never credentials), or directly.
    if (this.view.via !== undefined)
      p.append(
        section(
          'Network',
          h(
            'p',
            { class: 'network-route', title: this.view.via === 'direct' ? 'Sent directly to the server' : 'Sent through a proxy' },
            this.view.via === 'direct' ? 'direct' : this.view.via,
          ),
        ),
      );
    p.append(section('Headers', headerTable(r.headers, 'Request headers')));
    if (r.body !== undefined && r.body !== '') {
      const pre = h('pre', { class: 'code request-body' });
      appendTextInSlices(pre, r.body, () => this.disposed);
      p.append(section('Body', pre));
    }
    p.append(section('cURL', h('pre', { class: 'code curl' }, this.view.curl)));
  }
}

// --- a send without its response yet ---------------------------------------------------------------------------

const STATUS_HEADLINE: Record<SendStatus['state'], string> = { sending: 'Sending as ', failed: 'Failed as ', cancelled: 'Not sent as ' };

/**
 * "Sending as Jane Doe · full · DealCloud (sandbox)", the request line and Cancel; once it failed or was cancelled,
 * what happened and "Send again". Not the response banner (.banner-self / -impersonated): no response is shown.
 */
function renderStatus(root: HTMLElement, status: SendStatus, post: (m: PanelToHost) => void): void {
  const { who, mode, connection } = bannerParts(status.sentAs);
  const sending = status.state === 'sending';
  const line = h('div', { class: `banner banner-status banner-${status.state}`, role: sending ? 'status' : 'alert' });
  if (sending) line.append(h('span', { class: 'spinner', 'aria-hidden': 'true' }));
  line.append(STATUS_HEADLINE[status.state], h('strong', { class: 'who' }, who));
  if (mode) line.append(' · ', h('span', { class: 'badge mode' }, mode));
  line.append(' · ', h('span', { class: 'connection' }, connection));
  const request = h(
    'div',
    { class: 'summary' },
    h(
      'span',
      { class: 'request-line', title: `${status.request.method} ${status.request.url}` },
      h('span', { class: 'method' }, status.request.method),
      ' ',
      status.request.url,
    ),
  );
  const content = h('div', { class: 'content' }, request);
  if (status.message) content.append(h('p', { class: sending ? 'send-note hint' : 'send-error explanation' }, status.message));
  const actions = h('div', { class: 'actions send-actions' });
  if (sending) {
    const cancel = button('Cancel', { class: 'cancel-send', title: 'Cancel this request' }, () => {
      post({ type: 'cancel', sendId: status.id });
      cancel.disabled = true;
    });
    actions.append(cancel);
  } else if (status.canResend) {
    const again = button('Send again', { class: 'resend primary', 'aria-label': `Send the request again as ${who}` }, () => {
      post({ type: 'resend', viewId: status.id });
      again.disabled = true;
    });
    actions.append(again);
  }
  if (actions.childElementCount > 0) content.append(actions);
  root.replaceChildren(line, content);
  if (sending) root.setAttribute('aria-busy', 'true');
  else root.removeAttribute('aria-busy');
}

// --- wiring -----------------------------------------------------------------------------------------------------

const vscode = acquire<PanelToHost>();
const appRoot = document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
let current: ResponsePage | undefined;
let currentView: ResponseView | undefined;
let currentUi: UiState | undefined;
/** The send status shown instead of a response (its key: the same status again is not drawn again). */
let currentStatus: string | undefined;
const restored = readState(vscode);

const saver = stateSaver(() => {
  if (!currentView || !currentUi) return;
  vscode.setState(panelState(currentView, currentUi));
});
const saveSoon = (): void => saver.soon();
const saveNow = (): void => saver.now();

function show(view: ResponseView): void {
  const key = viewKey(view);
  if (current?.key === key) return; // the same response again (the host re-sends after every `ready`)
  current?.dispose();
  currentStatus = undefined;
  const ui = restored && restored.ui.viewId === key ? restored.ui : freshUi(key);
  currentView = view;
  currentUi = ui;
  current = new ResponsePage(view, ui, saveSoon, (m) => vscode.postMessage(m));
  current.render(appRoot);
  document.title = `Response ${view.status}`;
  // Painted: the host retitles the tab now, not in the frame that draws the response (the workbench and this page
  // share a main thread in a browser).
  const viewId = view.id;
  if (viewId) window.requestAnimationFrame(() => setTimeout(() => vscode.postMessage({ type: 'shown', viewId }), 0));
  if (ui.scrollY > 0) window.requestAnimationFrame(() => window.scrollTo(0, ui.scrollY));
  else window.scrollTo(0, 0);
  saveNow();
}

/** A send under way, failed or cancelled: replaces whatever the panel showed; nothing of it is kept in the state. */
function showStatus(status: SendStatus): void {
  const key = JSON.stringify(status);
  if (currentStatus === key) return; // the same status again (eager post, then `ready`)
  current?.dispose();
  current = undefined;
  currentView = undefined;
  currentUi = undefined;
  currentStatus = key;
  renderStatus(appRoot, status, (m) => vscode.postMessage(m));
  document.title = status.state === 'sending' ? 'Sending…' : 'Response';
  window.scrollTo(0, 0);
  // A send does not survive a reload: a page restored later must not show the previous response as current, nor "Sending…".
  vscode.setState(null);
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
  if (!isHostToPanel(message)) return;
  if (message.type === 'attribution') attributionCheck(message.viewId, message.check);
  else if (message.type === 'status') showStatus(message.status);
});

onHostViews(isShowResponse, show, (scrollY) => {
  if (!currentUi) return;
  currentUi.scrollY = scrollY;
  saveSoon();
});

if (restored?.view && viewKey(restored.view) === restored.ui.viewId) show(restored.view);
vscode.postMessage({ type: 'ready' });
