// The asset version history page. Bundled by scripts/build-webviews.mjs into dist/webviews/history.js.
//
// Rules this file keeps (as the response page):
// - Everything from the host (users, dates, field names, values, JSON paths) reaches the DOM as text, through
//   the h() helper: never an API that parses markup.
// - No inline styles (the CSP has no 'unsafe-inline'): classes and the `hidden` attribute only.
// - Long histories never block the page: versions are rendered a page at a time (more as the list scrolls
//   into view, or by keyboard), and a version's field diffs are created only when it is first expanded.
// - The view has each version's summary only; a version's diffs are asked of the host when it is first
//   expanded and arrive computed (src/core/versionDiff.ts on the host): the page needs no diff library.

import {
  isHistoryView,
  isHostToHistory,
  type FieldDiff,
  type HistoryToHost,
  type HistoryView,
  type HostToHistory,
  type JsonChange,
  type TextPart,
  type VersionDiff,
  type VersionSummary,
} from '../../src/protocol/history';
import { button, h, srOnly } from '../shared/dom';
import { formatCount, formatDate } from '../shared/format';
import { acquire, onHostViews, stateSaver, type VsCodeApi } from '../shared/vscodeApi';

// --- state ------------------------------------------------------------------------------------------------

/** What the user did to the panel, kept across hide/show and refreshes of the same asset. */
interface HistoryUi {
  /** `${connectionId}/${assetId}`: the state applies to this asset's history. */
  asset: string;
  /** Filter: '' = every user. */
  user: string;
  /** Version numbers whose diffs are open. */
  expanded: number[];
  /** Versions rendered (the list grows as it is scrolled). */
  shown: number;
  scrollY: number;
}

interface HistoryState {
  v: 1;
  /** Kept only for small histories: restores without a round trip. Large ones come back from the host. */
  view?: HistoryView;
  ui: HistoryUi;
}

/** Versions rendered per page of the list. */
const PAGE = 100;
/** Views up to this many characters (as JSON) are kept in the webview state. */
const STATE_VIEW_LIMIT = 256 * 1024;

function assetKey(view: HistoryView): string {
  return `${view.connectionId}/${view.assetId}`;
}

function isUi(x: unknown): x is HistoryUi {
  if (typeof x !== 'object' || x === null) return false;
  const u = x as Record<string, unknown>;
  return (
    typeof u.asset === 'string' &&
    typeof u.user === 'string' &&
    Array.isArray(u.expanded) &&
    u.expanded.every((n) => typeof n === 'number') &&
    typeof u.shown === 'number' &&
    typeof u.scrollY === 'number'
  );
}

function readState(api: VsCodeApi<HistoryToHost>): HistoryState | undefined {
  const s = api.getState();
  if (typeof s !== 'object' || s === null) return undefined;
  const state = s as Record<string, unknown>;
  if (state.v !== 1 || !isUi(state.ui)) return undefined;
  const out: HistoryState = { v: 1, ui: state.ui };
  if (state.view !== undefined && isHistoryView(state.view)) out.view = state.view;
  return out;
}

const sameUser = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase();

// --- the page -------------------------------------------------------------------------------------------------

interface Row {
  version: VersionSummary;
  li: HTMLLIElement;
  toggle: HTMLButtonElement;
  changes?: HTMLElement;
}

class HistoryPage {
  /** Newest first, the order the list shows. */
  private readonly all: VersionSummary[];
  private filtered: VersionSummary[] = [];
  /** The diffs the host sent, by version number (asked for when a version is first expanded). */
  private readonly diffs = new Map<number, VersionDiff>();
  /** Versions whose diffs were asked for and not answered yet (asked once). */
  private readonly asked = new Set<number>();
  private readonly rows = new Map<number, Row>();
  private readonly byToggle = new WeakMap<HTMLButtonElement, Row>();
  private readonly expanded: Set<number>;
  private list!: HTMLOListElement;
  private moreRow!: HTMLElement;
  private moreButton!: HTMLButtonElement;
  private countLine!: HTMLElement;
  private observer: IntersectionObserver | undefined;
  /** The version whose toggle is the list's one tab stop. */
  private current: number | undefined;

  constructor(
    readonly view: HistoryView,
    private readonly ui: HistoryUi,
    private readonly save: () => void,
    private readonly post: (m: HistoryToHost) => void,
  ) {
    this.all = [...view.versions].sort((a, b) => b.version - a.version);
    this.expanded = new Set(ui.expanded);
    if (ui.user && !view.users.some((u) => sameUser(u, ui.user))) ui.user = '';
  }

