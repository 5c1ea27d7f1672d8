// The "compare as two users" panel: protocol guards and host in plain Node (fake 'vscode'), the page in real
// Chromium served with the host's own HTML and CSP.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isCompareToHost, isCompareView, isHostToCompare, type CompareToHost, type CompareView } from '../../src/protocol/compare';
import { XSS, bigCompareView, compareFrom, comparePair, compareView, hostileCompareView, identicalCompareView } from './auditFixtures';
import { Uri, fake, window as fakeWindow, type FakeWebviewPanel } from './fakeVscode';
import { Harness, panelSuite, type PanelPage } from './harness';
import { loadComparePanelModule, loadWebviewShellModule } from './host';

const RESULTS = resolve(__dirname, '..', '..', 'test-results');
const { ComparePanel, COMPARE_PAGE, compareTitle } = loadComparePanelModule();
const { renderWebviewHtml } = loadWebviewShellModule();
const extensionUri = Uri.file('/ext') as unknown as import('vscode').Uri;
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('webview: compare protocol', () => {
  it('the page may say ready or ask to open one side’s response, nothing else', () => {
    assert.ok(isCompareToHost({ type: 'ready' }));
    assert.ok(isCompareToHost({ type: 'openResponse', side: 'left' }));
    assert.ok(isCompareToHost({ type: 'openResponse', side: 'right' }));
    for (const bad of [
      null,
      {},
      { type: 'openResponse' },
      { type: 'openResponse', side: 'both' },
      { type: 'openResponse', side: 'left', body: 'x' },
      { type: 'ready', x: 1 },
    ]) {
      assert.equal(isCompareToHost(bad), false, JSON.stringify(bad));
    }
  });

  it('a view from the core comparison is valid; malformed ones are not', () => {
    const v = compareView();
    assert.ok(isCompareView(v));
    assert.ok(isHostToCompare({ type: 'show', view: v }));
    assert.equal(v.left.name, 'Jane Doe');
    assert.equal(v.request.url, 'https://acme.dealcloud.test/api/rest/v4/data/entrydata/rows/Deals');
    const broken = (patch: (c: CompareView) => void): boolean => {
      const copy = structuredClone(v);
      patch(copy);
      return isCompareView(copy);
    };
    assert.equal(
      broken((c) => void (c.result.left.mode = 'root' as 'lite')),
      false,
    );
    assert.equal(
      broken((c) => void (c.result.onlyLeft = [{ key: 1 } as unknown as CompareView['result']['onlyLeft'][0]])),
      false,
    );
    assert.equal(
      broken((c) => void (c.result.differences[0].kind = 'same' as 'different')),
      false,
    );
    assert.equal(
      broken((c) => void (c.left.bodyBytes = Number.NaN)),
      false,
    );
    assert.equal(
      broken((c) => void (c.id = '')),
      false,
    );
    assert.equal(
      broken((c) => void (c.result.summary = undefined as unknown as string)),
      false,
    );
  });
});

describe('webview: ComparePanel host', () => {
  beforeEach(() => fake.reset());
  afterEach(() => fake.reset());

  it('one panel, reused; titled with both names; HTML without data; opens only the side asked for', async () => {
    const opened: string[] = [];
    const v = compareView();
    ComparePanel.show(extensionUri, v, { onOpenResponse: (side) => void opened.push(side) });
    const panel = fake.panels[0];
    assert.equal(panel.viewType, 'behalf.compare');
    assert.equal(panel.title, 'Compare · Jane Doe ⇄ Raj Patel');
    assert.equal(compareTitle(v), panel.title);
    assert.match(panel.webview.html, /src="https:\/\/fake\.vscode-cdn\.test\/ext\/dist\/webviews\/compare\.js"/);
    assert.match(panel.webview.html, /href="https:\/\/fake\.vscode-cdn\.test\/ext\/media\/compare\/compare\.css"/);
    for (const data of ['Jane', 'Raj', 'Atlas', 'Deals']) assert.equal(panel.webview.html.includes(data), false, data);
    panel.webview.receive({ type: 'ready' });
    await tick();
    assert.equal(panel.webview.posted.length, 1);
    for (const m of [{ type: 'openResponse', side: 'middle' }, { type: 'openResponse' }, { type: 'action', kind: 'x', args: {} }]) panel.webview.receive(m);
    panel.webview.receive({ type: 'openResponse', side: 'right' });
    await tick();
    assert.deepEqual(opened, ['right']);
    ComparePanel.show(extensionUri, identicalCompareView(), { onOpenResponse: () => undefined });
    assert.equal(fake.panels.length, 1);
    assert.equal(panel.webview.posted.length, 2);
    panel.dispose();
    assert.equal(ComparePanel.active, undefined);
    assert.equal(panel.listenerCount, 0);
  });
});

