// Faults injected through the sandbox over real sockets: each ends with a clear message, no crash, the
// event in the log, and no impersonation session left open.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { BehalfError } from '../../src/core/errors';
import type { ActAs, Connection } from '../../src/core/model';
import { received, startHarness, type Harness } from './support';

const ROWS = '/api/rest/v4/data/entrydata/rows/Deals';
const READ = '/API/DataTable/v2.2/Documents.All:Read?RecordID=A-1&format=JSON';

describe('Fault suite (over real sockets, through the sandbox)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ engine: { maxBodyBytes: 5 * 1024 * 1024 } });
  });
  afterEach(async () => {
    await h.engine.dispose();
    assert.equal(h.sandbox.openSessions(), 0, 'no impersonation session is left open');
    await h.sandbox.close();
  });

  const olFull = (): ActAs => ({ connection: h.connection('ol-sandbox'), principal: h.principal('ol-sandbox', 'jane'), mode: 'full' });
  const dcJane = (): ActAs => ({ connection: h.connection('dc-sandbox'), principal: h.principal('dc-sandbox', 'jane'), mode: 'full' });
  const get = (url: string) => ({ method: 'GET', url, headers: {} });
  const logged = (pattern: RegExp) =>
    assert.ok(
      h.logLines.some((l) => pattern.test(l)),
      `log has ${pattern}: ${h.logLines.join('\n')}`,
    );
  const openSession = async () => {
    await h.engine.sendAs(get(READ), olFull());
    assert.equal(h.sandbox.openSessions(), 1);
  };

  it('429 with Retry-After: bounded retries, each wait shown, then the 429 explained', async () => {
    h.sandbox.injectFault({ kind: 'status', status: 429, retryAfterSeconds: 0, times: 10, match: { pathIncludes: '/rows/Deals' } });
    const record = await h.engine.sendAs(get(ROWS), dcJane());
    assert.equal(record.status, 429);
    assert.equal(record.notes.filter((n) => /Rate limited \(429\): waiting/.test(n)).length, 3);
    assert.equal(received(h.sandbox, '/rows/Deals').length, 4, 'one try and three retries, no more');
    assert.match(record.explanation!.message, /rate limiting/);
    logged(/Rate limited/);
  });

  it('a Retry-After longer than the limit is not waited for', async () => {
    h.sandbox.injectFault({ kind: 'status', status: 429, retryAfterSeconds: 3600, match: { pathIncludes: '/rows/Deals' } });
    const record = await h.engine.sendAs(get(ROWS), dcJane());
    assert.equal(record.status, 429);
    assert.equal(received(h.sandbox, '/rows/Deals').length, 1);
  });

  for (const status of [500, 503]) {
    it(`${status} during a full session: a response with a sentence, the session still ends`, async () => {
      await openSession();
      h.sandbox.injectFault({ kind: 'status', status, match: { pathIncludes: 'Documents.All:Read' } });
      const record = await h.engine.sendAs(get(READ), olFull());
      assert.equal(record.status, status);
      assert.ok(record.explanation?.message, 'explained');
      logged(new RegExp(`→ ${status}`));
    });
  }

  it('a timeout during a full session: a clear error, logged, the session ends', async () => {
    await openSession();
    h.sandbox.injectFault({ kind: 'timeout', match: { pathIncludes: 'Documents.All:Read' } });
    const connection = { ...h.connection('ol-sandbox'), timeoutMs: 300 };
    // Same connection id and settings apart from the timeout: a new adapter, which stops the old session.
    await assert.rejects(h.engine.sendAs(get(READ), { ...olFull(), connection }), (e: BehalfError) => e.code === 'timeout' && /within 300 ms/.test(e.message));
    logged(/No response from .* within 300 ms/);
  });

  it('a connection reset: a clear error, logged', async () => {
    await openSession();
    h.sandbox.injectFault({ kind: 'reset', match: { pathIncludes: 'Documents.All:Read' } });
    await assert.rejects(h.engine.sendAs(get(READ), olFull()), (e: BehalfError) => e.code === 'reset');
    logged(/connection reset/);
  });

  it('malformed JSON with a JSON content type is kept as text', async () => {
    h.sandbox.injectFault({ kind: 'malformed-json', match: { pathIncludes: '/rows/Deals' } });
    const record = await h.engine.sendAs(get(ROWS), dcJane());
    assert.equal(record.status, 200);
    assert.match(record.body, /"Trunc$/);
  });

  it('malformed JSON with a JSON content type is said so on the record, with where it breaks; the status stands', async () => {
    h.sandbox.injectFault({ kind: 'malformed-json', match: { pathIncludes: '/rows/Deals' } });
    const record = await h.engine.sendAs(get(ROWS), dcJane());
    assert.equal(record.status, 200);
    assert.ok(
      record.notes.includes("The body says application/json but is not valid JSON: line 1, column 34 (the string is not closed (missing '\"'))."),
      JSON.stringify(record.notes),
    );
    const fine = await h.engine.sendAs(get(ROWS), dcJane());
    assert.ok(!fine.notes.some((n) => /is not valid JSON/.test(n)), JSON.stringify(fine.notes));
  });

  it('a body over the configured cap fails clearly; under it, it arrives whole', async () => {
    h.sandbox.injectFault({ kind: 'big-body', bytes: 6 * 1024 * 1024, match: { pathIncludes: '/rows/Deals' } });
    await assert.rejects(h.engine.sendAs(get(ROWS), dcJane()), (e: BehalfError) => e.code === 'too-large' && /larger than the 5\.0 MB limit/.test(e.message));
    h.sandbox.injectFault({ kind: 'big-body', bytes: 5 * 1024 * 1024 - 1024, match: { pathIncludes: '/rows/Deals' } });
    const record = await h.engine.sendAs(get(ROWS), dcJane());
    assert.equal(record.bodyBytes, 5 * 1024 * 1024 - 1024);
    logged(/larger than the 5\.0 MB limit/);
  });

  it('a token that stays rejected mid-run: one refresh, then a clear error', async () => {
    const self: ActAs = { connection: h.connection('dc-sandbox'), mode: 'full' };
    await h.engine.sendAs(get(ROWS), self);
    h.sandbox.injectFault({ kind: 'status', status: 401, times: 2, match: { pathIncludes: '/rows/Deals' } });
    const record = await h.engine.sendAs(get(ROWS), self);
    assert.equal(record.status, 401);
    assert.equal(received(h.sandbox, '/oauth/token').length, 2, 'exactly one refresh');
    assert.match(record.explanation!.message, /rejected the service credentials .* even after a fresh token/);
  });

  it('an Orange Logic session start that fails (500): a clear error and no session', async () => {
    h.sandbox.injectFault({ kind: 'status', status: 500, match: { pathIncludes: 'startimpersonation' } });
    await assert.rejects(
      h.engine.sendAs(get(READ), olFull()),
      (e: BehalfError) => e.code === 'impersonation-start' && /did not start impersonating Jane Doe/.test(e.message),
    );
    assert.equal(received(h.sandbox, 'Documents.All:Read').length, 0, 'nothing sent without the session');
  });

  it('a session start answered with the wrong shape (no token) is a clear error', async () => {
    h.sandbox.injectFault({ kind: 'json', body: { APIResponse: { Code: 'success' } }, match: { pathIncludes: 'startimpersonation' } });
    await assert.rejects(h.engine.sendAs(get(READ), olFull()), /did not start impersonating/);
  });

  it('Cancel in mid-flight during a full session: cancelled, the session still ends', async () => {
    await openSession();
    h.sandbox.injectFault({ kind: 'timeout', match: { pathIncludes: 'Documents.All:Read' } });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(h.engine.sendAs(get(READ), olFull(), { signal: controller.signal }), (e: BehalfError) => e.code === 'cancelled');
    logged(/cancelled/);
  });

  it('a proxy assignment list of the wrong shape is a clear error', async () => {
    h.sandbox.injectFault({ kind: 'json', body: { proxies: 'nope' }, match: { pathIncludes: '/management/user/proxy' } });
    await assert.rejects(h.engine.listPrincipals(h.connection('dc-sandbox')), /unexpected shape \(expected a JSON array of \{proxyUser, users\}\)/);
  });

  it('a version history of the wrong shape is a clear error', async () => {
    h.sandbox.injectFault({ kind: 'json', body: { APIResponse: { Code: 'success', Versions: 'none' } }, match: { pathIncludes: 'get_asset_versioning' } });
    await assert.rejects(h.engine.assetHistory(h.connection('ol-sandbox'), 'A-1'), /unexpected shape/);
  });

  it('a token endpoint answering without a token is a clear error', async () => {
    h.sandbox.injectFault({ kind: 'json', body: { token_type: 'Bearer' }, match: { pathIncludes: '/oauth/token' } });
    await assert.rejects(h.engine.sendAs(get(ROWS), dcJane()), /answered 200 without an access token/);
  });
});

