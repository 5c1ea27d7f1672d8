// The access matrix panel: protocol guards and host in plain Node (fake 'vscode'), the page in real Chromium served
// with the host's own HTML and CSP: the grid, its labels, roving keyboard focus, cells filling in, virtualisation of a
// 200 × 60 matrix, and text-only rendering of everything the host sends.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  cellSummary,
  isHostToMatrix,
  isMatrixToHost,
  isMatrixView,
  matrixSummary,
  type MatrixToHost,
  type MatrixView,
  type MatrixViewCell,
} from '../../src/protocol/matrix';
import { XSS } from './fixtures';
import { Uri, fake, window as fakeWindow } from './fakeVscode';
import { Harness, panelSuite, type PanelPage } from './harness';
import { loadMatrixPanelModule, loadWebviewShellModule } from './host';

const RESULTS = resolve(__dirname, '..', '..', 'test-results');
const { MatrixPanel, MATRIX_PAGE, CELL_BATCH_MS, matrixTitle } = loadMatrixPanelModule();
const { renderWebviewHtml } = loadWebviewShellModule();
const extensionUri = Uri.file('/ext') as unknown as import('vscode').Uri;
const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));

// --- fixtures -----------------------------------------------------------------------------------------------------

const PEOPLE = [
  { id: 'self', label: 'Service user', connection: 'DealCloud (sandbox)', detail: 'the service user (self) · no impersonation' },
  { id: 'jane', label: 'Jane Doe', connection: 'DealCloud (sandbox)', detail: 'Jane Doe <jane@acme.test> (6045) · lite' },
  { id: 'lee', label: 'Lee Park', connection: 'DealCloud (sandbox)', detail: 'Lee Park <lee@acme.test> (6047) · lite' },
];

function cell(request: string, identity: string, patch: Partial<MatrixViewCell> = {}): MatrixViewCell {
  return { request, identity, outcome: 'allowed', status: 200, durationMs: 42, verdicts: [], hasResponse: true, ...patch };
}

/** Three requests × three identities: allowed, denied with an explanation, an unmet expectation, an error, a skipped write. */
function smallView(id = 'run-1'): MatrixView {
  const requests = [
    { name: 'list deals', method: 'GET', url: 'https://acme.dealcloud.test/api/rest/v4/data/entrydata/rows/Deals' },
    { name: 'companies', method: 'GET', url: 'https://acme.dealcloud.test/api/rest/v4/data/entrydata/rows/Companies' },
    {
      name: 'rename deal',
      method: 'PATCH',
      url: 'https://acme.dealcloud.test/api/rest/v4/data/entrydata/Deals',
      skipped: 'PATCH changes data: a matrix sends reads only',
    },
  ];
  const denied = 'Lee Park has no proxy assignment: DealCloud refuses AS-USER for users without one.';
  const cells: MatrixViewCell[] = [
    cell('list deals', 'self', { rows: 5 }),
    cell('list deals', 'jane', {
      rows: 3,
      expected: ['rows >= 1'],
      met: true,
      verdicts: [{ met: true, expected: 'rows >= 1', actual: 'allowed (200, 3 rows)', line: 4 }],
    }),
    cell('list deals', 'lee', {
      outcome: 'denied',
      status: 403,
      explanation: denied,
      expected: ['allowed'],
      met: false,
      verdicts: [{ met: false, expected: 'allowed', actual: 'denied (403)', line: 5 }],
    }),
    cell('companies', 'self', { rows: 2 }),
    cell('companies', 'jane', { rows: 1 }),
    cell('companies', 'lee', { outcome: 'error', status: undefined, durationMs: undefined, error: 'connect ECONNREFUSED 127.0.0.1:9', hasResponse: false }),
    ...PEOPLE.map((p) =>
      cell('rename deal', p.id, { outcome: 'skipped', status: undefined, durationMs: undefined, explanation: requests[2].skipped, hasResponse: false }),
    ),
  ];
  return { id, file: 'deals.http', identities: PEOPLE, requests, cells, running: false, total: 9 };
}

