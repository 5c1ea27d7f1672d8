import assert from 'node:assert/strict';
import type { ActAs } from '../../src/core/model';
import type { BehalfError } from '../../src/core/errors';
import { Redactor, REDACTED } from '../../src/core/redact';
import { TokenCache } from '../../src/core/tokenCache';
import { retryAfterMs } from '../../src/core/transport';
import { systemClock } from '../../src/core/ports';
import { toCurl } from '../../src/core/curl';
import { received, startHarness, type Harness } from './support';

const ROWS = '/api/rest/v4/data/entrydata/rows/Deals';

describe('Send pipeline over real sockets', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ engine: { maxBodyBytes: 1024 * 1024 } });
  });
  afterEach(async () => h.close());

  const asJane = (): ActAs => ({ connection: h.connection('dc-sandbox'), principal: h.principal('dc-sandbox', 'jane'), mode: 'full' });
  const foreign = () => h.sandbox.log.filter((e) => e.listener === 'foreign');

  it('an absolute URL to another origin is sent without auth, and the user is told (as someone: refused, see identity-guard.test.ts)', async () => {
    const record = await h.engine.sendAs(
      { method: 'GET', url: `${h.sandbox.foreignUrl}/collect`, headers: {} },
      { connection: h.connection('dc-sandbox'), mode: 'full' },
    );
    assert.equal(record.status, 200);
    const [got] = foreign();
    assert.equal(got.headers['authorization'], undefined);
    assert.equal(got.headers['as-user'], undefined);
    assert.ok(record.notes.some((n) => /not DealCloud \(sandbox\)'s origin|is not .*origin/.test(n)));
    assert.equal(received(h.sandbox, '/oauth/token').length, 0, 'no token fetched for a foreign request');
  });

  it('a redirect to another origin drops Authorization and AS-USER', async () => {
    h.sandbox.injectFault({ kind: 'redirect', status: 302, location: `${h.sandbox.foreignUrl}/landing`, match: { pathIncludes: '/rows/Deals' } });
    const record = await h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, asJane());
    assert.equal(record.status, 200);
    const [got] = foreign();
    assert.equal(got.path, '/landing');
    assert.equal(got.headers['authorization'], undefined);
    assert.equal(got.headers['as-user'], undefined);
    assert.ok(record.notes.some((n) => /another origin: sent without Authorization, AS-USER/.test(n)));
  });

  it('a redirect to another origin drops the Orange Logic lite header too', async () => {
    h.sandbox.injectFault({ kind: 'redirect', status: 307, location: `${h.sandbox.foreignUrl}/write`, match: { pathIncludes: 'Documents.All:Update' } });
    const ol = h.connection('ol-sandbox');
    await h.engine.sendAs(
      {
        method: 'POST',
        url: '/API/DataTable/v2.2/Documents.All:Update',
        headers: { 'Content-Type': 'application/json' },
        body: '{"RecordID":"A-1","Fields":{"Title":"t"}}',
      },
      { connection: ol, principal: h.principal('ol-sandbox', 'jane'), mode: 'lite' },
    );
    const [got] = foreign();
    assert.equal(got.method, 'POST');
    assert.equal(got.headers['x-cortex-save-changes-as-user'], undefined);
    assert.equal(got.headers['authorization'], undefined);
  });

  it('a same-origin redirect keeps identity', async () => {
    h.sandbox.injectFault({
      kind: 'redirect',
      status: 302,
      location: `${h.connection('dc-sandbox').baseUrl}${ROWS}?again=1`,
      match: { pathIncludes: '/rows/Deals' },
    });
    const record = await h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, asJane());
    assert.equal(record.status, 200);
    assert.equal(received(h.sandbox, ROWS).filter((e) => e.query['again'] === '1')[0].headers['as-user'], '6045');
  });

  it('Cancel aborts a request in flight', async () => {
    h.sandbox.injectFault({ kind: 'timeout', match: { pathIncludes: '/rows/Deals' } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 150);
    await assert.rejects(
      h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, asJane(), { signal: controller.signal }),
      (e: BehalfError) => e.code === 'cancelled',
    );
  });

  it('a server that never answers times out with a clear message', async () => {
    h.sandbox.injectFault({ kind: 'timeout', match: { pathIncludes: '/rows/Deals' } });
    const connection = { ...h.connection('dc-sandbox'), timeoutMs: 300 };
    await assert.rejects(h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, { ...asJane(), connection }), /No response from .* within 300 ms/);
  });

  it('a response over the size cap fails clearly', async () => {
    h.sandbox.injectFault({ kind: 'big-body', bytes: 3 * 1024 * 1024, match: { pathIncludes: '/rows/Deals' } });
    await assert.rejects(h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, asJane()), /larger than the 1\.0 MB limit/);
  });

  it('malformed JSON with a JSON content type is returned as text, not a crash', async () => {
    h.sandbox.injectFault({ kind: 'malformed-json', match: { pathIncludes: '/rows/Deals' } });
    const record = await h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, asJane());
    assert.equal(record.status, 200);
    assert.throws(() => JSON.parse(record.body));
  });

  it('a refused connection says so', async () => {
    const connection = { ...h.connection('dc-sandbox'), baseUrl: 'http://127.0.0.1:9/dealcloud' };
    await assert.rejects(h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, { connection, mode: 'full' }), /connection refused/);
  });

  it('no secret or token appears in records, notes, logs or errors', async () => {
    const records = [
      await h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, asJane()),
      await h.engine.sendAs(
        { method: 'GET', url: '/API/DataTable/v2.2/Documents.All:Read', headers: {} },
        { connection: h.connection('ol-sandbox'), principal: h.principal('ol-sandbox', 'jane'), mode: 'full' },
      ),
      await h.engine.sendAs(
        { method: 'GET', url: '/api/whoami', headers: {} },
        { connection: h.connection('gen-exchange-sandbox'), principal: h.principal('gen-exchange-sandbox', 'jane'), mode: 'full' },
      ),
    ];
    const tokens = h.sandbox.log.flatMap((e) => (e.headers['authorization'] ? [e.headers['authorization'].replace(/^Bearer /, '')] : []));
    assert.ok(tokens.length >= 3);
    const haystack = JSON.stringify(records) + h.logLines.join('\n');
    for (const secret of [...h.secrets, ...tokens]) assert.ok(!haystack.includes(secret), `leaked ${secret.slice(0, 4)}…`);
  });

  it('rejects URLs that are not http(s)', async () => {
    await assert.rejects(h.engine.sendAs({ method: 'GET', url: 'file:///etc/passwd', headers: {} }, asJane()), /Only http and https/);
  });
});