  dispose(): void {
    this.observer?.disconnect();
  }

  render(root: HTMLElement): void {
    const content = h('div', { class: 'content' });
    if (this.view.principal) content.append(this.legend(this.view.principal));
    content.append(this.toolbar());
    this.list = h('ol', { class: 'timeline', 'aria-label': 'Versions, newest first' });
    this.list.addEventListener('keydown', (ev) => this.onKey(ev));
    this.moreButton = button('', { class: 'link more' }, () => this.showMore(PAGE, true));
    this.moreRow = h('div', { class: 'more-row' }, this.moreButton);
    content.append(this.list, this.moreRow);
    if (this.all.length === 0) content.append(h('p', { class: 'empty' }, `No versions of ${this.view.assetId} are recorded.`));
    root.replaceChildren(this.banner(), content);
    root.removeAttribute('aria-busy');
    if ('IntersectionObserver' in window) {
      // Scrolling near the end of what is rendered renders the next page.
      this.observer = new IntersectionObserver(
        (entries) => {
          if (entries.some((e) => e.isIntersecting) && !this.moreRow.hidden) this.showMore(PAGE, false);
        },
        { rootMargin: '0px 0px 400px 0px' },
      );
      this.observer.observe(this.moreRow);
    }
    this.applyFilter(Math.max(PAGE, this.ui.shown));
  }

  private banner(): HTMLElement {
    const v = this.view;
    const banner = h('div', {
      class: `banner${v.principal ? ' banner-impersonated' : ''}`,
      role: 'status',
      title: `${v.vendor} connection "${v.connectionLabel}"`,
    });
    banner.append(
      'Version history of ',
      h('strong', { class: 'asset' }, v.assetId),
      ' · ',
      h('span', { class: 'total' }, formatCount(v.versions.length, 'version', 'versions')),
      ' · ',
      h('span', { class: 'connection' }, v.connectionLabel),
    );
    return banner;
  }

  private legend(principal: NonNullable<HistoryView['principal']>): HTMLElement {
    const count = this.all.filter((v) => v.byPrincipal).length;
    return h(
      'p',
      { class: 'legend' },
      `${count === 1 ? 'The version' : `The ${formatCount(count, 'version', 'versions')}`} recorded as `,
      h('strong', { class: 'principal-email' }, principal.email),
      ', the principal you act as (',
      h('span', { class: 'principal-who' }, principal.who),
      `), ${count === 1 ? 'is' : 'are'} marked `,
      h('span', { class: 'badge principal-badge' }, 'principal'),
      '.',
    );
  }

  private toolbar(): HTMLElement {
    const select = h('select', { id: 'user-filter', class: 'user-filter' });
    const count = (user: string): number => this.all.filter((v) => sameUser(v.user, user)).length;
    select.append(h('option', { value: '' }, `All users (${formatCount(this.all.length, 'version', 'versions')})`));
    for (const user of this.view.users) {
      const isPrincipal = this.view.principal !== undefined && sameUser(user, this.view.principal.email);
      const option = h('option', {}, `${user} (${count(user)})${isPrincipal ? ' — principal' : ''}`);
      option.value = user;
      select.append(option);
    }
    select.value = this.ui.user;
    select.addEventListener('change', () => {
      this.ui.user = select.value;
      this.ui.shown = PAGE;
      this.applyFilter(PAGE);
      window.scrollTo(0, 0); // a new list: start at its top
      this.save();
    });
    this.countLine = h('span', { class: 'count', role: 'status', 'aria-live': 'polite' });
    const refresh = button('Refresh', { class: 'secondary refresh', title: 'Read the version history again' }, () => {
      this.post({ type: 'refresh' });
      refresh.disabled = true;
      window.setTimeout(() => (refresh.disabled = false), 1500);
    });
    return h(
      'div',
      { class: 'toolbar' },
      h('label', { for: 'user-filter', class: 'filter-label' }, 'User'),
      select,
      this.countLine,
      h('div', { class: 'actions' }, refresh),
    );
  }

  // --- the list -------------------------------------------------------------------------------------------

  private applyFilter(shown: number): void {
    const user = this.ui.user;
    this.filtered = user ? this.all.filter((v) => sameUser(v.user, user)) : this.all;
    this.rows.clear();
    this.list.replaceChildren();
    this.current = undefined;
    this.showMore(shown, false);
  }