function bigView(rows: number, cols: number): MatrixView {
  const identities = Array.from({ length: cols }, (_, c) => ({
    id: `p${c + 1}`,
    label: `Person ${c + 1}`,
    connection: 'DC',
    detail: `Person ${c + 1} · full`,
  }));
  const requests = Array.from({ length: rows }, (_, r) => ({ name: `request ${r + 1}`, method: 'GET', url: `https://dc.test/rows/${r + 1}` }));
  const cells: MatrixViewCell[] = [];
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++)
      cells.push(
        (r + c) % 3 === 0
          ? cell(`request ${r + 1}`, `p${c + 1}`, { outcome: 'denied', status: 403 })
          : cell(`request ${r + 1}`, `p${c + 1}`, { rows: (r * c) % 7 }),
      );
  return { id: `big-${rows}x${cols}`, file: 'big.http', identities, requests, cells, running: false, total: rows * cols };
}

function hostileView(): MatrixView {
  const v = smallView('hostile');
  v.file = `evil${XSS}.http`;
  v.identities = v.identities.map((i, n) => (n === 1 ? { ...i, label: `Mallory${XSS}`, connection: `DC${XSS}`, detail: XSS } : i));
  v.requests[0] = { ...v.requests[0], name: `deals${XSS}`, url: `https://x.test/?q=${XSS}` };
  v.cells = v.cells.map((c) => (c.request === 'list deals' ? { ...c, request: `deals${XSS}` } : c));
  v.cells = v.cells.map((c) =>
    c.identity === 'lee' && c.request === `deals${XSS}`
      ? { ...c, explanation: `no${XSS}`, verdicts: [{ met: false, expected: `allowed${XSS}`, actual: `denied${XSS}`, line: 5 }] }
      : c,
  );
  return v;
}

// --- protocol and host --------------------------------------------------------------------------------------------

describe('webview: matrix protocol', () => {
  it('the page may say ready, open a cell by names, export in a known format, re-run or cancel; nothing else', () => {
    for (const ok of [
      { type: 'ready' },
      { type: 'rerun' },
      { type: 'cancel' },
      { type: 'openCell', request: 'list deals', identity: 'jane' },
      { type: 'export', format: 'csv' },
      { type: 'export', format: 'json' },
      { type: 'export', format: 'markdown' },
    ])
      assert.ok(isMatrixToHost(ok), JSON.stringify(ok));
    for (const bad of [
      null,
      {},
      { type: 'ready', x: 1 },
      { type: 'openCell', request: 'a' },
      { type: 'openCell', request: '', identity: 'b' },
      { type: 'openCell', request: 'a', identity: 'b', record: {} },
      { type: 'export', format: 'html' },
      { type: 'export', format: 'csv', path: '/etc/passwd' },
      { type: 'action', kind: 'x' },
    ])
      assert.equal(isMatrixToHost(bad), false, JSON.stringify(bad));
  });

  it('views and cell batches are checked; labels and the summary say what a cell is', () => {
    const v = smallView();
    assert.ok(isMatrixView(v));
    assert.ok(isHostToMatrix({ type: 'show', view: v }));
    assert.ok(isHostToMatrix({ type: 'cells', viewId: 'run-1', cells: v.cells }));
    const broken = (patch: (c: MatrixView) => void): boolean => {
      const copy = structuredClone(v);
      patch(copy);
      return isMatrixView(copy);
    };
    assert.equal(
      broken((c) => void (c.cells[0].outcome = 'maybe' as 'allowed')),
      false,
    );
    assert.equal(
      broken((c) => void (c.cells[0].status = Number.NaN)),
      false,
    );
    assert.equal(
      broken((c) => void (c.identities[0] = { id: 'x' } as MatrixView['identities'][0])),
      false,
    );
    assert.equal(
      broken((c) => void (c.id = '')),
      false,
    );
    assert.equal(isHostToMatrix({ type: 'cells', viewId: 'x', cells: [{ request: 'a' }] }), false);
    assert.equal(cellSummary(v.cells[1]), 'allowed, 200, 3 rows');
    assert.equal(cellSummary(v.cells[2]), 'denied, 403, expected allowed: not met');
    assert.equal(cellSummary(v.cells[5]), 'error, connect ECONNREFUSED 127.0.0.1:9');
    assert.equal(cellSummary(undefined), 'pending');
    assert.equal(matrixSummary(v), '9 cells: 4 allowed, 1 denied, 1 error, 3 skipped · 1 expectation not met');
    assert.equal(matrixSummary({ ...v, running: true, total: 20, cells: v.cells.slice(0, 2) }), '2 of 20 cells: 2 allowed, 0 denied, 0 errors');
  });
});

