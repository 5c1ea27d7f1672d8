// The asset version history panel: protocol guards and host in plain Node (fake 'vscode'), the page in real
// Chromium served with the host's own HTML and CSP.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isHistoryToHost, isHistoryView, isHostToHistory, type HistoryToHost, type HistoryView } from '../../src/protocol/history';
import { diffVersions } from '../../src/core/versionDiff';
import { JANE_EMAIL, XSS, assetVersions, historyReading, historyView, hostileReading, longHistory, type HistoryFixture } from './auditFixtures';
import { Uri, fake, window as fakeWindow, type FakeWebviewPanel } from './fakeVscode';
import { Harness, panelSuite, type OpenOptions, type PanelPage } from './harness';
import { loadHistoryPanelModule, loadWebviewShellModule } from './host';

const RESULTS = resolve(__dirname, '..', '..', 'test-results');
const { HistoryPanel, HISTORY_PAGE, historyTitle } = loadHistoryPanelModule();
const { renderWebviewHtml } = loadWebviewShellModule();
const extensionUri = Uri.file('/ext') as unknown as import('vscode').Uri;
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
/** The diffs of the fixture history A-1 (as the extension's readHistory gives them). */
const a1Diffs = historyReading().diffs;

describe('webview: history protocol', () => {
  it('the page may say ready, ask for a refresh or for one version’s diffs, nothing else', () => {
    assert.ok(isHistoryToHost({ type: 'ready' }));
    assert.ok(isHistoryToHost({ type: 'refresh' }));
    assert.ok(isHistoryToHost({ type: 'diff', version: 3 }));
    for (const bad of [
      null,
      'ready',
      {},
      { type: 'show' },
      { type: 'refresh', assetId: 'A-2' },
      { type: 'openHistory', assetId: 'A-1' },
      { type: 'diff' },
      { type: 'diff', version: '3' },
      { type: 'diff', version: 1.5 },
      { type: 'diff', version: 3, assetId: 'A-2' },
    ]) {
      assert.equal(isHistoryToHost(bad), false, JSON.stringify(bad));
    }
  });

  it('accepts a view built from the core diffs; rejects malformed ones', () => {
    const v = historyView();
    assert.ok(isHistoryView(v));
    assert.ok(isHostToHistory({ type: 'show', view: v }));
    assert.ok(isHistoryView(longHistory(50)));
    const broken = (patch: (v: HistoryView) => unknown) => {
      const copy = structuredClone(v);
      return isHistoryView(patch(copy) ?? copy);
    };
    assert.equal(
      broken((c) => ({ ...c, id: '' })),
      false,
    );
    assert.equal(
      broken((c) => void (c.versions[0].version = '1' as unknown as number)),
      false,
    );
    assert.equal(
      broken((c) => void (c.versions[0].byPrincipal = 'yes' as unknown as boolean)),
      false,
    );
    assert.equal(
      broken((c) => void (c.versions[0].fields[0].kind = 'html' as 'set')),
      false,
    );
    assert.equal(
      broken((c) => void (c.versions[2].fields[0].field = 1 as unknown as string)),
      false,
    );
    assert.equal(
      broken((c) => void (c.users = [1 as unknown as string])),
      false,
    );
    assert.equal(
      broken((c) => void (c.principal = { who: 'x' } as HistoryView['principal'])),
      false,
    );
    assert.equal(isHostToHistory({ type: 'exec', view: v }), false);
  });

  it('the host answers with one version’s diffs or why there are none; malformed answers are rejected', () => {
    const diff = a1Diffs(4)!;
    assert.ok(isHostToHistory({ type: 'diff', viewId: 'h1', diff }));
    assert.ok(isHostToHistory({ type: 'diffError', viewId: 'h1', version: 9, message: 'Version 9 is not in this reading.' }));
    const bad = (patch: (d: typeof diff) => void) => {
      const copy = structuredClone(diff);
      patch(copy);
      return isHostToHistory({ type: 'diff', viewId: 'h1', diff: copy });
    };
    assert.equal(
      bad((d) => void (d.fields[0].changes![0].kind = 'moved' as 'added')),
      false,
    );
    assert.equal(
      bad((d) => void (d.fields[1].parts![0].value = 1 as unknown as string)),
      false,
    );
    assert.equal(
      bad((d) => void (d.fields[0].kind = 'changed' as 'text')),
      false,
    );
    assert.equal(isHostToHistory({ type: 'diff', diff }), false);
    assert.equal(isHostToHistory({ type: 'diffError', viewId: 'h1', version: 9 }), false);
  });
});

