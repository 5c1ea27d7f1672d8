// The access matrix page: requests × identities, one cell per request sent as one identity. Bundled by
// scripts/build-webviews.mjs into dist/webviews/matrix.js.
//
// Rules this file keeps (as the other pages):
// - Everything from the host (names, labels, URLs, explanations, errors) reaches the DOM as text, through h().
// - No inline styles (the CSP has no 'unsafe-inline'): the grid is laid out by the stylesheet; rows and columns left
//   out of the DOM are empty SVGs sized by their width and height attributes.
// - A big matrix never blocks the page: beyond VIRTUAL_LIMIT rows or columns only the cells in view (and the focused
//   one) exist in the DOM; scrolling moves the window.
// - One tab stop: the grid keeps a roving focus (arrow keys, Home/End, Page Up/Down, Ctrl+Home/End); Enter opens.

import {
  cellKey,
  cellSummary,
  isHostToMatrix,
  isMatrixView,
  matrixSummary,
  type MatrixToHost,
  type MatrixView,
  type MatrixViewCell,
} from '../../src/protocol/matrix';
import { button, h } from '../shared/dom';
import { formatDuration } from '../shared/format';
import { acquire, stateSaver, type VsCodeApi } from '../shared/vscodeApi';

/** Sizes of the grid (px); the stylesheet uses the same. */
const ROW_H = 28;
const HEADER_H = 46;
const ROW_HEADER_W = 240;
const COL_W = 128;
/** Up to this many rows and columns every cell is in the DOM (the find widget sees them); beyond, only those in view. */
const VIRTUAL_LIMIT = 50;
const OVERSCAN = 3;
/** Explanations and unmet expectations listed under the grid. */
const NOTES_LIMIT = 200;
const STATE_VIEW_LIMIT = 256 * 1024;
/** While a run goes, the count line (a live region) changes at most this often. */
const SUMMARY_EVERY_MS = 1000;

const SYMBOL: Record<MatrixViewCell['outcome'], string> = { allowed: '✓', denied: '✗', error: '!', skipped: '–' };

interface MatrixUi {
  viewId: string;
  row: number;
  col: number;
  scrollTop: number;
  scrollLeft: number;
}

interface MatrixState {
  v: 1;
  view?: MatrixView;
  ui: MatrixUi;
}