describe('webview: MatrixPanel host', () => {
  beforeEach(() => fake.reset());
  afterEach(() => fake.reset());

  const handlers = (log: string[]) => ({
    onOpenCell: (r: string, i: string) => void log.push(`open ${r} as ${i}`),
    onExport: (f: string) => void log.push(`export ${f}`),
    onRerun: () => void log.push('rerun'),
    onCancel: () => void log.push('cancel'),
  });

  it('one panel, reused; HTML without data; routes only well-formed asks; batches cells while running', async () => {
    const log: string[] = [];
    const running: MatrixView = { ...smallView(), cells: [], running: true };
    const host = MatrixPanel.show(extensionUri, running, handlers(log));
    const panel = fake.panels[0];
    assert.equal(panel.viewType, 'behalf.matrix');
    assert.equal(panel.title, 'Access Matrix · deals.http');
    assert.equal(matrixTitle(running), panel.title);
    assert.match(panel.webview.html, /dist\/webviews\/matrix\.js/);
    assert.match(panel.webview.html, /media\/matrix\/matrix\.css/);
    for (const data of ['Jane', 'deals', 'Deals', 'proxy']) assert.equal(panel.webview.html.includes(data), false, data);
    // Cells before the page is ready are kept in the view, not posted.
    host.addCell('run-1', smallView().cells[0]);
    await tick(CELL_BATCH_MS + 20);
    assert.equal(panel.webview.posted.length, 0);
    panel.webview.receive({ type: 'ready' });
    await tick();
    assert.equal(panel.webview.posted.length, 1);
    assert.equal((panel.webview.posted[0] as { view: MatrixView }).view.cells.length, 1);
    // Once ready: cells go in batches.
    for (const c of smallView().cells.slice(1, 5)) host.addCell('run-1', c);
    host.addCell('another-run', smallView().cells[5]);
    await tick(CELL_BATCH_MS + 30);
    assert.equal(panel.webview.posted.length, 2);
    const batch = panel.webview.posted[1] as { type: string; viewId: string; cells: MatrixViewCell[] };
    assert.equal(batch.type, 'cells');
    assert.equal(batch.viewId, 'run-1');
    assert.equal(batch.cells.length, 4);
    // Asks: only the well-formed ones reach the handlers.
    for (const m of [
      { type: 'openCell', request: 'x' },
      { type: 'export', format: 'exe' },
      { type: 'rerun', now: true },
    ])
      panel.webview.receive(m);
    panel.webview.receive({ type: 'openCell', request: 'list deals', identity: 'lee' });
    panel.webview.receive({ type: 'export', format: 'markdown' });
    panel.webview.receive({ type: 'cancel' });
    panel.webview.receive({ type: 'rerun' });
    await tick();
    assert.deepEqual(log, ['open list deals as lee', 'export markdown', 'cancel', 'rerun']);
    // The end of the run: the final view; a finish for an older run is ignored.
    host.finish({ ...smallView('old') });
    assert.equal(panel.webview.posted.length, 2);
    host.finish(smallView());
    assert.equal((panel.webview.posted[2] as { view: MatrixView }).view.running, false);
    // A new run takes the same panel over.
    MatrixPanel.show(extensionUri, smallView('run-2'), handlers(log));
    assert.equal(fake.panels.length, 1);
    assert.equal((panel.webview.posted[3] as { view: MatrixView }).view.id, 'run-2');
    panel.dispose();
    assert.equal(MatrixPanel.active, undefined);
    assert.equal(panel.listenerCount, 0);
  });

  it('revive takes a restored panel over with today’s options and the kept view', async () => {
    const log: string[] = [];
    const panel = fakeWindow.createWebviewPanel('behalf.matrix', 'Restored', {}, {});
    MatrixPanel.revive(panel as unknown as import('vscode').WebviewPanel, extensionUri, smallView('kept'), handlers(log));
    assert.equal(MatrixPanel.active?.panel, panel);
    assert.equal(panel.title, 'Access Matrix · deals.http');
    assert.match(panel.webview.html, /dist\/webviews\/matrix\.js/);
    panel.webview.receive({ type: 'ready' });
    panel.webview.receive({ type: 'rerun' });
    await tick();
    assert.deepEqual(panel.webview.posted, [{ type: 'show', view: smallView('kept') }]);
    assert.deepEqual(log, ['rerun']);
  });
});