describe('TLS verification', () => {
  let server: https.Server;
  let url: string;
  const dir = path.join(__dirname, '..', 'fixtures', 'tls');
  before(async () => {
    server = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }, (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const connection = (verifyTls?: boolean): Connection => ({
    id: 'self-signed',
    vendor: 'generic',
    label: 'Self-signed',
    baseUrl: url,
    auth: 'none',
    principals: [],
    verifyTls,
  });

  it('stays on by default: a self-signed certificate is refused with what to do', async () => {
    const h = await startHarness();
    try {
      await assert.rejects(
        h.engine.sendAs({ method: 'GET', url: '/x', headers: {} }, { connection: connection(), mode: 'full' }),
        (e: BehalfError) => e.code === 'tls' && /verifyTls/.test(e.hint ?? ''),
      );
    } finally {
      await h.close();
    }
  });

  it('is off only where the connection says so, with a warning', async () => {
    const h = await startHarness();
    try {
      const record = await h.engine.sendAs({ method: 'GET', url: '/x', headers: {} }, { connection: connection(false), mode: 'full' });
      assert.equal(record.status, 200);
      assert.ok(record.notes.some((n) => /TLS verification is off/.test(n)));
      assert.ok(h.logLines.some((l) => l.startsWith('[warn]') && /TLS verification is off/.test(l)));
    } finally {
      await h.close();
    }
  });
});