describe('webview: ComparePanel revive (a panel VS Code restored after a window reload)', () => {
  beforeEach(() => fake.reset());
  afterEach(() => fake.reset());

  const restored = (): FakeWebviewPanel => fakeWindow.createWebviewPanel('behalf.compare', 'Compare', {}, {});
  const asPanel = (p: FakeWebviewPanel) => p as unknown as import('vscode').WebviewPanel;

  it('takes the panel over with today’s options and the kept view; Open response goes to the revive handlers', async () => {
    const panel = restored();
    const asked: string[] = [];
    const v = compareView();
    ComparePanel.revive(asPanel(panel), extensionUri, v, { onOpenResponse: (side) => void asked.push(side) });
    assert.equal(ComparePanel.active?.panel, panel);
    assert.equal(panel.title, 'Compare · Jane Doe ⇄ Raj Patel');
    const options = (panel.webview as unknown as { options: { enableScripts: boolean; localResourceRoots: Array<{ path: string }> } }).options;
    assert.equal(options.enableScripts, true);
    assert.deepEqual(
      options.localResourceRoots.map((u) => u.path),
      ['/ext/dist/webviews', '/ext/media'],
    );
    assert.match(panel.webview.html, /dist\/webviews\/compare\.js/);
    panel.webview.receive({ type: 'ready' });
    panel.webview.receive({ type: 'openResponse', side: 'left' });
    await tick();
    assert.deepEqual(panel.webview.posted, [{ type: 'show', view: v }]);
    assert.deepEqual(asked, ['left']);
    // The next comparison goes to the revived panel, with its own handlers.
    ComparePanel.show(extensionUri, compareView('c2'), { onOpenResponse: () => undefined });
    assert.equal(fake.panels.length, 1);
  });

  it('a second revive replaces the first panel; closing forgets it', () => {
    const first = restored();
    ComparePanel.revive(asPanel(first), extensionUri, compareView(), { onOpenResponse: () => undefined });
    const second = restored();
    ComparePanel.revive(asPanel(second), extensionUri, compareView('c2'), { onOpenResponse: () => undefined });
    assert.equal(first.disposed, true);
    assert.equal(ComparePanel.active?.panel, second);
    second.dispose();
    assert.equal(ComparePanel.active, undefined);
  });
});

