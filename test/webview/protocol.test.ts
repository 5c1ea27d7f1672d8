// The response panel's message protocol, HTML/CSP and the page's pure helpers, in plain Node.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bannerParts, formatBytes, formatDuration, looksLikeJson, statusClass, viewKey } from '../../media/response/format';
import { JsonText, type JsonEntry } from '../../media/response/jsonScan';
import { isHostToPanel, isPanelToHost, isResponseView, isShowResponse, responseViewFromRecord } from '../../src/protocol/response';
import { JANE, XSS, forbiddenView, record, view } from './fixtures';
import { loadResponsePanelModule } from './host';

describe('webview: response protocol', () => {
  it('accepts exactly the messages the page sends', () => {
    assert.ok(isPanelToHost({ type: 'ready' }));
    assert.ok(isPanelToHost({ type: 'copy', what: 'body' }));
    assert.ok(isPanelToHost({ type: 'copy', what: 'curl' }));
    assert.ok(isPanelToHost({ type: 'action', kind: 'createProxyAssignment', args: { userId: '6045' } }));
    assert.ok(isPanelToHost({ type: 'action', kind: 'k', args: {} }));
    assert.ok(isPanelToHost({ type: 'openHistory', assetId: 'A-1' }));
    assert.ok(isPanelToHost({ type: 'verifyAttribution', assetId: 'A-1' }));
    assert.ok(isPanelToHost({ type: 'shown', viewId: 'v-1' }));
  });

  it('rejects anything else, including near misses', () => {
    const bad: unknown[] = [
      undefined,
      null,
      'ready',
      [],
      { type: 'show' },
      { type: 'copy', what: 'token' },
      { type: 'copy' },
      { type: 'action', kind: '', args: {} },
      { type: 'action', kind: 'k' },
      { type: 'action', kind: 'k', args: { n: 1 } },
      { type: 'action', kind: 'k', args: ['a'] },
      { type: 'action', kind: 'k'.repeat(201), args: {} },
      { type: 'action', kind: 'k', args: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`a${i}`, 'v'])) },
      { type: 'action', kind: 'k', args: new (class Args {})() },
      { type: 'openHistory', assetId: 7 },
      { type: 'openHistory', assetId: '' },
      { type: 'verifyAttribution' },
      { type: 'verifyAttribution', assetId: 'x'.repeat(1001) },
      { type: 'eval', code: 'x' },
      { type: 'shown' },
      { type: 'shown', viewId: '' },
      { type: 'shown', viewId: 'x'.repeat(1001) },
    ];
    for (const message of bad) assert.equal(isPanelToHost(message), false, JSON.stringify(message) ?? String(message));
  });

  it('builds a view from a record: content type, sentAs, redacted request, action args', () => {
    const v = forbiddenView();
    assert.equal(v.contentType, 'application/json; charset=utf-8');
    assert.deepEqual(v.sentAs, { who: JANE, mode: 'full', connectionLabel: 'DealCloud (sandbox)', vendor: 'dealcloud' });
    assert.equal(v.request.headers.Authorization, 'Bearer «redacted»');
    assert.ok(v.curl.includes('«redacted»'));
    assert.deepEqual(v.explanation?.action, {
      kind: 'createProxyAssignment',
      title: 'Create proxy assignment',
      args: { connectionId: 'dc-sandbox', userId: '6045' },
    });
    assert.ok(isResponseView(v));
    assert.ok(isHostToPanel({ type: 'show', view: v }));

    const noArgs = responseViewFromRecord(record({ explanation: { message: 'm', action: { kind: 'k', title: 't' } } }), { curl: 'curl x', assetId: 'A-9' });
    assert.deepEqual(noArgs.explanation?.action?.args, {});
    assert.equal(noArgs.assetId, 'A-9');
    assert.equal('body' in noArgs.request, false);
  });

  it('carries the attribution result of a write; the page rejects a malformed one', () => {
    const result = {
      assetId: 'A-1',
      outcome: 'recorded-as-other' as const,
      recordedUser: 'svc@acme.test',
      expectedUser: 'jane@acme.test',
      version: 4,
      message: 'Orange Logic recorded svc@acme.test, not jane@acme.test, in version 4.',
      advice: 'Lite impersonation is probably not enabled.',
    };
    const v = responseViewFromRecord(record(), { curl: 'curl x', assetId: 'A-1', attribution: result });
    assert.deepEqual(v.attribution, { assetId: 'A-1', outcome: 'recorded-as-other', message: result.message, advice: result.advice });
    assert.ok(isResponseView(v));
    assert.equal(isResponseView({ ...v, attribution: { ...v.attribution, outcome: 'maybe' } }), false);
    assert.equal(isResponseView({ ...v, attribution: { ...v.attribution, message: 1 } }), false);
    assert.equal(isResponseView({ ...v, attribution: 'recorded' }), false);
  });

  it('"Check again" messages: checking, checked with a well-formed result, failed with a reason; nothing else', () => {
    const attribution = { assetId: 'A-1', outcome: 'recorded-as-principal', message: 'Recorded as jane@acme.test in version 5.' };
    assert.ok(isHostToPanel({ type: 'attribution', viewId: 'r1', check: { state: 'checking' } }));
    assert.ok(isHostToPanel({ type: 'attribution', viewId: 'r1', check: { state: 'checked', attribution } }));
    assert.ok(isHostToPanel({ type: 'attribution', viewId: 'r1', check: { state: 'checked', attribution: { ...attribution, advice: 'a' } } }));
    assert.ok(isHostToPanel({ type: 'attribution', viewId: 'r1', check: { state: 'failed', message: 'busy' } }));
    assert.ok(isShowResponse({ type: 'show', view: view() }));
    for (const bad of [
      { type: 'attribution', check: { state: 'checking' } },
      { type: 'attribution', viewId: 1, check: { state: 'checking' } },
      { type: 'attribution', viewId: 'r1' },
      { type: 'attribution', viewId: 'r1', check: { state: 'done' } },
      { type: 'attribution', viewId: 'r1', check: { state: 'checked' } },
      { type: 'attribution', viewId: 'r1', check: { state: 'checked', attribution: { ...attribution, outcome: 'maybe' } } },
      { type: 'attribution', viewId: 'r1', check: { state: 'checked', attribution: { ...attribution, advice: 1 } } },
      { type: 'attribution', viewId: 'r1', check: { state: 'failed' } },
      { type: 'attribution', viewId: 'r1', check: 'checking' },
    ]) {
      assert.equal(isHostToPanel(bad), false, JSON.stringify(bad));
    }
    assert.equal(isShowResponse({ type: 'attribution', viewId: 'r1', check: { state: 'checking' } }), false);
  });

  it('the page rejects a malformed view', () => {
    const v = view();
    assert.equal(isHostToPanel({ type: 'show', view: { ...v, status: '200' } }), false);
    assert.equal(isHostToPanel({ type: 'show', view: { ...v, sentAs: { ...v.sentAs, mode: 'root' } } }), false);
    assert.equal(isHostToPanel({ type: 'show', view: { ...v, headers: { a: 1 } } }), false);
    assert.equal(isHostToPanel({ type: 'show', view: { ...v, notes: [1] } }), false);
    assert.equal(isHostToPanel({ type: 'other', view: v }), false);
  });
});

