// The response panel's host, against a fake 'vscode': handshake, reuse, and distrust of the page.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttributionResult } from '../../src/core/audit';
import type { HostToPanel, ResponseView, SendStatus } from '../../src/protocol/response';
import { FakeWebviewPanel, Uri, fake, window as fakeWindow } from './fakeVscode';
import { JANE, forbiddenView, selfView, view } from './fixtures';
import { loadResponsePanelModule } from './host';

const { ResponsePanel, ATTRIBUTION_NOT_CHECKED } = loadResponsePanelModule();
// An extension root whose dist/webviews holds stand-ins for the page's bundles: the host inlines them.
const EXT = mkdtempSync(join(tmpdir(), 'behalf-ext-'));
const PAGE_SCRIPT = '/* the response page */ window.page = 1;\n//# sourceMappingURL=response.js.map\n';
const PAGE_STYLE = '.banner{position:sticky}';
mkdirSync(join(EXT, 'dist', 'webviews'), { recursive: true });
writeFileSync(join(EXT, 'dist', 'webviews', 'response.js'), PAGE_SCRIPT);
writeFileSync(join(EXT, 'dist', 'webviews', 'response.css'), PAGE_STYLE);
after(() => rmSync(EXT, { recursive: true, force: true }));
const extensionUri = Uri.file(EXT) as unknown as import('vscode').Uri;
const escaped = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

interface Calls {
  actions: Array<[string, Record<string, string>]>;
  histories: string[];
}

