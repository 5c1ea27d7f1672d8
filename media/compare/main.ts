// The "compare as two users" page. Bundled by scripts/build-webviews.mjs into dist/webviews/compare.js.
//
// Rules this file keeps (as the response page):
// - Everything from the host (identities, row labels and keys, JSON paths, values) reaches the DOM as text,
//   through the h() helper: never an API that parses markup.
// - No inline styles (the CSP has no 'unsafe-inline'): classes and the `hidden` attribute only.
// - Long lists never block the page: each table renders a page of rows at a time ("show more"), and a row's
//   JSON is created only when it is opened.

import {
  isCompareView,
  isHostToCompare,
  type CompareRow,
  type CompareSide,
  type CompareSideInfo,
  type CompareSideName,
  type CompareToHost,
  type CompareValueDiff,
  type CompareView,
} from '../../src/protocol/compare';
import { button, h, srOnly } from '../shared/dom';
import { formatBytes, formatCount, formatDuration, statusClass } from '../shared/format';
import { acquire, onHostViews, stateSaver, type VsCodeApi } from '../shared/vscodeApi';

type SectionId = 'only-left' | 'only-right' | 'differences';

/** What the user did to the panel, kept across hide/show of the same comparison. */
interface CompareUi {
  viewId: string;
  collapsed: SectionId[];
  /** Rows shown per section, beyond the first page. */
  shown: Partial<Record<SectionId, number>>;
  scrollY: number;
}

interface CompareState {
  v: 1;
  view?: CompareView;
  ui: CompareUi;
}

/** Table rows rendered per page. */
const PAGE = 200;
const STATE_VIEW_LIMIT = 256 * 1024;
const SECTIONS: readonly SectionId[] = ['only-left', 'only-right', 'differences'];

function isUi(x: unknown): x is CompareUi {
  if (typeof x !== 'object' || x === null) return false;
  const u = x as Record<string, unknown>;
  return (
    typeof u.viewId === 'string' &&
    Array.isArray(u.collapsed) &&
    u.collapsed.every((s) => SECTIONS.includes(s as SectionId)) &&
    typeof u.shown === 'object' &&
    u.shown !== null &&
    Object.values(u.shown).every((n) => typeof n === 'number') &&
    typeof u.scrollY === 'number'
  );
}

function readState(api: VsCodeApi<CompareToHost>): CompareState | undefined {
  const s = api.getState();
  if (typeof s !== 'object' || s === null) return undefined;
  const state = s as Record<string, unknown>;
  if (state.v !== 1 || !isUi(state.ui)) return undefined;
  const out: CompareState = { v: 1, ui: state.ui };
  if (state.view !== undefined && isCompareView(state.view)) out.view = state.view;
  return out;
}

const MODE_TITLE: Record<CompareSide['mode'], string> = { lite: 'Lite impersonation', full: 'Full impersonation', self: 'The service user itself' };

// --- the page -------------------------------------------------------------------------------------------------

class ComparePage {
  constructor(
    readonly view: CompareView,
    private readonly ui: CompareUi,
    private readonly save: () => void,
    private readonly post: (m: CompareToHost) => void,
  ) {}

  render(root: HTMLElement): void {
    const { result } = this.view;
    const content = h('div', { class: 'content' });
    content.append(this.sides(), h('p', { class: 'summary-sentence', role: 'status' }, result.summary));
    const how = this.matching();
    if (how) content.append(h('p', { class: 'hint matching' }, how));
    if (result.identical) {
      content.append(h('p', { class: 'identical' }, `${this.view.left.name} and ${this.view.right.name} got the same body.`));
    } else {
      const { left, right } = this.view;
      if (result.rowsPath !== undefined || result.onlyLeft.length > 0)
        content.append(
          this.section('only-left', `Only ${left.name} sees`, result.onlyLeft.length, () =>
            this.rowsTable('only-left', result.onlyLeft, `Rows only ${left.name} sees`),
          ),
        );
      if (result.rowsPath !== undefined || result.onlyRight.length > 0)
        content.append(
          this.section('only-right', `Only ${right.name} sees`, result.onlyRight.length, () =>
            this.rowsTable('only-right', result.onlyRight, `Rows only ${right.name} sees`),
          ),
        );
      content.append(this.section('differences', 'Values that differ', result.differences.length, () => this.differencesTable(result.differences)));
    }
    root.replaceChildren(this.banner(), content);
    root.removeAttribute('aria-busy');
  }

  private banner(): HTMLElement {
    const r = this.view.request;
    const banner = h('div', { class: 'banner', role: 'status' });
    banner.append('Compare as two users', ' · ');
    if (r.name) banner.append(h('span', { class: 'request-name' }, r.name), ' · ');
    banner.append(h('span', { class: 'request-line code' }, h('span', { class: 'method' }, r.method), ' ', r.url));
    return banner;
  }