  /** Renders up to `count` more versions of the filtered list. */
  private showMore(count: number, focusFirstNew: boolean): void {
    const from = this.rows.size;
    const to = Math.min(this.filtered.length, from + count);
    const frag = document.createDocumentFragment();
    for (let i = from; i < to; i++) frag.append(this.row(this.filtered[i]).li);
    this.list.append(frag);
    this.ui.shown = Math.max(PAGE, this.rows.size);
    this.updateCount();
    if (this.current === undefined) this.setCurrent(this.filtered[0]?.version, false);
    if (focusFirstNew) {
      const first = this.filtered[from];
      if (first) this.setCurrent(first.version, true);
    }
  }

  private updateCount(): void {
    const total = this.filtered.length;
    const shown = this.rows.size;
    const who = this.ui.user ? ` by ${this.ui.user}` : '';
    this.countLine.textContent = `${formatCount(total, 'version', 'versions')}${who}${shown < total ? ` (${shown.toLocaleString('en-US')} shown)` : ''}`;
    const remaining = total - shown;
    this.moreRow.hidden = remaining <= 0;
    this.moreButton.textContent = `Show ${Math.min(PAGE, remaining).toLocaleString('en-US')} more (${shown.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} shown)`;
  }

  private row(v: VersionSummary): Row {
    const id = `version-${v.version}`;
    const li = h('li', { class: `version${v.byPrincipal ? ' by-principal' : ''}`, 'data-version': String(v.version) });
    const toggle = h('button', {
      type: 'button',
      class: 'version-toggle',
      id: `${id}-toggle`,
      'aria-expanded': 'false',
      'aria-controls': `${id}-changes`,
      tabindex: '-1',
    });
    toggle.append(
      h('span', { class: 'twisty', 'aria-hidden': 'true' }),
      h('span', { class: 'version-number' }, `v${v.version}`),
      h('time', { class: 'version-date', datetime: v.date }, formatDate(v.date)),
      h('span', { class: 'version-user' }, v.user || '(no user recorded)'),
    );
    if (v.byPrincipal) {
      toggle.append(
        h('span', { class: 'badge principal-badge', 'aria-hidden': 'true', title: 'Recorded under the principal you acted as' }, 'principal'),
        srOnly(', recorded under the principal you acted as'),
      );
    }
    toggle.append(h('span', { class: 'version-summary' }, this.summary(v)));
    toggle.addEventListener('click', () => this.setExpanded(row, !this.expanded.has(v.version), true));
    toggle.addEventListener('focus', () => this.setCurrent(v.version, false));
    li.append(toggle);
    const row: Row = { version: v, li, toggle };
    this.rows.set(v.version, row);
    this.byToggle.set(toggle, row);
    if (this.expanded.has(v.version)) this.setExpanded(row, true, false);
    return row;
  }

  private summary(v: VersionSummary): string {
    if (v.fields.length === 0) return 'no field changed';
    const names = v.fields.slice(0, 4).map((f) => f.field || '(unnamed)');
    const more = v.fields.length > 4 ? `, +${v.fields.length - 4} more` : '';
    return `${formatCount(v.fields.length, 'field', 'fields')}: ${names.join(', ')}${more}`;
  }

  private setExpanded(row: Row, expanded: boolean, byUser: boolean): void {
    const n = row.version.version;
    if (expanded) this.expanded.add(n);
    else this.expanded.delete(n);
    row.toggle.setAttribute('aria-expanded', String(expanded));
    row.li.classList.toggle('expanded', expanded);
    if (expanded && !row.changes) {
      row.changes = h('div', { class: 'changes', id: `version-${n}-changes`, role: 'region', 'aria-labelledby': `version-${n}-toggle` });
      row.li.append(row.changes);
      const diff = this.diffs.get(n);
      if (diff) this.fillChanges(row.changes, diff);
      else this.askDiff(row.changes, n);
    }
    if (row.changes) row.changes.hidden = !expanded;
    if (byUser) {
      this.ui.expanded = [...this.expanded];
      this.save();
    }
  }

  private setCurrent(version: number | undefined, focus: boolean): void {
    if (this.current !== undefined && this.current !== version) {
      const previous = this.rows.get(this.current);
      if (previous) previous.toggle.tabIndex = -1;
    }
    this.current = version;
    if (version === undefined) return;
    const row = this.rows.get(version);
    if (!row) return;
    row.toggle.tabIndex = 0;
    if (focus) row.toggle.focus();
  }