describe('webview: HistoryPanel host', () => {
  beforeEach(() => fake.reset());
  afterEach(() => fake.reset());

  const shown = (panel: FakeWebviewPanel): HistoryView[] => panel.webview.posted.map((m) => (m as { view: HistoryView }).view);

  it('one panel per asset, titled "History · <asset>", with the shared CSP and no data in its HTML', () => {
    const v = historyView();
    HistoryPanel.show(extensionUri, v, async () => ({ view: v, diffs: a1Diffs }), a1Diffs);
    const panel = fake.panels[0];
    assert.equal(panel.viewType, 'behalf.history');
    assert.equal(panel.title, 'History · A-1');
    assert.equal(historyTitle(v), 'History · A-1');
    assert.equal(panel.options.retainContextWhenHidden, false);
    assert.deepEqual(
      panel.options.localResourceRoots?.map((u) => u.path),
      ['/ext/dist/webviews', '/ext/media'],
    );
    const html = panel.webview.html;
    assert.match(
      html,
      /default-src 'none'; img-src https:\/\/fake\.vscode-cdn\.test data:; style-src https:\/\/fake\.vscode-cdn\.test; script-src 'nonce-[A-Za-z0-9+/]{22}=='/,
    );
    assert.match(html, /src="https:\/\/fake\.vscode-cdn\.test\/ext\/dist\/webviews\/history\.js"/);
    assert.match(html, /href="https:\/\/fake\.vscode-cdn\.test\/ext\/media\/history\/history\.css"/);
    for (const data of ['jane@acme.test', 'Harbour', 'A-1', 'svc@']) assert.equal(html.includes(data), false, data);

    HistoryPanel.show(extensionUri, { ...v, id: 'h2' }, async () => ({ view: v, diffs: a1Diffs }), a1Diffs);
    assert.equal(fake.panels.length, 1, 'the same asset reuses its panel');
    assert.equal(panel.reveals, 1);
    HistoryPanel.show(extensionUri, { ...v, id: 'h3', assetId: 'A-2' }, async () => ({ view: v, diffs: a1Diffs }), a1Diffs);
    assert.equal(fake.panels.length, 2, 'another asset gets its own');
    assert.equal(fake.panels[1].title, 'History · A-2');
  });

  it('posts after ready; refresh reads again with the host’s own reload; bad messages are ignored', async () => {
    let reads = 0;
    const v = historyView();
    HistoryPanel.show(extensionUri, v, async () => ({ view: { ...v, id: `reload-${++reads}` }, diffs: a1Diffs }), a1Diffs);
    const panel = fake.panels[0];
    assert.equal(panel.webview.posted.length, 0);
    panel.webview.receive({ type: 'ready' });
    await tick();
    assert.deepEqual(
      shown(panel).map((x) => x.id),
      ['h1'],
    );
    for (const m of [{ type: 'refresh', assetId: 'A-99' }, { type: 'openHistory', assetId: 'A-1' }, 'refresh', null]) panel.webview.receive(m);
    await tick();
    assert.equal(reads, 0);
    panel.webview.receive({ type: 'refresh' });
    await tick();
    await tick();
    assert.equal(reads, 1);
    assert.deepEqual(
      shown(panel).map((x) => x.id),
      ['h1', 'reload-1'],
    );
    panel.setVisible(false);
    panel.webview.receive({ type: 'refresh' });
    await tick();
    await tick();
    assert.equal(shown(panel).length, 2, 'a hidden page gets the view when it says ready again');
    panel.webview.receive({ type: 'ready' });
    await tick();
    assert.equal(shown(panel).at(-1)?.id, 'reload-2');
  });

  it('a failing refresh is one error message; a closed panel is forgotten', async () => {
    const v = historyView();
    HistoryPanel.show(extensionUri, v, () => Promise.reject(new Error('Orange Logic said "busy" (503).')), a1Diffs);
    const panel = fake.panels[0];
    panel.webview.receive({ type: 'refresh' });
    await tick();
    await tick();
    assert.deepEqual(fake.errors, ['Behalf: Orange Logic said "busy" (503).']);
    panel.dispose();
    assert.equal(HistoryPanel.all.length, 0);
    assert.equal(panel.listenerCount, 0);
  });
});

describe('webview: HistoryPanel host, a version’s diffs', () => {
  beforeEach(() => fake.reset());
  afterEach(() => fake.reset());

  it('answers each version’s diffs as diffVersions computes them; an unknown version and a failed read are answered with why', async () => {
    const v = historyView();
    let failure: Error | undefined = undefined;
    const diffs = (version: number) => {
      if (failure) throw failure;
      return a1Diffs(version);
    };
    HistoryPanel.show(extensionUri, v, async () => ({ view: { ...v, id: 'h2' }, diffs: () => undefined }), diffs);
    const panel = fake.panels[0];
    panel.webview.receive({ type: 'ready' });
    await tick();
    const all = diffVersions(assetVersions(), { principalEmail: JANE_EMAIL });
    for (const d of all) panel.webview.receive({ type: 'diff', version: d.version });
    await tick();
    await tick();
    assert.deepEqual(
      panel.webview.posted.slice(1),
      all.map((diff) => ({ type: 'diff', viewId: 'h1', diff })),
    );
    panel.webview.receive({ type: 'diff', version: 99 });
    await tick();
    await tick();
    assert.deepEqual(panel.webview.posted.at(-1), {
      type: 'diffError',
      viewId: 'h1',
      version: 99,
      message: 'Version 99 is not in this reading of the history of A-1. Refresh to read the history again.',
    });
    failure = new Error('Orange Logic said "busy" (503).');
    panel.webview.receive({ type: 'diff', version: 3 });
    await tick();
    await tick();
    assert.deepEqual(panel.webview.posted.at(-1), {
      type: 'diffError',
      viewId: 'h1',
      version: 3,
      message: 'The changes of version 3 could not be read: Orange Logic said "busy" (503).',
    });
    assert.deepEqual(fake.errors, [], 'answered in the panel, not as a notification');
    // After a refresh, the new reading's diffs answer, for the new view.
    panel.webview.receive({ type: 'refresh' });
    await tick();
    await tick();
    panel.webview.receive({ type: 'diff', version: 3 });
    await tick();
    await tick();
    assert.deepEqual(panel.webview.posted.at(-1), {
      type: 'diffError',
      viewId: 'h2',
      version: 3,
      message: 'Version 3 is not in this reading of the history of A-1. Refresh to read the history again.',
    });
  });
});

