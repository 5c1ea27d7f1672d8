import assert from 'node:assert/strict';
import type { ActAs, ImpersonationMode } from '../../src/core/model';
import type { BehalfError } from '../../src/core/errors';
import { normaliseVersionHistory } from '../../src/vendors/orangelogic';
import { received, startHarness, type Harness } from './support';

const READ = '/API/DataTable/v2.2/Documents.All:Read?RecordID=A-1&format=JSON';
const UPDATE = '/API/DataTable/v2.2/Documents.All:Update';
const START = 'startimpersonation_4CN_v1';
const STOP = 'stopimpersonation_4CO_v1';
const LITE = 'x-cortex-save-changes-as-user';

describe('Orange Logic adapter against the sandbox', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ engine: { idleSessionTimeoutMs: 60_000 } });
  });
  afterEach(async () => h.close());

  const as = (principalId: string | undefined, mode: ImpersonationMode, connectionId = 'ol-sandbox'): ActAs => ({
    connection: h.connection(connectionId),
    principal: principalId ? h.principal(connectionId, principalId) : undefined,
    mode,
  });
  const update = (title: string) => ({
    method: 'POST',
    url: UPDATE,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ RecordID: 'A-1', Fields: { Title: title } }),
  });
  const lastVersionUser = async () => {
    const versions = await h.engine.assetHistory(h.connection('ol-sandbox'), 'A-1');
    return versions[versions.length - 1].user;
  };

  it('"auth": "none" is a configuration error (Orange Logic always needs a service token), and nothing is sent', async () => {
    const connection = { ...h.connection('ol-sandbox'), auth: 'none' as const };
    await assert.rejects(
      h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, { connection, mode: 'lite' }),
      (e: BehalfError) => e.code === 'config' && /has "auth": "none", but Orange Logic always needs a service token/.test(e.message),
    );
    assert.equal(received(h.sandbox, 'Documents.All:Read').length, 0);
    assert.equal(received(h.sandbox, 'authenticate_46H_v1').length, 0);
  });

  it('lite: the header goes on writes only, and the write is attributed to the principal', async () => {
    await h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, as('jane', 'lite'));
    const write = await h.engine.sendAs(update('Harbour at dusk'), as('jane', 'lite'));
    assert.equal(write.status, 200);
    const [read, upd] = [received(h.sandbox, 'Documents.All:Read')[0], received(h.sandbox, 'Documents.All:Update')[0]];
    assert.equal(read.headers[LITE], undefined);
    assert.equal(upd.headers[LITE], 'jane@acme.test');
    assert.equal(received(h.sandbox, START).length, 0);
    assert.equal(await lastVersionUser(), 'jane@acme.test');
  });

  it('lite: a read sends nothing that names the principal, and the record says so', async () => {
    const read = await h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, as('jane', 'lite'));
    assert.equal(read.sentAs.mode, 'lite');
    assert.ok(read.notes.includes('Lite impersonation only marks writes: this read went out as the service account (your own permissions).'));
    const write = await h.engine.sendAs(update('Harbour, noted'), as('jane', 'lite'));
    assert.ok(!write.notes.some((n) => /Lite impersonation only marks writes/.test(n)));
    const full = await h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, as('jane', 'full'));
    assert.ok(!full.notes.some((n) => /Lite impersonation only marks writes/.test(n)));
  });

  it('full: one session for many requests, its token used, attributed to the principal, stopped on exit', async () => {
    for (let i = 0; i < 3; i++) await h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, as('jane', 'full'));
    await h.engine.sendAs(update('Harbour by night'), as('jane', 'full'));
    assert.equal(received(h.sandbox, START).length, 1);
    assert.equal(received(h.sandbox, START)[0].query['UserAPIID'], 'jane.api');
    assert.equal(h.sandbox.openSessions(), 1);
    assert.equal(h.engine.sessions().length, 1);
    const read = received(h.sandbox, 'Documents.All:Read')[0];
    assert.match(read.headers['authorization'], /^Bearer olimp_/);
    assert.equal(received(h.sandbox, 'Documents.All:Update')[0].headers[LITE], undefined);
    assert.equal(await lastVersionUser(), 'jane@acme.test');
    await h.engine.dispose();
    assert.equal(h.sandbox.openSessions(), 0);
    assert.equal(received(h.sandbox, STOP).length, 1);
  });

  it('full: many concurrent first requests start exactly one session', async () => {
    await Promise.all(Array.from({ length: 10 }, () => h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, as('jane', 'full'))));
    assert.equal(received(h.sandbox, START).length, 1);
    assert.equal(h.sandbox.openSessions(), 1);
  });

  it('alternating principals keep one session each: started once, stopped on exit', async () => {
    for (let i = 0; i < 3; i++) {
      assert.equal((await h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, as('jane', 'full'))).status, 200);
      assert.equal((await h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, as('raj', 'full'))).status, 200);
    }
    assert.deepEqual(
      received(h.sandbox, START)
        .map((e) => e.query['UserAPIID'])
        .sort(),
      ['jane.api', 'raj.api'],
    );
    assert.equal(received(h.sandbox, STOP).length, 0);
    assert.equal(h.sandbox.openSessions(), 2);
    assert.deepEqual(
      h.engine
        .sessions()
        .map((s) => s.principalId)
        .sort(),
      ['jane', 'raj'],
    );
    await h.engine.endSession(h.connection('ol-sandbox'), 'raj');
    assert.deepEqual(
      h.engine.sessions().map((s) => s.principalId),
      ['jane'],
    );
    assert.equal(h.sandbox.openSessions(), 1);
    await h.engine.dispose();
    assert.equal(h.sandbox.openSessions(), 0);
    assert.equal(h.engine.sessions().length, 0);
  });

  it('concurrent sends for two principals both succeed, each with its own session', async () => {
    const sends = Array.from({ length: 10 }, (_, i) => h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, as(i % 2 ? 'raj' : 'jane', 'full')));
    const records = await Promise.all(sends);
    assert.deepEqual(
      records.map((r) => r.status),
      Array(10).fill(200),
    );
    assert.ok(records.every((r) => !r.notes.some((n) => /401/.test(n))));
    assert.equal(received(h.sandbox, START).length, 2);
    assert.equal(received(h.sandbox, STOP).length, 0);
    assert.equal(h.sandbox.openSessions(), 2);
    await h.engine.dispose();
    assert.equal(h.sandbox.openSessions(), 0);
  });

  it("a rejected session token ends only that principal's session", async () => {
    await h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, as('jane', 'full'));
    await h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, as('raj', 'full'));
    h.sandbox.injectFault({ kind: 'status', status: 401, times: 1, match: { pathIncludes: 'Documents.All' } });
    const record = await h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, as('jane', 'full'));
    assert.equal(record.status, 200);
    assert.equal(received(h.sandbox, START).filter((e) => e.query['UserAPIID'] === 'jane.api').length, 2);
    assert.equal(received(h.sandbox, START).filter((e) => e.query['UserAPIID'] === 'raj.api').length, 1);
    assert.deepEqual(
      h.engine
        .sessions()
        .map((s) => s.principalId)
        .sort(),
      ['jane', 'raj'],
    );
    assert.equal(h.sandbox.openSessions(), 2);
  });

  it('stops every session when the mode changes or the user sends as self', async () => {
    await h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, as('jane', 'full'));
    await h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, as('raj', 'full'));
    await h.engine.identityChanged(as('jane', 'full'));
    assert.equal(h.sandbox.openSessions(), 2);
    await h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, as('raj', 'lite'));
    assert.equal(h.sandbox.openSessions(), 0);
    await h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, as('raj', 'full'));
    await h.engine.identityChanged(as('raj', 'lite'));
    assert.equal(h.sandbox.openSessions(), 0);
    await h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, as('raj', 'full'));
    await h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, as(undefined, 'full'));
    assert.equal(h.sandbox.openSessions(), 0);
    assert.equal(h.engine.sessions().length, 0);
  });

  it('stops an idle session by itself', async () => {
    await h.close();
    h = await startHarness({ engine: { idleSessionTimeoutMs: 150 } });
    await h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, as('jane', 'full'));
    assert.equal(h.sandbox.openSessions(), 1);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(h.sandbox.openSessions(), 0);
  });

  it('stops the session even when a request fails mid-run', async () => {
    await h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, as('jane', 'full'));
    h.sandbox.injectFault({ kind: 'reset', match: { pathIncludes: 'Documents.All' } });
    await assert.rejects(h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, as('jane', 'full')), /connection reset|closed the connection/);
    await h.engine.dispose();
    assert.equal(h.sandbox.openSessions(), 0);
  });

  it("full mode applies the principal's privileges: a viewer cannot update, and it is explained", async () => {
    const record = await h.engine.sendAs(update('Nope'), as('raj', 'full'));
    assert.equal(record.status, 403);
    assert.match(record.explanation!.message, /Raj Patel .* may not do this: full impersonation applies the principal's own privileges/);
  });

  it('explains a missing "Impersonate Another User" right, and leaves no session', async () => {
    await assert.rejects(h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, as('jane', 'full', 'ol-noimp-sandbox')), (e: BehalfError) => {
      assert.equal(e.code, 'impersonation-right');
      assert.match(e.message, /Impersonate Another User/);
      return true;
    });
    assert.equal(h.sandbox.openSessions(), 0);
  });

  it('where lite is not enabled, the vendor records the service user', async () => {
    await h.engine.sendAs({ ...update('Harbour, lite off') }, as('jane', 'lite', 'ol-noimp-sandbox'));
    const versions = await h.engine.assetHistory(h.connection('ol-noimp-sandbox'), 'A-1');
    assert.equal(versions[versions.length - 1].user, 'noimp@acme.test');
  });

  it("reads an asset's version history, normalised and oldest first", async () => {
    const versions = await h.engine.assetHistory(h.connection('ol-sandbox'), 'A-1');
    assert.equal(versions.length, 3);
    assert.deepEqual(
      versions.map((v) => v.version),
      [1, 2, 3],
    );
    assert.ok(versions[0].changes.some((c) => c.field === 'Title' && c.newValue === 'Harbour at dawn'));
    await assert.rejects(h.engine.assetHistory(h.connection('ol-sandbox'), 'A-404'), /Could not read the version history of A-404/);
  });

  it('refreshes the service token after a 401 and the session after its token dies', async () => {
    await h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, as('jane', 'lite'));
    h.sandbox.expireTokens();
    const record = await h.engine.sendAs({ method: 'GET', url: READ, headers: {} }, as('jane', 'lite'));
    assert.equal(record.status, 200);
  });
});