  private onKey(ev: KeyboardEvent): void {
    const target = ev.target;
    if (!(target instanceof HTMLButtonElement)) return;
    const row = this.byToggle.get(target);
    if (!row) return;
    const index = this.filtered.indexOf(row.version);
    const go = (i: number): void => {
      const clamped = Math.max(0, Math.min(this.filtered.length - 1, i));
      // Moving past what is rendered renders up to there first.
      if (clamped >= this.rows.size) this.showMore(clamped + 1 - this.rows.size, false);
      const next = this.filtered[clamped];
      if (next) this.setCurrent(next.version, true);
    };
    switch (ev.key) {
      case 'ArrowDown':
        go(index + 1);
        break;
      case 'ArrowUp':
        go(index - 1);
        break;
      case 'PageDown':
        go(index + 10);
        break;
      case 'PageUp':
        go(index - 10);
        break;
      case 'Home':
        go(0);
        break;
      case 'End':
        go(this.filtered.length - 1);
        break;
      case 'ArrowRight':
        if (!this.expanded.has(row.version.version)) this.setExpanded(row, true, true);
        break;
      case 'ArrowLeft':
        if (this.expanded.has(row.version.version)) this.setExpanded(row, false, true);
        break;
      default:
        return;
    }
    ev.preventDefault();
  }

  // --- field diffs (asked of the host and created when a version is first expanded) -----------------------

  /** Shows "reading" in the version's box and asks the host for its diffs (once until it answers). */
  private askDiff(box: HTMLElement, version: number): void {
    box.setAttribute('aria-busy', 'true');
    box.replaceChildren(h('p', { class: 'loading' }, `Reading the changes of v${version}…`));
    if (this.asked.has(version)) return;
    this.asked.add(version);
    this.post({ type: 'diff', version });
  }

  /** Asks again for the diffs not answered yet (an answer to a question asked before the host listened is lost). */
  askAgain(): void {
    for (const version of this.asked) this.post({ type: 'diff', version });
  }

  /** The host's answer about one version of this view: its diffs, or why there are none (with a way to try again). */
  receive(message: Exclude<HostToHistory, { type: 'show' }>): void {
    if (message.viewId !== this.view.id) return; // an answer for a view no longer shown
    const version = message.type === 'diff' ? message.diff.version : message.version;
    this.asked.delete(version);
    const box = this.rows.get(version)?.changes;
    if (message.type === 'diff') {
      this.diffs.set(version, message.diff);
      if (box) this.fillChanges(box, message.diff);
      return;
    }
    if (!box) return;
    box.removeAttribute('aria-busy');
    const retry = button('Try again', { class: 'secondary retry' }, () => this.askDiff(box, version));
    box.replaceChildren(h('p', { class: 'error', role: 'alert' }, message.message), retry);
  }

  private fillChanges(box: HTMLElement, v: VersionDiff): void {
    box.removeAttribute('aria-busy');
    if (v.fields.length === 0) {
      box.replaceChildren(h('p', { class: 'empty' }, 'No field changed in this version.'));
      return;
    }
    const list = h('ul', { class: 'fields' });
    for (const f of v.fields) list.append(this.field(f));
    box.replaceChildren(list);
  }

  private field(f: FieldDiff): HTMLElement {
    const li = h('li', { class: `field field-${f.kind}` });
    li.append(
      h('div', { class: 'field-head' }, h('span', { class: 'field-name' }, f.field || '(unnamed)'), h('span', { class: 'field-kind' }, KIND_LABEL[f.kind])),
    );
    if (f.kind === 'json') li.append(jsonChanges(f.changes ?? []));
    else li.append(textDiff(f));
    return li;
  }
}

const KIND_LABEL: Record<FieldDiff['kind'], string> = { text: 'changed', json: 'JSON changed', set: 'set', unset: 'cleared' };

/** A removed or added run, with words for screen readers (ins/del are not announced everywhere). */
function removed(text: string): DocumentFragment {
  const frag = document.createDocumentFragment();
  frag.append(srOnly(' [removed: '), h('del', { class: 'diff-del' }, text), srOnly('] '));
  return frag;
}

function added(text: string): DocumentFragment {
  const frag = document.createDocumentFragment();
  frag.append(srOnly(' [added: '), h('ins', { class: 'diff-ins' }, text), srOnly('] '));
  return frag;
}