// --- the page in Chromium -----------------------------------------------------------------------------------------

describe('webview: matrix panel in Chromium', function () {
  this.timeout(60_000);
  const { open, openOnHost } = panelSuite(() =>
    Harness.start<MatrixView, MatrixToHost>((parts) => renderWebviewHtml(parts, MATRIX_PAGE), {
      script: 'matrix.js',
      style: 'matrix/matrix.css',
      shown: '.matrix-grid',
    }),
  );

  type Page = PanelPage<MatrixView, MatrixToHost>;
  const texts = (p: Page, selector: string): Promise<string[]> =>
    p.eval<string[]>(`[...document.querySelectorAll(${JSON.stringify(selector)})].map((e) => e.textContent)`);
  const text = async (p: Page, selector: string): Promise<string> => (await p.page.locator(selector).first().textContent()) ?? '';
  const active = (p: Page): Promise<{ label: string | null; row: string | null; col: string | null }> =>
    p.eval(`({ label: document.activeElement.getAttribute('aria-label'), row: document.activeElement.dataset.row, col: document.activeElement.dataset.col })`);
  const cellSel = (r: number, c: number) => `.cell[data-row="${r}"][data-col="${c}"]`;

  it('posts ready, then draws requests × identities with ✓ ✗ ! – , status and rows, and a label on every cell', async () => {
    const p = await open();
    assert.deepEqual(await p.posted(), [{ type: 'ready' }]);
    assert.equal(await text(p, '#app'), 'Sending the matrix…');
    await p.show(smallView());
    assert.equal(await text(p, '.banner'), 'Access matrix · deals.http · 3 requests × 3 identities');
    assert.equal(await p.page.locator('.matrix-grid').getAttribute('role'), 'grid');
    assert.equal(await p.page.locator('.matrix-grid').getAttribute('aria-rowcount'), '4');
    assert.equal(await p.page.locator('.matrix-grid').getAttribute('aria-colcount'), '4');
    assert.deepEqual(await texts(p, '.col-header .identity-label'), ['Service user', 'Jane Doe', 'Lee Park']);
    assert.deepEqual(await texts(p, '.row-header .request-name'), ['list deals', 'companies', 'rename deal']);
    assert.deepEqual(
      await p.eval<string[][]>(
        `[0, 1, 2].map((r) => [0, 1, 2].map((c) => document.querySelector('.cell[data-row="' + r + '"][data-col="' + c + '"]').textContent))`,
      ),
      [
        ['✓2005 rows', '✓2003 rows', '✗403≠'],
        ['✓2002 rows', '✓2001 row', '!'],
        ['–', '–', '–'],
      ],
    );
    assert.equal(await p.page.locator(cellSel(0, 1)).getAttribute('aria-label'), 'Jane Doe, list deals: allowed, 200, 3 rows');
    assert.equal(await p.page.locator(cellSel(0, 2)).getAttribute('aria-label'), 'Lee Park, list deals: denied, 403, expected allowed: not met');
    assert.equal(await p.page.locator(cellSel(1, 2)).getAttribute('aria-label'), 'Lee Park, companies: error, connect ECONNREFUSED 127.0.0.1:9');
    assert.equal(await p.page.locator(cellSel(2, 0)).getAttribute('aria-label'), 'Service user, rename deal: skipped');
    const unlabeled = await p.eval<number>(`[...document.querySelectorAll('[role=gridcell]')].filter((c) => !c.getAttribute('aria-label')).length`);
    assert.equal(unlabeled, 0);
    assert.equal(await p.page.locator('[role=gridcell][tabindex="0"]').count(), 1, 'one tab stop');
    assert.equal(await text(p, '.summary'), '9 cells: 4 allowed, 1 denied, 1 error, 3 skipped · 1 expectation not met');
    assert.deepEqual(await texts(p, '.unmet-list li'), ['line 5: Lee Park · list deals: expected allowed, got denied (403)']);
    assert.deepEqual(await texts(p, '.explanations li'), [
      'Lee Park · list deals: Lee Park has no proxy assignment: DealCloud refuses AS-USER for users without one.',
      'Lee Park · companies: connect ECONNREFUSED 127.0.0.1:9',
    ]);
    // Theme colours: allowed and denied differ, and come from the theme.
    const colours = await p.eval<string[]>(
      `[${JSON.stringify(cellSel(0, 0))}, ${JSON.stringify(cellSel(0, 2))}].map((s) => getComputedStyle(document.querySelector(s + ' .symbol')).color)`,
    );
    assert.notEqual(colours[0], colours[1]);
    assert.equal(colours[0], 'rgb(115, 201, 145)', 'dark theme testing-iconPassed');
  });

  it('arrow keys, Home/End and Ctrl+Home/End move one roving focus; Enter and a click open the cell; details follow', async () => {
    const p = await open();
    await p.show(smallView());
    await p.page.locator(cellSel(0, 0)).focus();
    await p.page.keyboard.press('ArrowRight');
    assert.deepEqual(await active(p), { label: 'Jane Doe, list deals: allowed, 200, 3 rows', row: '0', col: '1' });
    assert.equal(await p.page.locator(cellSel(0, 0)).getAttribute('tabindex'), '-1');
    assert.equal(await p.page.locator(cellSel(0, 1)).getAttribute('tabindex'), '0');
    assert.match(await text(p, '.cell-details h2'), /^Jane Doe · list deals$/);
    assert.match(await text(p, '.cell-details .verdict'), /line 4: expected rows >= 1/);
    await p.page.keyboard.press('ArrowDown');
    assert.equal((await active(p)).label, 'Jane Doe, companies: allowed, 200, 1 row');
    await p.page.keyboard.press('End');
    assert.deepEqual([(await active(p)).row, (await active(p)).col], ['1', '2']);
    await p.page.keyboard.press('ArrowRight'); // stays at the edge
    assert.deepEqual([(await active(p)).row, (await active(p)).col], ['1', '2']);
    await p.page.keyboard.press('Home');
    assert.equal((await active(p)).col, '0');
    await p.page.keyboard.press('Control+End');
    assert.deepEqual([(await active(p)).row, (await active(p)).col], ['2', '2']);
    assert.equal(await text(p, '.cell-details .skipped-reason'), 'PATCH changes data: a matrix sends reads only');
    await p.page.keyboard.press('Enter'); // a skipped cell has no response: nothing is asked
    await p.page.keyboard.press('Control+Home');
    await p.page.keyboard.press('ArrowRight');
    await p.page.keyboard.press('ArrowRight');
    await p.page.keyboard.press('Enter');
    assert.deepEqual((await p.posted()).at(-1), { type: 'openCell', request: 'list deals', identity: 'lee' });
    assert.equal(await p.eval<string>(`getComputedStyle(document.activeElement).outlineStyle`), 'solid');
    await p.page.locator(cellSel(1, 0)).click();
    assert.deepEqual((await p.posted()).at(-1), { type: 'openCell', request: 'companies', identity: 'self' });
    assert.equal((await active(p)).label, 'Service user, companies: allowed, 200, 2 rows');
    // Tab leaves the grid: one stop.
    await p.page.keyboard.press('Tab');
    assert.equal(await p.eval<boolean>(`document.activeElement.classList.contains('cell')`), false);
    // Buttons: re-run and exports.
    await p.page.locator('button.rerun').click();
    await p.page.locator('button.export-csv').click();
    await p.page.locator('button.export-json').click();
    await p.page.locator('button.export-markdown').click();
    assert.deepEqual((await p.posted()).slice(-4), [
      { type: 'rerun' },
      { type: 'export', format: 'csv' },
      { type: 'export', format: 'json' },
      { type: 'export', format: 'markdown' },
    ]);
    // A note jumps to its cell.
    await p.page.locator('.unmet-list button.go-to-cell').click();
    assert.deepEqual([(await active(p)).row, (await active(p)).col], ['0', '2']);
  });

  it('cells fill in as they arrive; Cancel while running; the final view brings Re-run and the notes', async () => {
    const p = await open();
    const full = smallView();
    await p.show({ ...full, cells: [], running: true });
    assert.equal(await p.page.locator('.cell.outcome-pending').count(), 9);
    assert.equal(await p.page.locator(cellSel(0, 1)).getAttribute('aria-label'), 'Jane Doe, list deals: pending');
    assert.equal(await text(p, '.summary'), '0 of 9 cells: 0 allowed, 0 denied, 0 errors');
    assert.equal(await p.page.locator('button.export-csv').isVisible(), true);
    assert.equal(await p.eval<boolean>(`document.querySelector('button.export-csv').disabled`), true);
    await p.page.locator(cellSel(0, 1)).focus();
    await p.eval(`window.postMessage(${JSON.stringify({ type: 'cells', viewId: full.id, cells: full.cells.slice(0, 3) })}, '*')`);
    await p.until(`document.querySelectorAll('.cell.outcome-pending').length === 6`);
    assert.equal(await p.page.locator(cellSel(0, 1)).getAttribute('aria-label'), 'Jane Doe, list deals: allowed, 200, 3 rows');
    assert.equal((await active(p)).row, '0', 'focus stays on the cell while it fills in');
    // The count line is a live region: it follows within a second, not on every batch.
    await p.until(`document.querySelector('.summary').textContent === '3 of 9 cells: 2 allowed, 1 denied, 0 errors · 1 expectation not met'`, 3000);
    assert.match(await text(p, '.cell-details'), /allowed · status 200 · 3 rows · 42 ms/);
    // Cells of another run are not drawn.
    await p.eval(`window.postMessage(${JSON.stringify({ type: 'cells', viewId: 'other', cells: full.cells.slice(3) })}, '*')`);
    await tick(100);
    assert.equal(await p.page.locator('.cell.outcome-pending').count(), 6);
    await p.page.locator('button.cancel').click();
    assert.deepEqual((await p.posted()).at(-1), { type: 'cancel' });
    await p.show({ ...full, cancelled: true, cells: full.cells.slice(0, 5) });
    assert.equal(await text(p, '.summary'), 'Cancelled: 5 of 9 cells: 4 allowed, 1 denied, 0 errors · 1 expectation not met');
    assert.equal(await p.page.locator('button.rerun').count(), 1);
    assert.equal(await p.page.locator('button.cancel').count(), 0);
  });

  it('virtualised at 200 × 60: only the cells in view are in the DOM; the keyboard and scrolling reach every cell', async () => {
    const p = await open({ width: 1000, height: 700 });
    const t0 = Date.now();
    await p.show(bigView(200, 60));
    const firstPaintMs = Date.now() - t0;
    assert.equal(await p.page.locator('.matrix-grid').getAttribute('aria-rowcount'), '201');
    assert.equal(await p.page.locator('.matrix-grid').getAttribute('aria-colcount'), '61');
    const rendered = await p.page.locator('.cell').count();
    assert.ok(rendered > 20 && rendered < 800, `rendered ${rendered} of 12000 cells`);
    assert.ok((await p.page.locator('.col-header').count()) < 20);
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, 'matrix-panel-big.json'), `${JSON.stringify({ rows: 200, identities: 60, cellsInDom: rendered, firstPaintMs }, null, 2)}\n`);
    await p.page.locator(cellSel(0, 0)).focus();
    await p.page.keyboard.press('Control+End');
    assert.deepEqual(await active(p), { label: 'Person 60, request 200: denied, 403', row: '199', col: '59' });
    assert.equal(
      await p.eval<boolean>(
        `(() => { const r = document.activeElement.getBoundingClientRect(); const v = document.querySelector('.viewport').getBoundingClientRect(); return r.bottom <= v.bottom + 1 && r.right <= v.right + 1 && r.top >= v.top; })()`,
      ),
      true,
      'the focused cell is in view',
    );
    assert.equal(await p.page.locator(cellSel(0, 0)).count(), 0, 'the first cell left the DOM');
    assert.ok((await p.page.locator('.cell').count()) < 800);
    await p.page.keyboard.press('PageUp');
    const afterPageUp = Number((await active(p)).row);
    assert.ok(afterPageUp < 199 && afterPageUp > 150, `page up went to row ${afterPageUp}`);
    await p.page.keyboard.press('Control+Home');
    assert.deepEqual([(await active(p)).row, (await active(p)).col], ['0', '0']);
    // Scrolling (mouse) renders the rows and columns scrolled to.
    await p.eval(`(() => { const v = document.querySelector('.viewport'); v.scrollTop = 100 * 28; v.scrollLeft = 30 * 128; })()`);
    await p.until(`document.querySelector(${JSON.stringify(cellSel(105, 32))}) !== null`);
    assert.equal(
      await p.page.locator(cellSel(105, 32)).getAttribute('aria-label'),
      'Person 33, request 106: allowed, 200, 0 rows', // (105 + 32) % 3 ≠ 0: allowed; (105 × 32) % 7 = 0 rows
    );
    assert.ok(await p.page.locator('[aria-rowindex="107"]').count());
    // The focused cell stays in the DOM while scrolled away (it keeps the grid's one tab stop).
    assert.equal(await p.page.locator(cellSel(0, 0)).count(), 1);
    assert.ok((await p.page.locator('.cell').count()) < 800);
  });

  it('a small matrix is drawn whole (the find widget sees every cell)', async () => {
    const p = await open({ width: 700, height: 400 });
    await p.show(bigView(50, 50));
    assert.equal(await p.page.locator('.cell').count(), 2500);
  });

  it('HTML and script in names, labels, URLs, explanations and verdicts stay literal text', async () => {
    const p = await open();
    const v = hostileView();
    await p.show(v);
    await p.page.locator(cellSel(0, 2)).focus();
    assert.equal(await p.eval<string>('typeof window.__pwned'), 'undefined');
    assert.equal(await p.eval<number>(`document.querySelectorAll('img, iframe, object, embed').length`), 0);
    assert.equal(await p.eval<number>(`document.querySelectorAll('script').length`), 1);
    assert.equal(await p.eval<number>(`[...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length`), 0);
    assert.equal(await text(p, '.banner .file'), `evil${XSS}.http`);
    assert.equal((await texts(p, '.col-header .identity-label'))[1], `Mallory${XSS}`);
    assert.equal((await texts(p, '.row-header .request-name'))[0], `deals${XSS}`);
    assert.equal(await p.page.locator(cellSel(0, 1)).getAttribute('aria-label'), `Mallory${XSS}, deals${XSS}: allowed, 200, 3 rows`);
    assert.ok((await text(p, '.cell-details')).includes(`expected allowed${XSS}, got denied${XSS}`));
    assert.ok((await texts(p, '.explanations li')).some((t) => t.includes(`no${XSS}`)));
    assert.ok((await text(p, '.cell-details .request-line')).includes(`?q=${XSS}`));
  });

  it('ignores messages that are not a well-formed show or cells', async () => {
    const p = await open();
    await p.eval(`(() => {
      window.postMessage({ type: 'show', view: { id: 'x', cells: '<img src=x onerror=window.__pwned=1>' } }, '*');
      window.postMessage({ type: 'show', view: Object.assign(${JSON.stringify(smallView())}, { identities: [{ id: '<img src=x onerror=window.__pwned=1>' }] }) }, '*');
      window.postMessage({ type: 'cells', viewId: 'run-1', cells: [{ request: '<img src=x onerror=window.__pwned=1>' }] }, '*');
      return new Promise((r) => setTimeout(r, 50));
    })()`);
    assert.equal(await text(p, '#app'), 'Sending the matrix…');
    assert.equal(await p.eval<string>('typeof window.__pwned'), 'undefined');
  });

  it('keeps the focused cell and scroll across hide/show of the same run', async () => {
    const p = await open();
    await p.show(bigView(80, 10));
    await p.page.locator(cellSel(0, 0)).focus();
    for (let i = 0; i < 40; i++) await p.page.keyboard.press('ArrowDown');
    await p.page.keyboard.press('ArrowRight');
    await tick(300);
    await p.page.reload({ waitUntil: 'load' });
    await p.until(`document.querySelector('.matrix-grid') !== null`);
    assert.equal(await p.page.locator('[role=gridcell][tabindex="0"]').getAttribute('data-row'), '40');
    assert.equal(await p.page.locator('[role=gridcell][tabindex="0"]').getAttribute('data-col'), '1');
    assert.ok((await p.eval<number>(`document.querySelector('.viewport').scrollTop`)) > 0);
    // A finished run is kept whole for a window reload (the host revives the panel from it); a running one is not.
    const kept = await p.eval<{ view?: MatrixView }>(`JSON.parse(sessionStorage.getItem('__behalf_state'))`);
    assert.ok(kept.view && isMatrixView(kept.view) && kept.view.id === 'big-80x10');
    await p.show({ ...smallView('still-running'), running: true, cells: [] });
    await tick(300);
    assert.equal(await p.eval<boolean>(`'view' in JSON.parse(sessionStorage.getItem('__behalf_state'))`), false);
  });

  it('end to end with the host: ready → show; cells posted by the host fill the grid; a click reaches the host', async () => {
    fake.reset();
    const opened: string[] = [];
    const full = smallView('e2e');
    const host = MatrixPanel.show(
      extensionUri,
      { ...full, cells: [], running: true },
      {
        onOpenCell: (r, i) => void opened.push(`${r}/${i}`),
        onExport: () => undefined,
        onRerun: () => undefined,
        onCancel: () => undefined,
      },
    );
    const p = await openOnHost(fake.panels[0]);
    await p.until(`document.querySelector('.matrix-grid') !== null`);
    for (const c of full.cells) host.addCell('e2e', c);
    await p.until(`document.querySelectorAll('.cell.outcome-pending').length === 0`);
    host.finish(full);
    await p.until(`document.querySelector('button.rerun') !== null`);
    await p.page.locator(cellSel(0, 2)).click();
    await p.until(`window.__posted.some((m) => m.type === 'openCell')`);
    await tick(50);
    assert.deepEqual(opened, ['list deals/lee']);
    fake.reset();
  });

  it('screenshots: dark, light and high contrast', async () => {
    mkdirSync(RESULTS, { recursive: true });
    for (const [file, theme] of [
      ['matrix-panel.png', 'dark'],
      ['matrix-panel-light.png', 'light'],
      ['matrix-panel-hc.png', 'hc'],
    ] as const) {
      const p = await open({ theme, width: 900, height: 620 });
      await p.show(smallView());
      await p.page.locator(cellSel(0, 2)).focus();
      await p.page.screenshot({ path: join(RESULTS, file) });
    }
  });
});