function handlers(calls: Calls) {
  return {
    onAction: (kind: string, args: Record<string, string>) => void calls.actions.push([kind, args]),
    onOpenHistory: (assetId: string) => void calls.histories.push(assetId),
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function only(): FakeWebviewPanel {
  assert.equal(fake.panels.length, 1);
  return fake.panels[0];
}

function shown(panel: FakeWebviewPanel): ResponseView[] {
  return panel.webview.posted.map((m) => {
    const message = m as { type: string; view: ResponseView };
    assert.equal(message.type, 'show');
    return message.view;
  });
}

describe('webview: ResponsePanel host', () => {
  let calls: Calls;
  beforeEach(() => {
    fake.reset();
    calls = { actions: [], histories: [] };
  });
  afterEach(() => fake.reset());

  it('creates a panel with the CSP, local roots and options; script and style inline by nonce; HTML holds no response data', () => {
    const v = forbiddenView();
    ResponsePanel.show(extensionUri, v, handlers(calls));
    const panel = only();
    assert.equal(panel.viewType, 'behalf.response');
    assert.equal(panel.title, `Response · 403 · ${JANE}`);
    assert.equal(panel.options.enableScripts, true);
    assert.equal(panel.options.retainContextWhenHidden, false);
    assert.deepEqual(
      panel.options.localResourceRoots?.map((u) => u.path),
      [`${EXT}/dist/webviews`, `${EXT}/media`],
    );
    const html = panel.webview.html;
    const nonce = /script-src 'nonce-([A-Za-z0-9+/]{22}==)'/.exec(html)?.[1];
    assert.ok(nonce);
    assert.match(
      html,
      new RegExp(
        `default-src 'none'; img-src https://fake\\.vscode-cdn\\.test data:; style-src 'nonce-${escaped(nonce)}'; script-src 'nonce-${escaped(nonce)}'; font-src https://fake\\.vscode-cdn\\.test`,
      ),
    );
    assert.doesNotMatch(html, /unsafe-inline|unsafe-eval/);
    // No resource to load: the bundles are in the page, under the nonce (a development build's map URL made absolute).
    assert.ok(html.includes(`<style nonce="${nonce}">${PAGE_STYLE}</style>`));
    const mapUri = `https://fake.vscode-cdn.test/${EXT.replace(/^\//, '')}/dist/webviews/response.js.map`;
    assert.ok(html.includes(`<script nonce="${nonce}">${PAGE_SCRIPT.replace('response.js.map', mapUri)}</script>`));
    assert.doesNotMatch(html, /<script[^>]*\ssrc=|<link/);
    for (const data of ['Jane Doe', '6045', 'proxy assignment', 'Forbidden', 'acme', '«redacted»']) assert.equal(html.includes(data), false, data);
  });

  it('posts the view at once (VS Code holds it until the page has loaded), again after every ready; not to a hidden panel', async () => {
    ResponsePanel.show(extensionUri, view(), handlers(calls));
    const panel = only();
    assert.equal(shown(panel).length, 1, 'no wait for the ready round trip');
    const id = shown(panel)[0]?.id;
    assert.ok(id, 'the host gives each view an id');
    panel.webview.receive({ type: 'ready' });
    await tick();
    assert.deepEqual(
      shown(panel).map((x) => x.id),
      [id, id],
    );

    panel.setVisible(false);
    ResponsePanel.show(extensionUri, forbiddenView(), handlers(calls)); // while hidden: reveal, wait for ready
    assert.equal(panel.reveals, 1);
    assert.equal(shown(panel).length, 2);
    panel.webview.receive({ type: 'ready' });
    await tick();
    assert.equal(shown(panel).length, 3);
    assert.equal(shown(panel)[2]?.status, 403);
    assert.notEqual(shown(panel)[2]?.id, id);
    assert.equal(panel.title, `Response · 403 · ${JANE}`);
  });

  it('reuses one panel; a new response goes straight to a ready page', async () => {
    const first = ResponsePanel.show(extensionUri, view(), handlers(calls));
    only().webview.receive({ type: 'ready' });
    await tick();
    const second = ResponsePanel.show(extensionUri, selfView(), handlers(calls));
    assert.equal(first, second);
    const panel = only();
    assert.equal(shown(panel).length, 3, 'at once, again on ready, then the new one');
    // The tab is retitled once the page says it painted the new response, not in the frame that draws it.
    assert.equal(panel.title, `Response · 200 · ${JANE}`);
    panel.webview.receive({ type: 'shown', viewId: shown(panel)[0].id! });
    await tick();
    assert.equal(panel.title, `Response · 200 · ${JANE}`, 'a paint of the response shown before changes nothing');
    panel.webview.receive({ type: 'shown', viewId: shown(panel)[2].id! });
    await tick();
    assert.equal(panel.title, 'Response · 200 · the service user');
  });

  it('retitles the tab after titleFallbackMs when the page does not say it painted; at once when the panel is hidden', async () => {
    const fallback = ResponsePanel.titleFallbackMs;
    ResponsePanel.titleFallbackMs = 30;
    try {
      ResponsePanel.show(extensionUri, view(), handlers(calls));
      const panel = only();
      ResponsePanel.show(extensionUri, forbiddenView(), handlers(calls));
      assert.equal(panel.title, `Response · 200 · ${JANE}`);
      await new Promise((r) => setTimeout(r, 60));
      assert.equal(panel.title, `Response · 403 · ${JANE}`);
      panel.setVisible(false);
      ResponsePanel.show(extensionUri, selfView(), handlers(calls));
      assert.equal(panel.title, 'Response · 200 · the service user', 'nothing to paint: at once');
      // A disposed panel's pending title is dropped with it (its timer would set the title of a closed panel).
      panel.setVisible(true);
      ResponsePanel.show(extensionUri, forbiddenView(), handlers(calls));
      panel.dispose();
      await new Promise((r) => setTimeout(r, 60));
      assert.equal(panel.title, 'Response · 200 · the service user');
    } finally {
      ResponsePanel.titleFallbackMs = fallback;
    }
  });

  it('copies from its own view, whatever the page says', async () => {
    const v = forbiddenView();
    ResponsePanel.show(extensionUri, v, handlers(calls));
    const panel = only();
    panel.webview.receive({ type: 'copy', what: 'body' });
    panel.webview.receive({ type: 'copy', what: 'curl', text: 'rm -rf /' });
    panel.webview.receive({ type: 'copy', what: 'secret' });
    await tick();
    assert.deepEqual(fake.clipboard, [v.body, v.curl]);
    assert.equal(fake.statusMessages.length, 2);
  });

  it('runs only the action the response offers, with the host’s arguments', async () => {
    const v = forbiddenView();
    ResponsePanel.show(extensionUri, v, handlers(calls));
    const panel = only();
    panel.webview.receive({ type: 'action', kind: 'createProxyAssignment', args: { userId: '1' } });
    panel.webview.receive({ type: 'action', kind: 'behalf.deleteEverything', args: {} });
    panel.webview.receive({ type: 'action', kind: 'createProxyAssignment' });
    await tick();
    assert.deepEqual(calls.actions, [['createProxyAssignment', { connectionId: 'dc-sandbox', userId: '6045' }]]);
  });

  it('opens history only for the asset shown', async () => {
    ResponsePanel.show(extensionUri, view({}, { assetId: 'A-17' }), handlers(calls));
    const panel = only();
    panel.webview.receive({ type: 'openHistory', assetId: 'A-99' });
    panel.webview.receive({ type: 'openHistory', assetId: 'A-17' });
    await tick();
    assert.deepEqual(calls.histories, ['A-17']);
  });

  it('re-checks attribution only for the asset whose attribution the response shows', async () => {
    const checked: string[] = [];
    const withAttribution = {
      ...view({}, { assetId: 'A-1' }),
      attribution: { assetId: 'A-1', outcome: 'recorded-as-principal' as const, message: 'Recorded as jane@acme.test in version 4.' },
    };
    ResponsePanel.show(extensionUri, withAttribution, { ...handlers(calls), onVerifyAttribution: (assetId) => void checked.push(assetId) });
    const panel = only();
    panel.webview.receive({ type: 'verifyAttribution', assetId: 'A-2' });
    panel.webview.receive({ type: 'verifyAttribution', assetId: 'A-1' });
    await tick();
    assert.deepEqual(checked, ['A-1']);
    ResponsePanel.show(extensionUri, view({}, { assetId: 'A-1' }), { ...handlers(calls), onVerifyAttribution: (assetId) => void checked.push(assetId) });
    panel.webview.receive({ type: 'verifyAttribution', assetId: 'A-1' });
    await tick();
    assert.deepEqual(checked, ['A-1'], 'no attribution shown: nothing to re-check');
  });

  describe('"Check again"', () => {
    const written = (): ResponseView => ({
      ...view({}, { assetId: 'A-1' }),
      attribution: {
        assetId: 'A-1',
        outcome: 'recorded-as-other',
        message: 'Orange Logic recorded svc@acme.test, not jane@acme.test.',
        advice: 'Lite impersonation is probably not enabled.',
      },
    });
    const now: AttributionResult = {
      assetId: 'A-1',
      outcome: 'recorded-as-principal',
      message: 'Recorded as jane@acme.test in version 5.',
      version: 5,
      recordedUser: 'jane@acme.test',
      expectedUser: 'jane@acme.test',
    };
    const checks = (panel: FakeWebviewPanel) => (panel.webview.posted as HostToPanel[]).filter((m) => m.type === 'attribution');
    const deferred = <T>() => {
      let resolve!: (v: T) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
      return { promise, resolve, reject };
    };

    it('says "checking" at once, then puts the new result in the box and in its own copy of the view', async () => {
      const pending = deferred<AttributionResult | undefined>();
      const asked: string[] = [];
      ResponsePanel.show(extensionUri, written(), { ...handlers(calls), onVerifyAttribution: (assetId) => (asked.push(assetId), pending.promise) });
      const panel = only();
      panel.webview.receive({ type: 'ready' });
      await tick();
      const viewId = ResponsePanel.active!.currentView!.id!;
      panel.webview.receive({ type: 'verifyAttribution', assetId: 'A-1' });
      await tick();
      assert.deepEqual(checks(panel), [{ type: 'attribution', viewId, check: { state: 'checking' } }]);
      panel.webview.receive({ type: 'verifyAttribution', assetId: 'A-1' });
      await tick();
      assert.deepEqual(asked, ['A-1'], 'one check at a time');
      pending.resolve(now);
      await tick();
      await tick();
      const attribution = { assetId: 'A-1', outcome: 'recorded-as-principal', message: 'Recorded as jane@acme.test in version 5.' };
      assert.deepEqual(checks(panel).at(-1), { type: 'attribution', viewId, check: { state: 'checked', attribution } });
      assert.deepEqual(ResponsePanel.active!.currentView!.attribution, attribution, 'the host’s copy has the new result');
      // A page that reloads (hidden and shown) gets the view with the new result, and where the check stands.
      panel.setVisible(false);
      panel.webview.receive({ type: 'ready' });
      await tick();
      const [show, check] = panel.webview.posted.slice(-2) as HostToPanel[];
      assert.equal(show?.type === 'show' && show.view.attribution?.message, attribution.message);
      assert.deepEqual(check, { type: 'attribution', viewId, check: { state: 'checked', attribution } });
    });

    it('no result, or a failure: the box says why and keeps the previous result; a later check may run', async () => {
      let answer: () => Promise<AttributionResult | undefined> = async () => undefined;
      ResponsePanel.show(extensionUri, written(), { ...handlers(calls), onVerifyAttribution: () => answer() });
      const panel = only();
      panel.webview.receive({ type: 'ready' });
      await tick();
      const before = ResponsePanel.active!.currentView!.attribution;
      panel.webview.receive({ type: 'verifyAttribution', assetId: 'A-1' });
      await tick();
      await tick();
      assert.deepEqual(
        checks(panel).map((m) => m.type === 'attribution' && m.check),
        [{ state: 'checking' }, { state: 'failed', message: ATTRIBUTION_NOT_CHECKED }],
      );
      answer = () => Promise.reject(new Error('Orange Logic said "busy" (503).'));
      panel.webview.receive({ type: 'verifyAttribution', assetId: 'A-1' });
      await tick();
      await tick();
      assert.deepEqual(checks(panel).at(-1), {
        type: 'attribution',
        viewId: ResponsePanel.active!.currentView!.id,
        check: { state: 'failed', message: 'Could not check again: Orange Logic said "busy" (503).' },
      });
      assert.deepEqual(ResponsePanel.active!.currentView!.attribution, before);
      assert.deepEqual(fake.errors, [], 'shown in the box, not as a notification');
    });

    it('a result that arrives after another response took the panel is dropped', async () => {
      const pending = deferred<AttributionResult | undefined>();
      ResponsePanel.show(extensionUri, written(), { ...handlers(calls), onVerifyAttribution: () => pending.promise });
      const panel = only();
      panel.webview.receive({ type: 'ready' });
      await tick();
      panel.webview.receive({ type: 'verifyAttribution', assetId: 'A-1' });
      await tick();
      ResponsePanel.show(extensionUri, selfView(), handlers(calls));
      pending.resolve(now);
      await tick();
      await tick();
      assert.deepEqual(
        checks(panel).map((m) => m.type === 'attribution' && m.check.state),
        ['checking'],
      );
      assert.equal(ResponsePanel.active!.currentView!.attribution, undefined);
      panel.webview.receive({ type: 'ready' });
      await tick();
      assert.equal((panel.webview.posted.at(-1) as HostToPanel).type, 'show', 'nothing about the old response after ready');
    });
  });

  describe('a send: the panel opens when it starts, then shows its response or what happened', () => {
    const request = {
      sentAs: { who: JANE, mode: 'full' as const, connectionLabel: 'DealCloud (sandbox)', vendor: 'DealCloud' },
      request: { method: 'GET', url: 'https://dc.example/api/rows/Deals' },
    };
    const statuses = (panel: FakeWebviewPanel) =>
      (panel.webview.posted as HostToPanel[]).flatMap((m): Array<SendStatus | 'show'> =>
        m.type === 'status' ? [m.status] : m.type === 'show' ? ['show'] : [],
      );
    const sendHandlers = (log: string[]) => ({ onCancel: () => void log.push('cancel'), onResend: () => void log.push('resend') });
    // An open panel says "Sending…" only after a moment: at once here, except where the wait itself is tested.
    const delay = ResponsePanel.sendingDelayMs;
    beforeEach(() => (ResponsePanel.sendingDelayMs = 0));
    afterEach(() => (ResponsePanel.sendingDelayMs = delay));

    it('an open panel keeps the previous response for a moment: a quick answer replaces it with no "Sending…" flash', async () => {
      ResponsePanel.sendingDelayMs = 40;
      ResponsePanel.show(extensionUri, view(), handlers(calls));
      const panel = only();
      const quick = ResponsePanel.sending(extensionUri, request, sendHandlers([]));
      ResponsePanel.show(extensionUri, selfView(), handlers(calls), { send: quick });
      await new Promise((r) => setTimeout(r, 60));
      assert.deepEqual(statuses(panel), ['show', 'show']);
      const slow = ResponsePanel.sending(extensionUri, request, sendHandlers([]));
      slow.note('Waiting 2 s: the vendor asked to slow down (429).');
      assert.deepEqual(statuses(panel), ['show', 'show'], 'not yet');
      await new Promise((r) => setTimeout(r, 60));
      const last = statuses(panel).at(-1) as SendStatus;
      assert.deepEqual([last.state, last.message], ['sending', 'Waiting 2 s: the vendor asked to slow down (429).']);
      assert.equal(panel.title, `Sending · ${JANE}`);
    });

    it('says "Sending as …" at once (no ready needed), shows progress notes, then the response replaces it', async () => {
      const log: string[] = [];
      const send = ResponsePanel.sending(extensionUri, request, sendHandlers(log));
      const panel = only();
      assert.equal(panel.title, `Sending · ${JANE}`);
      const [first] = statuses(panel);
      assert.ok(typeof first === 'object');
      assert.deepEqual({ ...first, id: 'x' }, { ...request, id: 'x', state: 'sending' });
      assert.equal(ResponsePanel.active?.currentView, undefined, 'no response yet');
      send.note('Starting an impersonation session…');
      assert.equal((statuses(panel).at(-1) as { message?: string }).message, 'Starting an impersonation session…');
      ResponsePanel.show(extensionUri, view(), handlers(calls), { send });
      assert.equal(statuses(panel).at(-1), 'show');
      assert.equal(panel.title, `Sending · ${JANE}`, 'until the page has painted the response');
      panel.webview.receive({ type: 'shown', viewId: ResponsePanel.active!.currentView!.id! });
      await tick();
      assert.equal(panel.title, `Response · 200 · ${JANE}`);
      panel.webview.receive({ type: 'ready' });
      await tick();
      assert.equal(statuses(panel).at(-1), 'show', 'a page that loads now gets the response, not "Sending…"');
      // A late note or failure of that send changes nothing: the response is shown.
      const posts = panel.webview.posted.length;
      send.note('late');
      send.fail('failed', 'late');
      assert.equal(panel.webview.posted.length, posts);
    });

    it('a failed or cancelled send says so in the panel, with "Send again"; Cancel and Send again only for that send', async () => {
      const log: string[] = [];
      const send = ResponsePanel.sending(extensionUri, request, sendHandlers(log));
      const panel = only();
      const id = send.id;
      panel.webview.receive({ type: 'cancel', sendId: 'another' });
      panel.webview.receive({ type: 'resend', viewId: id }); // still sending: nothing to send again yet
      panel.webview.receive({ type: 'cancel', sendId: id });
      await tick();
      assert.deepEqual(log, ['cancel']);
      send.fail('cancelled', 'Cancelled before a response arrived.');
      const last = statuses(panel).at(-1) as { state: string; message: string; canResend?: boolean };
      assert.deepEqual([last.state, last.message, last.canResend], ['cancelled', 'Cancelled before a response arrived.', true]);
      assert.equal(panel.title, `Not sent · ${JANE}`);
      panel.webview.receive({ type: 'cancel', sendId: id }); // no longer sending
      panel.webview.receive({ type: 'resend', viewId: id });
      await tick();
      assert.deepEqual(log, ['cancel', 'resend']);
      // After a reload the page gets the outcome, never "Sending…".
      panel.webview.receive({ type: 'ready' });
      await tick();
      assert.equal((statuses(panel).at(-1) as { state: string }).state, 'cancelled');

      const failed = ResponsePanel.sending(extensionUri, request, sendHandlers(log));
      assert.equal(fake.panels.length, 1, 'the same panel');
      assert.equal(panel.reveals, 1);
      failed.fail('failed', 'connect ECONNREFUSED 127.0.0.1:9 — is the server running?');
      assert.deepEqual([(statuses(panel).at(-1) as { state: string }).state, panel.title], ['failed', `Failed · ${JANE}`]);
    });

    it('the newest send or response has the panel: an older send neither replaces it nor fails it', () => {
      const log: string[] = [];
      const older = ResponsePanel.sending(extensionUri, request, sendHandlers(log));
      const newer = ResponsePanel.sending(
        extensionUri,
        { ...request, request: { method: 'POST', url: 'https://dc.example/api/rows/Deals' } },
        sendHandlers(log),
      );
      const panel = only();
      assert.equal(older.current, false);
      assert.equal(ResponsePanel.show(extensionUri, view(), handlers(calls), { send: older }), undefined);
      older.fail('failed', 'too late');
      assert.equal((statuses(panel).at(-1) as { request: { method: string } }).request.method, 'POST');
      assert.equal(ResponsePanel.active?.currentStatus?.state, 'sending');
      // A response shown outside a send (the access matrix opens a cell) is newer still.
      ResponsePanel.show(extensionUri, selfView(), handlers(calls));
      assert.equal(newer.current, false);
      newer.fail('failed', 'too late');
      assert.equal(statuses(panel).at(-1), 'show');
    });

    it('a panel closed while sending: the response opens a new one, a failure does not', () => {
      const send = ResponsePanel.sending(extensionUri, request, sendHandlers([]));
      only().dispose();
      send.fail('failed', 'nobody is looking');
      assert.equal(fake.panels.length, 1);
      const again = ResponsePanel.sending(extensionUri, request, sendHandlers([]));
      fake.panels[1]?.dispose();
      ResponsePanel.show(extensionUri, view(), handlers(calls), { send: again });
      assert.equal(fake.panels.length, 3);
      assert.equal(fake.panels[2]?.title, `Response · 200 · ${JANE}`);
    });
  });

  describe('revive (a panel VS Code restored after a window reload)', () => {
    const restored = (): FakeWebviewPanel => fakeWindow.createWebviewPanel('behalf.response', 'Response', {}, {});

    it('takes the panel over with today’s options and the kept view: title, ready → show, buttons act on that view', async () => {
      const panel = restored();
      const v = { ...forbiddenView(), id: 'kept-1' };
      ResponsePanel.revive(panel as unknown as import('vscode').WebviewPanel, extensionUri, v, handlers(calls));
      assert.equal(ResponsePanel.active?.panel, panel);
      assert.equal(panel.title, `Response · 403 · ${JANE}`);
      const options = (panel.webview as unknown as { options: { enableScripts: boolean; localResourceRoots: Array<{ path: string }> } }).options;
      assert.equal(options.enableScripts, true);
      assert.deepEqual(
        options.localResourceRoots.map((u) => u.path),
        [`${EXT}/dist/webviews`, `${EXT}/media`],
      );
      assert.ok(panel.webview.html.includes('/* the response page */'));
      panel.webview.receive({ type: 'ready' });
      panel.webview.receive({ type: 'action', kind: 'createProxyAssignment', args: {} });
      await tick();
      assert.deepEqual(
        shown(panel).map((x) => x.id),
        ['kept-1', 'kept-1'],
        'at once, and again on ready',
      );
      assert.deepEqual(calls.actions, [['createProxyAssignment', { connectionId: 'dc-sandbox', userId: '6045' }]]);
      // The next response goes to the revived panel.
      ResponsePanel.show(extensionUri, selfView(), handlers(calls));
      assert.equal(fake.panels.length, 1);
      panel.webview.receive({ type: 'shown', viewId: ResponsePanel.active.currentView!.id! });
      await tick();
      assert.equal(panel.title, 'Response · 200 · the service user');
    });

    it('a view kept without an id gets one; a second revive replaces the first panel', () => {
      const first = restored();
      const { id: _dropped, ...v } = view();
      ResponsePanel.revive(first as unknown as import('vscode').WebviewPanel, extensionUri, v, handlers(calls));
      assert.ok(ResponsePanel.active?.currentView?.id);
      const second = restored();
      ResponsePanel.revive(second as unknown as import('vscode').WebviewPanel, extensionUri, view(), handlers(calls));
      assert.equal(first.disposed, true);
      assert.equal(ResponsePanel.active?.panel, second);
    });
  });

  it('ignores malformed messages and reports handler failures', async () => {
    ResponsePanel.show(extensionUri, forbiddenView(), {
      onAction: () => Promise.reject(new Error('proxy assignment failed')),
      onOpenHistory: () => undefined,
    });
    const panel = only();
    for (const m of [null, 'ready', { type: 'show' }, { type: 'copy', what: 1 }]) panel.webview.receive(m);
    panel.webview.receive({ type: 'action', kind: 'createProxyAssignment', args: {} });
    await tick();
    await tick();
    assert.equal(panel.webview.posted.length, 1, 'only the view, posted at once: nothing answers the malformed messages');
    assert.deepEqual(fake.errors, ['Behalf: proxy assignment failed']);
  });

  it('forgets a closed panel and opens a new one next time', () => {
    ResponsePanel.show(extensionUri, view(), handlers(calls));
    const panel = only();
    panel.dispose();
    assert.equal(ResponsePanel.active, undefined);
    assert.equal(panel.listenerCount, 0);
    ResponsePanel.show(extensionUri, view(), handlers(calls));
    assert.equal(fake.panels.length, 2);
  });

  describe('Save body…, Open in editor, Resend', () => {
    const PNG = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe]),
      Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
    ]);
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'behalf-save-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const pngView = (headers: Record<string, string> = {}): ResponseView =>
      view({ headers: { 'content-type': 'image/png', ...headers }, body: PNG.toString('utf8'), bodyBytes: PNG.length });
    const until = async (check: () => boolean): Promise<void> => {
      for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
    };
    const posted = (panel: FakeWebviewPanel): ResponseView => {
      panel.webview.receive({ type: 'ready' });
      return (panel.webview.posted.at(-1) as { view: ResponseView }).view;
    };

    it('saves the bytes as received, byte-exact, under the Content-Disposition name; the view says binary and holds no bytes', async () => {
      ResponsePanel.show(extensionUri, pngView({ 'content-disposition': 'attachment; filename="../../etc/logo 7.png"' }), handlers(calls), { rawBody: PNG });
      const panel = only();
      const shownView = posted(panel);
      await tick();
      assert.equal(shownView.binary, true);
      assert.equal(shownView.canResend, undefined, 'no resend handler: no Resend');
      assert.equal(JSON.stringify(panel.webview.posted).includes(PNG.toString('base64')), false);
      fake.workspaceFolders = [{ uri: Uri.file(dir) }];
      fake.saveTo = Uri.file(join(dir, 'out.png'));
      panel.webview.receive({ type: 'save', viewId: 'another-response' }); // ignored: not the response shown
      panel.webview.receive({ type: 'save', viewId: shownView.id });
      await until(() => fake.statusMessages.length > 0);
      assert.equal(fake.saveDialogs.length, 1);
      assert.equal(fake.saveDialogs[0]?.defaultUri?.path, `${dir}/logo 7.png`);
      assert.equal(fake.saveDialogs[0]?.saveLabel, 'Save body');
      assert.ok(readFileSync(join(dir, 'out.png')).equals(PNG), 'the file holds the bytes as received');
      assert.match(fake.statusMessages.at(-1) ?? '', /saved 267 B to out\.png/);
    });

    it('names the file response-<status>.<ext> by content type; cancelling writes nothing', async () => {
      ResponsePanel.show(extensionUri, view({ status: 201 }), handlers(calls), { rawBody: Buffer.from('{"a":1}') });
      const panel = only();
      const id = posted(panel).id;
      panel.webview.receive({ type: 'save', viewId: id });
      await tick();
      assert.match(fake.saveDialogs[0]?.defaultUri?.path ?? '', /\/response-201\.json$/);
      assert.deepEqual(readdirSync(dir), []);
      assert.equal(fake.errors.length, 0);
    });

    it('a restored panel (no bytes kept) saves text as shown and refuses binary', async () => {
      const panel = new FakeWebviewPanel('behalf.response', 'x', {}, {});
      ResponsePanel.revive(panel as unknown as import('vscode').WebviewPanel, extensionUri, { ...pngView(), binary: true }, handlers(calls));
      panel.webview.receive({ type: 'ready' });
      const id = (panel.webview.posted.at(-1) as { view: ResponseView }).view.id;
      fake.saveTo = Uri.file(join(dir, 'x.png'));
      panel.webview.receive({ type: 'save', viewId: id });
      await tick();
      assert.equal(fake.saveDialogs.length, 0);
      assert.match(fake.errors[0] ?? '', /no longer in memory/);
      panel.dispose();
    });

    it('opens JSON pretty-printed (numbers as written) in an untitled editor; XML and HTML by language; binary is refused', async () => {
      const body = '{"id":12345678901234567890,"name":"Acme","tags":["a"]}';
      ResponsePanel.show(extensionUri, view({ body, bodyBytes: body.length, headers: { 'content-type': 'application/vnd.api+json' } }), handlers(calls));
      let panel = only();
      panel.webview.receive({ type: 'openInEditor', viewId: posted(panel).id });
      await tick();
      assert.deepEqual(fake.documents, [{ language: 'json', content: '{\n  "id": 12345678901234567890,\n  "name": "Acme",\n  "tags": [\n    "a"\n  ]\n}' }]);
      assert.equal(fake.shownDocuments, 1);

      const types = [
        ['<a/>', 'application/xml'],
        ['<p>hi</p>', 'text/html; charset=utf-8'],
        ['plain', 'text/csv'],
      ] as const;
      for (const [body, type] of types) {
        ResponsePanel.show(extensionUri, view({ body, headers: { 'content-type': type } }), handlers(calls));
        const before = fake.documents.length;
        panel.webview.receive({ type: 'openInEditor', viewId: posted(panel).id });
        await until(() => fake.documents.length > before);
      }
      assert.deepEqual(fake.documents.slice(1), [
        { language: 'xml', content: '<a/>' },
        { language: 'html', content: '<p>hi</p>' },
        { language: 'plaintext', content: 'plain' },
      ]);

      // Binary by its bytes (no content type says so): refused with a reason.
      const bytes = Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0xc3, 0x28]);
      ResponsePanel.show(extensionUri, view({ body: bytes.toString('utf8'), bodyBytes: bytes.length, headers: {} }), handlers(calls), { rawBody: bytes });
      panel = only();
      const binaryView = posted(panel);
      assert.equal(binaryView.binary, true);
      panel.webview.receive({ type: 'openInEditor', viewId: binaryView.id });
      await tick();
      assert.equal(fake.documents.length, 4);
      assert.match(fake.errors.at(-1) ?? '', /binary .*cannot be opened as text.*Save body…/);
    });

    it('resends through the handler, once at a time, only for the response shown; the view says it can', async () => {
      let release: () => void = () => undefined;
      let resends = 0;
      ResponsePanel.show(extensionUri, view(), {
        ...handlers(calls),
        onResend: () => {
          resends++;
          return new Promise<void>((r) => (release = r));
        },
      });
      const panel = only();
      const shownView = posted(panel);
      assert.equal(shownView.canResend, true);
      panel.webview.receive({ type: 'resend', viewId: 'old' });
      panel.webview.receive({ type: 'resend', viewId: shownView.id });
      panel.webview.receive({ type: 'resend', viewId: shownView.id }); // while the first is under way
      await tick();
      assert.equal(resends, 1);
      release();
      await tick();
      panel.webview.receive({ type: 'resend', viewId: shownView.id });
      await tick();
      assert.equal(resends, 2);
      // A page cannot claim a resend the host cannot do.
      ResponsePanel.show(extensionUri, { ...view(), canResend: true }, handlers(calls));
      assert.equal(posted(panel).canResend, undefined);
    });

    it('drops the bytes with the response: a new response without bytes saves its own text', async () => {
      ResponsePanel.show(extensionUri, pngView(), handlers(calls), { rawBody: PNG });
      const panel = only();
      posted(panel);
      const text = view();
      ResponsePanel.show(extensionUri, text, handlers(calls));
      const id = posted(panel).id;
      fake.saveTo = Uri.file(join(dir, 'b.json'));
      panel.webview.receive({ type: 'save', viewId: id });
      await until(() => fake.statusMessages.length > 0);
      assert.equal(readFileSync(join(dir, 'b.json'), 'utf8'), text.body);
    });
  });
});
