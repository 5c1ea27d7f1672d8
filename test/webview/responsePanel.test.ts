// The response panel's host, against a fake 'vscode': handshake, reuse, and distrust of the page.

import assert from 'node:assert/strict';
import type { ResponseView } from '../../src/protocol/response';
import { Uri, fake, type FakeWebviewPanel } from './fakeVscode';
import { JANE, forbiddenView, selfView, view } from './fixtures';
import { loadResponsePanelModule } from './host';

const { ResponsePanel } = loadResponsePanelModule();
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
  return fake.panels[0] as FakeWebviewPanel;
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
    assert.match(html, /default-src 'none'; img-src https:\/\/fake\.vscode-cdn\.test data:; style-src https:\/\/fake\.vscode-cdn\.test; script-src 'nonce-[A-Za-z0-9+/]{22}=='; font-src https:\/\/fake\.vscode-cdn\.test/);
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
    const withAttribution = { ...view({}, { assetId: 'A-1' }), attribution: { assetId: 'A-1', outcome: 'recorded-as-principal' as const, message: 'Recorded as jane@acme.test in version 4.' } };
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
});