describe('webview: HistoryPanel revive (a panel VS Code restored after a window reload)', () => {
  beforeEach(() => fake.reset());
  afterEach(() => fake.reset());

  const restored = (): FakeWebviewPanel => fakeWindow.createWebviewPanel('behalf.history', 'History', {}, {});
  const asPanel = (p: FakeWebviewPanel) => p as unknown as import('vscode').WebviewPanel;
  const shown = (panel: FakeWebviewPanel): HistoryView[] => panel.webview.posted.map((m) => (m as { view: HistoryView }).view);

  it('takes the panel over with today’s options and the kept view; it is that asset’s panel from then on', async () => {
    const panel = restored();
    const v = historyView();
    const revived = HistoryPanel.revive(asPanel(panel), extensionUri, v, async () => undefined, a1Diffs);
    assert.equal(panel.title, 'History · A-1');
    const options = (
      panel.webview as unknown as { options: { enableScripts: boolean; retainContextWhenHidden: boolean; localResourceRoots: Array<{ path: string }> } }
    ).options;
    assert.equal(options.enableScripts, true);
    assert.equal(options.retainContextWhenHidden, false);
    assert.deepEqual(
      options.localResourceRoots.map((u) => u.path),
      ['/ext/dist/webviews', '/ext/media'],
    );
    assert.match(panel.webview.html, /dist\/webviews\/history\.js/);
    panel.webview.receive({ type: 'ready' });
    await tick();
    assert.deepEqual(
      shown(panel).map((x) => x.id),
      ['h1'],
    );
    assert.deepEqual(HistoryPanel.all, [revived]);
    // Opening the same asset's history again reuses the revived panel.
    HistoryPanel.show(extensionUri, { ...v, id: 'h2' }, async () => ({ view: v, diffs: a1Diffs }), a1Diffs);
    assert.equal(fake.panels.length, 1);
    assert.deepEqual(
      shown(panel).map((x) => x.id),
      ['h1', 'h2'],
    );
  });

  it('Refresh of a revived panel: a reload that shows the history itself updates the panel once, with the new reload', async () => {
    const panel = restored();
    const v = historyView();
    let reads = 0;
    // As main.ts does: the command reads the history and shows it through HistoryPanel.show, answering nothing.
    const reopen = async () => {
      HistoryPanel.show(extensionUri, { ...v, id: `read-${++reads}` }, async () => ({ view: { ...v, id: `again-${++reads}` }, diffs: a1Diffs }), a1Diffs);
      return undefined;
    };
    HistoryPanel.revive(asPanel(panel), extensionUri, v, reopen, a1Diffs);
    panel.webview.receive({ type: 'ready' });
    await tick();
    panel.webview.receive({ type: 'refresh' });
    await tick();
    await tick();
    assert.deepEqual(
      shown(panel).map((x) => x.id),
      ['h1', 'read-1'],
    );
    panel.webview.receive({ type: 'refresh' });
    await tick();
    await tick();
    assert.deepEqual(
      shown(panel).map((x) => x.id),
      ['h1', 'read-1', 'again-2'],
      'later refreshes use the reload the command gave',
    );
    assert.equal(fake.panels.length, 1);
  });

  it('an open panel of the same asset gives way; closing the revived one forgets it', () => {
    const v = historyView();
    HistoryPanel.show(extensionUri, v, async () => ({ view: v, diffs: a1Diffs }), a1Diffs);
    const open = fake.panels[0];
    const panel = restored();
    HistoryPanel.revive(asPanel(panel), extensionUri, v, async () => undefined, a1Diffs);
    assert.equal(open.disposed, true);
    assert.equal(HistoryPanel.all.length, 1);
    panel.dispose();
    assert.equal(HistoryPanel.all.length, 0);
    assert.equal(panel.listenerCount, 0);
  });
});