describe('Redactor', () => {
  it('redacts registered values, sensitive headers, URL parameters and form fields', () => {
    const r = new Redactor();
    r.add('s3cr3t-value');
    r.add('abc'); // short: redacted only where it stands whole
    assert.equal(r.text('x s3cr3t-value y abc abcdef'), `x ${REDACTED} y ${REDACTED} abcdef`);
    assert.deepEqual(r.headers({ Authorization: 'Bearer zzz', Cookie: 'a=b', 'X-Other': 'has s3cr3t-value' }), {
      Authorization: `Bearer ${REDACTED}`,
      Cookie: REDACTED,
      'X-Other': `has ${REDACTED}`,
    });
    assert.ok(!r.url('https://u:p@h/x?token=abcdef&q=1').includes('abcdef'));
    assert.ok(!r.url('https://u:p@h/x?token=abcdef&q=1').includes('u:p'));
    assert.ok(!r.body('client_secret=zzzzzz&scope=data', 'application/x-www-form-urlencoded').includes('zzzzzz'));
  });
});

describe('TokenCache', () => {
  it('single flight: concurrent gets share one fetch; invalidate forces a new one', async () => {
    const cache = new TokenCache(systemClock);
    let fetches = 0;
    const fetch = async () => {
      fetches++;
      await new Promise((r) => setTimeout(r, 20));
      return { token: `t${fetches}`, expiresInSeconds: 900 };
    };
    const tokens = await Promise.all([cache.get('k', fetch), cache.get('k', fetch), cache.get('k', fetch)]);
    assert.deepEqual(tokens, ['t1', 't1', 't1']);
    cache.invalidate('k');
    assert.equal(await cache.get('k', fetch), 't2');
  });
  it('treats a token as expired shortly before its lifetime ends', async () => {
    let now = 0;
    const cache = new TokenCache({ now: () => now, sleep: async () => undefined });
    let n = 0;
    const fetch = async () => ({ token: `t${++n}`, expiresInSeconds: 100 });
    assert.equal(await cache.get('k', fetch), 't1');
    now = 89_000;
    assert.equal(await cache.get('k', fetch), 't1');
    now = 91_000;
    assert.equal(await cache.get('k', fetch), 't2');
  });
});

describe('Retry-After', () => {
  it('reads seconds and HTTP dates', () => {
    assert.equal(retryAfterMs('2', 0), 2000);
    assert.equal(retryAfterMs(new Date(10_000).toUTCString(), 4_000), 6000);
    assert.equal(retryAfterMs('soon', 0), undefined);
  });
});

describe('cURL export', () => {
  it('quotes for the shell and carries only what the record holds (already redacted)', () => {
    const curl = toCurl({ method: 'POST', url: 'http://h/x?q=1', headers: { Authorization: 'Bearer «redacted»', 'AS-USER': '6045' }, body: `{"n":"it's"}` });
    assert.equal(
      curl,
      `curl \\\n  -X POST \\\n  'http://h/x?q=1' \\\n  -H 'Authorization: Bearer «redacted»' \\\n  -H 'AS-USER: 6045' \\\n  --data-raw '{"n":"it'\\''s"}'`,
    );
  });
});
