// The response panel's host, against a fake 'vscode': handshake, reuse, and distrust of the page.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttributionResult } from '../../src/core/audit';
import type { HostToPanel, ResponseView } from '../../src/protocol/response';
import { FakeWebviewPanel, Uri, fake, window as fakeWindow } from './fakeVscode';
import { JANE, forbiddenView, selfView, view } from './fixtures';
import { loadResponsePanelModule } from './host';

const { ResponsePanel, ATTRIBUTION_NOT_CHECKED } = loadResponsePanelModule();
const extensionUri = Uri.file('/ext') as unknown as import('vscode').Uri;

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

  it('creates a panel with the CSP, local roots and options; HTML holds no response data', () => {
    const v = forbiddenView();
    ResponsePanel.show(extensionUri, v, handlers(calls));
    const panel = only();
    assert.equal(panel.viewType, 'behalf.response');
    assert.equal(panel.title, `Response · 403 · ${JANE}`);
    assert.equal(panel.options.enableScripts, true);
    assert.equal(panel.options.retainContextWhenHidden, false);
    assert.deepEqual(
      panel.options.localResourceRoots?.map((u) => u.path),
      ['/ext/dist/webviews', '/ext/media'],
    );
    const html = panel.webview.html;
    assert.match(
      html,
      /default-src 'none'; img-src https:\/\/fake\.vscode-cdn\.test data:; style-src https:\/\/fake\.vscode-cdn\.test; script-src 'nonce-[A-Za-z0-9+/]{22}=='; font-src https:\/\/fake\.vscode-cdn\.test/,
    );
    assert.match(html, /src="https:\/\/fake\.vscode-cdn\.test\/ext\/dist\/webviews\/response\.js"/);
    assert.match(html, /href="https:\/\/fake\.vscode-cdn\.test\/ext\/media\/response\/response\.css"/);
    for (const data of ['Jane Doe', '6045', 'proxy assignment', 'Forbidden', 'acme', '«redacted»']) assert.equal(html.includes(data), false, data);
  });

  it('posts the view only after ready, and again after every ready (hidden panels reload)', async () => {
    ResponsePanel.show(extensionUri, view(), handlers(calls));
    const panel = only();
    assert.equal(panel.webview.posted.length, 0);
    panel.webview.receive({ type: 'ready' });
    await tick();
    assert.equal(shown(panel).length, 1);
    const id = shown(panel)[0]?.id;
    assert.ok(id, 'the host gives each view an id');

    panel.setVisible(false);
    ResponsePanel.show(extensionUri, forbiddenView(), handlers(calls)); // while hidden: reveal, wait for ready
    assert.equal(panel.reveals, 1);
    assert.equal(shown(panel).length, 1);
    panel.webview.receive({ type: 'ready' });
    await tick();
    assert.equal(shown(panel).length, 2);
    assert.equal(shown(panel)[1]?.status, 403);
    assert.notEqual(shown(panel)[1]?.id, id);
    assert.equal(panel.title, `Response · 403 · ${JANE}`);
  });

  it('reuses one panel; a new response goes straight to a ready page', async () => {
    const first = ResponsePanel.show(extensionUri, view(), handlers(calls));
    only().webview.receive({ type: 'ready' });
    await tick();
    const second = ResponsePanel.show(extensionUri, selfView(), handlers(calls));
    assert.equal(first, second);
    const panel = only();
    assert.equal(shown(panel).length, 2);
    assert.equal(panel.title, 'Response · 200 · the service user');
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
      const viewId = ResponsePanel.active!.currentView.id!;
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
      assert.deepEqual(ResponsePanel.active!.currentView.attribution, attribution, 'the host’s copy has the new result');
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
      const before = ResponsePanel.active!.currentView.attribution;
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
        viewId: ResponsePanel.active!.currentView.id,
        check: { state: 'failed', message: 'Could not check again: Orange Logic said "busy" (503).' },
      });
      assert.deepEqual(ResponsePanel.active!.currentView.attribution, before);
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
      assert.equal(ResponsePanel.active!.currentView.attribution, undefined);
      panel.webview.receive({ type: 'ready' });
      await tick();
      assert.equal((panel.webview.posted.at(-1) as HostToPanel).type, 'show', 'nothing about the old response after ready');
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
        ['/ext/dist/webviews', '/ext/media'],
      );
      assert.match(panel.webview.html, /dist\/webviews\/response\.js/);
      panel.webview.receive({ type: 'ready' });
      panel.webview.receive({ type: 'action', kind: 'createProxyAssignment', args: {} });
      await tick();
      assert.deepEqual(
        shown(panel).map((x) => x.id),
        ['kept-1'],
      );
      assert.deepEqual(calls.actions, [['createProxyAssignment', { connectionId: 'dc-sandbox', userId: '6045' }]]);
      // The next response goes to the revived panel.
      ResponsePanel.show(extensionUri, selfView(), handlers(calls));
      assert.equal(fake.panels.length, 1);
      assert.equal(panel.title, 'Response · 200 · the service user');
    });

    it('a view kept without an id gets one; a second revive replaces the first panel', () => {
      const first = restored();
      const { id: _dropped, ...v } = view();
      ResponsePanel.revive(first as unknown as import('vscode').WebviewPanel, extensionUri, v, handlers(calls));
      assert.ok(ResponsePanel.active?.currentView.id);
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
    assert.equal(panel.webview.posted.length, 0);
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