describe('webview: response panel HTML', () => {
  const { renderResponseHtml, createNonce, responseCsp } = loadResponsePanelModule();
  // Inline, as the host builds it: the bundles' text under the nonce (no webview resource to load).
  const parts = {
    cspSource: 'https://fake.vscode-cdn.test',
    nonce: 'bm9uY2Vub25jZW5vbmNlMQ==',
    script: 'window.page = "response";',
    style: '.banner{position:sticky}',
  };

  it('declares the exact CSP: nothing by default, scripts and styles by nonce only, images and fonts from the webview', () => {
    const html = renderResponseHtml(parts);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1];
    assert.equal(
      csp,
      `default-src 'none'; img-src https://fake.vscode-cdn.test data:; style-src 'nonce-bm9uY2Vub25jZW5vbmNlMQ=='; script-src 'nonce-bm9uY2Vub25jZW5vbmNlMQ=='; font-src https://fake.vscode-cdn.test`,
    );
    assert.equal(csp, responseCsp(parts.cspSource, parts.nonce));
    assert.doesNotMatch(csp ?? '', /unsafe-inline|unsafe-eval|\*/);
  });

  it('one script and one stylesheet, inline under the nonce; nothing loaded, no style or handler attribute', () => {
    const html = renderResponseHtml(parts);
    assert.deepEqual(html.match(/<script[^>]*>/g), [`<script nonce="${parts.nonce}">`]);
    assert.deepEqual(html.match(/<style[^>]*>/g), [`<style nonce="${parts.nonce}">`]);
    assert.ok(html.includes(`<script nonce="${parts.nonce}">${parts.script}</script>`));
    assert.ok(html.includes(`<style nonce="${parts.nonce}">${parts.style}</style>`));
    assert.doesNotMatch(html, /<link|\ssrc=|\shref=|\sstyle=|\son[a-z]+=/i);
  });

  it('nonces are 16 random bytes, base64', () => {
    const a = createNonce();
    const b = createNonce();
    assert.notEqual(a, b);
    assert.equal(Buffer.from(a, 'base64').length, 16);
    assert.match(a, /^[A-Za-z0-9+/]{22}==$/);
  });

  it('escapes what it interpolates, and refuses a bundle that would close its element', () => {
    const html = renderResponseHtml({ ...parts, nonce: `x"><script>${XSS}` });
    assert.equal(html.includes(XSS), false);
    assert.equal((html.match(/<script/g) ?? []).length, 1);
    assert.throws(() => renderResponseHtml({ ...parts, script: `a = "</script><script>${XSS}"` }), /cannot be inlined/);
    assert.throws(() => renderResponseHtml({ ...parts, style: `a{} </STYLE><script>${XSS}</script>` }), /cannot be inlined/);
  });

  it('the URI form (the other pages) keeps its resources from the webview origin', () => {
    const html = renderResponseHtml({
      cspSource: parts.cspSource,
      nonce: parts.nonce,
      scriptUri: 'https://fake.vscode-cdn.test/a.js',
      styleUri: 'https://fake.vscode-cdn.test/a.css',
    });
    assert.match(html, /style-src https:\/\/fake\.vscode-cdn\.test; script-src 'nonce-/);
    assert.deepEqual(html.match(/<script[^>]*>/g), [`<script nonce="${parts.nonce}" src="https://fake.vscode-cdn.test/a.js">`]);
  });
});