describe('Orange Logic version history normalisation', () => {
  const canonical = {
    APIResponse: {
      Code: 'success',
      Versions: [
        { VersionNumber: 2, Date: '2026-01-06', User: 'b@x', Changes: [{ Field: 'Title', OldValue: 'a', NewValue: 'b' }] },
        { VersionNumber: 1, Date: '2026-01-05', User: 'a@x', Changes: [{ Field: 'Title', OldValue: '', NewValue: 'a' }] },
      ],
    },
  };
  it('reads the assumed shape and sorts oldest first', () => {
    const v = normaliseVersionHistory(JSON.stringify(canonical), 'A');
    assert.deepEqual(
      v.map((x) => x.version),
      [1, 2],
    );
    assert.deepEqual(v[1].changes, [{ field: 'Title', oldValue: 'a', newValue: 'b' }]);
  });
  it('tolerates lower-case keys, no wrapper and a bare array', () => {
    const lower = JSON.parse(JSON.stringify(canonical).replace(/"([A-Z][A-Za-z]*)":/g, (_, k: string) => `"${k.toLowerCase()}":`));
    assert.equal(normaliseVersionHistory(JSON.stringify(lower), 'A').length, 2);
    assert.equal(normaliseVersionHistory(JSON.stringify(canonical.APIResponse), 'A').length, 2);
    assert.equal(normaliseVersionHistory(JSON.stringify(canonical.APIResponse.Versions), 'A').length, 2);
  });
  it('reads XML when format=JSON was ignored, decoding entities', () => {
    const xml = `<Response><Versions><Version><VersionNumber>1</VersionNumber><Date>2026-01-05</Date><User>a@x</User><Changes><Change><Field>Title</Field><OldValue></OldValue><NewValue>&lt;b&gt; &amp; co</NewValue></Change></Changes></Version></Versions></Response>`;
    const v = normaliseVersionHistory(xml, 'A');
    assert.deepEqual(v, [{ version: 1, date: '2026-01-05', user: 'a@x', changes: [{ field: 'Title', oldValue: '', newValue: '<b> & co' }] }]);
  });
  it('gives a clear error on other shapes', () => {
    assert.throws(() => normaliseVersionHistory('{"APIResponse":{"Code":"success"}}', 'A-9'), /unexpected shape/);
    assert.throws(() => normaliseVersionHistory('not json', 'A-9'), /not JSON or XML/);
  });
  it('keeps JSON values of changed fields as JSON text', () => {
    const v = normaliseVersionHistory(
      JSON.stringify([{ VersionNumber: 1, User: 'a', Changes: [{ Field: 'Tags', OldValue: ['a'], NewValue: { k: 1 } }] }]),
      'A',
    );
    assert.deepEqual(v[0].changes[0], { field: 'Tags', oldValue: '["a"]', newValue: '{"k":1}' });
  });
});
