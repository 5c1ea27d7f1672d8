// The vendor sandbox over real sockets, with Node's fetch: the contract in docs/sandbox.md.

import assert from 'node:assert/strict';
import { type Sandbox, startSandbox } from '../../src/sandbox';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // Parsed lazily: some tests expect bodies that are not JSON.
  json: () => any;
}

interface CallOptions {
  method?: string;
  headers?: Record<string, string>;
  json?: unknown;
  form?: Record<string, string>;
  body?: string;
  redirect?: 'follow' | 'manual' | 'error';
  signal?: AbortSignal;
}

async function call(url: string, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  let body = options.body;
  if (options.json !== undefined) {
    headers['content-type'] ??= 'application/json';
    body = JSON.stringify(options.json);
  }
  if (options.form !== undefined) {
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
    body = new URLSearchParams(options.form).toString();
  }
  const method = options.method ?? (body === undefined ? 'GET' : 'POST');
  const res = await fetch(url, { method, headers, body, redirect: options.redirect, signal: options.signal });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('vendor sandbox', function () {
  let sandbox: Sandbox;

  before(async () => {
    sandbox = await startSandbox();
  });
  after(() => sandbox.close());
  beforeEach(() => sandbox.reset());

  // ---- helpers that need the running sandbox

  async function dealCloudToken(scope = 'data user_management', clientId = 'svc-integration', secret = 'dc-sandbox-secret-7f3a'): Promise<string> {
    const res = await call(`${sandbox.urls.dealcloud}/api/rest/v1/oauth/token`, {
      form: { grant_type: 'client_credentials', client_id: clientId, client_secret: secret, scope },
    });
    assert.equal(res.status, 200, res.text);
    return res.json().access_token;
  }

  const rowsUrl = (entryType: string, query = '') => `${sandbox.urls.dealcloud}/api/rest/v4/data/entrydata/rows/${entryType}${query}`;
  const proxyUrl = (query = '') => `${sandbox.urls.dealcloud}/api/rest/v1/management/user/proxy${query}`;

  async function dealIds(token: string, asUser?: string, entryType = 'Deals'): Promise<number[]> {
    const res = await call(rowsUrl(entryType), { headers: { ...bearer(token), ...(asUser ? { 'AS-USER': asUser } : {}) } });
    assert.equal(res.status, 200, res.text);
    const body = res.json();
    assert.equal(body.totalRecords, body.rows.length);
    return body.rows.map((row: { EntryId: number }) => row.EntryId);
  }

  async function orangeLogicToken(clientId = 'ol-svc', secret = 'ol-sandbox-secret-9c1e'): Promise<string> {
    const res = await call(`${sandbox.urls.orangelogic}/webapi/security/clientcredentialsauthentication/authenticate_46H_v1`, {
      form: { client_id: clientId, client_secret: secret, grant_type: 'client_credentials' },
    });
    assert.equal(res.status, 200, res.text);
    return res.json().access_token;
  }

  const olUrl = (path: string) => `${sandbox.urls.orangelogic}${path}`;
  const startImpersonation = (token: string, apiId: string) =>
    call(olUrl(`/webapi/security/authentication/startimpersonation_4CN_v1?UserAPIID=${apiId}`), { headers: bearer(token) });
  const stopImpersonation = (sessionToken: string) =>
    call(olUrl('/webapi/security/authentication/stopimpersonation_4CO_v1'), { headers: bearer(sessionToken) });
  const readAssets = (token: string, recordId?: string, headers: Record<string, string> = {}) =>
    call(olUrl(`/API/DataTable/v2.2/Documents.All:Read?format=JSON${recordId ? `&RecordID=${recordId}` : ''}`), { headers: { ...bearer(token), ...headers } });
  const updateAsset = (token: string, recordId: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    call(olUrl('/API/DataTable/v2.2/Documents.All:Update'), { headers: { ...bearer(token), ...headers }, json: { RecordID: recordId, Fields: fields } });

  async function assetVersions(token: string, recordId: string) {
    const res = await call(olUrl(`/webapi/versioning/assetversioning/get_asset_versioning_49U_v1?RecordID=${recordId}&format=JSON`), {
      headers: bearer(token),
    });
    assert.equal(res.status, 200, res.text);
    return res.json().APIResponse.Versions as Array<{
      VersionNumber: number;
      User: string;
      Changes: Array<{ Field: string; OldValue: string; NewValue: string }>;
    }>;
  }

  async function creativeForceToken(clientId: string, secret: string): Promise<string> {
    const res = await call(sandbox.urls.creativeforceToken, {
      form: { client_id: clientId, client_secret: secret, scope: 'cfgateway', grant_type: 'client_credentials' },
    });
    assert.equal(res.status, 200, res.text);
    return res.json().access_token;
  }

  async function genericToken(extra: Record<string, string> = {}): Promise<Answer> {
    return call(sandbox.urls.genericToken, {
      form: { grant_type: 'client_credentials', client_id: 'gen-client', client_secret: 'gen-sandbox-secret-g3n', ...extra },
    });
  }

  // ---- the sandbox as a whole

  describe('server', () => {
    it('exposes URLs on two different origins', () => {
      assert.match(sandbox.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(new URL(sandbox.foreignUrl).port, new URL(sandbox.url).port);
      assert.equal(sandbox.urls.creativeforceGateway, `${sandbox.url}/creativeforce/gateway/v1`);
      assert.equal(sandbox.urls.genericToken, `${sandbox.url}/generic/oauth/token`);
    });

    it('answers 404 {"message":"Not found"} to unknown paths, inside and outside vendor prefixes', async () => {
      for (const path of ['/nowhere', '/dealcloud/api/nowhere', '/orangelogic/x', '/creativeforce/gateway/v1/nothing', '/generic/api/none', '/dealcloudx']) {
        const res = await call(`${sandbox.url}${path}`);
        assert.equal(res.status, 404, path);
        assert.deepEqual(res.json(), { message: 'Not found' });
      }
    });

    it('answers 400 with a message to malformed JSON bodies and keeps serving', async () => {
      const token = await dealCloudToken();
      const res = await call(proxyUrl(), { headers: { ...bearer(token), 'content-type': 'application/json' }, body: '{"proxyUserId": 60' });
      assert.equal(res.status, 400);
      assert.match(res.json().message, /Malformed JSON/);
      const ol = await call(olUrl('/API/DataTable/v2.2/Documents.All:Update'), {
        headers: { ...bearer(await orangeLogicToken()), 'content-type': 'application/json' },
        body: 'not json',
      });
      assert.equal(ol.status, 400);
      assert.equal(ol.json().APIResponse.Code, 'BadRequest');
      assert.equal((await call(`${sandbox.url}/__sandbox/state`)).status, 200);
    });

    it('logs every request: lower-case headers, query, body capped at 64 KiB, status and effective user', async () => {
      const token = await dealCloudToken();
      const big = 'x'.repeat(70 * 1024);
      await call(`${rowsUrl('Deals')}?limit=10`, { headers: { ...bearer(token), 'AS-USER': '6045', 'X-Custom-Thing': 'Value' } });
      await call(`${sandbox.urls.generic}/api/echo`, { method: 'POST', headers: bearer('nope'), body: big });
      const [tokenCall, rowsCall, echoCall] = sandbox.log;
      assert.equal(sandbox.log.length, 3);
      assert.equal(tokenCall.vendor, 'dealcloud');
      assert.equal(tokenCall.method, 'POST');
      assert.match(tokenCall.body, /client_secret=dc-sandbox-secret-7f3a/);
      assert.equal(rowsCall.path, '/dealcloud/api/rest/v4/data/entrydata/rows/Deals');
      assert.deepEqual(rowsCall.query, { limit: '10' });
      assert.equal(rowsCall.headers['as-user'], '6045');
      assert.equal(rowsCall.headers['x-custom-thing'], 'Value');
      assert.equal(rowsCall.status, 200);
      assert.equal(rowsCall.effectiveUser, 'jane@acme.test');
      assert.equal(rowsCall.listener, 'main');
      assert.ok(rowsCall.seq > tokenCall.seq);
      assert.equal(echoCall.status, 401);
      assert.equal(echoCall.body.length, 64 * 1024);
      assert.equal(echoCall.effectiveUser, undefined);
    });

    it('connectionsFile() has the sandbox connections and no secret value; secretsEnv() has them all', () => {
      const file = sandbox.connectionsFile();
      const ids = file.connections.map((c) => c.id);
      assert.deepEqual(ids, ['dc-sandbox', 'ol-sandbox', 'ol-noimp-sandbox', 'cf-sandbox', 'gen-header-sandbox', 'gen-exchange-sandbox']);
      assert.ok(file.connections.every((c) => c.production === false));
      const env = sandbox.secretsEnv();
      assert.deepEqual(Object.keys(env).sort(), [
        'BEHALF_SECRET_CF_SANDBOX',
        'BEHALF_SECRET_CF_SANDBOX_ED',
        'BEHALF_SECRET_CF_SANDBOX_EVE',
        'BEHALF_SECRET_CF_SANDBOX_PAT',
        'BEHALF_SECRET_DC_SANDBOX',
        'BEHALF_SECRET_GEN_EXCHANGE_SANDBOX',
        'BEHALF_SECRET_GEN_HEADER_SANDBOX',
        'BEHALF_SECRET_OL_NOIMP_SANDBOX',
        'BEHALF_SECRET_OL_SANDBOX',
      ]);
      assert.equal(env.BEHALF_SECRET_CF_SANDBOX_EVE, 'cf-sandbox-secret-ecm2');
      const text = JSON.stringify(file);
      for (const secret of [...Object.values(env), 'dc-sandbox-secret-r2d2', 'ol-static-token-5b7d']) assert.ok(!text.includes(secret), secret);
      assert.doesNotMatch(text, /"(clientSecret|secret|token|password|apiKey|accessToken)"/);

      const byId = Object.fromEntries(file.connections.map((c) => [c.id, c]));
      assert.deepEqual(
        byId['dc-sandbox'].principals.map((p) => [p.id, p.userId]),
        [
          ['jane', '6045'],
          ['raj', '6046'],
          ['lee', '6047'],
        ],
      );
      assert.equal(byId['dc-sandbox'].serviceUserId, '6001');
      assert.equal(byId['ol-sandbox'].defaultMode, 'lite');
      assert.equal(byId['cf-sandbox'].baseUrl, sandbox.urls.creativeforceGateway);
      assert.equal(byId['cf-sandbox'].tokenUrl, sandbox.urls.creativeforceToken);
      assert.deepEqual(
        byId['cf-sandbox'].principals.map((p) => p.clientId),
        ['cf-app-ecomm', 'cf-app-editorial', 'cf-app-partial'],
      );
      assert.deepEqual(byId['gen-header-sandbox'].impersonation, { kind: 'header', headers: { 'X-Impersonate-User': '{{principal.email}}' } });
      assert.deepEqual(byId['gen-exchange-sandbox'].impersonation, { kind: 'tokenExchange', subjectParam: 'requested_subject' });
    });

    it('reset() restores seed data, sessions, tokens, faults, configuration and the log', async () => {
      const dc = await dealCloudToken();
      await call(proxyUrl(), { headers: bearer(dc), json: { proxyUserId: 6001, users: [] } });
      const ol = await orangeLogicToken();
      await updateAsset(ol, 'A-1', { Title: 'Changed' });
      await startImpersonation(ol, 'jane.api');
      sandbox.setAsUserDenialStatus(403);
      sandbox.injectFault({ kind: 'status', status: 500, times: 10 });
      assert.equal(sandbox.openSessions(), 1);

      sandbox.reset();
      assert.equal(sandbox.log.length, 0);
      assert.equal(sandbox.openSessions(), 0);
      assert.equal((await call(proxyUrl(), { headers: bearer(dc) })).status, 401, 'old tokens are gone');
      const fresh = await dealCloudToken();
      assert.deepEqual(await dealIds(fresh, '6045'), [1, 2, 5], 'proxy assignments and faults are back to the start');
      assert.equal((await call(rowsUrl('Deals'), { headers: { ...bearer(fresh), 'AS-USER': '6047' } })).status, 401, 'denial status is back to 401');
      const [asset] = (await readAssets(await orangeLogicToken(), 'A-1')).json().APIResponse.Items;
      assert.equal(asset.Title, 'Harbour at dawn');
    });

    it('close() returns at once even with a request the sandbox never answers', async () => {
      const own = await startSandbox();
      own.injectFault({ kind: 'timeout' });
      const pending = fetch(`${own.url}/generic/api/echo`).catch((error: unknown) => error);
      while (own.log.length === 0) await sleep(5);
      const started = Date.now();
      await own.close();
      assert.ok(Date.now() - started < 1000);
      assert.ok((await pending) instanceof Error);
    });

    it('validates start options', async () => {
      await assert.rejects(startSandbox({ asUserDenialStatus: 500 as 401 }), /asUserDenialStatus/);
      await assert.rejects(startSandbox({ tokenLifetimeSeconds: 0 }), /tokenLifetimeSeconds/);
    });
  });

  describe('control endpoints', () => {
    const control = (path: string, options: CallOptions = {}) => call(`${sandbox.url}/__sandbox${path}`, options);

    it('GET/DELETE /log', async () => {
      await call(`${sandbox.foreignUrl}/ping`);
      const log = (await control('/log')).json();
      assert.deepEqual(
        log.map((e: { vendor: string; status: number }) => [e.vendor, e.status]),
        [
          ['foreign', 200],
          ['control', 200],
        ],
      );
      assert.equal((await control('/log', { method: 'DELETE' })).status, 200);
      assert.deepEqual(
        (await control('/log')).json().map((e: { path: string }) => e.path),
        ['/__sandbox/log'],
      );
    });

    it('GET /state counts open sessions', async () => {
      await startImpersonation(await orangeLogicToken(), 'raj.api');
      assert.deepEqual((await control('/state')).json(), { openSessions: 1, creativeForce: { startedTasks: [], uploads: [], audit: [] } });
    });

    it('POST/DELETE /faults, and control requests are never faulted', async () => {
      assert.equal((await control('/faults', { json: { kind: 'status', status: 503, times: 5 } })).status, 200);
      assert.equal((await control('/state')).status, 200);
      assert.equal((await call(`${sandbox.url}/generic/api/echo`)).status, 503);
      assert.equal((await control('/faults', { method: 'DELETE' })).status, 200);
      assert.equal((await call(`${sandbox.url}/generic/api/echo`)).status, 401);
      const bad = await control('/faults', { json: { kind: 'explode' } });
      assert.equal(bad.status, 400);
      assert.match(bad.json().message, /kind/);
    });

    it('POST /expire-tokens, /config, /reset and GET /connections', async () => {
      const token = await dealCloudToken();
      assert.equal((await control('/expire-tokens', { method: 'POST' })).status, 200);
      assert.equal((await call(proxyUrl(), { headers: bearer(token) })).status, 401);

      const fresh = await dealCloudToken();
      assert.equal((await control('/config', { json: { asUserDenialStatus: 403 } })).status, 200);
      assert.equal((await call(rowsUrl('Deals'), { headers: { ...bearer(fresh), 'AS-USER': '6047' } })).status, 403);
      assert.equal((await control('/config', { json: { asUserDenialStatus: 418 } })).status, 400);
      assert.equal((await control('/config', { json: { somethingElse: 1 } })).status, 400);

      assert.equal((await control('/reset', { method: 'POST' })).status, 200);
      assert.equal(sandbox.log.length, 0);

      const connections = (await control('/connections')).json();
      assert.deepEqual(connections, sandbox.connectionsFile());
    });
  });

  describe('foreign listener', () => {
    it('answers 200 {"ok":true} to anything and logs it', async () => {
      const res = await call(`${sandbox.foreignUrl}/any/path?x=1`, { method: 'PUT', headers: { Authorization: 'Bearer leaked' }, body: 'hello' });
      assert.equal(res.status, 200);
      assert.deepEqual(res.json(), { ok: true });
      const [entry] = sandbox.log;
      assert.equal(entry.listener, 'foreign');
      assert.equal(entry.vendor, 'foreign');
      assert.equal(entry.method, 'PUT');
      assert.equal(entry.path, '/any/path');
      assert.equal(entry.headers.authorization, 'Bearer leaked');
      assert.equal(entry.body, 'hello');
    });
  });

  // ---- faults

  describe('fault injection', () => {
    const echo = () => `${sandbox.urls.generic}/api/echo`;

    it('status: answers the status with Retry-After, for `times` matching requests', async () => {
      sandbox.injectFault({ kind: 'status', status: 429, retryAfterSeconds: 7, times: 2, match: { vendor: 'generic', method: 'get' } });
      assert.equal((await call(`${sandbox.url}/dealcloud/nowhere`)).status, 404, 'other vendors are not matched');
      assert.equal((await call(echo(), { method: 'POST', body: 'x' })).status, 401, 'other methods are not matched');
      const first = await call(echo());
      assert.equal(first.status, 429);
      assert.equal(first.headers.get('retry-after'), '7');
      assert.equal((await call(echo())).status, 429);
      assert.equal((await call(echo())).status, 401, 'the fault is used up');
    });

    it('timeout: never answers by default (logged with status 0)', async () => {
      sandbox.injectFault({ kind: 'timeout', match: { pathIncludes: '/api/echo' } });
      await assert.rejects(call(echo(), { signal: AbortSignal.timeout(300) }));
      assert.equal(sandbox.log[0].status, 0);
    });

    it('timeout with delayMs: answers 200 that late', async () => {
      sandbox.injectFault({ kind: 'timeout', delayMs: 250 });
      const started = Date.now();
      const res = await call(echo());
      assert.equal(res.status, 200);
      assert.ok(Date.now() - started >= 240);
      assert.equal(sandbox.log[0].status, 200);
    });

    it('reset: the connection is reset', async () => {
      sandbox.injectFault({ kind: 'reset' });
      await assert.rejects(call(echo()));
      assert.equal(sandbox.log[0].status, 0);
      assert.equal((await call(echo())).status, 401, 'later requests are served');
    });

    it('malformed-json: a body that does not parse, labelled application/json', async () => {
      sandbox.injectFault({ kind: 'malformed-json' });
      const res = await call(echo());
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
      assert.throws(() => res.json(), SyntaxError);
    });

    it('big-body: a valid JSON body of exactly the requested size, 6 MiB by default', async () => {
      sandbox.injectFault({ kind: 'big-body', bytes: 100_000 });
      const small = await call(echo());
      assert.equal(Buffer.byteLength(small.text), 100_000);
      assert.ok(Array.isArray(small.json().rows));
      sandbox.injectFault({ kind: 'big-body' });
      const big = await call(echo());
      assert.equal(Buffer.byteLength(big.text), 6 * 1024 * 1024);
      assert.doesNotThrow(() => big.json());
    });

    it('redirect: to the foreign origin by default, or to the given location and status', async () => {
      sandbox.injectFault({ kind: 'redirect', match: { vendor: 'dealcloud' } });
      const res = await call(`${sandbox.urls.dealcloud}/api/rest/v4/data/entrydata/rows/Deals`, { redirect: 'manual' });
      assert.equal(res.status, 302);
      assert.equal(res.headers.get('location'), `${sandbox.foreignUrl}/dealcloud/api/rest/v4/data/entrydata/rows/Deals`);

      sandbox.injectFault({ kind: 'redirect', status: 307, location: `${sandbox.foreignUrl}/elsewhere` });
      const followed = await call(echo());
      assert.equal(followed.status, 200);
      assert.deepEqual(followed.json(), { ok: true });
      assert.deepEqual(
        sandbox.log.slice(-2).map((e) => [e.listener, e.status, e.path]),
        [
          ['main', 307, '/generic/api/echo'],
          ['foreign', 200, '/elsewhere'],
        ],
      );
    });

    it('rejects invalid fault specs', () => {
      assert.throws(() => sandbox.injectFault({ kind: 'nope' as 'status' }), TypeError);
      assert.throws(() => sandbox.injectFault({ kind: 'status', times: 0 }), TypeError);
    });
  });

  // ---- DealCloud

  describe('DealCloud', () => {
    const tokenUrl = () => `${sandbox.urls.dealcloud}/api/rest/v1/oauth/token`;

    it('issues random dc_ tokens lasting 900 s', async () => {
      const res = await call(tokenUrl(), {
        form: { grant_type: 'client_credentials', client_id: 'svc-integration', client_secret: 'dc-sandbox-secret-7f3a', scope: 'data' },
      });
      assert.equal(res.status, 200);
      const body = res.json();
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 900);
      assert.match(body.access_token, /^dc_[\w-]{20,}$/);
      assert.notEqual(body.access_token, await dealCloudToken('data'));
    });

    it('refuses wrong credentials (401) and scopes the user may not have (400)', async () => {
      const wrong = await call(tokenUrl(), { form: { grant_type: 'client_credentials', client_id: 'svc-integration', client_secret: 'nope', scope: 'data' } });
      assert.equal(wrong.status, 401);
      assert.deepEqual(wrong.json(), { message: 'Invalid client credentials.' });
      const scope = await call(tokenUrl(), {
        form: { grant_type: 'client_credentials', client_id: 'svc-reporting', client_secret: 'dc-sandbox-secret-r2d2', scope: 'data user_management' },
      });
      assert.equal(scope.status, 400);
      assert.deepEqual(scope.json(), { message: 'Invalid scope: user_management' });
    });

    it('limits token calls to 60 per minute per client with Retry-After', async () => {
      const form = { grant_type: 'client_credentials', client_id: 'svc-reporting', client_secret: 'dc-sandbox-secret-r2d2', scope: 'data' };
      const answers = await Promise.all(Array.from({ length: 61 }, () => call(tokenUrl(), { form })));
      const limited = answers.filter((a) => a.status === 429);
      assert.equal(limited.length, 1);
      assert.ok(Number(limited[0].headers.get('retry-after')) >= 1);
      assert.equal((await dealCloudToken('data')).startsWith('dc_'), true, 'other clients are not limited');
    });

    it('rejects missing, unknown and expired tokens with 401', async () => {
      assert.equal((await call(rowsUrl('Deals'))).status, 401);
      assert.deepEqual((await call(rowsUrl('Deals'), { headers: bearer('dc_forged') })).json(), { message: 'Unauthorized' });
      const token = await dealCloudToken();
      sandbox.expireTokens();
      assert.equal((await call(rowsUrl('Deals'), { headers: bearer(token) })).status, 401);
    });

    it('tokens expire after their lifetime', async () => {
      const shortLived = await startSandbox({ tokenLifetimeSeconds: 1 });
      try {
        const res = await call(`${shortLived.urls.dealcloud}/api/rest/v1/oauth/token`, {
          form: { grant_type: 'client_credentials', client_id: 'svc-integration', client_secret: 'dc-sandbox-secret-7f3a', scope: 'data' },
        });
        const { access_token: token, expires_in: expiresIn } = res.json();
        assert.equal(expiresIn, 1);
        const url = `${shortLived.urls.dealcloud}/api/rest/v4/data/entrydata/rows/Deals`;
        assert.equal((await call(url, { headers: bearer(token) })).status, 200);
        await sleep(1100);
        assert.equal((await call(url, { headers: bearer(token) })).status, 401);
      } finally {
        await shortLived.close();
      }
    });

    it('enforces scopes: data for rows, user_management for proxy assignments', async () => {
      const dataOnly = await dealCloudToken('data');
      const managementOnly = await dealCloudToken('user_management');
      const management = await call(proxyUrl(), { headers: bearer(dataOnly) });
      assert.equal(management.status, 403);
      assert.deepEqual(management.json(), { message: 'Missing scope user_management.' });
      const rows = await call(rowsUrl('Deals'), { headers: bearer(managementOnly) });
      assert.equal(rows.status, 403);
      assert.deepEqual(rows.json(), { message: 'Missing scope data.' });
    });

    it('lists proxy assignments ordered, paged and filtered', async () => {
      const token = await dealCloudToken();
      const page = async (query: string) => (await call(proxyUrl(query), { headers: bearer(token) })).json();
      const all = await page('?pageNumber=1&pageSize=100&proxyQuery=&userQuery=&searchByName=');
      assert.deepEqual(
        all.map((item: { proxyUser: { id: number }; users: Array<{ id: number }> }) => [item.proxyUser.id, item.users.map((u) => u.id)]),
        [
          [6001, [6045, 6046]],
          [6002, [6048]],
          [6049, [6047]],
        ],
      );
      assert.deepEqual(all[0].proxyUser, { id: 6001, email: 'svc@acme.test', fullName: 'Integration Service' });
      assert.equal((await page('?pageSize=1&pageNumber=2'))[0].proxyUser.id, 6002);
      assert.equal((await page('?pageSize=2&pageNumber=2')).length, 1);
      assert.deepEqual(await page('?pageSize=1&pageNumber=4'), []);
      assert.deepEqual(
        (await page('?proxyQuery=omar')).map((i: { proxyUser: { id: number } }) => i.proxyUser.id),
        [6049],
      );
      assert.deepEqual(
        (await page('?userQuery=ana@')).map((i: { proxyUser: { id: number } }) => i.proxyUser.id),
        [6002],
      );
      assert.equal((await call(proxyUrl('?pageSize=1001'), { headers: bearer(token) })).status, 400);
    });

    it('POST replaces the proxy user list', async () => {
      const token = await dealCloudToken();
      const res = await call(proxyUrl(), { headers: bearer(token), json: { proxyUserId: 6001, users: [6047] } });
      assert.equal(res.status, 200);
      assert.deepEqual(
        res.json().users.map((u: { id: number }) => u.id),
        [6047],
      );
      const after = (await call(proxyUrl(), { headers: bearer(token) })).json();
      assert.deepEqual(
        after[0].users.map((u: { id: number }) => u.id),
        [6047],
      );
      assert.equal((await call(rowsUrl('Deals'), { headers: { ...bearer(token), 'AS-USER': '6045' } })).status, 401, 'jane lost her assignment');
      assert.deepEqual(await dealIds(token, '6047'), [4, 5]);
    });

    it('POST refuses unknown proxy users and users', async () => {
      const token = await dealCloudToken();
      const proxy = await call(proxyUrl(), { headers: bearer(token), json: { proxyUserId: 9999, users: [6045] } });
      assert.equal(proxy.status, 400);
      assert.deepEqual(proxy.json(), { message: 'Proxy user with provided id does not exist.' });
      const user = await call(proxyUrl(), { headers: bearer(token), json: { proxyUserId: 6001, users: [6045, 9999] } });
      assert.equal(user.status, 400);
      assert.deepEqual(user.json(), { message: 'User with provided id does not exist.' });
      assert.deepEqual(await dealIds(token, '6046'), [1, 3, 5], 'nothing was written');
    });

    it('AS-USER filters rows per principal; the service user sees every row', async () => {
      const token = await dealCloudToken();
      assert.deepEqual(await dealIds(token), [1, 2, 3, 4, 5]);
      assert.deepEqual(await dealIds(token, '6045'), [1, 2, 5]);
      assert.deepEqual(await dealIds(token, '6046'), [1, 3, 5]);
      assert.deepEqual(await dealIds(token, '6045', 'Companies'), [101, 102]);
      assert.deepEqual(await dealIds(token, '6046', 'Companies'), [101]);
      const res = await call(rowsUrl('Deals'), { headers: { ...bearer(token), 'AS-USER': '6045' } });
      assert.equal(res.headers.get('x-sandbox-effective-user'), 'jane@acme.test');
      assert.deepEqual(res.json().rows[0], { EntryId: 1, Name: 'Project Atlas', Owner: 6045 });
      assert.equal((await call(rowsUrl('Deals', '?limit=2&skip=2'), { headers: bearer(token) })).json().rows[0].EntryId, 3);
      assert.equal((await call(rowsUrl('Deals', '?limit=2&skip=1'), { headers: bearer(token) })).status, 400);
    });

    it('AS-USER without a proxy assignment is refused with 401, 403 or 400 as configured', async () => {
      const token = await dealCloudToken();
      const asLee = () => call(rowsUrl('Deals'), { headers: { ...bearer(token), 'AS-USER': '6047' } });
      const first = await asLee();
      assert.equal(first.status, 401);
      assert.deepEqual(first.json(), { message: 'Unauthorized' });
      assert.equal(first.headers.get('x-sandbox-effective-user'), null);
      for (const status of [403, 400] as const) {
        sandbox.setAsUserDenialStatus(status);
        const res = await asLee();
        assert.equal(res.status, status);
        assert.deepEqual(res.json(), { message: 'User is not allowed to proxy as the provided user.' });
      }
      const unknown = await call(proxyUrl(), { headers: { ...bearer(token), 'AS-USER': '12345' } });
      assert.equal(unknown.status, 400);
      assert.deepEqual(unknown.json(), { message: 'User with provided id does not exist.' });
    });

    it('writes rows as the effective user: CreatedBy, visibility and ModifiedBy', async () => {
      const token = await dealCloudToken();
      const asJane = { ...bearer(token), 'AS-USER': '6045' };
      const created = await call(rowsUrl('Deals'), { headers: asJane, json: [{ Name: 'Project Fjord' }] });
      assert.equal(created.status, 200);
      assert.deepEqual(created.json(), [{ Name: 'Project Fjord', EntryId: 6, Owner: 6045, CreatedBy: 6045 }]);
      assert.deepEqual(await dealIds(token, '6045'), [1, 2, 5, 6]);
      assert.deepEqual(await dealIds(token, '6046'), [1, 3, 5]);

      const hidden = await call(rowsUrl('Deals'), { method: 'PATCH', headers: { ...bearer(token), 'AS-USER': '6046' }, json: [{ EntryId: 2, Name: 'x' }] });
      assert.equal(hidden.status, 404);
      const updated = await call(rowsUrl('Deals'), { method: 'PATCH', headers: asJane, json: [{ EntryId: 2, Name: 'Project Borealis II' }] });
      assert.deepEqual(updated.json(), [{ EntryId: 2, Name: 'Project Borealis II', Owner: 6045, ModifiedBy: 6045 }]);
      const readOnly = await call(rowsUrl('Deals'), { method: 'PATCH', headers: asJane, json: [{ EntryId: 2, CreatedBy: 1 }] });
      assert.equal(readOnly.status, 400);
    });
  });

  // ---- Orange Logic

  describe('Orange Logic', () => {
    it('authenticates with a form or JSON body; wrong credentials are 401 AuthenticationFailed', async () => {
      const tokenPath = olUrl('/webapi/security/clientcredentialsauthentication/authenticate_46H_v1');
      const viaJson = await call(tokenPath, { json: { client_id: 'ol-svc', client_secret: 'ol-sandbox-secret-9c1e' } });
      assert.equal(viaJson.status, 200);
      assert.equal(viaJson.json().expires_in, 3600);
      assert.match(viaJson.json().access_token, /^ol_/);
      assert.match(viaJson.headers.get('x-cortex-request-id') ?? '', /^[0-9a-f]{16}$/);
      assert.match(await orangeLogicToken(), /^ol_/);
      const wrong = await call(tokenPath, { form: { client_id: 'ol-svc', client_secret: 'nope' } });
      assert.equal(wrong.status, 401);
      assert.deepEqual(wrong.json(), { APIResponse: { Code: 'AuthenticationFailed', Message: 'Invalid client credentials.' } });
    });

    it('accepts Bearer, ?token= and the static token; refuses anything else with 401 NotAuthenticated', async () => {
      const token = await orangeLogicToken();
      assert.equal((await readAssets(token)).json().APIResponse.Items.length, 3);
      assert.equal((await call(olUrl(`/API/DataTable/v2.2/Documents.All:Read?format=JSON&token=${token}`))).status, 200);
      assert.equal((await readAssets('ol-static-token-5b7d', 'A-2')).json().APIResponse.Items[0].Title, 'Team offsite');
      const none = await call(olUrl('/API/DataTable/v2.2/Documents.All:Read'));
      assert.equal(none.status, 401);
      assert.deepEqual(none.json(), { APIResponse: { Code: 'NotAuthenticated', Message: 'Not authenticated.' } });
      assert.ok(none.headers.get('x-cortex-request-id'));
      sandbox.expireTokens();
      assert.equal((await readAssets(token)).status, 401);
      assert.equal((await readAssets('ol-static-token-5b7d')).status, 200, 'the static token never expires');
    });

    it('start/stop impersonation opens and really closes sessions', async () => {
      const token = await orangeLogicToken();
      const started = await startImpersonation(token, 'raj.api');
      assert.equal(started.status, 200);
      const session = started.json().APIResponse.Token;
      assert.match(session, /^olimp_/);
      const second = (await startImpersonation(token, 'jane.api')).json().APIResponse.Token;
      assert.equal(sandbox.openSessions(), 2);

      const asRaj = await readAssets(session);
      assert.deepEqual(
        asRaj.json().APIResponse.Items.map((i: { RecordID: string }) => i.RecordID),
        ['A-1', 'A-2'],
      );
      assert.equal(asRaj.headers.get('x-sandbox-effective-user'), 'raj@acme.test');
      assert.deepEqual((await readAssets(session, 'A-3')).json().APIResponse.Items, []);
      const nested = await startImpersonation(session, 'jane.api');
      assert.equal(nested.status, 400);
      assert.equal(nested.json().APIResponse.Code, 'AlreadyImpersonating');

      sandbox.expireTokens();
      assert.equal((await readAssets(session)).status, 200, 'sessions outlive expireTokens()');
      assert.equal((await stopImpersonation(session)).json().APIResponse.Code, 'success');
      assert.equal((await stopImpersonation(second)).status, 200);
      assert.equal(sandbox.openSessions(), 0);
      assert.equal((await readAssets(session)).status, 401, 'a stopped session token is invalid');
    });

    it('refuses impersonation without the right (403) and for unknown API ids (400)', async () => {
      const noRight = await startImpersonation(await orangeLogicToken('ol-noimp', 'ol-sandbox-secret-n0pe'), 'jane.api');
      assert.equal(noRight.status, 403);
      assert.deepEqual(noRight.json(), {
        APIResponse: { Code: 'SecurityFunctionMissing', Message: 'You need the Impersonate Another User security function.' },
      });
      const unknown = await startImpersonation(await orangeLogicToken(), 'ghost.api');
      assert.equal(unknown.status, 400);
      assert.deepEqual(unknown.json(), { APIResponse: { Code: 'UserNotFound', Message: 'No user with API ID ghost.api.' } });
      assert.equal(sandbox.openSessions(), 0);
    });

    it('full impersonation: editors update (history names them), viewers may not', async () => {
      const token = await orangeLogicToken();
      const jane = (await startImpersonation(token, 'jane.api')).json().APIResponse.Token;
      const raj = (await startImpersonation(token, 'raj.api')).json().APIResponse.Token;
      const denied = await updateAsset(raj, 'A-1', { Title: 'Nope' });
      assert.equal(denied.status, 403);
      assert.equal(denied.json().APIResponse.Code, 'AccessDenied');
      const updated = await updateAsset(jane, 'A-1', { Title: 'Harbour at dusk', Caption: 'Fishing boats leave the harbour at first light.' });
      assert.deepEqual(updated.json(), { APIResponse: { Code: 'success', VersionNumber: 4 } });
      const versions = await assetVersions(token, 'A-1');
      assert.equal(versions.length, 4);
      assert.equal(versions[3].User, 'jane@acme.test');
      assert.deepEqual(versions[3].Changes, [{ Field: 'Title', OldValue: 'Harbour at dawn', NewValue: 'Harbour at dusk' }], 'unchanged fields are not listed');
    });

    it('lite: the header attributes writes only, and only where the account has lite enabled', async () => {
      const lite = { 'X-Cortex-Save-Changes-As-User': 'raj@acme.test' };
      const token = await orangeLogicToken();
      const read = await readAssets(token, 'A-3', lite);
      assert.equal(read.json().APIResponse.Items.length, 1, 'reads keep the service privileges');
      assert.equal(read.headers.get('x-sandbox-effective-user'), 'svc@acme.test');
      assert.equal(sandbox.log.at(-1)?.headers['x-cortex-save-changes-as-user'], 'raj@acme.test', 'the header is logged');

      assert.equal((await updateAsset(token, 'A-3', { Caption: 'Cover of the board deck' }, lite)).status, 200);
      assert.equal((await updateAsset(token, 'A-3', { Caption: 'Cover' })).status, 200);
      const noimp = await orangeLogicToken('ol-noimp', 'ol-sandbox-secret-n0pe');
      const ignored = await updateAsset(noimp, 'A-3', { Keywords: 'cover' }, lite);
      assert.equal(ignored.headers.get('x-sandbox-effective-user'), 'noimp@acme.test');

      const versions = await assetVersions(token, 'A-3');
      assert.deepEqual(
        versions.map((v) => [v.VersionNumber, v.User]),
        [
          [1, 'svc@acme.test'],
          [2, 'jane@acme.test'],
          [3, 'raj@acme.test'],
          [4, 'svc@acme.test'],
          [5, 'noimp@acme.test'],
        ],
      );
      assert.deepEqual(versions[2].Changes, [{ Field: 'Caption', OldValue: '', NewValue: 'Cover of the board deck' }]);
      assert.match((versions[2] as unknown as { Date: string }).Date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    });

    it('history: seeded oldest first; unknown assets are 404 NotFound', async () => {
      const token = await orangeLogicToken();
      assert.deepEqual(await Promise.all(['A-1', 'A-2', 'A-3'].map(async (id) => (await assetVersions(token, id)).length)), [3, 1, 2]);
      const [first] = await assetVersions(token, 'A-1');
      assert.deepEqual(first, {
        VersionNumber: 1,
        Date: '2026-01-05T10:00:00Z',
        User: 'svc@acme.test',
        Changes: [
          { Field: 'Title', OldValue: '', NewValue: 'Harbour at dawn' },
          { Field: 'Keywords', OldValue: '', NewValue: 'harbour' },
        ],
      });
      const missing = await call(olUrl('/webapi/versioning/assetversioning/get_asset_versioning_49U_v1?RecordID=A-9&format=JSON'), { headers: bearer(token) });
      assert.equal(missing.status, 404);
      assert.equal(missing.json().APIResponse.Code, 'NotFound');
    });
  });

  // ---- Creative Force

  describe('Creative Force', () => {
    const gateway = (path: string) => `${sandbox.urls.creativeforceGateway}${path}`;

    it('issues cfgateway tokens; wrong credentials and scopes are 400', async () => {
      const ok = await call(sandbox.urls.creativeforceToken, {
        form: { client_id: 'cf-app-ops', client_secret: 'cf-sandbox-secret-ops1', scope: 'cfgateway', grant_type: 'client_credentials' },
      });
      assert.equal(ok.status, 200);
      const body = ok.json();
      assert.match(body.access_token, /^cf_/);
      assert.deepEqual({ ...body, access_token: 'x' }, { access_token: 'x', expires_in: 3600, token_type: 'Bearer', scope: 'cfgateway' });
      const wrong = await call(sandbox.urls.creativeforceToken, {
        form: { client_id: 'cf-app-ops', client_secret: 'nope', scope: 'cfgateway', grant_type: 'client_credentials' },
      });
      assert.deepEqual([wrong.status, wrong.json()], [400, { error: 'invalid_client' }]);
      const scope = await call(sandbox.urls.creativeforceToken, {
        form: { client_id: 'cf-app-ops', client_secret: 'cf-sandbox-secret-ops1', scope: 'openid', grant_type: 'client_credentials' },
      });
      assert.deepEqual([scope.status, scope.json()], [400, { error: 'invalid_scope' }]);
    });

    it('applies each app’s permission matrix: None is 403, Access is 200 acting as the on-behalf user', async () => {
      const eve = await creativeForceToken('cf-app-ecomm', 'cf-sandbox-secret-ecm2');
      const ed = await creativeForceToken('cf-app-editorial', 'cf-sandbox-secret-edt3');
      const pat = await creativeForceToken('cf-app-partial', 'cf-sandbox-secret-prt4');
      const ops = await creativeForceToken('cf-app-ops', 'cf-sandbox-secret-ops1');
      const status = async (token: string, method: string, path: string) =>
        (await call(gateway(path), { method, headers: bearer(token), ...(method === 'POST' ? { json: { ids: ['a'] } } : {}) })).status;

      const task = await call(gateway('/extpost/tasks/T-1'), { headers: bearer(eve) });
      assert.equal(task.status, 200);
      assert.equal(task.json().actedBy, 'eve@studio.test');
      assert.equal(task.json().taskId, 'T-1');
      assert.equal(task.headers.get('x-sandbox-effective-user'), 'eve@studio.test');
      const refused = await call(gateway('/editorial/extpost/tasks/T-1'), { headers: bearer(eve) });
      assert.equal(refused.status, 403);
      assert.deepEqual(refused.json(), { message: 'The on-behalf user of this app is not allowed to perform this action.' });

      assert.equal(await status(eve, 'GET', '/jobs/J-1'), 200, 'ecomm optional');
      assert.equal(await status(eve, 'POST', '/assets/bulk-get-assets'), 200, 'shared endpoint');
      assert.equal(await status(ed, 'POST', '/assets/bulk-get-assets'), 200, 'shared endpoint');
      assert.equal(await status(ed, 'GET', '/extpost/tasks/T-1'), 403);
      assert.equal(await status(ed, 'GET', '/editorial/deliverables/D-1'), 200, 'editorial optional');
      assert.equal(await status(pat, 'GET', '/extpost/tasks/T-1'), 200);
      assert.equal(await status(pat, 'PUT', '/extpost/tasks/T-1/start'), 403, 'the one required endpoint set to None');
      assert.equal(await status(pat, 'POST', '/extpost/tasks/T-1/submit-assets'), 200);
      assert.equal(await status(pat, 'GET', '/products/P-1'), 403, 'optional None');
      assert.equal(await status(pat, 'POST', '/files/bulk-get-files'), 200);
      assert.equal(await status(ops, 'PUT', '/editorial/extpost/tasks/T-1/start'), 200);
      assert.equal(await status(ops, 'GET', '/editorial/projects/PR-1'), 200);
    });

    it('rejects bad tokens with 401', async () => {
      const res = await call(gateway('/extpost/tasks/T-1'), { headers: bearer('cf_forged') });
      assert.deepEqual([res.status, res.json()], [401, { message: 'Unauthorized' }]);
    });

    it('allows 20 gateway requests per second per IP, then 429 with Retry-After: 1', async () => {
      const token = await creativeForceToken('cf-app-ops', 'cf-sandbox-secret-ops1');
      const answers = await Promise.all(Array.from({ length: 25 }, () => call(gateway('/jobs/J-1'), { headers: bearer(token) })));
      assert.equal(answers.filter((a) => a.status === 200).length, 20);
      const limited = answers.filter((a) => a.status === 429);
      assert.equal(limited.length, 5);
      assert.equal(limited[0].headers.get('retry-after'), '1');
      assert.deepEqual(limited[0].json(), { message: 'Too many requests.' });
      await sleep(1050);
      assert.equal((await call(gateway('/jobs/J-1'), { headers: bearer(token) })).status, 200, 'the window slides');
    });

    it('honours cfRequestsPerSecond', async () => {
      const slow = await startSandbox({ cfRequestsPerSecond: 2 });
      try {
        const statuses = [];
        for (let i = 0; i < 3; i++) statuses.push((await call(`${slow.urls.creativeforceGateway}/jobs/J-1`)).status);
        assert.deepEqual(statuses, [401, 401, 429]);
      } finally {
        await slow.close();
      }
    });
  });

  // ---- Generic OAuth2

  describe('generic OAuth2', () => {
    const whoami = (token: string, headers: Record<string, string> = {}) =>
      call(`${sandbox.urls.generic}/api/whoami`, { headers: { ...bearer(token), ...headers } });

    it('client credentials (post or basic) give a gen_ token lasting 300 s acting as itself', async () => {
      const res = await genericToken();
      assert.equal(res.status, 200);
      assert.equal(res.json().expires_in, 300);
      assert.match(res.json().access_token, /^gen_/);
      assert.deepEqual((await whoami(res.json().access_token)).json(), { sub: 'svc@acme.test', via: 'self' });
      const basic = await call(sandbox.urls.genericToken, {
        headers: { authorization: `Basic ${Buffer.from('gen-client:gen-sandbox-secret-g3n').toString('base64')}` },
        form: { grant_type: 'client_credentials' },
      });
      assert.equal(basic.status, 200);
      const wrong = await genericToken({ client_secret: 'nope' });
      assert.deepEqual([wrong.status, wrong.json().error], [401, 'invalid_client']);
    });

    it('header impersonation with the service token', async () => {
      const token = (await genericToken()).json().access_token;
      const res = await whoami(token, { 'X-Impersonate-User': 'raj@acme.test' });
      assert.deepEqual(res.json(), { sub: 'raj@acme.test', via: 'header' });
      assert.equal(res.headers.get('x-sandbox-effective-user'), 'raj@acme.test');
      assert.equal((await whoami(token, { 'X-Impersonate-User': 'ghost@acme.test' })).status, 403);
      const item = await call(`${sandbox.urls.generic}/api/items`, {
        headers: { ...bearer(token), 'X-Impersonate-User': 'jane@acme.test' },
        json: { name: 'Note' },
      });
      assert.equal(item.status, 201);
      assert.equal(item.json().createdBy, 'jane@acme.test');
      const items = (await call(`${sandbox.urls.generic}/api/items`, { headers: bearer(token) })).json();
      assert.equal(items.at(-1).name, 'Note');
    });

    it('RFC 8693 token exchange with requested_subject; u-300 is refused', async () => {
      const service = (await genericToken()).json().access_token;
      const exchange = (subject: string, subjectToken = service) =>
        genericToken({
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: subjectToken,
          subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
          requested_subject: subject,
        });
      const res = await exchange('u-100');
      assert.equal(res.status, 200);
      assert.equal(res.json().issued_token_type, 'urn:ietf:params:oauth:token-type:access_token');
      assert.equal(res.json().expires_in, 300);
      assert.deepEqual((await whoami(res.json().access_token)).json(), { sub: 'jane@acme.test', via: 'token-exchange' });

      const denied = await exchange('u-300');
      assert.equal(denied.status, 403);
      assert.deepEqual(denied.json(), { error: 'access_denied', error_description: 'Client may not impersonate u-300.' });
      assert.equal((await exchange('u-100', 'gen_forged')).json().error, 'invalid_grant');
      sandbox.expireTokens();
      assert.equal((await whoami(res.json().access_token)).status, 401);
    });

    it('echo answers method, headers and body', async () => {
      const token = (await genericToken()).json().access_token;
      const res = await call(`${sandbox.urls.generic}/api/echo`, { method: 'POST', headers: { ...bearer(token), 'X-Trace': 't1' }, body: 'payload' });
      const body = res.json();
      assert.equal(body.method, 'POST');
      assert.equal(body.headers['x-trace'], 't1');
      assert.equal(body.body, 'payload');
    });
  });
});
