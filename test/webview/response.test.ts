// The response panel's page in real Chromium (Debian's, driven by playwright-core from the tools cache):
// served with the host's own HTML and CSP, talking to a stand-in acquireVsCodeApi.

import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AttributionResult } from '../../src/core/audit';
import type { PanelToHost, ResponseView } from '../../src/protocol/response';
import { Uri, fake } from './fakeVscode';
import { JANE, XSS, forbiddenView, hostileHtmlView, hostileView, selfView, view } from './fixtures';
import { Harness, panelSuite, type PanelPage } from './harness';
import { loadResponsePanelModule } from './host';

const RESULTS = resolve(__dirname, '..', '..', 'test-results');
const { renderResponseHtml, ResponsePanel } = loadResponsePanelModule();

function jsonView(body: unknown, extra: { id?: string; assetId?: string } = {}): ResponseView {
  const text = JSON.stringify(body, null, 2);
  return view({ body: text, bodyBytes: Buffer.byteLength(text) }, extra);
}

/** What the page posted, less its `shown` notes (they follow every response it paints). */
const withoutShown = (posted: PanelToHost[]): PanelToHost[] => posted.filter((m) => m.type !== 'shown');

describe('webview: response panel in Chromium', function () {
  this.timeout(60_000);
  const { open, openOnHost, extensionRoot } = panelSuite(() => Harness.start(renderResponseHtml));

  const text = async (p: PanelPage, selector: string): Promise<string> => (await p.page.locator(selector).first().textContent()) ?? '';
  const activeLabel = (p: PanelPage): Promise<string | null> =>
    p.eval<string | null>(`document.activeElement && (document.activeElement.getAttribute('aria-label') || document.activeElement.textContent)`);

  it('posts ready on load and renders nothing until the host sends a view', async () => {
    const p = await open();
    assert.deepEqual(await p.posted(), [{ type: 'ready' }]);
    assert.equal(await text(p, '#app'), 'Waiting for the response…');
    await p.show(view());
    assert.equal(await p.page.locator('.banner').count(), 1);
  });

  it('says once per response, after the frame that painted it, that it is shown (the host retitles the tab then)', async () => {
    const p = await open();
    await p.show(view({}, { id: 'v1' }));
    await p.until(`window.__posted.some((m) => m.type === 'shown')`);
    assert.deepEqual(await p.posted(), [{ type: 'ready' }, { type: 'shown', viewId: 'v1' }]);
    // The same response again (the host re-sends it after every ready) is not drawn again, nor said again.
    await p.eval(`window.postMessage(${JSON.stringify({ type: 'show', view: view({}, { id: 'v1' }) })}, '*')`);
    await p.show(view({ status: 404, statusText: 'Not Found' }, { id: 'v2' }));
    await p.until(`window.__posted.filter((m) => m.type === 'shown').length === 2`);
    await p.eval(`new Promise((r) => setTimeout(r, 50))`);
    assert.deepEqual(await p.posted(), [{ type: 'ready' }, { type: 'shown', viewId: 'v1' }, { type: 'shown', viewId: 'v2' }]);
  });

  it('banner: who, mode and connection, as a status region; the service user without a mode', async () => {
    const p = await open();
    await p.show(view());
    const banner = p.page.locator('.banner');
    assert.equal(await banner.textContent(), `Sent as ${JANE} · full · DealCloud (sandbox)`);
    assert.equal(await banner.getAttribute('role'), 'status');
    assert.equal(await text(p, '.banner .who'), JANE);

    await p.show(selfView());
    assert.equal(await banner.textContent(), 'Sent as the service user · DealCloud (sandbox)');
    assert.equal(await p.page.locator('.banner .mode').count(), 0);
  });

  it('status, time and size, the status coloured by class from the theme', async () => {
    const p = await open({ theme: 'dark' });
    const v = view();
    await p.show(v);
    assert.equal(await text(p, '.status'), '200 OK');
    assert.equal(await text(p, '.time'), '123 ms');
    assert.equal(await text(p, '.size'), v.bodyBytes < 1024 ? `${v.bodyBytes} B` : `${(v.bodyBytes / 1024).toFixed(1)} KB`);
    const colour = (): Promise<string> => p.eval<string>(`getComputedStyle(document.querySelector('.status')).color`);
    assert.equal(await colour(), 'rgb(115, 201, 145)'); // --vscode-testing-iconPassed (Dark Modern)
    await p.show(forbiddenView());
    assert.equal(await text(p, '.status'), '403 Forbidden');
    assert.equal(await colour(), 'rgb(248, 81, 73)'); // --vscode-errorForeground
    await p.theme('light');
    await p.show(view({ status: 201, statusText: 'Created' }));
    assert.equal(await colour(), 'rgb(56, 138, 52)'); // --vscode-testing-iconPassed (Light Modern)
  });

  it('Save body…, Open in editor and Resend: keyboard, labels, typed messages about this response only', async () => {
    const p = await open({ theme: 'dark' });
    await p.show({ ...view({}, { id: 'r1' }), canResend: true });
    const save = p.page.locator('.actions button.save-body');
    assert.equal(await save.textContent(), 'Save body…');
    assert.equal(await save.getAttribute('title'), 'Save the body to a file, exactly as received');
    await save.focus();
    await p.page.keyboard.press('Enter');
    await p.page.locator('.actions button.open-in-editor').focus();
    await p.page.keyboard.press('Space');
    const resend = p.page.locator('.actions button.resend');
    assert.equal(await resend.getAttribute('aria-label'), `Resend the request as ${JANE}`);
    await resend.focus();
    await p.page.keyboard.press('Enter');
    await p.page.keyboard.press('Enter'); // a second press while the host sends does not send twice
    assert.deepEqual(withoutShown(await p.posted()).slice(1), [
      { type: 'save', viewId: 'r1' },
      { type: 'openInEditor', viewId: 'r1' },
      { type: 'resend', viewId: 'r1' },
    ]);
    assert.equal(await resend.getAttribute('aria-disabled'), 'true');
    // Theme-aware like the other toolbar buttons.
    const bg = (sel: string): Promise<string> => p.eval<string>(`getComputedStyle(document.querySelector('${sel}')).backgroundColor`);
    assert.equal(await bg('.actions .save-body'), await bg('.actions .copy-body'));
    // No Resend when the host cannot send it again (a restored panel).
    await p.show(view({}, { id: 'r2' }));
    assert.equal(await p.page.locator('.actions button.resend').count(), 0);
    assert.deepEqual(await p.cspViolations(), []);
  });

  it('a binary body: says what it is and offers Save body…; Open in editor says it cannot', async () => {
    const p = await open();
    await p.show({
      ...view({ headers: { 'content-type': 'image/png' }, body: '\u0089PNG\r\n\u001a\n\ufffd\ufffd', bodyBytes: 9_523 }, { id: 'b1' }),
      binary: true,
    });
    assert.equal(await text(p, '.binary-summary'), 'Binary body (image/png, 9.3 KB) — Save body… to keep it.');
    assert.equal(await p.page.locator('pre.raw').count(), 0, 'no decoded noise');
    await p.page.locator('.binary-body button.save-binary').focus();
    await p.page.keyboard.press('Enter');
    const open_ = p.page.locator('.actions button.open-in-editor');
    assert.equal(await open_.getAttribute('aria-disabled'), 'true');
    assert.match((await open_.getAttribute('title')) ?? '', /binary body cannot be opened as text/);
    assert.deepEqual((await p.posted()).at(-1), { type: 'save', viewId: 'b1' });
    // Binary by the host's say-so alone (bytes that are not UTF-8, no content type).
    await p.show({ ...view({ headers: {}, body: 'x\ufffd', bodyBytes: 2 }, { id: 'b2' }), binary: true });
    assert.equal(await text(p, '.binary-summary'), 'Binary body (unknown type, 2 B) — Save body… to keep it.');
  });

  it('explanation with its action button, and notes', async () => {
    const p = await open();
    const v = forbiddenView();
    await p.show(v);
    assert.equal(await text(p, '.explanation-message'), v.explanation?.message);
    assert.equal(await text(p, '.notes li'), 'Retried once after a 401: the token had expired.');
    const action = p.page.locator('.explanation button.action');
    assert.equal(await action.textContent(), 'Create proxy assignment');
    await action.focus();
    await p.page.keyboard.press('Enter');
    const posted = await p.posted();
    assert.deepEqual(posted.at(-1), { type: 'action', kind: 'createProxyAssignment', args: { connectionId: 'dc-sandbox', userId: '6045' } });
    // A second press while the host works does not send the action twice.
    await p.page.keyboard.press('Enter');
    assert.equal((await p.posted()).filter((m) => m.type === 'action').length, 1);
  });

  it('copy buttons and the history button post their requests', async () => {
    const p = await open();
    await p.show(view({}, { assetId: 'A-17' }));
    await p.page.locator('button.copy-body').click();
    await p.page.locator('button.copy-curl').click();
    await p.page.locator('button.open-history').click();
    const posted: PanelToHost[] = withoutShown(await p.posted()).slice(1);
    assert.deepEqual(posted, [
      { type: 'copy', what: 'body' },
      { type: 'copy', what: 'curl' },
      { type: 'openHistory', assetId: 'A-17' },
    ]);
    assert.equal(await p.page.locator('button.copy-curl').getAttribute('title'), 'Copy the request as a cURL command (secrets redacted)');
    await p.show(view());
    assert.equal(await p.page.locator('button.open-history').count(), 0);
  });

  it('after a write as a principal: who the vendor recorded, the advice, and "Check again"', async () => {
    const p = await open();
    const ok = {
      ...view({}, { assetId: 'A-1' }),
      attribution: { assetId: 'A-1', outcome: 'recorded-as-principal' as const, message: 'Recorded as jane@acme.test in version 4.' },
    };
    await p.show(ok);
    assert.equal(await text(p, '.attribution-message'), 'Recorded as jane@acme.test in version 4.');
    assert.equal(await p.page.locator('.attribution').getAttribute('class'), 'attribution attribution-ok');
    assert.equal(await p.page.locator('.attribution').getAttribute('role'), 'status');
    assert.equal(await p.page.locator('.attribution-advice').count(), 0);
    await p.page.locator('button.verify-attribution').focus();
    await p.page.keyboard.press('Enter');
    assert.deepEqual((await p.posted()).at(-1), { type: 'verifyAttribution', assetId: 'A-1' });
    const other = {
      ...view({}, { assetId: `A-${XSS}` }),
      attribution: {
        assetId: `A-${XSS}`,
        outcome: 'recorded-as-other' as const,
        message: `Orange Logic recorded ${XSS}, not jane@acme.test.`,
        advice: `Lite impersonation is probably not enabled ${XSS}`,
      },
    };
    await p.show(other);
    assert.equal(await p.page.locator('.attribution').getAttribute('class'), 'attribution attribution-warn');
    assert.equal(await text(p, '.attribution-message'), `Orange Logic recorded ${XSS}, not jane@acme.test.`);
    assert.equal(await text(p, '.attribution-advice'), `Lite impersonation is probably not enabled ${XSS}`);
    assert.equal(await p.eval<number>(`document.querySelectorAll('img, script:not([nonce])').length`), 0);
    assert.equal(await p.eval<string>('typeof window.__pwned'), 'undefined');
    await p.show(view());
    assert.equal(await p.page.locator('.attribution').count(), 0);
  });

  it('"Check again" updates the box in place: "Checking again…" (live), then the new result or why there is none', async () => {
    const p = await open({ height: 400 });
    const v: ResponseView = {
      ...jsonView({ list: Array.from({ length: 60 }, (_, i) => `row ${i}`) }, { id: 'w1', assetId: 'A-1' }),
      attribution: {
        assetId: 'A-1',
        outcome: 'recorded-as-other',
        message: 'Orange Logic recorded svc@acme.test, not jane@acme.test.',
        advice: 'Lite impersonation is probably not enabled.',
      },
    };
    await p.show(v);
    await p.page.locator('#tab-headers').click();
    const box = p.page.locator('.attribution');
    assert.equal(await box.getAttribute('aria-live'), 'polite');
    assert.equal(await box.getAttribute('role'), 'status');
    assert.equal(await p.eval<boolean>(`document.querySelector('.attribution-check').hidden`), true, 'no check line until a check');
    const again = p.page.locator('button.verify-attribution');
    await again.focus();
    await p.page.keyboard.press('Enter');
    assert.deepEqual((await p.posted()).at(-1), { type: 'verifyAttribution', assetId: 'A-1' });
    assert.equal(await text(p, '.attribution-check'), 'Checking again…');
    assert.equal(await again.getAttribute('aria-disabled'), 'true');
    assert.equal(await p.eval<boolean>(`document.activeElement === document.querySelector('button.verify-attribution')`), true, 'the button keeps focus');
    assert.match((await box.getAttribute('class')) ?? '', /attribution-checking/);
    await p.page.keyboard.press('Enter');
    assert.equal((await p.posted()).filter((m) => m.type === 'verifyAttribution').length, 1, 'one check at a time');
    await p.eval(`document.querySelector('.banner').dataset.marker = 'kept'`);
    const post = (message: unknown) => p.eval(`new Promise((r) => { window.postMessage(${JSON.stringify(message)}, '*'); setTimeout(r, 50); })`);
    await post({ type: 'attribution', viewId: 'w1', check: { state: 'checking' } });
    assert.equal(await text(p, '.attribution-check'), 'Checking again…');

    // A failure: the result shown stays, the reason is in the box, the button works again.
    await post({ type: 'attribution', viewId: 'w1', check: { state: 'failed', message: `Could not check again: Orange Logic said "busy" ${XSS}` } });
    assert.equal(await text(p, '.attribution-check'), `Could not check again: Orange Logic said "busy" ${XSS}`);
    assert.equal(await p.page.locator('.attribution-check.attribution-error').count(), 1);
    assert.equal(await text(p, '.attribution-message'), 'Orange Logic recorded svc@acme.test, not jane@acme.test.');
    assert.equal(await text(p, '.attribution-advice'), 'Lite impersonation is probably not enabled.');
    assert.equal(await again.getAttribute('aria-disabled'), null);
    assert.equal(await p.eval<string>('typeof window.__pwned'), 'undefined');

    // A result: the box changes in place; the rest of the page (tab, the banner) is untouched.
    await again.click();
    const attribution = { assetId: 'A-1', outcome: 'recorded-as-principal', message: 'Recorded as jane@acme.test in version 5.' };
    await post({ type: 'attribution', viewId: 'w1', check: { state: 'checked', attribution } });
    assert.equal(await box.getAttribute('class'), 'attribution attribution-ok');
    assert.equal(await text(p, '.attribution-message'), 'Recorded as jane@acme.test in version 5.');
    assert.equal(await p.page.locator('.attribution-advice').count(), 0);
    assert.equal(await text(p, '.attribution-check'), 'Checked again.');
    assert.equal(await p.page.locator('.attribution-check.attribution-error').count(), 0);
    assert.equal(await p.eval<string>(`document.querySelector('.banner').dataset.marker`), 'kept', 'nothing rebuilt');
    assert.equal(await p.page.locator('#tab-headers').getAttribute('aria-selected'), 'true');
    // About another response: ignored.
    await post({ type: 'attribution', viewId: 'other', check: { state: 'failed', message: 'not for this one' } });
    assert.equal(await text(p, '.attribution-check'), 'Checked again.');

    // The kept view has the new result: a reload shows it before the host answers.
    await p.eval(`new Promise((r) => setTimeout(r, 300))`);
    assert.deepEqual(await p.eval(`JSON.parse(sessionStorage.getItem('__behalf_state')).view.attribution`), attribution);
    await p.page.reload({ waitUntil: 'load' });
    await p.until(`document.querySelector('.attribution') !== null`);
    assert.equal(await text(p, '.attribution-message'), 'Recorded as jane@acme.test in version 5.');
    assert.equal(await p.page.locator('#tab-headers').getAttribute('aria-selected'), 'true');
  });

  it('"Check again" end to end with the host: checking, then the result in the box', async () => {
    fake.reset();
    const extensionUri = Uri.file(extensionRoot()) as unknown as import('vscode').Uri;
    let finish!: (r: AttributionResult | undefined) => void;
    const v: ResponseView = {
      ...view({}, { assetId: 'A-1' }),
      attribution: { assetId: 'A-1', outcome: 'no-new-version', message: 'No new version of A-1 was recorded.' },
    };
    ResponsePanel.show(extensionUri, v, {
      onAction: () => undefined,
      onOpenHistory: () => undefined,
      onVerifyAttribution: () => new Promise((r) => (finish = r)),
    });
    const fakePanel = fake.panels[0];
    const p = await openOnHost(fakePanel);
    await p.until(`document.querySelector('.attribution') !== null`);
    await p.page.locator('button.verify-attribution').click();
    await p.until(`document.querySelector('.attribution-check')?.textContent === 'Checking again…'`);
    finish({
      assetId: 'A-1',
      outcome: 'recorded-as-principal',
      message: 'Recorded as jane@acme.test in version 5.',
      expectedUser: 'jane@acme.test',
      recordedUser: 'jane@acme.test',
      version: 5,
    });
    await p.until(`document.querySelector('.attribution-message')?.textContent === 'Recorded as jane@acme.test in version 5.'`);
    assert.equal(await text(p, '.attribution-check'), 'Checked again.');
    assert.equal(await p.page.locator('.attribution').getAttribute('class'), 'attribution attribution-ok');
    fake.reset();
  });

  it('JSON tree: shallow levels open, deeper ones closed and not even created; keyboard folds', async () => {
    const p = await open();
    await p.show(view());
    const tree = p.page.locator('.tree');
    assert.equal(await tree.locator('.key-name').first().textContent(), 'entryId');
    // Depth 1 containers are open (owner, tags, fields); the objects inside fields (depth 2) are closed.
    const owner = p.page.locator('button.twisty[aria-label="owner, 3 keys"]');
    assert.equal(await owner.getAttribute('aria-expanded'), 'true');
    const item0 = p.page.locator('button.twisty[aria-label="item 0, 2 keys"]');
    assert.equal(await item0.getAttribute('aria-expanded'), 'false');
    const item0Node = `document.querySelector('button.twisty[aria-label="item 0, 2 keys"]').closest('.node')`;
    assert.equal(await p.eval<number>(`${item0Node}.querySelectorAll('.children').length`), 0, 'children are created only on expand');

    await item0.focus();
    await p.page.keyboard.press('Enter');
    assert.equal(await item0.getAttribute('aria-expanded'), 'true');
    assert.equal(await p.eval<string>(`${item0Node}.querySelector('.children').textContent`), 'fieldId: 100value: "value 0"');
    await p.page.keyboard.press('ArrowLeft');
    assert.equal(await item0.getAttribute('aria-expanded'), 'false');
    assert.equal(await p.eval<boolean>(`${item0Node}.querySelector('.children').hidden`), true);
    await p.page.keyboard.press('ArrowRight');
    assert.equal(await item0.getAttribute('aria-expanded'), 'true');
    await p.page.keyboard.press(' ');
    assert.equal(await item0.getAttribute('aria-expanded'), 'false');
    await p.page.keyboard.press('ArrowDown');
    assert.equal(await activeLabel(p), 'item 1, 2 keys');
    await p.page.keyboard.press('ArrowUp');
    await p.page.keyboard.press('ArrowLeft'); // closed already: moves to the parent
    assert.equal(await activeLabel(p), 'fields, 5 items');
    // Focus is visible.
    assert.equal(await p.eval<string>(`getComputedStyle(document.activeElement).outlineStyle`), 'solid');
    // Values are typed and exact.
    assert.equal(await text(p, '.value.number'), '1042');
    assert.equal(await p.page.locator('.value.null').count(), 1);
    assert.equal(await p.page.locator('.value.boolean').textContent(), 'true');
  });

  it('long arrays are closed and paged 200 at a time with "show more"; long strings are cut', async () => {
    const p = await open();
    await p.show(jsonView({ items: Array.from({ length: 450 }, (_, i) => ({ i })), long: 'x'.repeat(2000) }));
    const items = p.page.locator('button.twisty[aria-label="items, 450 items"]');
    assert.equal(await items.getAttribute('aria-expanded'), 'false');
    await items.click();
    const rows = `document.querySelector('button.twisty[aria-label="items, 450 items"]').closest('.node').querySelector('.children').children.length`;
    assert.equal(await p.eval<number>(rows), 201); // 200 members + the "show more" row
    const more = p.page.locator('button.more');
    assert.equal(await more.textContent(), 'Show 200 more (200 of 450 shown)');
    await more.click();
    assert.equal(await more.textContent(), 'Show 50 more (400 of 450 shown)');
    await more.focus();
    await p.page.keyboard.press('Enter');
    assert.equal(await p.page.locator('button.more').count(), 0);
    assert.equal(await p.eval<number>(rows), 450);
    assert.equal(await activeLabel(p), 'item 400, 1 key', 'focus moves to the first member added');

    const long = p.page.locator('.value.string').last();
    assert.equal((await long.textContent())?.startsWith(`"${'x'.repeat(499)}`), true);
    await p.page.locator('button.more-chars').click();
    assert.equal(await long.textContent(), `"${'x'.repeat(2000)}"`);
  });

  it('Raw shows the body exactly as received; non-JSON bodies are raw only', async () => {
    const p = await open();
    const v = view();
    await p.show(v);
    const raw = p.page.locator('button.toggle-raw');
    assert.equal(await raw.getAttribute('aria-pressed'), 'false');
    await raw.click();
    assert.equal(await raw.getAttribute('aria-pressed'), 'true');
    assert.equal(await p.page.locator('pre.raw').textContent(), v.body);
    assert.equal(await p.page.locator('.tree').isVisible(), false);
    await raw.press('Enter');
    assert.equal(await p.page.locator('.tree').isVisible(), true);
    assert.equal(await p.page.locator('pre.raw').isVisible(), false);

    const html = hostileHtmlView();
    await p.show(html);
    assert.equal(await p.page.locator('button.toggle-raw').count(), 0);
    assert.equal(await p.page.locator('pre.raw').textContent(), html.body);

    const broken = view({ body: '{"a": 1,', bodyBytes: 8 });
    await p.show(broken);
    assert.match(await text(p, '.parse-error'), /not valid JSON/);
    assert.equal(await p.page.locator('pre.raw').textContent(), '{"a": 1,');
  });

  it('Headers and Request tabs: response headers, the redacted request and cURL; tabs work by keyboard', async () => {
    const p = await open();
    const v = view({
      request: {
        method: 'POST',
        url: 'https://acme.dealcloud.test/api/rest/v4/data/entrydata/deal',
        headers: { Authorization: 'Bearer «redacted»', 'AS-USER': '6045' },
        body: '{"name":"Acme"}',
      },
    });
    await p.show(v);
    const tab = (id: string) => p.page.locator(`#tab-${id}`);
    assert.equal(await tab('body').getAttribute('aria-selected'), 'true');
    assert.equal(await tab('headers').textContent(), 'Headers (3)');
    await tab('body').focus();
    await p.page.keyboard.press('ArrowRight');
    assert.equal(await tab('headers').getAttribute('aria-selected'), 'true');
    assert.equal(await activeLabel(p), 'Headers (3)');
    assert.equal(await p.page.locator('#panel-body').isVisible(), false);
    const headerRows = await p.eval<string[]>(`[...document.querySelectorAll('#panel-headers tbody tr')].map((r) => r.textContent)`);
    assert.deepEqual(headerRows, ['content-typeapplication/json; charset=utf-8', 'x-request-idreq-7f3a', 'cache-controlno-store']);

    await p.page.keyboard.press('ArrowRight');
    assert.equal(await tab('request').getAttribute('aria-selected'), 'true');
    const request = (await text(p, '#panel-request')) ?? '';
    assert.ok(request.includes('POST https://acme.dealcloud.test/api/rest/v4/data/entrydata/deal'));
    assert.ok(request.includes('AuthorizationBearer «redacted»'));
    assert.ok(request.includes('AS-USER6045'));
    assert.ok(request.includes('{"name":"Acme"}'));
    assert.equal(await text(p, '#panel-request pre.curl'), v.curl);
    assert.ok(v.curl.includes('«redacted»'));
    await p.page.keyboard.press('Home');
    assert.equal(await tab('body').getAttribute('aria-selected'), 'true');
    await p.page.keyboard.press('ArrowLeft');
    assert.equal(await tab('request').getAttribute('aria-selected'), 'true');
  });

  it('Request tab: how the request went out, "via proxy host:port" or "direct"; nothing for records without it', async () => {
    const p = await open();
    const route = () => p.eval<string | null>(`document.querySelector('#panel-request .network-route')?.textContent ?? null`);
    await p.show(view({ via: 'via proxy proxy.corp.example:3128' }, { id: 'proxied' }));
    await p.page.locator('#tab-request').click();
    assert.equal(await route(), 'via proxy proxy.corp.example:3128');
    const sections = await p.eval<string[]>(`[...document.querySelectorAll('#panel-request h2, #panel-request h3')].map((e) => e.textContent)`);
    assert.deepEqual(sections.slice(0, 3), ['Request line', 'Network', 'Headers']);
    await p.show(view({ via: 'direct' }, { id: 'direct' }));
    await p.page.locator('#tab-request').click();
    assert.equal(await route(), 'direct');
    await p.show(view({}, { id: 'old' }));
    await p.page.locator('#tab-request').click();
    assert.equal(await route(), null);
  });

  it('server data is shown as text, never as markup (body, headers, explanation, notes, identity)', async () => {
    const p = await open();
    for (const v of [hostileView(), hostileHtmlView()]) {
      await p.show(v);
      // Visit everything that renders server data: both body views, every tab, every tree node.
      await p.eval(`(async () => {
        for (const b of document.querySelectorAll('button.twisty[aria-expanded="false"]')) b.click();
        for (const b of document.querySelectorAll('button.more-chars')) b.click();
        document.querySelector('button.toggle-raw')?.click();
        document.querySelector('#tab-headers').click();
        document.querySelector('#tab-request').click();
        await new Promise((r) => setTimeout(r, 100));
      })()`);
      assert.equal(await p.eval<string>('typeof window.__pwned'), 'undefined');
      assert.equal(await p.eval<number>(`document.querySelectorAll('img, iframe, object, embed, h1').length`), 0);
      assert.equal(await p.eval<number>(`document.querySelectorAll('script').length`), 1);
      assert.equal(await p.eval<number>(`[...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => a.name.startsWith('on'))).length`), 0);
    }
    await p.show(hostileView());
    assert.equal(await text(p, '.banner .who'), `Mallory ${XSS}`);
    assert.equal(await text(p, '.status'), `500 ${XSS}`);
    assert.equal(await text(p, '.explanation-message'), `Refused: ${XSS}`);
    assert.equal(await text(p, '.explanation button'), `Fix ${XSS}`);
    assert.equal(await text(p, '.notes li'), XSS);
    assert.equal(await text(p, '.tree .key-name'), XSS);
    assert.equal(await text(p, '.tree .value.string'), JSON.stringify(XSS));
    await p.page.locator('#tab-headers').click();
    assert.equal(await text(p, '#panel-headers td.header-value:nth-child(2)'), 'application/json');
    assert.ok((await text(p, '#panel-headers')).includes(`x-evil${XSS}`));
  });

  it('ignores messages that are not a well-formed show', async () => {
    const p = await open();
    await p.eval(`(() => {
      window.postMessage({ type: 'show', view: { status: '200', body: '<img src=x onerror=window.__pwned=1>' } }, '*');
      window.postMessage('show', '*');
      window.postMessage({ type: 'exec', code: 'window.__pwned = 1' }, '*');
      return new Promise((r) => setTimeout(r, 50));
    })()`);
    assert.equal(await text(p, '#app'), 'Waiting for the response…');
    assert.equal(await p.eval<string>('typeof window.__pwned'), 'undefined');
  });

  it('the CSP refuses what an injection would need, and the violation listener sees it (control)', async () => {
    const p = await open();
    await p.show(view());
    const outcome = await p.eval<{ inline: string; colour: string }>(`(async () => {
      const script = document.createElement('script');
      script.textContent = 'window.__inlineRan = 1';
      document.body.append(script);
      const img = document.createElement('img');
      img.src = 'https://elsewhere.test/pixel.png';
      document.body.append(img);
      const style = document.createElement('style');
      style.textContent = '.banner { color: rgb(1, 2, 3) !important }';
      document.head.append(style);
      await new Promise((r) => setTimeout(r, 100));
      const colour = getComputedStyle(document.querySelector('.banner')).color;
      script.remove(); img.remove(); style.remove();
      return { inline: typeof window.__inlineRan, colour };
    })()`);
    assert.equal(outcome.inline, 'undefined');
    assert.notEqual(outcome.colour, 'rgb(1, 2, 3)');
    const directives = (await p.eval<Array<{ directive: string }>>('window.__csp')).map((v) => v.directive).sort();
    assert.deepEqual(directives, ['img-src', 'script-src-elem', 'style-src-elem']);
    await p.eval('window.__csp.length = 0'); // expected violations: keep the per-test check meaningful
  });

  it('restores tab, folding, raw mode and scroll after the panel is hidden and shown (getState)', async () => {
    const p = await open({ height: 400 });
    const v = jsonView({ a: { b: 1 }, list: Array.from({ length: 60 }, (_, i) => `row ${i}`) }, { id: 'r1' });
    await p.show(v);
    await p.page.locator('#tab-headers').click();
    await p.page.locator('#tab-body').click();
    await p.page.locator('button.twisty[aria-label="a, 1 key"]').click(); // close a default-open node
    await p.eval(`window.scrollTo(0, 300)`);
    await p.eval(`new Promise((r) => setTimeout(r, 300))`); // state is saved debounced
    const scrolled = await p.eval<number>('window.scrollY');
    assert.ok(scrolled > 0);

    // Hidden + shown again = the page reloads (retainContextWhenHidden is off). A small view comes back from
    // the state at once, before the host answers `ready`.
    await p.page.reload({ waitUntil: 'load' });
    await p.until(`document.querySelector('.banner') !== null`);
    assert.deepEqual(withoutShown(await p.posted()), [{ type: 'ready' }]);
    assert.equal(await p.page.locator('button.twisty[aria-label="a, 1 key"]').getAttribute('aria-expanded'), 'false');
    await p.until(`window.scrollY === ${scrolled}`);
    // The host then re-sends the same view: nothing is rebuilt.
    await p.eval(`document.querySelector('.banner').dataset.marker = 'kept'`);
    // Posted directly (show() waits for a new rendering, which must not happen here), then one task later.
    await p.eval(`window.postMessage(${JSON.stringify({ type: 'show', view: v })}, '*')`);
    await p.eval(`new Promise((r) => setTimeout(r, 50))`);
    assert.equal(await p.eval<string>(`document.querySelector('.banner').dataset.marker`), 'kept');

    // A large view is not kept in the state: the page waits for the host, then restores the UI around it.
    const big = jsonView({ rows: Array.from({ length: 10000 }, (_, i) => ({ id: i, name: `row ${i}` })) }, { id: 'r2' });
    await p.show(big);
    await p.page.locator('#tab-request').click();
    await p.eval(`new Promise((r) => setTimeout(r, 300))`);
    assert.equal(await p.eval<boolean>(`'view' in JSON.parse(sessionStorage.getItem('__behalf_state'))`), false);
    await p.page.reload({ waitUntil: 'load' });
    assert.equal(await text(p, '#app'), 'Waiting for the response…');
    await p.show(big);
    assert.equal(await p.page.locator('#tab-request').getAttribute('aria-selected'), 'true');
    // A different response starts fresh.
    await p.show(view({}, { id: 'r3' }));
    assert.equal(await p.page.locator('#tab-body').getAttribute('aria-selected'), 'true');
  });

  it('a 5 MB JSON body paints quickly and the page stays responsive', async () => {
    const p = await open();
    const template = view({}, { id: 'big' });
    const result = await p.eval<{
      bytes: number;
      firstPaintMs: number;
      rows: number;
      rawClickMs: number;
      rawCompleteMs: number;
      longestTaskMs: number;
      bannerText: string;
    }>(`(async () => {
      const longTasks = [];
      new PerformanceObserver((list) => { for (const e of list.getEntries()) longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: false });
      const lorem = 'Quarterly review of the pipeline with the regional team; follow up on diligence items. ';
      const items = [];
      for (let i = 0; i < 18000; i++) {
        items.push({ id: 100000 + i, name: 'Deal ' + i, stage: ['Sourcing', 'Diligence', 'Closed'][i % 3], amount: i * 1234.5,
          owner: { id: 6000 + (i % 50), email: 'user' + (i % 50) + '@acme.test' }, tags: ['t' + (i % 7), 't' + (i % 11)],
          active: i % 2 === 0, notes: lorem + lorem.slice(0, i % 80) });
      }
      const body = JSON.stringify(items);
      const view = Object.assign({}, ${JSON.stringify(template)}, { body, bodyBytes: body.length });
      const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      await frame();
      const t0 = performance.now();
      window.postMessage({ type: 'show', view }, '*');
      await new Promise((resolve) => {
        const check = () => (document.querySelector('.banner') && document.querySelectorAll('.tree .node').length > 20 ? resolve() : requestAnimationFrame(check));
        check();
      });
      await frame(); // the frame with the banner and the first rows has been painted
      const firstPaintMs = performance.now() - t0;
      const rows = document.querySelectorAll('.tree .node').length;
      // Responsive: a click on Raw is handled promptly although the raw text is 5 MB.
      const t1 = performance.now();
      document.querySelector('button.toggle-raw').click();
      const pressed = document.querySelector('button.toggle-raw').getAttribute('aria-pressed');
      await frame();
      const rawClickMs = performance.now() - t1;
      const pre = document.querySelector('pre.raw');
      await new Promise((resolve) => { const check = () => (pre.textContent.length === body.length ? resolve() : setTimeout(check, 20)); check(); });
      const rawCompleteMs = performance.now() - t1;
      await frame();
      if (pressed !== 'true' || pre.textContent !== body) throw new Error('raw view incomplete');
      return { bytes: body.length, firstPaintMs, rows, rawClickMs, rawCompleteMs, longestTaskMs: Math.max(0, ...longTasks), bannerText: document.querySelector('.banner').textContent };
    })()`);
    assert.ok(result.bytes > 5_000_000, `body is ${result.bytes} bytes`);
    assert.equal(result.bannerText, `Sent as ${JANE} · full · DealCloud (sandbox)`);
    assert.ok(result.rows >= 200, `rows rendered: ${result.rows}`);
    assert.equal(await p.page.locator('button.more').count(), 1);
    // Figures are reported, not asserted (machines differ).
    const figures = {
      bodyMB: +(result.bytes / 1024 / 1024).toFixed(2),
      firstPaintMs: Math.round(result.firstPaintMs),
      rawToggleMs: Math.round(result.rawClickMs),
      rawCompleteMs: Math.round(result.rawCompleteMs),
      longestTaskMs: Math.round(result.longestTaskMs),
    };
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(join(RESULTS, 'response-panel-5mb.json'), JSON.stringify(figures, null, 2) + '\n');
    console.log(`      5 MB JSON: ${JSON.stringify(figures)}`);
  });

  it('a send with the host: "Sending as …" with Cancel, then "Not sent" with Send again, then the response; never kept as state', async () => {
    fake.reset();
    const extensionUri = Uri.file(extensionRoot()) as unknown as import('vscode').Uri;
    const log: string[] = [];
    const request = {
      sentAs: { who: JANE, mode: 'full' as const, connectionLabel: 'DealCloud (sandbox)', vendor: 'DealCloud' },
      request: { method: 'GET', url: 'https://dc.example/api/rest/v4/data/entrydata/rows/Deals' },
    };
    let send = ResponsePanel.sending(extensionUri, request, { onCancel: () => void log.push('cancel'), onResend: () => void log.push('resend') });
    const fakePanel = fake.panels[0];
    assert.ok(fakePanel);
    const p = await openOnHost(fakePanel);
    await p.until(`document.querySelector('.banner-sending') !== null`);
    assert.equal(await text(p, '.banner'), `Sending as ${JANE} · full · DealCloud (sandbox)`);
    assert.equal(await text(p, '.request-line'), 'GET https://dc.example/api/rest/v4/data/entrydata/rows/Deals');
    assert.equal(await p.page.locator('.banner').getAttribute('role'), 'status');
    assert.equal(await p.page.locator('#app').getAttribute('aria-busy'), 'true');
    // Not the response banner: the bench's probe (and a reader) must not take it for a painted response.
    assert.equal(await p.page.locator('.banner-self, .banner-impersonated').count(), 0);
    send.note('Starting an impersonation session…');
    await p.until(`document.querySelector('.send-note')?.textContent === 'Starting an impersonation session…'`);
    await p.page.locator('button.cancel-send').click();
    await p.until(`window.__posted.some((m) => m.type === 'cancel')`);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(log, ['cancel']);
    send.fail('cancelled', 'Cancelled before a response arrived.');
    await p.until(`document.querySelector('.banner-cancelled') !== null`);
    assert.equal(await text(p, '.banner'), `Not sent as ${JANE} · full · DealCloud (sandbox)`);
    assert.equal(await p.page.locator('.banner').getAttribute('role'), 'alert');
    assert.equal(await text(p, '.send-error'), 'Cancelled before a response arrived.');
    assert.equal(await p.page.locator('#app').getAttribute('aria-busy'), null);
    await p.page.locator('button.resend').click();
    await p.until(`window.__posted.some((m) => m.type === 'resend')`);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(log, ['cancel', 'resend']);
    // Never kept as state: a panel restored after a reload must not say "Sending…" (nor show the previous response).
    assert.equal(await p.eval(`JSON.parse(sessionStorage.getItem('__behalf_state'))`), null);

    send = ResponsePanel.sending(extensionUri, request, { onCancel: () => undefined });
    await p.until(`document.querySelector('.banner-sending') !== null`);
    send.fail('failed', 'connect ECONNREFUSED 127.0.0.1:9 — is the server running?');
    await p.until(`document.querySelector('.banner-failed') !== null`);
    assert.equal(await text(p, '.send-error'), 'connect ECONNREFUSED 127.0.0.1:9 — is the server running?');
    assert.equal(await p.page.locator('button.resend').count(), 0, 'no Send again without a way to send it');

    send = ResponsePanel.sending(extensionUri, request, { onCancel: () => undefined });
    await p.until(`document.querySelector('.banner-sending') !== null`);
    ResponsePanel.show(extensionUri, forbiddenView(), { onAction: () => undefined, onOpenHistory: () => undefined }, { send });
    await p.until(`document.querySelector('.banner-impersonated') !== null`);
    assert.equal(await text(p, '.status'), '403 Forbidden');
    assert.equal(await p.page.locator('.banner-sending, .cancel-send').count(), 0);
    fake.reset();
  });

  it('end to end with the host: ready → show, copy and action answered from the host’s view', async () => {
    fake.reset();
    const calls: string[] = [];
    const v = forbiddenView();
    const extensionUri = Uri.file(extensionRoot()) as unknown as import('vscode').Uri;
    ResponsePanel.show(extensionUri, v, { onAction: (kind, args) => void calls.push(`${kind} ${JSON.stringify(args)}`), onOpenHistory: () => undefined });
    const fakePanel = fake.panels[0];
    assert.ok(fakePanel);
    const p = await openOnHost(fakePanel);
    await p.until(`document.querySelector('.banner') !== null`);
    assert.equal(await text(p, '.status'), '403 Forbidden');
    await p.page.locator('button.copy-body').click();
    await p.page.locator('.explanation button.action').click();
    await p.until(`window.__posted.length >= 3`);
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(fake.clipboard, [v.body]);
    assert.deepEqual(calls, ['createProxyAssignment {"connectionId":"dc-sandbox","userId":"6045"}']);
    fake.reset();
  });

  it('screenshots: dark, light and high contrast', async () => {
    mkdirSync(RESULTS, { recursive: true });
    const shots: Array<[string, 'dark' | 'light' | 'hc', ResponseView]> = [
      ['response-panel.png', 'dark', screenshotView()],
      ['response-panel-light.png', 'light', screenshotView()],
      ['response-panel-hc.png', 'hc', screenshotView()],
      ['response-panel-ok-light.png', 'light', view({ notes: ['Redirected from /v4/deal/1042 (same origin): identity headers kept.'] }, { assetId: 'A-1042' })],
    ];
    for (const [file, theme, v] of shots) {
      const p = await open({ theme, width: 820, height: 640 });
      await p.show(v);
      await p.page.locator('button.twisty').nth(2).focus();
      await p.page.keyboard.press('ArrowDown'); // keyboard focus: shows the focus ring
      await p.page.screenshot({ path: join(RESULTS, file) });
    }
  });
});

function screenshotView(): ResponseView {
  const body = JSON.stringify({
    error: { code: 'PROXY_NOT_ASSIGNED', message: 'User 6000 cannot act as user 6045.', status: 403 },
    request: { entryType: 'deal', entryId: 1042, fields: ['name', 'stage', 'amount'] },
    trace: { id: 'req-7f3a9c', at: '2025-11-23T18:42:07Z', retryable: false, hints: ['Create a proxy assignment', 'Or send as the service user'] },
  });
  return view({
    status: 403,
    statusText: 'Forbidden',
    body,
    bodyBytes: body.length,
    durationMs: 48,
    headers: { 'content-type': 'application/json', 'x-request-id': 'req-7f3a9c' },
    explanation: {
      message: 'DealCloud refused to act as Jane Doe (6045): the service user has no proxy assignment for her.',
      action: { kind: 'createProxyAssignment', title: 'Create proxy assignment', args: { userId: '6045' } },
    },
    notes: ['Retried once after a 401: the token had expired.'],
  });
}