describe('webview: JSON scanner', () => {
  function children(doc: JsonText, entry: JsonEntry, limit = 1000): JsonEntry[] {
    return doc.page(entry, limit).entries;
  }

  it('keeps member order, exact numbers and duplicate keys as sent', () => {
    const doc = JsonText.parse('{"b":1,"2":2,"id":12345678901234567890,"price":1.50,"e":1e3,"b":"again"}');
    assert.ok(doc instanceof JsonText);
    const root = doc.root();
    assert.equal(root.kind, 'object');
    assert.equal(root.count, 6);
    const kids = children(doc, root);
    assert.deepEqual(
      kids.map((k) => [k.key, doc.source(k)]),
      [
        ['b', '1'],
        ['2', '2'],
        ['id', '12345678901234567890'],
        ['price', '1.50'],
        ['e', '1e3'],
        ['b', '"again"'],
      ],
    );
  });

  it('reads kinds, counts, escapes and whitespace', () => {
    const text = ` {\n "s\\"q": "a\\\\\\"b" , "arr" : [ 1, [ ], {}, "x,]}" , true,false ,null ] , "o": { "k": { } } , "empty": [] } `;
    const doc = JsonText.parse(text);
    assert.ok(doc instanceof JsonText);
    const [s, arr, o, empty] = children(doc, doc.root());
    assert.equal(s?.key, 's"q');
    assert.equal(doc.stringValue(s), 'a\\"b');
    assert.equal(arr?.kind, 'array');
    assert.equal(arr?.count, 7);
    assert.deepEqual(
      children(doc, arr).map((e) => [e.kind, e.count, doc.source(e)]),
      [
        ['number', 0, '1'],
        ['array', 0, '[ ]'],
        ['object', 0, '{}'],
        ['string', 0, '"x,]}"'],
        ['boolean', 0, 'true'],
        ['boolean', 0, 'false'],
        ['null', 0, 'null'],
      ],
    );
    assert.equal(o?.count, 1);
    assert.equal(children(doc, o)[0]?.kind, 'object');
    assert.equal(empty?.count, 0);
    assert.deepEqual(children(doc, empty), []);
  });

  it('pages long containers and resumes where it stopped', () => {
    const doc = JsonText.parse(JSON.stringify(Array.from({ length: 450 }, (_, i) => ({ i }))));
    assert.ok(doc instanceof JsonText);
    const root = doc.root();
    assert.equal(root.count, 450);
    const first = doc.page(root, 200);
    assert.equal(first.entries.length, 200);
    assert.ok(first.next > 0);
    const second = doc.page(root, 200, first.next, 200);
    assert.equal(second.entries[0]?.index, 200);
    assert.equal(doc.source(second.entries[0]), '{"i":200}');
    const third = doc.page(root, 200, second.next, 400);
    assert.equal(third.entries.length, 50);
    assert.equal(third.next, -1);
    assert.equal(third.entries.at(-1)?.index, 449);
  });

  it('primitive roots, and invalid JSON is refused with the parser message', () => {
    for (const [text, kind] of [
      ['"just a string"', 'string'],
      [' 42 ', 'number'],
      ['null', 'null'],
    ] as const) {
      const doc = JsonText.parse(text);
      assert.ok(doc instanceof JsonText);
      assert.equal(doc.root().kind, kind);
    }
    const bad = JsonText.parse('{"a": }');
    assert.ok(!(bad instanceof JsonText));
    assert.match(bad.error, /JSON/);
  });
});