/** Text, set and unset: the word diff inline (parts precomputed by the host). */
function textDiff(f: FieldDiff): HTMLElement {
  const box = h('div', { class: 'diff diff-text code' });
  if (f.kind === 'set') box.append(h('span', { class: 'diff-label' }, 'set to '));
  if (f.kind === 'unset') box.append(h('span', { class: 'diff-label' }, 'cleared, was '));
  const parts: TextPart[] = f.parts ?? fallbackParts(f);
  for (const part of parts) {
    if (part.removed) box.append(removed(part.value));
    else if (part.added) box.append(added(part.value));
    else box.append(h('span', { class: 'diff-same' }, part.value));
  }
  if (parts.length === 0) box.append(h('span', { class: 'empty' }, '(empty)'));
  return box;
}

function fallbackParts(f: FieldDiff): TextPart[] {
  const parts: TextPart[] = [];
  if (f.oldValue) parts.push({ value: f.oldValue, removed: true });
  if (f.newValue) parts.push({ value: f.newValue, added: true });
  return parts;
}

const CHANGE_LABEL: Record<JsonChange['kind'], string> = { added: 'added', removed: 'removed', changed: 'changed' };

/** JSON values: one row per path, old → new. */
function jsonChanges(changes: JsonChange[]): HTMLElement {
  if (changes.length === 0) return h('p', { class: 'empty' }, 'Same JSON value (only formatting or key order changed).');
  const body = h('tbody');
  for (const c of changes) {
    const old = h('td', { class: 'json-old code' });
    if (c.oldValue !== undefined) old.append(removed(c.oldValue));
    const now = h('td', { class: 'json-new code' });
    if (c.newValue !== undefined) now.append(added(c.newValue));
    body.append(
      h(
        'tr',
        { class: `json-change json-${c.kind}` },
        h('th', { scope: 'row', class: 'json-path code' }, c.path),
        h('td', { class: 'json-kind' }, CHANGE_LABEL[c.kind]),
        old,
        now,
      ),
    );
  }
  const head = h('thead', {}, h('tr', {}, ...['Path', 'Change', 'Old', 'New'].map((t) => h('th', { scope: 'col' }, t))));
  return h('table', { class: 'grid json-changes', 'aria-label': 'Changes inside the JSON value' }, head, body);
}

// --- wiring -----------------------------------------------------------------------------------------------------

const vscode = acquire<HistoryToHost>();
const appRoot = document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
const restored = readState(vscode);
let current: HistoryPage | undefined;
let currentUi: HistoryUi | undefined;
let keepView = false;

const saver = stateSaver(() => {
  if (!current || !currentUi) return;
  const state: HistoryState = { v: 1, ui: currentUi };
  if (keepView) state.view = current.view;
  vscode.setState(state);
});

function isShowMessage(x: unknown): x is Extract<HostToHistory, { type: 'show' }> {
  return isHostToHistory(x) && x.type === 'show';
}

function show(view: HistoryView): void {
  if (current?.view.id === view.id) {
    // The same reading again (the host re-sends after every `ready`): what was asked before the host listened is asked again.
    current.askAgain();
    return;
  }
  const key = assetKey(view);
  // The same asset (a refresh, or a reload): keep filter, folding and scroll.
  const previous = current && assetKey(current.view) === key ? currentUi : restored && restored.ui.asset === key ? restored.ui : undefined;
  const ui: HistoryUi = previous ?? { asset: key, user: '', expanded: [], shown: PAGE, scrollY: 0 };
  current?.dispose();
  currentUi = ui;
  keepView = JSON.stringify(view).length <= STATE_VIEW_LIMIT;
  current = new HistoryPage(
    view,
    ui,
    () => saver.soon(),
    (m) => vscode.postMessage(m),
  );
  current.render(appRoot);
  document.title = `History ${view.assetId}`;
  if (ui.scrollY > 0) window.requestAnimationFrame(() => window.scrollTo(0, ui.scrollY));
  saver.now();
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = event.data;
  if (isHostToHistory(message) && message.type !== 'show') current?.receive(message);
});

onHostViews(isShowMessage, show, (scrollY) => {
  if (!currentUi) return;
  currentUi.scrollY = scrollY;
  saver.soon();
});

if (restored?.view && assetKey(restored.view) === restored.ui.asset) show(restored.view);
vscode.postMessage({ type: 'ready' });