function readState(api: VsCodeApi<MatrixToHost>): MatrixState | undefined {
  const s = api.getState();
  if (typeof s !== 'object' || s === null) return undefined;
  const state = s as Record<string, unknown>;
  const ui = state.ui as Record<string, unknown> | undefined;
  if (state.v !== 1 || typeof ui !== 'object' || ui === null) return undefined;
  if (typeof ui.viewId !== 'string' || ![ui.row, ui.col, ui.scrollTop, ui.scrollLeft].every((n) => typeof n === 'number')) return undefined;
  const out: MatrixState = { v: 1, ui: ui as unknown as MatrixUi };
  if (state.view !== undefined && isMatrixView(state.view)) out.view = state.view;
  return out;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An empty box of a size (what a run of rows or columns not in the DOM would take). */
function spacer(width: number, height: number): Element {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('class', 'spacer');
  svg.setAttribute('width', String(width));
  svg.setAttribute('height', String(height));
  svg.setAttribute('aria-hidden', 'true');
  return svg;
}

class MatrixPage {
  private readonly cells = new Map<string, MatrixViewCell>();
  private readonly rowIndex = new Map<string, number>();
  private readonly colIndex = new Map<string, number>();
  /** The cells in the DOM, by "row:col". */
  private readonly renderedCells = new Map<string, HTMLElement>();
  /** What renderWindow drew last (it draws again only when this changes). */
  private renderedKey = '';
  private resizes: ResizeObserver | undefined;
  private summaryTimer: number | undefined;
  private viewport!: HTMLElement;
  private grid!: HTMLElement;
  private summary!: HTMLElement;
  private details!: HTMLElement;
  private notes!: HTMLElement;
  private toolbar!: HTMLElement;
  private frame = 0;
  private readonly virtual: boolean;

  constructor(
    public view: MatrixView,
    private readonly ui: MatrixUi,
    private readonly save: () => void,
    private readonly post: (m: MatrixToHost) => void,
  ) {
    view.requests.forEach((r, i) => this.rowIndex.set(r.name, i));
    view.identities.forEach((c, i) => this.colIndex.set(c.id, i));
    for (const cell of view.cells) this.cells.set(cellKey(cell.request, cell.identity), cell);
    this.virtual = view.requests.length > VIRTUAL_LIMIT || view.identities.length > VIRTUAL_LIMIT;
    ui.row = Math.min(Math.max(0, ui.row), Math.max(0, view.requests.length - 1));
    ui.col = Math.min(Math.max(0, ui.col), Math.max(0, view.identities.length - 1));
  }

  /** Replaced by another view: stop watching the viewport. */
  dispose(): void {
    this.resizes?.disconnect();
    if (this.summaryTimer !== undefined) window.clearTimeout(this.summaryTimer);
    if (this.frame) window.cancelAnimationFrame(this.frame);
  }

  get rows(): number {
    return this.view.requests.length;
  }

  get cols(): number {
    return this.view.identities.length;
  }

  render(root: HTMLElement): void {
    const v = this.view;
    const banner = h(
      'div',
      { class: 'banner' },
      h('strong', {}, 'Access matrix'),
      ' · ',
      h('span', { class: 'file' }, v.file),
      ' · ',
      h('span', { class: 'dimensions' }, `${count(this.rows, 'request')} × ${count(this.cols, 'identity', 'identities')}`),
    );
    this.toolbar = h('div', { class: 'toolbar actions' });
    this.summary = h('p', { class: 'summary', role: 'status', 'aria-live': 'polite' });
    this.buildGrid();
    this.details = h('section', { class: 'section cell-details', 'aria-label': 'Selected cell' });
    this.notes = h('div', { class: 'matrix-notes' });
    const content = h('div', { class: 'content' }, this.toolbar, this.summary, this.viewport, this.details, this.notes);
    root.replaceChildren(banner, content);
    root.removeAttribute('aria-busy');
    this.buildToolbar();
    this.refreshChrome();
    this.renderWindow();
    this.viewport.scrollTop = this.ui.scrollTop;
    this.viewport.scrollLeft = this.ui.scrollLeft;
    this.showDetails();
  }

  // --- the grid ----------------------------------------------------------------------------------------------

  private buildGrid(): void {
    this.grid = h('div', {
      class: 'matrix-grid',
      role: 'grid',
      'aria-label': `Access matrix of ${this.view.file}: requests by identity`,
      'aria-rowcount': String(this.rows + 1),
      'aria-colcount': String(this.cols + 1),
    });
    this.viewport = h('div', { class: `viewport${this.virtual ? ' virtual' : ''}` }, this.grid);
    this.viewport.addEventListener('scroll', () => {
      this.ui.scrollTop = this.viewport.scrollTop;
      this.ui.scrollLeft = this.viewport.scrollLeft;
      this.save();
      if (!this.virtual || this.frame) return;
      this.frame = window.requestAnimationFrame(() => {
        this.frame = 0;
        this.renderWindow();
      });
    });
    // The window depends on the viewport's size: known once the first rows are laid out, and whenever the panel resizes.
    if (this.virtual) {
      this.resizes = new ResizeObserver(() => this.renderWindow());
      this.resizes.observe(this.viewport);
    }
    this.grid.addEventListener('keydown', (e) => this.onKey(e));
    // Focus that arrives some other way (a screen reader's virtual cursor, a script) moves the roving focus too.
    this.grid.addEventListener('focusin', (e) => {
      const el = (e.target as HTMLElement | null)?.closest<HTMLElement>('.cell');
      if (!el) return;
      const row = Number(el.dataset.row);
      const col = Number(el.dataset.col);
      if (row !== this.ui.row || col !== this.ui.col) this.moveTo(row, col);
    });
    this.grid.addEventListener('click', (e) => {
      const el = (e.target as HTMLElement | null)?.closest<HTMLElement>('.cell');
      if (!el) return;
      const row = Number(el.dataset.row);
      const col = Number(el.dataset.col);
      this.moveTo(row, col);
      this.open(row, col);
    });
  }

  /** The rows and columns in view (all of them below VIRTUAL_LIMIT). */
  private windowOf(): { rows: [number, number]; cols: [number, number] } {
    if (!this.virtual) return { rows: [0, this.rows], cols: [0, this.cols] };
    const vp = this.viewport;
    const height = vp.clientHeight || 600;
    const width = vp.clientWidth || 900;
    // The scroll position as last seen (the viewport's own is 0 until the grid it scrolls has been drawn).
    const { scrollTop, scrollLeft } = this.ui;
    const r0 = Math.max(0, Math.floor(scrollTop / ROW_H) - OVERSCAN);
    const r1 = Math.min(this.rows, Math.ceil((scrollTop + height - HEADER_H) / ROW_H) + OVERSCAN);
    const c0 = Math.max(0, Math.floor(scrollLeft / COL_W) - OVERSCAN);
    const c1 = Math.min(this.cols, Math.ceil((scrollLeft + width - ROW_HEADER_W) / COL_W) + OVERSCAN);
    return { rows: [r0, r1], cols: [c0, c1] };
  }

  /**
   * Draws the rows and columns in view, and the focused cell wherever it is (it keeps the grid's one tab stop). What is
   * not drawn is an empty SVG of its size (sized by attributes: the CSP allows no inline style), so the scrollbars
   * and the sticky headers are those of the whole grid. Redrawn only when that set changes.
   */
  private renderWindow(): void {
    const { rows, cols } = this.windowOf();
    const inside = (n: number, [from, to]: [number, number]) => n >= from && n < to;
    const rowList = indexes(rows, this.ui.row);
    const colList = indexes(cols);
    const activeColList = indexes(cols, this.ui.col);
    const key = `${rows.join('-')}|${cols.join('-')}|${inside(this.ui.row, rows) && inside(this.ui.col, cols) ? '' : `${this.ui.row}:${this.ui.col}`}`;
    if (key === this.renderedKey) return;
    this.renderedKey = key;
    const hadFocus = this.grid.contains(document.activeElement);
    this.renderedCells.clear();
    const header = h('div', { class: 'matrix-row header-row', role: 'row', 'aria-rowindex': '1' });
    header.append(h('div', { class: 'corner', role: 'columnheader', 'aria-colindex': '1' }, 'Request', h('span', { class: 'by' }, 'as →')));
    this.appendSpaced(header, activeColList, this.cols, COL_W, (c) => this.columnHeader(c));
    const body = document.createDocumentFragment();
    this.appendSpaced(body, rowList, this.rows, ROW_H, (r) => this.rowElement(r, r === this.ui.row ? activeColList : colList), true);
    this.grid.replaceChildren(header, body);
    if (hadFocus) this.focusActive();
  }

  /** `list` (sorted indexes of `total`) made by `make`, with a spacer for each run of indexes left out. */
  private appendSpaced(parent: Node, list: number[], total: number, size: number, make: (i: number) => Node, vertical = false): void {
    let next = 0;
    const gap = (count: number) => {
      if (count > 0) parent.appendChild(spacer(vertical ? 1 : count * size, vertical ? count * size : 1));
    };
    for (const i of list) {
      gap(i - next);
      parent.appendChild(make(i));
      next = i + 1;
    }
    gap(total - next);
  }

  private columnHeader(c: number): HTMLElement {
    const identity = this.view.identities[c];
    const el = h(
      'div',
      { class: 'col-header', role: 'columnheader', 'aria-colindex': String(c + 2), title: `${identity.detail} · ${identity.connection}` },
      h('span', { class: 'identity-label' }, identity.label),
      h('span', { class: 'identity-connection' }, identity.connection),
    );
    if (identity.id === 'self') el.classList.add('self');
    return el;
  }

  private rowElement(r: number, cols: number[]): HTMLElement {
    const request = this.view.requests[r];
    const row = h('div', { class: 'matrix-row', role: 'row', 'aria-rowindex': String(r + 2) });
    const header = h(
      'div',
      {
        class: 'row-header',
        role: 'rowheader',
        'aria-colindex': '1',
        title: `${request.method} ${request.url}${request.skipped ? ` — ${request.skipped}` : ''}`,
      },
      h('span', { class: 'method' }, request.method),
      ' ',
      h('span', { class: 'request-name' }, request.name),
    );
    if (request.skipped) header.classList.add('skipped');
    row.append(header);
    this.appendSpaced(row, cols, this.cols, COL_W, (c) => this.cellElement(r, c));
    return row;
  }

  private cellElement(r: number, c: number): HTMLElement {
    const el = h('div', { class: 'cell', role: 'gridcell', 'aria-colindex': String(c + 2), 'data-row': String(r), 'data-col': String(c), tabindex: '-1' });
    this.fillCell(el, r, c);
    this.renderedCells.set(`${r}:${c}`, el);
    return el;
  }

  private cellAt(r: number, c: number): MatrixViewCell | undefined {
    const request = this.view.requests[r];
    const identity = this.view.identities[c];
    return request && identity ? this.cells.get(cellKey(request.name, identity.id)) : undefined;
  }

  private fillCell(el: HTMLElement, r: number, c: number): void {
    const cell = this.cellAt(r, c);
    const request = this.view.requests[r];
    const identity = this.view.identities[c];
    el.className = `cell outcome-${cell ? cell.outcome : 'pending'}${cell?.met === false ? ' unmet' : cell?.met === true ? ' met' : ''}`;
    el.setAttribute('tabindex', r === this.ui.row && c === this.ui.col ? '0' : '-1');
    el.setAttribute('aria-label', `${identity.label}, ${request.name}: ${cellSummary(cell)}`);
    if (cell?.hasResponse) el.setAttribute('aria-haspopup', 'dialog');
    else el.removeAttribute('aria-haspopup');
    const parts: Array<Node | string> = [h('span', { class: 'symbol', 'aria-hidden': 'true' }, cell ? SYMBOL[cell.outcome] : '…')];
    if (cell?.status !== undefined) parts.push(h('span', { class: 'cell-status', 'aria-hidden': 'true' }, String(cell.status)));
    if (cell?.rows !== undefined)
      parts.push(h('span', { class: 'cell-rows', 'aria-hidden': 'true' }, `${cell.rows.toLocaleString('en-US')} ${cell.rows === 1 ? 'row' : 'rows'}`));
    if (cell?.met === false) parts.push(h('span', { class: 'cell-unmet', 'aria-hidden': 'true', title: 'An expectation is not met' }, '≠'));
    el.replaceChildren(...parts);
  }

  private elementAt(r: number, c: number): HTMLElement | undefined {
    return this.renderedCells.get(`${r}:${c}`);
  }

  // --- keyboard ------------------------------------------------------------------------------------------------

  private onKey(e: KeyboardEvent): void {
    if (this.rows === 0 || this.cols === 0) return;
    const { row, col } = this.ui;
    const page = Math.max(1, Math.floor(((this.viewport.clientHeight || 600) - HEADER_H) / ROW_H) - 1);
    let next: [number, number] | undefined;
    switch (e.key) {
      case 'ArrowUp':
        next = [row - 1, col];
        break;
      case 'ArrowDown':
        next = [row + 1, col];
        break;
      case 'ArrowLeft':
        next = [row, col - 1];
        break;
      case 'ArrowRight':
        next = [row, col + 1];
        break;
      case 'Home':
        next = e.ctrlKey || e.metaKey ? [0, 0] : [row, 0];
        break;
      case 'End':
        next = e.ctrlKey || e.metaKey ? [this.rows - 1, this.cols - 1] : [row, this.cols - 1];
        break;
      case 'PageUp':
        next = [row - page, col];
        break;
      case 'PageDown':
        next = [row + page, col];
        break;
      case 'Enter':
      case ' ':
        e.preventDefault();
        this.open(row, col);
        return;
      default:
        return;
    }
    e.preventDefault();
    this.moveTo(clamp(next[0], this.rows), clamp(next[1], this.cols));
  }

  /** Moves the roving focus to a cell: scrolled into view (past the sticky headers), rendered, focused. */
  moveTo(r: number, c: number): void {
    const before = this.elementAt(this.ui.row, this.ui.col);
    this.ui.row = r;
    this.ui.col = c;
    before?.setAttribute('tabindex', '-1');
    const vp = this.viewport;
    const top = r * ROW_H;
    const left = c * COL_W;
    const viewH = (vp.clientHeight || 600) - HEADER_H;
    const viewW = (vp.clientWidth || 900) - ROW_HEADER_W;
    if (top < vp.scrollTop) vp.scrollTop = top;
    else if (top + ROW_H > vp.scrollTop + viewH) vp.scrollTop = top + ROW_H - viewH;
    if (left < vp.scrollLeft) vp.scrollLeft = left;
    else if (left + COL_W > vp.scrollLeft + viewW) vp.scrollLeft = left + COL_W - viewW;
    this.ui.scrollTop = vp.scrollTop;
    this.ui.scrollLeft = vp.scrollLeft;
    this.renderWindow();
    this.focusActive();
    this.showDetails();
    this.save();
  }

  private focusActive(): void {
    const el = this.elementAt(this.ui.row, this.ui.col);
    if (!el) return;
    el.setAttribute('tabindex', '0');
    if (document.activeElement !== el) el.focus({ preventScroll: true });
  }

  private open(r: number, c: number): void {
    const cell = this.cellAt(r, c);
    if (cell?.hasResponse) this.post({ type: 'openCell', request: cell.request, identity: cell.identity });
  }

  // --- updates -------------------------------------------------------------------------------------------------

  /** Answers that arrived: stored, drawn where rendered. */
  addCells(cells: MatrixViewCell[]): void {
    for (const cell of cells) {
      const key = cellKey(cell.request, cell.identity);
      if (!this.cells.has(key)) this.view.cells.push(cell);
      else this.view.cells[this.view.cells.findIndex((x) => cellKey(x.request, x.identity) === key)] = cell;
      this.cells.set(key, cell);
      const r = this.rowIndex.get(cell.request);
      const c = this.colIndex.get(cell.identity);
      if (r === undefined || c === undefined) continue;
      const el = this.elementAt(r, c);
      if (el) this.fillCell(el, r, c);
      if (r === this.ui.row && c === this.ui.col) this.showDetails();
    }
    this.refreshChrome();
  }

  /** Re-run or Cancel, and the exports (drawn once per view: a run's state changes with a new view). */
  private buildToolbar(): void {
    const v = this.view;
    const buttons: HTMLElement[] = [];
    if (v.running)
      buttons.push(button('Cancel', { class: 'secondary cancel', title: 'Stop sending; the cells answered so far stay' }, () => this.post({ type: 'cancel' })));
    else buttons.push(button('Re-run', { class: 'primary rerun', title: 'Send every cell again, as the same identities' }, () => this.post({ type: 'rerun' })));
    for (const [format, label] of [
      ['csv', 'Export CSV'],
      ['json', 'Export JSON'],
      ['markdown', 'Export Markdown'],
    ] as const) {
      const b = button(
        label,
        { class: `secondary export export-${format}`, title: v.running ? 'When the run is done' : `Save the matrix as ${label.slice(7)}` },
        () => this.post({ type: 'export', format }),
      );
      if (v.running) b.disabled = true;
      buttons.push(b);
    }
    this.toolbar.replaceChildren(...buttons);
  }

  /**
   * The count line (a live region: while the run goes it changes at most once a second, so a screen reader is not
   * flooded), and once the run is done the notes.
   */
  private refreshChrome(): void {
    if (!this.view.running) {
      this.summary.textContent = matrixSummary(this.view);
      this.renderNotes();
      return;
    }
    if (this.summaryTimer !== undefined) return;
    this.summary.textContent = matrixSummary(this.view);
    this.summaryTimer = window.setTimeout(() => {
      this.summaryTimer = undefined;
      this.summary.textContent = matrixSummary(this.view);
    }, SUMMARY_EVERY_MS);
  }

  private showDetails(): void {
    const request = this.view.requests[this.ui.row];
    const identity = this.view.identities[this.ui.col];
    if (!request || !identity) {
      this.details.replaceChildren(h('p', { class: 'empty' }, 'No cells.'));
      return;
    }
    const cell = this.cellAt(this.ui.row, this.ui.col);
    const head = h('h2', {}, `${identity.label} · ${request.name}`);
    const line = h('p', { class: 'request-line code' }, h('span', { class: 'method' }, request.method), ' ', request.url);
    const facts = h('ul', { class: 'facts' });
    if (!cell) facts.append(h('li', {}, request.skipped ?? (this.view.running ? 'Waiting for the answer…' : 'Not sent.')));
    else {
      const first: string[] = [cell.outcome];
      if (cell.status !== undefined) first.push(`status ${cell.status}`);
      if (cell.rows !== undefined) first.push(count(cell.rows, 'row'));
      if (cell.durationMs !== undefined) first.push(formatDuration(cell.durationMs));
      facts.append(h('li', { class: `outcome outcome-${cell.outcome}` }, first.join(' · ')));
      if (cell.explanation) facts.append(h('li', { class: 'explanation' }, cell.explanation));
      if (cell.error) facts.append(h('li', { class: 'error' }, cell.error));
      if (request.skipped && cell.outcome === 'skipped') facts.append(h('li', { class: 'skipped-reason' }, request.skipped));
      for (const v of cell.verdicts)
        facts.append(
          h(
            'li',
            { class: `verdict ${v.met ? 'met' : 'unmet'}` },
            `${v.met ? '✓' : '✗'} line ${v.line}: expected ${v.expected}`,
            v.met ? '' : `, got ${v.actual}`,
          ),
        );
    }
    const children: Node[] = [head, line, facts];
    if (cell?.hasResponse)
      children.push(
        h(
          'div',
          { class: 'actions' },
          button('Open response', { class: 'secondary open-response' }, () => this.open(this.ui.row, this.ui.col)),
        ),
      );
    this.details.replaceChildren(...children);
  }

  /** Explanations of denials and errors, and every unmet expectation, listed under the grid (each jumps to its cell). */
  private renderNotes(): void {
    const unmet: Array<{ cell: MatrixViewCell; text: string }> = [];
    const explained: Array<{ cell: MatrixViewCell; text: string }> = [];
    for (const request of this.view.requests)
      for (const identity of this.view.identities) {
        const cell = this.cells.get(cellKey(request.name, identity.id));
        if (!cell) continue;
        for (const v of cell.verdicts)
          if (!v.met) unmet.push({ cell, text: `line ${v.line}: ${identity.label} · ${request.name}: expected ${v.expected}, got ${v.actual}` });
        // Skipped cells say why in the row header and the details; listing each would repeat one reason per identity.
        const why = cell.outcome === 'skipped' ? undefined : (cell.explanation ?? (cell.outcome === 'error' ? cell.error : undefined));
        if (why) explained.push({ cell, text: `${identity.label} · ${request.name}: ${why}` });
      }
    const list = (title: string, cls: string, items: Array<{ cell: MatrixViewCell; text: string }>): HTMLElement | undefined => {
      if (items.length === 0) return undefined;
      const ul = h('ul', { class: `notes ${cls}` });
      for (const item of items.slice(0, NOTES_LIMIT)) {
        const go = button(item.text, { class: 'link go-to-cell' }, () => {
          const r = this.rowIndex.get(item.cell.request);
          const c = this.colIndex.get(item.cell.identity);
          if (r !== undefined && c !== undefined) this.moveTo(r, c);
        });
        ul.append(h('li', {}, go));
      }
      if (items.length > NOTES_LIMIT)
        ul.append(h('li', { class: 'more' }, `and ${(items.length - NOTES_LIMIT).toLocaleString('en-US')} more (Export has them all)`));
      return h('section', { class: 'section' }, h('h2', {}, `${title} (${items.length.toLocaleString('en-US')})`), ul);
    };
    this.notes.replaceChildren(
      ...[list('Expectations not met', 'unmet-list', unmet), list('Explanations', 'explanations', explained)].filter((x) => x !== undefined),
    );
  }
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

function clamp(n: number, size: number): number {
  return Math.min(Math.max(0, n), size - 1);
}

/** The indexes of [from, to), with `extra` in order when it lies outside. */
function indexes([from, to]: [number, number], extra?: number): number[] {
  const out: number[] = [];
  for (let i = from; i < to; i++) out.push(i);
  if (extra !== undefined && extra >= 0 && (extra < from || extra >= to)) {
    out.push(extra);
    out.sort((x, y) => x - y);
  }
  return out;
}

// --- wiring -----------------------------------------------------------------------------------------------------

const vscode = acquire<MatrixToHost>();
const appRoot = document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
const restored = readState(vscode);
let current: MatrixPage | undefined;
let currentUi: MatrixUi | undefined;

const saver = stateSaver(() => {
  if (!current || !currentUi) return;
  const state: MatrixState = { v: 1, ui: currentUi };
  // A finished run small enough is kept, so a hidden panel shows it at once when it comes back.
  if (!current.view.running && JSON.stringify(current.view).length <= STATE_VIEW_LIMIT) state.view = current.view;
  vscode.setState(state);
});

function show(view: MatrixView): void {
  const sameRun = current?.view.id === view.id;
  const ui: MatrixUi =
    sameRun && currentUi
      ? currentUi
      : restored && restored.ui.viewId === view.id
        ? restored.ui
        : { viewId: view.id, row: 0, col: 0, scrollTop: 0, scrollLeft: 0 };
  const hadFocus = appRoot.querySelector('.matrix-grid')?.contains(document.activeElement) ?? false;
  currentUi = ui;
  current?.dispose();
  current = new MatrixPage(
    view,
    ui,
    () => saver.soon(),
    (m) => vscode.postMessage(m),
  );
  current.render(appRoot);
  if (hadFocus) current.moveTo(ui.row, ui.col);
  document.title = `Access matrix · ${view.file}`;
  saver.now();
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = event.data;
  if (!isHostToMatrix(message)) return;
  if (message.type === 'show') show(message.view);
  else if (current && current.view.id === message.viewId) current.addCells(message.cells);
});

if (restored?.view && restored.view.id === restored.ui.viewId) show(restored.view);
vscode.postMessage({ type: 'ready' });