describe('webview: compare panel in Chromium', function () {
  this.timeout(60_000);
  const { open, openOnHost } = panelSuite(() =>
    Harness.start<CompareView, CompareToHost>((parts) => renderWebviewHtml(parts, COMPARE_PAGE), {
      script: 'compare.js',
      style: 'compare/compare.css',
      shown: '.sides',
    }),
  );

  type Page = PanelPage<CompareView, CompareToHost>;
  const texts = (p: Page, selector: string): Promise<string[]> =>
    p.eval<string[]>(`[...document.querySelectorAll(${JSON.stringify(selector)})].map((e) => e.textContent)`);
  const text = async (p: Page, selector: string): Promise<string> => (await p.page.locator(selector).first().textContent()) ?? '';
  const cells = (p: Page, selector: string): Promise<string[][]> =>
    p.eval<string[][]>(
      `[...document.querySelectorAll(${JSON.stringify(`${selector} tbody tr:not([hidden])`)})].map((r) => [...r.children].map((c) => c.textContent))`,
    );

  it('posts ready, then shows both identities side by side with status, time, size and rows', async () => {
    const p = await open();
    assert.deepEqual(await p.posted(), [{ type: 'ready' }]);
    assert.equal(await text(p, '#app'), 'Waiting for both responses…');
    const v = compareView();
    await p.show(v);
    assert.equal(await text(p, '.banner'), 'Compare as two users · deals · GET https://acme.dealcloud.test/api/rest/v4/data/entrydata/rows/Deals');
    assert.equal(await text(p, '.side-left .who'), 'Jane Doe <jane@acme.test> (6045)');
    assert.equal(await text(p, '.side-right .who'), 'Raj Patel <raj@acme.test> (6046)');
    assert.deepEqual(await texts(p, '.side .mode'), ['full', 'full']);
    assert.deepEqual(await texts(p, '.side .status'), ['200 OK', '200 OK']);
    assert.deepEqual(await texts(p, '.side .time'), ['84 ms', '132 ms']);
    assert.deepEqual(await texts(p, '.side .rows'), ['3 rows', '3 rows']);
    assert.deepEqual(await texts(p, '.side-connection'), ['DealCloud (sandbox)', 'DealCloud (sandbox)']);
    assert.equal(await p.page.locator('.side-left').getAttribute('aria-label'), 'Left: Jane Doe <jane@acme.test> (6045)');
    assert.equal(await text(p, '.summary-sentence'), v.result.summary);
    assert.equal(await p.page.locator('.summary-sentence').getAttribute('role'), 'status');
    assert.equal(await text(p, '.matching'), 'Rows at $.rows, matched by EntryId.');
    // Side by side at this width.
    const [l, r] = await p.eval<Array<{ x: number; y: number }>>(`[...document.querySelectorAll('.side')].map((e) => e.getBoundingClientRect())`);
    assert.ok(l && r && r.x > l.x && Math.abs(r.y - l.y) < 2);
  });

  it('rows only one side sees, and values that differ, in tables; a row’s JSON on demand', async () => {
    const p = await open();
    await p.show(compareView());
    assert.deepEqual(await texts(p, '.section-toggle .section-title'), ['Only Jane Doe sees', 'Only Raj Patel sees', 'Values that differ']);
    assert.deepEqual(await texts(p, '.section-toggle .count'), ['1', '1', '1']);
    assert.deepEqual(await cells(p, '.section-only-left'), [['Project Borealis', '2', 'JSON']]);
    assert.deepEqual(await cells(p, '.section-only-right'), [['Project Cedar', '3', 'JSON']]);
    assert.deepEqual(await cells(p, '.section-differences'), [['1', '$.Stage', '"Diligence"', '"Closed"']]);
    assert.deepEqual(await texts(p, '.differences-table thead th'), ['Row', 'Path', 'Jane Doe', 'Raj Patel']);
    assert.equal(await p.page.locator('.row-json pre').count(), 0, 'no JSON built before it is opened');
    const toggle = p.page.locator('.section-only-left button.toggle-json');
    assert.equal(await toggle.getAttribute('aria-label'), 'JSON of Project Borealis');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-expanded'), 'true');
    assert.equal(await text(p, '.section-only-left .row-json pre'), JSON.stringify({ EntryId: 2, Name: 'Project Borealis', Owner: 6045 }, null, 2));
    await toggle.click();
    assert.equal(await p.page.locator('.section-only-left .row-json').isVisible(), false);
  });

  it('Open response posts which side; sections fold by keyboard; focus is visible', async () => {
    const p = await open();
    await p.show(compareView());
    await p.page.locator('.side-right button.open-response').click();
    assert.deepEqual((await p.posted()).at(-1), { type: 'openResponse', side: 'right' });
    await p.page.locator('.side-left button.open-response').focus();
    await p.page.keyboard.press('Enter');
    assert.deepEqual((await p.posted()).at(-1), { type: 'openResponse', side: 'left' });
    await p.page.keyboard.press('Tab'); // right's Open response
    await p.page.keyboard.press('Tab'); // "Only Jane Doe sees"
    assert.equal(await p.eval<string>(`document.activeElement.id`), 'section-only-left-toggle');
    assert.equal(await p.eval<string>(`getComputedStyle(document.activeElement).outlineStyle`), 'solid');
    await p.page.keyboard.press('Enter');
    assert.equal(await p.page.locator('#section-only-left-toggle').getAttribute('aria-expanded'), 'false');
    assert.equal(await p.page.locator('#section-only-left-body').isVisible(), false);
    await p.page.keyboard.press('Space');
    assert.equal(await p.page.locator('#section-only-left-body').isVisible(), true);
    await p.page.keyboard.press('Tab'); // the row's JSON button
    await p.page.keyboard.press('Enter');
    assert.equal(await p.page.locator('.section-only-left .row-json').isVisible(), true);
  });

  it('identical answers say so; a different status is in the summary', async () => {
    const p = await open();
    const same = identicalCompareView();
    await p.show(same);
    assert.equal(await text(p, '.identical'), 'Jane Doe and Raj Patel got the same body.');
    assert.equal(await p.page.locator('.compare-section').count(), 0);
    const { left, right } = comparePair();
    const refused = compareFrom(left, { ...right, status: 403, statusText: 'Forbidden', body: '{"message":"no"}', bodyBytes: 16 }, 'refused');
    await p.show(refused);
    assert.deepEqual(await texts(p, '.side .status'), ['200 OK', '403 Forbidden']);
    assert.match(await text(p, '.summary-sentence'), /Jane Doe gets 200, Raj Patel gets 403/);
    const colours = await p.eval<string[]>(`[...document.querySelectorAll('.side .status')].map((e) => getComputedStyle(e).color)`);
    assert.notEqual(colours[0], colours[1]);
  });

  it('long lists render 200 rows at a time with "show more"', async () => {
    const p = await open();
    const t0 = Date.now();
    await p.show(bigCompareView(1500));
    const firstPaintMs = Date.now() - t0;
    assert.deepEqual(await texts(p, '.section-toggle .count'), ['1,500', '1,500', '1,000']);
    assert.equal(await p.page.locator('.section-only-left tbody tr.row').count(), 200);
    assert.equal(await p.page.locator('.section-only-left tbody tr.row-json').count(), 200);
    assert.equal(await p.page.locator('.row-json pre').count(), 0);
    const more = p.page.locator('.section-only-left button.more');
    assert.equal(await more.textContent(), 'Show 200 more (200 of 1,500 shown)');
    await more.focus();
    await p.page.keyboard.press('Enter');
    assert.equal(await p.page.locator('.section-only-left tbody tr.row').count(), 400);
    assert.equal(await p.eval<string>(`document.activeElement.className`), 'link more', 'focus stays on show more');
    assert.equal(await p.page.locator('.section-differences tbody tr').count(), 200);
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(
      join(RESULTS, 'compare-panel-big.json'),
      `${JSON.stringify({ onlyLeft: 1500, onlyRight: 1500, differences: 1000, firstPaintMs }, null, 2)}\n`,
    );
  });

  it('HTML and script in identities, row labels, keys, JSON paths and values stay literal text', async () => {
    const p = await open();
    const v = hostileCompareView();
    await p.show(v);
    await p.eval(`(async () => {
      for (const b of document.querySelectorAll('button.toggle-json')) b.click();
      await new Promise((r) => setTimeout(r, 100));
    })()`);
    assert.equal(await p.eval<string>('typeof window.__pwned'), 'undefined');
    assert.equal(await p.eval<number>(`document.querySelectorAll('img, iframe, object, embed, b').length`), 0);
    assert.equal(await p.eval<number>(`document.querySelectorAll('script').length`), 1);
    assert.equal(await p.eval<number>(`[...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length`), 0);
    assert.equal(await text(p, '.side-left .who'), `Mallory ${XSS}`);
    assert.equal(await text(p, '.side-left .side-connection'), `DC ${XSS}`);
    assert.equal(await text(p, '.side-left .status'), `200 ${XSS}`);
    assert.ok((await text(p, '.banner')).includes(`?q=${XSS}`));
    assert.equal(await text(p, '.banner .request-name'), XSS);
    assert.deepEqual((await cells(p, '.section-only-left')).map((r) => r.slice(0, 2)).filter((r) => r[0] !== '' || r[1] !== '')[0], [XSS, XSS]);
    assert.deepEqual((await cells(p, '.section-only-right'))[0]?.slice(0, 2), [`<b>bold</b>${XSS}`, `k${XSS}`]);
    assert.ok((await texts(p, '.differences-table .diff-right')).some((t) => t.includes('<iframe src=\\"javascript:window.__pwned=1\\"></iframe>')));
    assert.ok((await texts(p, '.section-only-left pre')).some((t) => t.includes(`"${XSS}": "x"`)));
    assert.ok((await texts(p, '.differences-table .diff-path')).includes(`$[${JSON.stringify(XSS)}]`));
    assert.ok((await texts(p, '.section-toggle .section-title')).includes(`Only ${v.left.name} sees`));
    assert.equal(await text(p, '.summary-sentence'), v.result.summary);
  });

  it('ignores messages that are not a well-formed show', async () => {
    const p = await open();
    await p.eval(`(() => {
      window.postMessage({ type: 'show', view: { id: 'x', result: '<img src=x onerror=window.__pwned=1>' } }, '*');
      window.postMessage({ type: 'show', view: Object.assign(${JSON.stringify(compareView())}, { left: { name: '<img src=x onerror=window.__pwned=1>' } }) }, '*');
      return new Promise((r) => setTimeout(r, 50));
    })()`);
    assert.equal(await text(p, '#app'), 'Waiting for both responses…');
    assert.equal(await p.eval<string>('typeof window.__pwned'), 'undefined');
  });

  it('keeps folding and shown rows across hide/show; a new comparison starts fresh', async () => {
    const p = await open();
    await p.show(bigCompareView(300));
    await p.page.locator('#section-only-right-toggle').click();
    await p.page.locator('.section-only-left button.more').click();
    await p.eval(`new Promise((r) => setTimeout(r, 300))`);
    await p.page.reload({ waitUntil: 'load' });
    await p.until(`document.querySelector('.sides') !== null`);
    assert.deepEqual(await p.posted(), [{ type: 'ready' }]);
    assert.equal(await p.page.locator('#section-only-right-toggle').getAttribute('aria-expanded'), 'false');
    assert.equal(await p.page.locator('.section-only-left tbody tr.row').count(), 300);
    await p.show(compareView('another'));
    assert.equal(await p.page.locator('#section-only-right-toggle').getAttribute('aria-expanded'), 'true');
  });

  it('end to end with the host: ready → show; Open response answered by the host', async () => {
    fake.reset();
    const opened: string[] = [];
    ComparePanel.show(extensionUri, compareView(), { onOpenResponse: (side) => void opened.push(side) });
    const fakePanel = fake.panels[0];
    const p = await openOnHost(fakePanel);
    await p.until(`document.querySelector('.sides') !== null`);
    await p.page.locator('.side-left button.open-response').click();
    await p.until(`window.__posted.length >= 2`);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(opened, ['left']);
    fake.reset();
  });

  it('keeps its view in the webview state for a window reload (small comparisons only); a revived host takes over from it', async () => {
    fake.reset();
    const v = compareView();
    ComparePanel.show(extensionUri, v, { onOpenResponse: () => undefined });
    let hostPanel = fake.panels[0];
    const p = await openOnHost(hostPanel);
    await p.until(`document.querySelector('.sides') !== null`);
    await p.page.locator('#section-only-right-toggle').click();
    await p.eval(`new Promise((r) => setTimeout(r, 300))`);
    const state = await p.eval<{ v: number; view?: unknown; ui: { collapsed: string[] } }>(`JSON.parse(sessionStorage.getItem('__behalf_state'))`);
    assert.equal(state.v, 1);
    assert.deepEqual(state.view, v, 'the view as the host sent it (built from redacted records)');
    assert.ok(isCompareView(state.view), 'what the host checks before reviving');
    assert.deepEqual(state.ui.collapsed, ['only-right']);

    // The window reloads; the serializer revives the panel from the kept view. The responses are gone: the
    // revive handlers answer "Open response" (main.ts says so in a message).
    fake.reset();
    const asked: string[] = [];
    hostPanel = fakeWindow.createWebviewPanel('behalf.compare', 'Compare', {}, {});
    ComparePanel.revive(hostPanel as unknown as import('vscode').WebviewPanel, extensionUri, state.view, {
      onOpenResponse: (side) => void asked.push(side),
    });
    p.rebind(hostPanel);
    await p.page.reload({ waitUntil: 'load' });
    await p.until(`document.querySelector('.sides') !== null`);
    assert.equal(await p.page.locator('#section-only-right-toggle').getAttribute('aria-expanded'), 'false');
    await p.until(`window.__posted.some((m) => m.type === 'ready')`);
    await p.page.locator('.side-right button.open-response').click();
    await p.until(`window.__posted.some((m) => m.type === 'openResponse')`);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(asked, ['right']);

    // A large comparison is not kept: nothing to revive from (the host closes such a panel).
    const big = bigCompareView(1000);
    assert.ok(JSON.stringify(big).length > 256 * 1024);
    await p.page.evaluate(`window.postMessage(${JSON.stringify({ type: 'show', view: big })}, '*')`);
    await p.until(`document.querySelectorAll('.section-only-left tbody tr.row').length > 0`);
    await p.eval(`new Promise((r) => setTimeout(r, 300))`);
    assert.equal(await p.eval<boolean>(`'view' in JSON.parse(sessionStorage.getItem('__behalf_state'))`), false);
    fake.reset();
  });

  it('screenshots: dark, light and high contrast', async () => {
    mkdirSync(RESULTS, { recursive: true });
    for (const [file, theme] of [
      ['compare-panel.png', 'dark'],
      ['compare-panel-light.png', 'light'],
      ['compare-panel-hc.png', 'hc'],
    ] as const) {
      const p = await open({ theme, width: 860, height: 640 });
      await p.show(compareView());
      await p.page.locator('.section-only-left button.toggle-json').click();
      await p.page.screenshot({ path: join(RESULTS, file) });
    }
  });
});