  /** The two identities side by side, each with status, timing, size and rows. */
  private sides(): HTMLElement {
    const { result, left, right } = this.view;
    return h('div', { class: 'sides' }, this.side('left', result.left, left), this.side('right', result.right, right));
  }

  private side(which: CompareSideName, side: CompareSide, info: CompareSideInfo): HTMLElement {
    const card = h('section', {
      class: `side side-${which}${side.mode === 'self' ? ' side-self' : ''}`,
      'aria-label': `${which === 'left' ? 'Left' : 'Right'}: ${side.who}`,
    });
    const who = h(
      'div',
      { class: 'side-who' },
      h('span', { class: 'side-label' }, which === 'left' ? 'Left' : 'Right'),
      h('strong', { class: 'who' }, side.who),
    );
    if (side.mode !== 'self') who.append(h('span', { class: 'badge mode', title: MODE_TITLE[side.mode] }, side.mode));
    else who.append(h('span', { class: 'badge mode mode-self', title: MODE_TITLE.self }, 'service user'));
    const status = h(
      'span',
      { class: `status status-${statusClass(side.status)}`, title: `HTTP ${side.status}` },
      `${side.status}${info.statusText ? ` ${info.statusText}` : ''}`,
    );
    const metrics = h(
      'div',
      { class: 'side-metrics' },
      status,
      h('span', { class: 'metric time', title: 'Time' }, formatDuration(side.durationMs)),
      h('span', { class: 'metric size', title: `${info.bodyBytes.toLocaleString('en-US')} bytes` }, formatBytes(info.bodyBytes)),
    );
    if (side.rowCount !== undefined) metrics.append(h('span', { class: 'metric rows' }, formatCount(side.rowCount, 'row', 'rows')));
    const open = button('Open response', { class: 'secondary open-response', title: `Show the response ${side.who} got` }, () =>
      this.post({ type: 'openResponse', side: which }),
    );
    card.append(who, h('div', { class: 'side-connection' }, info.connectionLabel), metrics, h('div', { class: 'actions' }, open));
    return card;
  }

  private matching(): string | undefined {
    const { rowsPath, rowKey } = this.view.result;
    if (rowsPath === undefined) return undefined;
    return rowKey ? `Rows at ${rowsPath}, matched by ${rowKey}.` : `Rows at ${rowsPath}, matched by their content (no id field).`;
  }

  // --- sections --------------------------------------------------------------------------------------------

  private section(id: SectionId, title: string, count: number, build: () => HTMLElement): HTMLElement {
    const collapsed = this.ui.collapsed.includes(id);
    const bodyId = `section-${id}-body`;
    const toggle = h('button', {
      type: 'button',
      class: 'section-toggle',
      id: `section-${id}-toggle`,
      'aria-expanded': String(!collapsed),
      'aria-controls': bodyId,
    });
    toggle.append(
      h('span', { class: 'twisty', 'aria-hidden': 'true' }),
      h('span', { class: 'section-title' }, title),
      h('span', { class: 'badge count' }, count.toLocaleString('en-US')),
    );
    const body = h('div', { class: 'section-body', id: bodyId, role: 'region', 'aria-labelledby': toggle.id });
    let built = false;
    const fill = (): void => {
      if (built) return;
      built = true;
      body.append(count === 0 ? h('p', { class: 'empty' }, 'None.') : build());
    };
    body.hidden = collapsed;
    if (!collapsed) fill();
    toggle.addEventListener('click', () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(open));
      body.hidden = !open;
      if (open) fill();
      this.ui.collapsed = open ? this.ui.collapsed.filter((s) => s !== id) : [...this.ui.collapsed, id];
      this.save();
    });
    return h('section', { class: `section compare-section section-${id}` }, h('h2', {}, toggle), body);
  }

  private rowsTable(id: SectionId, rows: CompareRow[], label: string): HTMLElement {
    const head = h(
      'thead',
      {},
      h('tr', {}, h('th', { scope: 'col' }, 'Row'), h('th', { scope: 'col' }, 'Key'), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'JSON'))),
    );
    const body = h('tbody');
    const table = h('table', { class: 'grid rows-table', 'aria-label': label }, head, body);
    return this.paged(id, table, body, rows.length, (i) => rowLines(rows[i], i, id));
  }

  private differencesTable(diffs: CompareValueDiff[]): HTMLElement {
    const { left, right } = this.view;
    const hasRows = diffs.some((d) => d.rowKey !== undefined);
    const cols = [...(hasRows ? ['Row'] : []), 'Path', left.name, right.name];
    const head = h('thead', {}, h('tr', {}, ...cols.map((c) => h('th', { scope: 'col' }, c))));
    const body = h('tbody');
    const table = h('table', { class: 'grid differences-table', 'aria-label': 'Values that differ' }, head, body);
    return this.paged('differences', table, body, diffs.length, (i) => {
      const d = diffs[i];
      const tr = h('tr', { class: `difference difference-${d.kind}` });
      if (hasRows) tr.append(h('td', { class: 'diff-row code' }, d.rowKey ?? '(top level)'));
      tr.append(h('th', { scope: 'row', class: 'diff-path code' }, d.path), valueCell(d.left, 'left'), valueCell(d.right, 'right'));
      return [tr];
    });
  }

  /** A table whose body is filled PAGE rows at a time, with a "show more" button under it. */
  private paged(id: SectionId, table: HTMLTableElement, body: HTMLElement, total: number, rowAt: (i: number) => HTMLElement[]): HTMLElement {
    const box = h('div', { class: 'paged' }, table);
    let shown = 0;
    const more = button('', { class: 'link more' }, () => {
      const first = shown;
      fill(PAGE);
      this.ui.shown[id] = shown;
      this.save();
      // Keep the keyboard where it was: on "show more", or on the first row just added.
      if (!moreRow.hidden) more.focus();
      else body.children[first]?.querySelector<HTMLElement>('button, th')?.focus();
    });
    const moreRow = h('div', { class: 'more-row' }, more);
    const fill = (count: number): void => {
      const to = Math.min(total, shown + count);
      const frag = document.createDocumentFragment();
      for (let i = shown; i < to; i++) frag.append(...rowAt(i));
      body.append(frag);
      shown = to;
      moreRow.hidden = shown >= total;
      more.textContent = `Show ${Math.min(PAGE, total - shown).toLocaleString('en-US')} more (${shown.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} shown)`;
    };
    fill(Math.max(PAGE, this.ui.shown[id] ?? 0));
    box.append(moreRow);
    return box;
  }
}

