import assert from 'node:assert/strict';
import type { ActAs } from '../../src/core/model';
import type { BehalfError } from '../../src/core/errors';
import { parseProxyAssignments } from '../../src/vendors/dealcloud';
import { systemClock, type Clock } from '../../src/core/ports';
import { received, startHarness, type Harness } from './support';

const ROWS = '/api/rest/v4/data/entrydata/rows/Deals';

describe('DealCloud adapter against the sandbox', () => {
  let h: Harness;
  /** The engine's clock runs ahead of real time by this much: tests age tokens without waiting. */
  let ahead = 0;
  const clock: Clock = { now: () => Date.now() + ahead, sleep: systemClock.sleep };
  beforeEach(async () => {
    ahead = 0;
    h = await startHarness({ engine: { clock } });
  });
  afterEach(async () => h.close());

  const asJane = (): ActAs => ({ connection: h.connection('dc-sandbox'), principal: h.principal('dc-sandbox', 'jane'), mode: 'full' });
  const names = (body: string) => (JSON.parse(body) as { rows: Array<{ Name: string }> }).rows.map((r) => r.Name).sort();

  it("sends AS-USER with the principal's user id and sees only the principal's rows", async () => {
    const record = await h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, asJane());
    assert.equal(record.status, 200);
    assert.deepEqual(names(record.body), ['Project Atlas', 'Project Borealis', 'Project Echo']);
    const [call] = received(h.sandbox, ROWS);
    assert.equal(call.headers['as-user'], '6045');
    assert.match(call.headers['authorization'], /^Bearer dc_/);
    assert.equal(record.sentAs.mode, 'full');
    assert.match(record.sentAs.who, /Jane Doe/);
    // The record keeps the scheme but never the token.
    assert.equal(record.request.headers['Authorization'], 'Bearer «redacted»');
  });

  it('as the service user sends no AS-USER and sees every row', async () => {
    const record = await h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, { connection: h.connection('dc-sandbox'), mode: 'full' });
    assert.equal(JSON.parse(record.body).rows.length, 5);
    assert.equal(received(h.sandbox, ROWS)[0].headers['as-user'], undefined);
    assert.equal(record.sentAs.mode, 'self');
  });

  it('caches the token: 20 concurrent requests cost one token call', async () => {
    await Promise.all(Array.from({ length: 20 }, () => h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, asJane())));
    assert.equal(received(h.sandbox, '/oauth/token').length, 1);
    const form = new URLSearchParams(received(h.sandbox, '/oauth/token')[0].body);
    assert.equal(form.get('scope'), 'data user_management');
    assert.equal(form.get('grant_type'), 'client_credentials');
  });

  it('a new token when the scopes, token URL or client id change; the same one when only the scope order does', async () => {
    const base = h.connection('dc-sandbox');
    const send = (connection: typeof base) => h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, { connection, mode: 'full' });
    assert.equal((await send(base)).status, 200);
    assert.equal((await send({ ...base, scopes: ['user_management', 'data'] })).status, 200);
    assert.equal(received(h.sandbox, '/oauth/token').length, 1);
    await send({ ...base, scopes: ['data'] });
    assert.equal(received(h.sandbox, '/oauth/token').length, 2);
    assert.equal(new URLSearchParams(received(h.sandbox, '/oauth/token')[1].body).get('scope'), 'data');
    await send({ ...base, tokenUrl: `${base.baseUrl.replace(/\/+$/, '')}/api/rest/v1/oauth/token?v=2` });
    assert.equal(received(h.sandbox, '/oauth/token').length, 3);
    // Another client id asks for its own token (the sandbox does not know this one).
    await assert.rejects(
      send({ ...base, clientId: `${base.clientId}-other` }),
      /refused a token for client svc-integration-other: Invalid client credentials\.$/,
    );
    assert.equal(received(h.sandbox, '/oauth/token').length, 4);
    await send(base);
    assert.equal(received(h.sandbox, '/oauth/token').length, 4);
  });

  it('refreshes the token after one 401 when it expired on the server', async () => {
    await h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, asJane());
    ahead = 60_000;
    h.sandbox.expireTokens();
    const record = await h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, asJane());
    assert.equal(record.status, 200);
    assert.equal(received(h.sandbox, '/oauth/token').length, 2);
    assert.ok(record.notes.some((n) => /retried once/.test(n)));
  });

  it('refreshes a token that expires by its lifetime without a 401', async () => {
    await h.close();
    h = await startHarness({ sandbox: { tokenLifetimeSeconds: 1 } });
    await h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, asJane());
    await new Promise((r) => setTimeout(r, 1100));
    await h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, asJane());
    assert.equal(received(h.sandbox, '/oauth/token').length, 2);
    assert.equal(received(h.sandbox, ROWS).filter((e) => e.status === 401).length, 0);
  });

  for (const status of [400, 401, 403] as const) {
    it(`explains a ${status} on AS-USER without a proxy assignment`, async () => {
      h.sandbox.setAsUserDenialStatus(status);
      const lee = h.principal('dc-sandbox', 'lee');
      const record = await h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, { connection: h.connection('dc-sandbox'), principal: lee, mode: 'full' });
      assert.equal(record.status, status);
      assert.match(record.explanation!.message, /No proxy assignment lets the service user \(6001\) act as 6047/);
      if (status === 401) assert.match(record.explanation!.message, /most likely: DealCloud answered 401 to AS-USER 6047 even with a fresh token/);
      else assert.match(record.explanation!.message, /DealCloud said "User is not allowed to proxy as the provided user\."/);
      assert.equal(record.explanation!.action?.kind, 'createProxyAssignment');
      // The token was issued moments ago: a 401 is not its age, so no token call is spent on a refresh.
      assert.equal(received(h.sandbox, ROWS).length, 1);
      assert.equal(received(h.sandbox, '/oauth/token').length, 1);
    });
  }

  it('an AS-USER 401 with an older token gets exactly one refresh before it is explained', async () => {
    const lee = (): ActAs => ({ connection: h.connection('dc-sandbox'), principal: h.principal('dc-sandbox', 'lee'), mode: 'full' });
    await h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, asJane());
    ahead = 31_000;
    const record = await h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, lee());
    assert.equal(record.status, 401);
    assert.equal(received(h.sandbox, '/oauth/token').length, 2);
    assert.equal(received(h.sandbox, ROWS).length, 3);
    assert.ok(record.notes.some((n) => /retried once/.test(n)));
    assert.match(record.explanation!.message, /No proxy assignment lets the service user \(6001\) act as 6047 \(Lee Wong\), most likely/);
    // The new token is fresh again: the next denial costs no token call.
    await h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, lee());
    assert.equal(received(h.sandbox, '/oauth/token').length, 2);
  });

  it('a 403 that does not mention proxies: scope or API capability when the list cannot be read; the assignment list decides when it can', async () => {
    const denied = (status = 403) =>
      h.sandbox.injectFault({ kind: 'json', status, times: 1, body: { message: 'Access denied.' }, match: { pathIncludes: '/rows/Deals' } });
    // Without user_management the list cannot be read: scope or capability first, nothing blamed on an assignment.
    const dataOnly = { ...h.connection('dc-sandbox'), scopes: ['data'] };
    denied();
    const record = await h.engine.sendAs(
      { method: 'GET', url: ROWS, headers: {} },
      { connection: dataOnly, principal: h.principal('dc-sandbox', 'lee'), mode: 'full' },
    );
    assert.equal(record.status, 403);
    assert.match(
      record.explanation!.message,
      /\(403: "Access denied\."\)\. Usually a missing scope \(dc-sandbox asks for data\) or a missing "API" capability/,
    );
    assert.doesNotMatch(record.explanation!.message, /proxy assignment/i);
    assert.equal(record.explanation!.action, undefined);
    assert.equal(received(h.sandbox, '/management/user/proxy').length, 0);
    // With user_management and serviceUserId the list is read (once): 6047 is not on it, 6045 is.
    const lee: ActAs = { connection: h.connection('dc-sandbox'), principal: h.principal('dc-sandbox', 'lee'), mode: 'full' };
    for (const status of [400, 401, 403]) {
      denied(status);
      const unassigned = await h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, lee);
      assert.equal(unassigned.status, status);
      assert.match(unassigned.explanation!.message, /^No proxy assignment lets the service user \(6001\) act as 6047 \(Lee Wong\)/);
      assert.match(unassigned.explanation!.message, /the proxy assignments read from DealCloud have none for 6047/);
      assert.doesNotMatch(unassigned.explanation!.message, /Usually a missing scope/);
      assert.deepEqual(unassigned.explanation!.action, {
        kind: 'createProxyAssignment',
        title: 'Create proxy assignment',
        args: { connectionId: 'dc-sandbox', userId: '6047' },
      });
    }
    denied();
    const assigned = await h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, asJane());
    assert.match(assigned.explanation!.message, /Usually a missing scope .*\(The proxy assignment for 6045 exists\.\)$/);
    assert.equal(assigned.explanation!.action, undefined);
    denied(401);
    const assigned401 = await h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, asJane());
    assert.match(
      assigned401.explanation!.message,
      /^DealCloud refused this call as Jane Doe .*\(401: "Access denied\."\)\. Usually a missing scope .*\(The proxy assignment for 6045 exists\.\)$/,
    );
    assert.equal(received(h.sandbox, '/management/user/proxy').length, 1);
  });

  for (const status of [400, 401, 403] as const) {
    it(`a ${status} saying "User 6001 is not allowed to act as user 6047" is a missing proxy assignment, not a scope problem`, async () => {
      h.sandbox.setAsUserDenialStatus(status);
      h.sandbox.setAsUserDenialMessage('User {proxyUserId} is not allowed to act as user {userId}');
      const lee: ActAs = { connection: h.connection('dc-sandbox'), principal: h.principal('dc-sandbox', 'lee'), mode: 'full' };
      for (let i = 0; i < 2; i++) {
        const record = await h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, lee);
        assert.equal(record.status, status);
        assert.deepEqual(JSON.parse(record.body), { message: 'User 6001 is not allowed to act as user 6047' });
        const { message } = record.explanation!;
        assert.match(
          message,
          /^No proxy assignment lets the service user \(6001\) act as 6047 \(Lee Wong\): DealCloud said "User 6001 is not allowed to act as user 6047"/,
        );
        assert.match(message, /the proxy assignments read from DealCloud have none for 6047/);
        assert.doesNotMatch(message, /scope|capability/i);
        assert.equal(record.explanation!.action?.kind, 'createProxyAssignment');
      }
      // The list is read once per run, and with the cached token.
      assert.equal(received(h.sandbox, '/management/user/proxy').length, 1);
      assert.equal(received(h.sandbox, '/oauth/token').length, 1);
      // Without a way to read the list (no serviceUserId), the message alone decides.
      const noServiceUser = { ...h.connection('dc-sandbox'), settings: {} };
      const alone = await h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, { ...lee, connection: noServiceUser });
      assert.match(
        alone.explanation!.message,
        /^No proxy assignment lets the service user act as 6047 \(Lee Wong\): DealCloud said "User 6001 is not allowed to act as user 6047"/,
      );
      assert.equal(alone.explanation!.action?.kind, 'createProxyAssignment');
      assert.equal(received(h.sandbox, '/management/user/proxy').length, 1);
    });
  }

  it('other wordings of "may not act as the user" count as the assignment case', async () => {
    const lee: ActAs = { connection: { ...h.connection('dc-sandbox'), scopes: ['data'] }, principal: h.principal('dc-sandbox', 'lee'), mode: 'full' };
    for (const message of ['The service user may not act as user 6047.', 'User 6001 cannot act as this user', 'Not permitted to impersonate user 6047']) {
      h.sandbox.injectFault({ kind: 'json', status: 403, times: 1, body: { message }, match: { pathIncludes: '/rows/Deals' } });
      const record = await h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, lee);
      assert.match(record.explanation!.message, /^No proxy assignment lets the service user \(6001\) act as 6047/, message);
      assert.equal(record.explanation!.action?.kind, 'createProxyAssignment');
    }
  });

  it("a 400 shows the vendor's message and blames no assignment", async () => {
    h.sandbox.injectFault({ kind: 'json', status: 400, times: 1, body: { message: 'Unknown field "Nme".' }, match: { pathIncludes: '/rows/Deals' } });
    const record = await h.engine.sendAs({ method: 'GET', url: `${ROWS}?fields=Nme`, headers: {} }, asJane());
    assert.equal(record.status, 400);
    assert.equal(record.explanation!.message, 'DealCloud rejected the request (400: "Unknown field "Nme".").');
    assert.equal(record.explanation!.action, undefined);
  });

  it('"Proxy user with provided id does not exist." points at serviceUserId, not the principal', async () => {
    const connection = { ...h.connection('dc-sandbox'), settings: { serviceUserId: '99999' } };
    await assert.rejects(h.engine.createProxyAssignment(connection, '6047'), (e: BehalfError) => {
      assert.match(e.message, /no user with the proxy user id sent \(the service user's own id; dc-sandbox has "serviceUserId": 99999\)/);
      assert.match(e.hint ?? '', /serviceUserId/);
      return true;
    });
    // The same call written by hand in a .http file is explained the same way.
    const record = await h.engine.sendAs(
      {
        method: 'POST',
        url: '/api/rest/v1/management/user/proxy',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ proxyUserId: 99999, users: [6047] }),
      },
      { connection, mode: 'full' },
    );
    assert.equal(record.status, 400);
    assert.match(record.explanation!.message, /Check "serviceUserId" on the connection/);
  });

  it('a query string over 2040 characters gets a hint to use POST …/rows/query/{entryType}', async () => {
    const query = encodeURIComponent(JSON.stringify({ Name: { $in: Array.from({ length: 120 }, (_, i) => `Project ${i}`) } }));
    const record = await h.engine.sendAs({ method: 'GET', url: `${ROWS}?query=${query}`, headers: {} }, asJane());
    assert.ok(
      record.notes.some((n) =>
        /^The query string is \d+ characters; DealCloud accepts at most 2040: send it as POST \/api\/rest\/v4\/data\/entrydata\/rows\/query\/Deals with the parameters in the body\.$/.test(
          n,
        ),
      ),
      record.notes.join('\n'),
    );
    const short = await h.engine.sendAs({ method: 'GET', url: `${ROWS}?limit=10`, headers: {} }, asJane());
    assert.ok(!short.notes.some((n) => /query string/.test(n)));
  });

  it('lists proxy assignments of the service user as principals', async () => {
    const principals = await h.engine.listPrincipals(h.connection('dc-sandbox'));
    const ids = principals.map((p) => p.userId).sort();
    assert.deepEqual(ids, ['6045', '6046', '6047']); // jane, raj, lee from the file; 6045/6046 also from the vendor
    const call = received(h.sandbox, '/management/user/proxy')[0];
    assert.equal(call.query['pageNumber'], '1');
  });

  it('lists proxy assignments with a fresh token after one 401 when the server no longer accepts the cached one', async () => {
    await h.engine.listPrincipals(h.connection('dc-sandbox'));
    h.sandbox.expireTokens();
    const principals = await h.engine.listPrincipals(h.connection('dc-sandbox'));
    assert.deepEqual(principals.map((p) => p.userId).sort(), ['6045', '6046', '6047']);
    assert.deepEqual(
      received(h.sandbox, '/management/user/proxy').map((e) => e.status),
      [200, 401, 200],
    );
    assert.equal(received(h.sandbox, '/oauth/token').length, 2);
  });

  it('creates a proxy assignment by read-merge-write, keeping existing users', async () => {
    await h.engine.createProxyAssignment(h.connection('dc-sandbox'), '6047');
    const post = received(h.sandbox, '/management/user/proxy').find((e) => e.method === 'POST')!;
    assert.deepEqual(JSON.parse(post.body), { proxyUserId: 6001, users: [6045, 6046, 6047] });
    const lee = h.principal('dc-sandbox', 'lee');
    const record = await h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, { connection: h.connection('dc-sandbox'), principal: lee, mode: 'full' });
    assert.equal(record.status, 200);
    assert.deepEqual(names(record.body), ['Project Delta', 'Project Echo']);
  });

  it('refuses a write as someone else without confirmation, and sends nothing', async () => {
    h.confirmAnswer = false;
    await assert.rejects(
      h.engine.sendAs({ method: 'POST', url: ROWS, headers: { 'Content-Type': 'application/json' }, body: '[{"Name":"X"}]' }, asJane()),
      (e: BehalfError) => e.code === 'not-confirmed' && /needs confirmation/.test(e.message),
    );
    assert.equal(received(h.sandbox, ROWS).length, 0);
    assert.match(h.prompts[0], /POST .* as Jane Doe/);
  });

  it('a confirmed write is recorded as created by the principal', async () => {
    const record = await h.engine.sendAs(
      { method: 'POST', url: ROWS, headers: { 'Content-Type': 'application/json' }, body: '[{"Name":"Project Fjord"}]' },
      asJane(),
    );
    assert.equal(record.status, 200);
    assert.equal(JSON.parse(record.body)[0].CreatedBy, 6045);
  });

  it('production connections confirm even reads as someone else', async () => {
    const connection = { ...h.connection('dc-sandbox'), production: true };
    h.confirmAnswer = false;
    await assert.rejects(h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, { ...asJane(), connection }), /PRODUCTION/);
  });

  it('rejects lite mode: DealCloud has one way to act as a user', async () => {
    await assert.rejects(h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, { ...asJane(), mode: 'lite' }), /no lite mode/);
  });

  it('explains a missing scope', async () => {
    const connection = { ...h.connection('dc-sandbox'), scopes: ['data'] };
    await assert.rejects(h.engine.listPrincipals(connection), /user_management/);
  });

  it('says which variable to set when the secret is missing, without a value', async () => {
    const connection = { ...h.connection('dc-sandbox'), id: 'dc-nosecret' };
    await assert.rejects(h.engine.sendAs({ method: 'GET', url: ROWS, headers: {} }, { ...asJane(), connection }), /BEHALF_SECRET_DC_NOSECRET/);
  });
});

describe('DealCloud proxy assignment parsing', () => {
  it('tolerates casing and a wrapping object', () => {
    const parsed = parseProxyAssignments({ Items: [{ ProxyUser: { Id: 1, Email: 'a@x' }, Users: [{ ID: 2, FullName: 'B' }] }] });
    assert.deepEqual(parsed, [{ proxyUser: { id: '1', email: 'a@x', fullName: undefined }, users: [{ id: '2', email: undefined, fullName: 'B' }] }]);
  });
  it('rejects a wrong shape', () => {
    assert.equal(parseProxyAssignments({ message: 'nope' }), undefined);
    assert.equal(parseProxyAssignments([{ users: [] }]), undefined);
  });
});