describe('webview: display helpers', () => {
  it('formats sizes, durations and status classes', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1234), '1.2 KB');
    assert.equal(formatBytes(5 * 1024 * 1024), '5.0 MB');
    assert.equal(formatBytes(123 * 1024 * 1024), '123 MB');
    assert.equal(formatDuration(123.4), '123 ms');
    assert.equal(formatDuration(1234), '1.23 s');
    assert.equal(formatDuration(75_000), '1 min 15 s');
    assert.equal(statusClass(204), 'success');
    assert.equal(statusClass(302), 'redirect');
    assert.equal(statusClass(404), 'client-error');
    assert.equal(statusClass(503), 'server-error');
  });

  it('recognises JSON by content type or, when undeclared, by its first character', () => {
    assert.ok(looksLikeJson('application/json; charset=utf-8', 'x'));
    assert.ok(looksLikeJson('application/problem+json', '{}'));
    assert.ok(looksLikeJson('', '  [1]'));
    assert.ok(looksLikeJson('text/plain', '{"a":1}'));
    assert.equal(looksLikeJson('text/html', '{"a":1}'), false);
    assert.equal(looksLikeJson('', 'hello'), false);
  });

  it('banner parts: no mode for the service user', () => {
    assert.deepEqual(bannerParts({ who: JANE, mode: 'lite', connectionLabel: 'DC', vendor: 'dealcloud' }), { who: JANE, mode: 'lite', connection: 'DC' });
    assert.deepEqual(bannerParts({ who: 'the service user', mode: 'self', connectionLabel: 'DC', vendor: 'dealcloud' }), {
      who: 'the service user',
      connection: 'DC',
    });
  });

  it('a view is identified by its id, or by what it shows', () => {
    assert.equal(viewKey({ ...view(), id: 'r1' }), 'id:r1');
    assert.equal(viewKey(view()), viewKey(view()));
    assert.notEqual(viewKey(view()), viewKey(forbiddenView()));
  });
});

describe('webview: media code audit', () => {
  // Every page and the shared modules: media/response, media/history, media/compare, media/shared.
  const media = join(__dirname, '..', '..', 'media');
  const dirs = readdirSync(media, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(media, d.name));
  const files = (ext: string) =>
    dirs.flatMap((dir) =>
      readdirSync(dir)
        .filter((f) => f.endsWith(ext))
        .map((f) => [join(dir, f), readFileSync(join(dir, f), 'utf8')] as const),
    );
  const sources = files('.ts');
  const stylesheets = files('.css');

  it('never uses an API that parses markup, nor eval', () => {
    assert.ok(sources.length >= 8);
    for (const [file, code] of sources) {
      assert.doesNotMatch(code, /\.(inner|outer)HTML\b|insertAdjacentHTML|document\.write|createContextualFragment|DOMParser|\beval\(|new Function\(/, file);
    }
  });

  it('sets no inline styles (the CSP allows none) and no event-handler attributes', () => {
    for (const [file, code] of sources) {
      assert.doesNotMatch(code, /\.style\b|setAttribute\(\s*['"](style|on[a-z]+)['"]/, file);
    }
  });

  it('the stylesheets use theme variables, never literal colours; each page imports the shared base', () => {
    assert.ok(stylesheets.length >= 4);
    for (const [file, text] of stylesheets) {
      const css = text.replace(/\/\*[\s\S]*?\*\//g, '');
      assert.doesNotMatch(css, /#[0-9a-f]{3,8}\b|rgba?\(|hsla?\(|:\s*(white|black|red|green|blue|gray|grey)\s*[;}]/i, file);
      if (!file.endsWith('base.css')) assert.match(css, /^\s*@import url\('\.\.\/shared\/base\.css'\);/, file);
    }
    const base = stylesheets.find(([file]) => file.endsWith('shared/base.css'))?.[1] ?? '';
    assert.match(base, /var\(--vscode-editor-background\)/);
  });
});