/** A row only one side sees: label, key, and its JSON on demand (a second table row, created when opened). */
function rowLines(row: CompareRow, index: number, section: SectionId): HTMLElement[] {
  const jsonId = `${section}-json-${index}`;
  const detail = h('tr', { class: 'row-json', id: jsonId });
  detail.hidden = true;
  let filled = false;
  const toggle = button(
    'JSON',
    { class: 'link toggle-json', 'aria-expanded': 'false', 'aria-controls': jsonId, 'aria-label': `JSON of ${row.label || row.key}` },
    () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(open));
      if (open && !filled) {
        filled = true;
        detail.append(h('td', { colspan: '3' }, h('pre', { class: 'code json' }, prettyJson(row.json))));
      }
      detail.hidden = !open;
    },
  );
  const tr = h(
    'tr',
    { class: 'row' },
    h('td', { class: 'row-label' }, row.label || '(no label)'),
    h('td', { class: 'row-key code' }, row.key),
    h('td', { class: 'row-actions' }, toggle),
  );
  return [tr, detail];
}

function valueCell(value: string | undefined, side: CompareSideName): HTMLElement {
  const td = h('td', { class: `diff-value diff-${side} code` });
  if (value === undefined) td.append(h('span', { class: 'absent', 'aria-hidden': 'true' }, '—'), srOnly('absent'));
  else td.append(value);
  return td;
}

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

// --- wiring -----------------------------------------------------------------------------------------------------

const vscode = acquire<CompareToHost>();
const appRoot = document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
const restored = readState(vscode);
let current: ComparePage | undefined;
let currentUi: CompareUi | undefined;
let keepView = false;

const saver = stateSaver(() => {
  if (!current || !currentUi) return;
  const state: CompareState = { v: 1, ui: currentUi };
  if (keepView) state.view = current.view;
  vscode.setState(state);
});

function show(view: CompareView): void {
  if (current?.view.id === view.id) return; // the same comparison again (the host re-sends after every `ready`)
  const ui: CompareUi = restored && restored.ui.viewId === view.id ? restored.ui : { viewId: view.id, collapsed: [], shown: {}, scrollY: 0 };
  currentUi = ui;
  keepView = JSON.stringify(view).length <= STATE_VIEW_LIMIT;
  current = new ComparePage(
    view,
    ui,
    () => saver.soon(),
    (m) => vscode.postMessage(m),
  );
  current.render(appRoot);
  document.title = 'Compare';
  if (ui.scrollY > 0) window.requestAnimationFrame(() => window.scrollTo(0, ui.scrollY));
  else window.scrollTo(0, 0);
  saver.now();
}

onHostViews(isHostToCompare, show, (scrollY) => {
  if (!currentUi) return;
  currentUi.scrollY = scrollY;
  saver.soon();
});

if (restored?.view && restored.view.id === restored.ui.viewId) show(restored.view);
vscode.postMessage({ type: 'ready' });