describe('webview: history panel in Chromium', function () {
  this.timeout(60_000);
  const { open, openOnHost } = panelSuite(() =>
    Harness.start<HistoryView, HistoryToHost>((parts) => renderWebviewHtml(parts, HISTORY_PAGE), {
      script: 'history.js',
      style: 'history/history.css',
      shown: '.banner',
    }),
  );

  const texts = (p: PanelPage<HistoryView, HistoryToHost>, selector: string): Promise<string[]> =>
    p.eval<string[]>(`[...document.querySelectorAll(${JSON.stringify(selector)})].map((e) => e.textContent)`);
  const text = async (p: PanelPage<HistoryView, HistoryToHost>, selector: string): Promise<string> =>
    (await p.page.locator(selector).first().textContent()) ?? '';
  const focused = (p: PanelPage<HistoryView, HistoryToHost>): Promise<string | null> =>
    p.eval<string | null>(`document.activeElement && document.activeElement.closest('.version') && document.activeElement.closest('.version').dataset.version`);
  /** The page of a HistoryPanel host (fake 'vscode') showing `reading`: a version's diffs come from the host, as in VS Code. */
  const openWithHost = async (reading: HistoryFixture, options: OpenOptions = {}) => {
    fake.reset();
    HistoryPanel.show(extensionUri, reading.view, async () => reading, reading.diffs);
    const p = await openOnHost(fake.panels[0], options);
    await p.until(`document.querySelector('.banner') !== null`);
    return p;
  };
  const fieldsShown = (p: PanelPage<HistoryView, HistoryToHost>, version: number, count: number) =>
    p.until(`document.querySelectorAll('.version[data-version="${version}"] .field').length === ${count}`);

  it('posts ready, waits for the host, then shows the timeline newest first: version, date, user', async () => {
    const p = await open();
    assert.deepEqual(await p.posted(), [{ type: 'ready' }]);
    assert.equal(await text(p, '#app'), 'Reading the version history…');
    await p.show(historyView());
    assert.equal(await text(p, '.banner'), 'Version history of A-1 · 4 versions · Orange Logic (sandbox)');
    assert.deepEqual(await texts(p, '.version-number'), ['v4', 'v3', 'v2', 'v1']);
    assert.deepEqual(await texts(p, '.version-date'), ['2026-02-03 08:00 UTC', '2026-02-02 09:15 UTC', '2026-01-12 14:30 UTC', '2026-01-05 10:00 UTC']);
    assert.deepEqual(await texts(p, '.version-user'), ['raj@acme.test', 'jane@acme.test', 'jane@acme.test', 'svc@acme.test']);
    assert.equal(await p.page.locator('.version-date').first().getAttribute('datetime'), '2026-02-03T08:00:00Z');
    assert.deepEqual(await texts(p, '.version-summary'), [
      '2 fields: Metadata, Credit',
      '2 fields: Keywords, Caption',
      '1 field: Caption',
      '2 fields: Title, Keywords',
    ]);
    assert.equal(await text(p, '.toolbar .count'), '4 versions');
  });

  it('the principal’s versions are highlighted with a badge, and say so to screen readers', async () => {
    const p = await open();
    await p.show(historyView());
    assert.deepEqual(await p.eval<string[]>(`[...document.querySelectorAll('.version.by-principal')].map((e) => e.dataset.version)`), ['3', '2']);
    const badge = p.page.locator('.version.by-principal .principal-badge').first();
    assert.equal(await badge.textContent(), 'principal');
    assert.equal(await badge.getAttribute('aria-hidden'), 'true');
    assert.equal(await text(p, '.version.by-principal .sr-only'), ', recorded under the principal you acted as');
    assert.equal(await p.page.locator('.version:not(.by-principal) .principal-badge').count(), 0);
    // The row's accessible text carries it (the button's content).
    assert.match(await text(p, '.version[data-version="3"] .version-toggle'), /jane@acme\.test.*recorded under the principal you acted as/);
    assert.equal(
      await text(p, '.legend'),
      'The 2 versions recorded as jane@acme.test, the principal you act as (Jane Doe <jane@acme.test> (jane.api)), are marked principal.',
    );
    // Highlighted by colour from the theme, not only by the badge.
    const colours = await p.eval<string[]>(`[...document.querySelectorAll('.version-toggle')].map((b) => getComputedStyle(b).backgroundColor)`);
    assert.notEqual(colours[1], colours[0]);
    // No principal: no legend, no badge.
    await p.show(historyView({ id: 'np', principal: undefined, versions: historyView().versions.map((v) => ({ ...v, byPrincipal: false })) }));
    assert.equal(await p.page.locator('.legend').count(), 0);
    assert.equal(await p.page.locator('.principal-badge').count(), 0);
  });

  it('field diffs are asked of the host and created on expand: word diff with del/ins, set and cleared, JSON as a path list', async () => {
    const p = await openWithHost(historyReading());
    assert.equal(await p.page.locator('.changes').count(), 0, 'nothing built before a version is opened');
    assert.deepEqual(await p.posted(), [{ type: 'ready' }], 'nothing asked before a version is opened');
    const v3 = p.page.locator('.version[data-version="3"] .version-toggle');
    assert.equal(await v3.getAttribute('aria-expanded'), 'false');
    await v3.click();
    assert.equal(await v3.getAttribute('aria-expanded'), 'true');
    assert.equal(await p.page.locator('.changes').count(), 1);
    await fieldsShown(p, 3, 2);
    assert.deepEqual(await p.posted(), [{ type: 'ready' }, { type: 'diff', version: 3 }]);
    const caption = '.version[data-version="3"] .field:nth-child(2)';
    assert.equal(await text(p, `${caption} .field-name`), 'Caption');
    assert.deepEqual(await texts(p, `${caption} del.diff-del`), ['first light']);
    assert.deepEqual(await texts(p, `${caption} ins.diff-ins`), ['old ', 'dawn']);
    // Visible text reads as the new value with the old words struck through; screen readers get words.
    const visible = await p.eval<string>(
      `[...document.querySelector(${JSON.stringify(`${caption} .diff-text`)}).childNodes].filter((n) => !(n.classList && n.classList.contains('sr-only'))).map((n) => n.textContent).join('')`,
    );
    assert.equal(visible, 'Fishing boats leave the old harbour at first lightdawn.');
    assert.match(await text(p, `${caption} .diff-text`), /\[removed: first light\]/);
    assert.deepEqual(await texts(p, '.version[data-version="3"] .field:nth-child(1) ins'), [', dawn, boats']);

    await p.page.locator('.version[data-version="4"] .version-toggle').click();
    await fieldsShown(p, 4, 2);
    const rows = await p.eval<string[][]>(
      `[...document.querySelectorAll('.version[data-version="4"] .json-changes tbody tr')].map((r) => [...r.children].map((c) => c.querySelector('del, ins') ? c.querySelector('del, ins').textContent : c.textContent))`,
    );
    assert.deepEqual(rows, [
      ['$.owner.name', 'changed', '"Jane"', '"Raj"'],
      ['$.tags[2]', 'added', '', '"c"'],
      ['$.size', 'removed', '1', ''],
      ['$.rights', 'added', '', '"cc-by"'],
    ]);
    assert.equal(await text(p, '.version[data-version="4"] .field-unset .field-kind'), 'cleared');
    assert.equal(await text(p, '.version[data-version="4"] .field-unset del'), 'Studio A');
    await p.page.locator('.version[data-version="1"] .version-toggle').click();
    await fieldsShown(p, 1, 2);
    assert.deepEqual(await texts(p, '.version[data-version="1"] .field-set ins'), ['Harbour at dawn', 'harbour']);
    // Collapsing hides, and keeps what was built: opened again, nothing is asked again.
    await v3.click();
    assert.equal(await p.page.locator('#version-3-changes').isVisible(), false);
    assert.equal(await p.page.locator('.changes').count(), 3);
    await v3.click();
    assert.equal(await p.page.locator('#version-3-changes').isVisible(), true);
    assert.deepEqual(
      (await p.posted()).filter((m) => m.type === 'diff').map((m) => (m as { version: number }).version),
      [3, 4, 1],
    );
    fake.reset();
  });

  it('a version opened says it is reading until the host answers; an answer for another view is dropped; an error says why, with Try again', async () => {
    const p = await open();
    await p.show(historyView());
    const v3 = p.page.locator('.version[data-version="3"] .version-toggle');
    await v3.click();
    assert.deepEqual((await p.posted()).at(-1), { type: 'diff', version: 3 });
    assert.equal(await text(p, '#version-3-changes'), 'Reading the changes of v3…');
    assert.equal(await p.page.locator('#version-3-changes').getAttribute('aria-busy'), 'true');
    // Closed and opened again while the host works: asked once.
    await v3.click();
    await v3.click();
    const asked = async () => (await p.posted()).filter((m) => m.type === 'diff').length;
    assert.equal(await asked(), 1);
    const post = (message: unknown) =>
      p.eval(`(() => { window.postMessage(${JSON.stringify(message)}, '*'); return new Promise((r) => setTimeout(r, 50)); })()`);
    await post({ type: 'diff', viewId: 'another-reading', diff: a1Diffs(3) });
    assert.equal(await text(p, '#version-3-changes'), 'Reading the changes of v3…');
    // The host re-sends the same view (after the page said ready again): what is not answered is asked again.
    await post({ type: 'show', view: historyView() });
    assert.equal(await asked(), 2);
    const message = 'Version 3 is not in this reading of the history of A-1. Refresh to read the history again.';
    await post({ type: 'diffError', viewId: 'h1', version: 3, message });
    assert.equal(await text(p, '#version-3-changes .error'), message);
    assert.equal(await p.page.locator('#version-3-changes .error').getAttribute('role'), 'alert');
    assert.equal(await p.page.locator('#version-3-changes').getAttribute('aria-busy'), null);
    await p.page.locator('#version-3-changes button.retry').click();
    assert.equal(await asked(), 3);
    assert.equal(await text(p, '#version-3-changes'), 'Reading the changes of v3…');
    await post({ type: 'diff', viewId: 'h1', diff: a1Diffs(3) });
    await fieldsShown(p, 3, 2);
    assert.deepEqual(await texts(p, '#version-3-changes .field-name'), ['Keywords', 'Caption']);
  });

  it('filters by user; the principal’s option says so; the count is announced', async () => {
    const p = await open();
    await p.show(historyView());
    const options = await p.eval<Array<[string, string]>>(`[...document.querySelectorAll('#user-filter option')].map((o) => [o.value, o.textContent])`);
    assert.deepEqual(options, [
      ['', 'All users (4 versions)'],
      ['jane@acme.test', 'jane@acme.test (2) — principal'],
      ['raj@acme.test', 'raj@acme.test (1)'],
      ['svc@acme.test', 'svc@acme.test (1)'],
    ]);
    assert.equal(await text(p, 'label[for="user-filter"]'), 'User');
    await p.eval(`(() => { const s = document.querySelector('#user-filter'); s.value = 'jane@acme.test'; s.dispatchEvent(new Event('change')); })()`);
    assert.deepEqual(await texts(p, '.version-number'), ['v3', 'v2']);
    assert.equal(await text(p, '.toolbar .count'), '2 versions by jane@acme.test');
    assert.equal(await p.page.locator('.toolbar .count').getAttribute('aria-live'), 'polite');
    // By keyboard too.
    await p.page.locator('#user-filter').focus();
    await p.page.keyboard.press('ArrowDown');
    assert.deepEqual(await texts(p, '.version-number'), ['v4']);
    await p.eval(`(() => { const s = document.querySelector('#user-filter'); s.value = ''; s.dispatchEvent(new Event('change')); })()`);
    assert.equal(await p.page.locator('.version').count(), 4);
  });

  it('keyboard: one tab stop in the list, arrows move, right/left open and close, Enter toggles, focus is visible', async () => {
    const p = await open();
    await p.show(historyView());
    assert.deepEqual(await p.eval<string[]>(`[...document.querySelectorAll('.version-toggle')].map((b) => b.getAttribute('tabindex'))`), [
      '0',
      '-1',
      '-1',
      '-1',
    ]);
    await p.page.locator('#user-filter').focus();
    await p.page.keyboard.press('Tab'); // Refresh
    await p.page.keyboard.press('Tab'); // the list's tab stop: the newest version
    assert.equal(await focused(p), '4');
    await p.page.keyboard.press('ArrowDown');
    assert.equal(await focused(p), '3');
    await p.page.keyboard.press('ArrowRight');
    assert.equal(await p.page.locator('.version[data-version="3"] .version-toggle').getAttribute('aria-expanded'), 'true');
    await p.page.keyboard.press('ArrowLeft');
    assert.equal(await p.page.locator('.version[data-version="3"] .version-toggle').getAttribute('aria-expanded'), 'false');
    await p.page.keyboard.press('Enter');
    assert.equal(await p.page.locator('.version[data-version="3"] .version-toggle').getAttribute('aria-expanded'), 'true');
    await p.page.keyboard.press(' ');
    assert.equal(await p.page.locator('.version[data-version="3"] .version-toggle').getAttribute('aria-expanded'), 'false');
    await p.page.keyboard.press('End');
    assert.equal(await focused(p), '1');
    await p.page.keyboard.press('ArrowDown'); // stays on the last
    assert.equal(await focused(p), '1');
    await p.page.keyboard.press('Home');
    assert.equal(await focused(p), '4');
    assert.deepEqual(await p.eval<string[]>(`[...document.querySelectorAll('.version-toggle')].map((b) => b.getAttribute('tabindex'))`), [
      '0',
      '-1',
      '-1',
      '-1',
    ]);
    assert.equal(await p.eval<string>(`getComputedStyle(document.activeElement).outlineStyle`), 'solid');
  });

  it('1,000 versions: renders a page, more as it scrolls or by keyboard; diffs only when opened', async () => {
    const p = await open({ height: 600 });
    const big = longHistory(1000);
    const t0 = Date.now();
    await p.show(big);
    const firstPaintMs = Date.now() - t0;
    assert.equal(await p.page.locator('.version').count(), 100);
    assert.equal(await p.page.locator('.changes').count(), 0);
    assert.equal(await text(p, '.toolbar .count'), '1,000 versions (100 shown)');
    assert.equal(await text(p, 'button.more'), 'Show 100 more (100 of 1,000 shown)');
    // Scrolling near the end renders the next page.
    await p.eval(`window.scrollTo(0, document.body.scrollHeight)`);
    await p.until(`document.querySelectorAll('.version').length >= 200`);
    // "Show more" by keyboard (focusing it scrolls it into view, which may render a page by itself): focus
    // moves to the first version added.
    await p.page.locator('button.more').focus();
    await p.eval(`new Promise((r) => setTimeout(r, 200))`);
    const before = await p.page.locator('.version').count();
    assert.ok(before < 1000);
    await p.page.keyboard.press('Enter');
    assert.equal(await p.page.locator('.version').count(), before + 100);
    assert.equal(await focused(p), String(1000 - before));
    // End renders the rest and focuses the oldest.
    const t1 = Date.now();
    await p.page.keyboard.press('End');
    const endMs = Date.now() - t1;
    assert.equal(await focused(p), '1');
    assert.equal(await p.page.locator('.version').count(), 1000);
    assert.equal(await p.page.locator('button.more').isVisible(), false);
    assert.equal(await p.page.locator('.changes').count(), 0);
    await p.page.keyboard.press('Enter');
    assert.equal(await p.page.locator('.changes').count(), 1);
    // Filter to the principal: 250 versions, again a page at a time.
    await p.eval(`(() => { const s = document.querySelector('#user-filter'); s.value = 'jane@acme.test'; s.dispatchEvent(new Event('change')); })()`);
    assert.equal(await text(p, '.toolbar .count'), '250 versions by jane@acme.test (100 shown)');
    assert.equal(await p.page.locator('.version.by-principal').count(), 100);
    mkdirSync(RESULTS, { recursive: true });
    const figures = { versions: 1000, firstPaintMs, endRenderAllMs: endMs };
    writeFileSync(join(RESULTS, 'history-panel-1000.json'), `${JSON.stringify(figures, null, 2)}\n`);
    console.log(`      1,000 versions: ${JSON.stringify(figures)}`);
  });

  it('HTML and script in values, users, field names, JSON paths and dates stay literal text', async () => {
    const p = await openWithHost(hostileReading());
    await p.eval(`(async () => {
      for (const b of document.querySelectorAll('.version-toggle')) b.click();
      for (const o of document.querySelectorAll('#user-filter option')) {
        const s = document.querySelector('#user-filter'); s.value = o.value; s.dispatchEvent(new Event('change'));
      }
      const s = document.querySelector('#user-filter'); s.value = ''; s.dispatchEvent(new Event('change'));
      for (const b of document.querySelectorAll('.version-toggle[aria-expanded="false"]')) b.click();
      await new Promise((r) => setTimeout(r, 100));
    })()`);
    await fieldsShown(p, 2, 3);
    await fieldsShown(p, 1, 1);
    assert.equal(await p.eval<string>('typeof window.__pwned'), 'undefined');
    assert.equal(await p.eval<number>(`document.querySelectorAll('img, iframe, object, embed, b').length`), 0);
    assert.equal(await p.eval<number>(`document.querySelectorAll('script').length`), 1);
    assert.equal(await p.eval<number>(`[...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length`), 0);
    assert.equal(await text(p, '.banner .asset'), `A-${XSS}`);
    assert.equal(await text(p, '.version[data-version="1"] .version-user'), `mallory${XSS}@acme.test`);
    assert.equal(await text(p, '.version[data-version="1"] .version-date'), XSS);
    assert.equal(await text(p, '.version[data-version="1"] .field-name'), `Title${XSS}`);
    assert.equal(await text(p, '.version[data-version="1"] ins'), XSS);
    // The new value reads back exactly from the unchanged and added runs (the diff is word-level).
    const newText = await p.eval<string>(
      `[...document.querySelectorAll('.version[data-version="2"] .field:nth-child(1) .diff-text > :not(.sr-only):not(del)')].map((e) => e.textContent).join('')`,
    );
    assert.equal(newText, 'before </del><script>window.__pwned=1</script> after');
    assert.ok((await texts(p, '.version[data-version="2"] .json-path')).includes(`$[${JSON.stringify(XSS)}]`));
    assert.ok((await texts(p, '#user-filter option')).some((t) => t.includes(`mallory${XSS}`)));
    assert.equal(await text(p, '.legend .principal-who'), `Jane ${XSS}`);
    fake.reset();
  });

  it('ignores messages that are not a well-formed show', async () => {
    const p = await open();
    await p.eval(`(() => {
      window.postMessage({ type: 'show', view: { id: 'x', versions: '<img src=x onerror=window.__pwned=1>' } }, '*');
      window.postMessage({ type: 'show', view: Object.assign(${JSON.stringify(historyView())}, { versions: [{ version: 1, date: 'd', user: 'u', byPrincipal: false, fields: [{ field: 'f', kind: 'html', oldValue: '', newValue: '<img src=x onerror=window.__pwned=1>' }] }] }) }, '*');
      window.postMessage('show', '*');
      window.postMessage({ type: 'diff', viewId: 'x', diff: '<img src=x onerror=window.__pwned=1>' }, '*');
      window.postMessage({ type: 'diffError', viewId: 'x', version: 1, message: { html: '<img src=x onerror=window.__pwned=1>' } }, '*');
      return new Promise((r) => setTimeout(r, 50));
    })()`);
    assert.equal(await text(p, '#app'), 'Reading the version history…');
    assert.equal(await p.eval<string>('typeof window.__pwned'), 'undefined');
  });

  it('Refresh asks the host; filter, folding and scroll survive a refresh and a hide/show', async () => {
    const p = await open({ height: 400 });
    await p.show(longHistory(60, { id: 'r1' }));
    await p.eval(`(() => { const s = document.querySelector('#user-filter'); s.value = 'raj@acme.test'; s.dispatchEvent(new Event('change')); })()`);
    await p.page.locator('.version[data-version="58"] .version-toggle').click();
    await p.page.locator('button.refresh').click();
    assert.deepEqual((await p.posted()).at(-1), { type: 'refresh' });
    assert.equal(await p.eval<boolean>(`document.querySelector('button.refresh').disabled`), true, 'one refresh per click while the host works');
    // The host answers with a new reading of the same asset: the UI is kept.
    await p.show(longHistory(61, { id: 'r2' }));
    assert.equal(await p.eval<string>(`document.querySelector('#user-filter').value`), 'raj@acme.test');
    assert.equal(await p.page.locator('.version[data-version="58"] .version-toggle').getAttribute('aria-expanded'), 'true');
    assert.equal(await text(p, '.banner .total'), '61 versions');
    await p.eval(`window.scrollTo(0, 120)`);
    await p.eval(`new Promise((r) => setTimeout(r, 300))`);
    const scrolled = await p.eval<number>('window.scrollY');
    assert.ok(scrolled > 0);
    // Hidden and shown again: the page reloads and restores from its state before the host answers.
    await p.page.reload({ waitUntil: 'load' });
    await p.until(`document.querySelector('.banner') !== null`);
    // The page keeps no values: the open version's diffs are asked of the host again.
    assert.deepEqual(await p.posted(), [{ type: 'diff', version: 58 }, { type: 'ready' }]);
    assert.equal(await p.eval<string>(`document.querySelector('#user-filter').value`), 'raj@acme.test');
    assert.equal(await p.page.locator('.version[data-version="58"] .version-toggle').getAttribute('aria-expanded'), 'true');
    await p.until(`window.scrollY === ${scrolled}`);
  });

  it('end to end with the host: ready → show; Refresh answered by the host’s reload', async () => {
    fake.reset();
    let reads = 0;
    const v = historyView();
    HistoryPanel.show(
      extensionUri,
      v,
      async () => ({
        view: historyView({
          id: `again-${++reads}`,
          versions: [...v.versions, { version: 5, date: '2026-02-05T10:00:00Z', user: JANE_EMAIL, byPrincipal: true, fields: [] }],
        }),
        diffs: a1Diffs,
      }),
      a1Diffs,
    );
    const fakePanel = fake.panels[0];
    const p = await openOnHost(fakePanel);
    await p.until(`document.querySelector('.banner') !== null`);
    assert.equal(await p.page.locator('.version').count(), 4);
    await p.page.locator('button.refresh').click();
    await p.until(`document.querySelectorAll('.version').length === 5`);
    assert.equal(reads, 1);
    assert.equal(await text(p, '.version[data-version="5"] .version-summary'), 'no field changed');
    fake.reset();
  });

  it('keeps its view in the webview state for a window reload (small histories only); a revived host takes over from it', async () => {
    fake.reset();
    const v = historyView();
    let reads = 0;
    HistoryPanel.show(extensionUri, v, async () => ({ view: v, diffs: a1Diffs }), a1Diffs);
    let hostPanel = fake.panels[0];
    const p = await openOnHost(hostPanel);
    await p.until(`document.querySelector('.banner') !== null`);
    await p.page.locator('.version[data-version="3"] .version-toggle').click();
    await p.eval(`new Promise((r) => setTimeout(r, 300))`);
    const state = await p.eval<{ v: number; view?: unknown; ui: { expanded: number[] } }>(`JSON.parse(sessionStorage.getItem('__behalf_state'))`);
    assert.equal(state.v, 1);
    assert.deepEqual(state.view, v, 'the view as the host sent it (already redacted: no token ever reaches a panel)');
    assert.ok(isHistoryView(state.view), 'what the host checks before reviving');
    assert.deepEqual(state.ui.expanded, [3]);

    // The window reloads: the old host is gone; VS Code restores the panel and its page's state, and the
    // serializer revives it from the kept view (as main.ts revivePanel does).
    fake.reset();
    hostPanel = fakeWindow.createWebviewPanel('behalf.history', 'History', {}, {});
    // Its page kept no values: the revived host gives a version's diffs from a reading of its own (main.ts reads the history again).
    const revivedAsked: number[] = [];
    HistoryPanel.revive(
      hostPanel as unknown as import('vscode').WebviewPanel,
      extensionUri,
      state.view,
      async () => {
        HistoryPanel.show(extensionUri, historyView({ id: `read-${++reads}` }), async () => ({ view: v, diffs: a1Diffs }), a1Diffs);
        return undefined;
      },
      (version) => {
        revivedAsked.push(version);
        return a1Diffs(version);
      },
    );
    p.rebind(hostPanel);
    await p.page.reload({ waitUntil: 'load' });
    await p.until(`document.querySelector('.banner') !== null`);
    assert.equal(await p.page.locator('.version[data-version="3"] .version-toggle').getAttribute('aria-expanded'), 'true');
    await p.until(`window.__posted.some((m) => m.type === 'ready')`);
    // Asked before the host listened, asked again when it re-sent the view: answered.
    await fieldsShown(p, 3, 2);
    assert.deepEqual(await texts(p, '.version[data-version="3"] .field:nth-child(1) ins'), [', dawn, boats']);
    assert.ok(revivedAsked.length >= 1 && revivedAsked.every((n) => n === 3), String(revivedAsked));
    await p.page.locator('button.refresh').click();
    await p.until(`window.__posted.filter((m) => m.type === 'refresh').length === 1`);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(reads, 1);
    assert.equal(fake.panels.length, 1, 'Refresh shows the history in the revived panel');

    // A large history is not kept: there is nothing to revive from (the host closes such a panel).
    const big = longHistory(2000, { id: 'big' });
    assert.ok(JSON.stringify(big).length > 256 * 1024);
    await p.page.evaluate(`window.postMessage(${JSON.stringify({ type: 'show', view: big })}, '*')`);
    await p.until(`document.querySelectorAll('.version').length >= 100`);
    await p.eval(`new Promise((r) => setTimeout(r, 300))`);
    assert.equal(await p.eval<boolean>(`'view' in JSON.parse(sessionStorage.getItem('__behalf_state'))`), false);
    fake.reset();
  });

  it('screenshots: dark, light and high contrast', async () => {
    mkdirSync(RESULTS, { recursive: true });
    for (const [file, theme] of [
      ['history-panel.png', 'dark'],
      ['history-panel-light.png', 'light'],
      ['history-panel-hc.png', 'hc'],
    ] as const) {
      const p = await openWithHost(historyReading(), { theme, width: 860, height: 680 });
      await p.page.locator('.version[data-version="3"] .version-toggle').click();
      await p.page.locator('.version[data-version="4"] .version-toggle').click();
      await fieldsShown(p, 3, 2);
      await fieldsShown(p, 4, 2);
      await p.page.locator('.version[data-version="4"] .version-toggle').focus();
      await p.page.keyboard.press('ArrowDown');
      await p.page.screenshot({ path: join(RESULTS, file) });
    }
    fake.reset();
  });
});
