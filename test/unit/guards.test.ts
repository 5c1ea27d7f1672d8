// Guards that keep identity and secrets where they belong, over real sockets against the sandbox (issue 12):
// Behalf's own calls never follow a redirect to another origin; a hand-written call to a vendor's own token or
// session endpoint is refused; a Host header naming another host is refused when the request carries identity;
// a password in a connection URL is a loader error.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConnections } from '../../src/core/connections';
import { BehalfError } from '../../src/core/errors';
import type { ActAs, Connection, RequestSpec } from '../../src/core/model';
import { escapeControls } from '../../src/core/printable';
import { tokenShapedValues } from '../../src/core/vendor';
import { received, runProcess, startHarness, type Harness } from './support';

const ROWS = '/api/rest/v4/data/entrydata/rows/Deals';
const OL_READ = '/API/DataTable/v2.2/Documents.All:Read?RecordID=A-1&format=JSON';
const OL_START = '/webapi/security/authentication/startimpersonation_4CN_v1';
const OL_STOP = '/webapi/security/authentication/stopimpersonation_4CO_v1';
const OL_TOKEN = '/webapi/security/clientcredentialsauthentication/authenticate_46H_v1';
const ROOT = path.resolve(__dirname, '../..');

const get = (url: string, headers: Record<string, string> = {}): RequestSpec => ({ method: 'GET', url, headers });
const behalfError = (e: unknown): BehalfError => {
  assert.ok(e instanceof BehalfError, String(e));
  return e;
};

describe('guard: adapter calls never follow a redirect to another origin', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.engine.dispose();
    assert.equal(h.sandbox.openSessions(), 0, 'no impersonation session is left open');
    await h.sandbox.close();
  });

  const foreign = () => h.sandbox.log.filter((e) => e.listener === 'foreign');
  const self = (id: string): ActAs => ({ connection: h.connection(id), mode: 'full' });
  const assertRefusedRedirect = (e: unknown, status: number) => {
    const error = behalfError(e);
    assert.equal(error.code, 'redirect-origin', error.message);
    assert.ok(error.message.includes(h.sandbox.url), `names the origin asked: ${error.message}`);
    assert.ok(error.message.includes(h.sandbox.foreignUrl), `names the origin redirected to: ${error.message}`);
    assert.ok(error.message.includes(`answered ${status}`), error.message);
    for (const secret of h.secrets) assert.ok(!error.describe().includes(secret), 'no secret in the message');
    return true;
  };

  const tokenCases: Array<{ connection: string; path: string; url: string }> = [
    { connection: 'dc-sandbox', path: '/dealcloud/api/rest/v1/oauth/token', url: ROWS },
    { connection: 'ol-sandbox', path: `/orangelogic${OL_TOKEN}`, url: OL_READ },
    { connection: 'cf-sandbox', path: '/creativeforce/accounts/connect/token', url: '/extpost/tasks/T-1001' },
    { connection: 'gen-header-sandbox', path: '/generic/oauth/token', url: '/api/whoami' },
  ];
  for (const { connection, path: tokenPath, url } of tokenCases) {
    for (const status of [307, 308]) {
      it(`${connection}: a token endpoint answering ${status} to another origin is refused; client_id and client_secret never reach it`, async () => {
        h.sandbox.injectFault({ kind: 'redirect', status, match: { pathIncludes: tokenPath } });
        await assert.rejects(h.engine.sendAs(get(url), self(connection)), (e) => assertRefusedRedirect(e, status));
        assert.deepEqual(foreign(), [], 'the second origin received nothing');
        assert.equal(received(h.sandbox, tokenPath).length, 1, 'asked once, not followed');
        assert.equal(h.sandbox.log.filter((e) => e.path.endsWith(url.split('?')[0])).length, 0, 'the request itself was not sent without a token either');
      });
    }
  }

  it('Orange Logic: a session start redirected to another origin is refused; the service token never reaches it', async () => {
    h.sandbox.injectFault({ kind: 'redirect', status: 302, match: { pathIncludes: 'startimpersonation' } });
    const asJane: ActAs = { connection: h.connection('ol-sandbox'), principal: h.principal('ol-sandbox', 'jane'), mode: 'full' };
    await assert.rejects(h.engine.sendAs(get(OL_READ), asJane), (e) => assertRefusedRedirect(e, 302));
    assert.deepEqual(foreign(), []);
    assert.equal(h.sandbox.openSessions(), 0);
  });

  it('DealCloud: a proxy assignment listing redirected to another origin is refused', async () => {
    h.sandbox.injectFault({ kind: 'redirect', status: 301, match: { pathIncludes: '/management/user/proxy' } });
    await assert.rejects(h.engine.vendorPrincipals(h.connection('dc-sandbox')), (e) => assertRefusedRedirect(e, 301));
    assert.deepEqual(foreign(), []);
  });

  it('a same-origin redirect of a token endpoint is still followed (307 keeps the form)', async () => {
    const tokenPath = '/dealcloud/api/rest/v1/oauth/token';
    h.sandbox.injectFault({ kind: 'redirect', status: 307, location: `${h.sandbox.url}${tokenPath}?moved=1`, match: { pathIncludes: tokenPath } });
    const record = await h.engine.sendAs(get(`${ROWS}?limit=1`), self('dc-sandbox'));
    assert.equal(record.status, 200);
    const asked = received(h.sandbox, tokenPath);
    assert.equal(asked.length, 2, 'the redirect and the request it pointed to');
    assert.equal(asked[1].query['moved'], '1');
    assert.match(asked[1].body, /client_secret=/, 'same origin: the form is re-posted');
    assert.deepEqual(foreign(), []);
  });
});

describe("guard: a vendor's own token and session endpoints are Behalf's to call", () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.engine.dispose();
    assert.equal(h.sandbox.openSessions(), 0, 'no impersonation session is left open');
    await h.sandbox.close();
  });

  const refusedOwn = (name: RegExp, hint?: RegExp) => (e: unknown) => {
    const error = behalfError(e);
    assert.equal(error.code, 'own-endpoint', error.message);
    assert.match(error.message, /^Not sent: http:\/\/127\.0\.0\.1:\d+\/\S+ is /);
    assert.match(error.message, name);
    assert.match(error.message, /which Behalf calls itself/);
    if (hint) assert.match(error.hint ?? '', hint);
    return true;
  };
  const ol = (principal?: string, mode: 'lite' | 'full' = 'lite'): ActAs => ({
    connection: h.connection('ol-sandbox'),
    principal: principal ? h.principal('ol-sandbox', principal) : undefined,
    mode,
  });

  it('Orange Logic: a hand-written start impersonation is refused in every spelling, with the "# @as … # @mode full" hint', async () => {
    const spellings = [
      `${OL_START}?UserAPIID=jane.api&format=JSON`,
      `${OL_START.toUpperCase()}?UserAPIID=jane.api`,
      `/webapi/security/authentication/%73tartimpersonation_4CN_v1?UserAPIID=jane.api`,
      `${OL_START}/?UserAPIID=jane.api`,
      `//webapi//security/authentication/startimpersonation_4CN_v1?UserAPIID=jane.api`,
      '/webapi/security/authentication/startimpersonation_4CN_v2?UserAPIID=jane.api',
      `/webapi/security/x/../authentication/startimpersonation_4CN_v1?UserAPIID=jane.api`,
      `${h.connection('ol-sandbox').baseUrl}${OL_START}?UserAPIID=jane.api`,
    ];
    for (const url of spellings) {
      for (const actAs of [ol(), ol('raj', 'lite'), ol('raj', 'full')]) {
        await assert.rejects(
          h.engine.sendAs(get(url), actAs),
          refusedOwn(
            /is start impersonation of Orange Logic \(sandbox\).*a session opened or ended by hand/,
            /^use "# @as jane" with "# @mode full": Behalf starts and stops the session$/,
          ),
          url,
        );
      }
    }
    assert.equal(h.sandbox.log.length, 0, 'no token fetched, no session started');
    assert.equal(h.sandbox.openSessions(), 0);
  });

  it('Orange Logic: stop impersonation and the token endpoint are refused too; a neighbouring path is sent', async () => {
    await assert.rejects(
      h.engine.sendAs(get(`${OL_STOP}?format=JSON`), ol()),
      refusedOwn(/is stop impersonation of Orange Logic/, /Behalf stops the sessions it starts/),
    );
    await assert.rejects(
      h.engine.sendAs({ method: 'POST', url: OL_TOKEN, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'client_id=ol-svc' }, ol()),
      refusedOwn(
        /is the token endpoint of Orange Logic \(sandbox\).*the token it returns would be shown in clear/,
        /Behalf fetches, caches and adds the token itself/,
      ),
    );
    assert.equal(h.sandbox.log.length, 0);
    const record = await h.engine.sendAs(get(OL_READ), ol());
    assert.equal(record.status, 200, 'other Orange Logic paths go out as before');
  });

  it('DealCloud, Creative Force and generic: the token endpoint (any method, absolute or relative) is refused', async () => {
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
    const body = 'grant_type=client_credentials&client_id=svc-integration&client_secret=typed-by-hand';
    const dc: ActAs = { connection: h.connection('dc-sandbox'), mode: 'full' };
    await assert.rejects(
      h.engine.sendAs({ method: 'POST', url: '/api/rest/v1/oauth/token', headers: form, body }, dc),
      refusedOwn(/is the token endpoint of DealCloud \(sandbox\)/),
    );
    const asJane: ActAs = { ...dc, principal: h.principal('dc-sandbox', 'jane') };
    await assert.rejects(h.engine.sendAs(get('/API/REST/v1/OAuth/Token'), asJane), refusedOwn(/token endpoint of DealCloud/));

    const cf = h.connection('cf-sandbox');
    // The accounts server is not the gateway's base URL: the token URL is matched as it is, whatever the origin.
    await assert.rejects(
      h.engine.sendAs({ method: 'POST', url: cf.tokenUrl!, headers: form, body: 'client_id=cf-app-ops' }, { connection: cf, mode: 'full' }),
      refusedOwn(/is the token endpoint of Creative Force \(sandbox\)/),
    );
    const gen = h.connection('gen-header-sandbox');
    await assert.rejects(
      h.engine.sendAs({ method: 'POST', url: gen.tokenUrl!, headers: form, body: '' }, { connection: gen, mode: 'full' }),
      refusedOwn(/token endpoint of Generic/),
    );
    assert.equal(h.sandbox.log.length, 0, 'nothing was sent anywhere');
  });

  it('a token endpoint on another origin (a Creative Force-style accounts server) is refused even as a plain request', async () => {
    const cf: Connection = { ...h.connection('cf-sandbox'), tokenUrl: `${h.sandbox.foreignUrl}/connect/token` };
    await assert.rejects(h.engine.sendAs(get(`${h.sandbox.foreignUrl}/connect/token`), { connection: cf, mode: 'full' }), refusedOwn(/token endpoint/));
    assert.equal(h.sandbox.log.length, 0);
    const record = await h.engine.sendAs(get(`${h.sandbox.foreignUrl}/elsewhere`), { connection: cf, mode: 'full' });
    assert.equal(record.status, 200, 'another path on that origin is a plain request as before');
  });

  it('token-shaped values a token or session endpoint answers are registered with the redactor', async () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzdmMifQ.c2lnbmF0dXJl';
    const sessionToken = 'S3ss10n-0pen-abc123def456';
    // A session start that refuses, quoting the session it says is already open.
    h.sandbox.injectFault({
      kind: 'json',
      status: 400,
      match: { pathIncludes: 'startimpersonation' },
      body: {
        APIResponse: { Code: 'Error', Message: `Session ${sessionToken} is already open (${jwt})`, Token: sessionToken, RefreshToken: jwt },
      },
    });
    await assert.rejects(h.engine.sendAs(get(OL_READ), ol('jane', 'full')), (e: unknown) => {
      const text = behalfError(e).describe();
      assert.ok(!text.includes(sessionToken), text);
      assert.ok(!text.includes(jwt), text);
      assert.match(text, /«redacted»/);
      return true;
    });
    for (const line of h.logLines) assert.ok(!line.includes(sessionToken) && !line.includes(jwt), line);
  });

  it('tokenShapedValues: access, refresh, id and session tokens, JWTs anywhere, XML; not token_type or short words', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJqYW5lIn0.sig-nature';
    const found = tokenShapedValues(
      JSON.stringify({
        access_token: 'at-1234567890',
        refresh_token: 'rt-1234567890',
        id_token: jwt,
        token_type: 'Bearer',
        expires_in: 900,
        scope: 'data user_management',
        APIResponse: { Code: 'success', Token: 'ol-session-abcdef', Nested: [{ sessionId: 'sid-0123456789' }] },
        note: `see ${jwt}`,
      }),
    );
    assert.deepEqual(found.sort(), [jwt, 'at-1234567890', 'ol-session-abcdef', 'rt-1234567890', 'sid-0123456789'].sort());
    assert.deepEqual(tokenShapedValues('<APIResponse><Code>success</Code><Token>xml-token-123456</Token></APIResponse>'), ['xml-token-123456']);
    assert.deepEqual(tokenShapedValues('{"message":"Proxy user with provided id does not exist."}'), []);
  });
});

describe('guard: a Host header that differs from the URL', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.engine.dispose();
    assert.equal(h.sandbox.openSessions(), 0);
    await h.sandbox.close();
  });

  const refusedHost = (how: RegExp) => (e: unknown) => {
    const error = behalfError(e);
    assert.equal(error.code, 'host-header', error.message);
    assert.match(error.message, /^Not sent: the Host header says "intranet\.acme\.test" but the URL's host is 127\.0\.0\.1:\d+\. /);
    assert.match(error.message, how);
    assert.match(error.message, /another virtual host \(and over https, TLS SNI would name it\)/);
    assert.match(error.hint ?? '', /remove the Host header/);
    return true;
  };

  it('sent as a principal: refused before anything is sent (DealCloud, Orange Logic full, generic)', async () => {
    const cases: Array<[string, string, 'full' | 'lite']> = [
      ['dc-sandbox', ROWS, 'full'],
      ['ol-sandbox', OL_READ, 'full'],
      ['gen-header-sandbox', '/api/whoami', 'full'],
    ];
    for (const [id, url, mode] of cases) {
      for (const name of ['Host', 'host', 'HOST']) {
        await assert.rejects(
          h.engine.sendAs(get(url, { [name]: 'intranet.acme.test' }), { connection: h.connection(id), principal: h.principal(id, 'jane'), mode }),
          refusedHost(/Sent as Jane Doe/),
        );
      }
    }
    assert.equal(h.sandbox.log.length, 0, 'no token, no session, no request');
  });

  it("with the connection's authentication (no principal): refused, nothing sent", async () => {
    await assert.rejects(
      h.engine.sendAs(get(ROWS, { Host: 'intranet.acme.test' }), { connection: h.connection('dc-sandbox'), mode: 'full' }),
      refusedHost(/Sent with DealCloud \(sandbox\)'s authentication/),
    );
    assert.equal(h.sandbox.log.length, 0);
  });

  it('an adapter that authenticates even with "auth": "none" is caught after it authorized, before the request goes out', async () => {
    const cf: Connection = { ...h.connection('cf-sandbox'), auth: 'none' };
    await assert.rejects(
      h.engine.sendAs(get('/extpost/tasks/T-1001', { Host: 'intranet.acme.test' }), { connection: cf, mode: 'full' }),
      refusedHost(/authentication/),
    );
    assert.equal(h.sandbox.log.filter((e) => e.path.includes('/gateway/')).length, 0, 'the gateway received nothing');
  });

  it("the URL's own host (any case, with the default port or its own port) is not a difference", async () => {
    const dc = h.connection('dc-sandbox');
    const host = new URL(dc.baseUrl).host;
    for (const value of [host, host.toUpperCase(), ` ${host} `]) {
      const record = await h.engine.sendAs(get(`${ROWS}?limit=1`, { Host: value }), {
        connection: dc,
        principal: h.principal('dc-sandbox', 'jane'),
        mode: 'full',
      });
      assert.equal(record.status, 200);
    }
  });

  it('a plain request (no identity) with another Host is sent, with a note on the record', async () => {
    const dc = h.connection('dc-sandbox');
    const record = await h.engine.sendAs(get(`${h.sandbox.foreignUrl}/collect`, { Host: 'intranet.acme.test' }), { connection: dc, mode: 'full' });
    assert.equal(record.status, 200);
    const seen = h.sandbox.log.filter((e) => e.listener === 'foreign');
    assert.equal(seen.length, 1);
    assert.equal(seen[0].headers['host'], 'intranet.acme.test');
    assert.equal(seen[0].headers['authorization'], undefined);
    assert.ok(
      record.notes.some((n) =>
        /^The Host header says "intranet\.acme\.test" but the URL's host is 127\.0\.0\.1:\d+: .*Sent without authentication or identity\.$/.test(n),
      ),
      record.notes.join('\n'),
    );

    const open: Connection = { ...h.connection('gen-header-sandbox'), auth: 'none' };
    const own = await h.engine.sendAs(get('/api/whoami', { Host: 'intranet.acme.test' }), { connection: open, mode: 'full' });
    assert.ok(
      own.notes.some((n) => /^The Host header says/.test(n)),
      'own origin, no authentication: a note too',
    );
    assert.equal(own.request.headers['Authorization'], undefined);
  });

  it('control characters in the Host value are shown escaped, not raw', async () => {
    await assert.rejects(h.engine.sendAs(get(ROWS, { Host: 'a\r\nX-Forged: 1' }), { connection: h.connection('dc-sandbox'), mode: 'full' }), (e: unknown) => {
      const error = behalfError(e);
      assert.equal(error.code, 'host-header');
      assert.ok(!/[\r\n]/.test(error.message), JSON.stringify(error.message));
      assert.ok(error.message.includes('"a\\r\\nX-Forged: 1"'), error.message);
      return true;
    });
  });
});

describe('user-controlled text is printed with its control characters escaped', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  it('CR/LF from a variable in a URL: the record, the confirmation question and the log show %0D%0A, not a forged line', async () => {
    const forged = `${ROWS}?limit=1\r\n  as the service user · self · DealCloud (sandbox)\u202e`;
    const asJane: ActAs = { connection: h.connection('dc-sandbox'), principal: h.principal('dc-sandbox', 'jane'), mode: 'full' };
    const record = await h.engine.sendAs({ method: 'POST', url: forged, headers: { 'Content-Type': 'application/json' }, body: '[]' }, asJane);
    const shown = [record.request.url, ...h.prompts, ...h.logLines];
    for (const text of shown) assert.ok(!/[\r\n\u202e]/.test(text), JSON.stringify(text));
    assert.match(record.request.url, /\?limit=1%0D%0A {2}as the service user · self · DealCloud \(sandbox\)%E2%80%AE$/);
    assert.match(h.prompts[0], /%0D%0A/);
    assert.ok(h.logLines.some((l) => l.includes('%0D%0A')));
  });

  it('escapeControls: \\r, \\n, \\t and \\u escapes; ordinary text unchanged', () => {
    assert.equal(escapeControls('a\r\nb\tc\u0007d\u202ee'), 'a\\r\\nb\\tc\\u0007d\\u202ee');
    assert.equal(escapeControls('Jane Doe <jane@acme.test> (6045) · ü'), 'Jane Doe <jane@acme.test> (6045) · ü');
  });
});

describe('connections: a password in a URL is a secret in the file', () => {
  const F = '/tmp/behalf.connections.json';
  const connection = (extra: Record<string, unknown>) => ({
    id: 'dc-sandbox',
    vendor: 'dealcloud',
    label: 'DealCloud',
    baseUrl: 'https://acme.dealcloud.com',
    clientId: 'svc',
    ...extra,
  });
  const parse = (extra: Record<string, unknown>, pretty = true) =>
    parseConnections(JSON.stringify({ connections: [connection(extra)] }, null, pretty ? 2 : undefined), F);

  for (const field of ['baseUrl', 'tokenUrl']) {
    for (const pretty of [true, false]) {
      it(`${field} with "user:password@" is an error naming the field, the password never echoed (${pretty ? 'formatted' : 'one line'})`, () => {
        const result = parse({ [field]: 'https://svc:Hunter2-pa55@acme.dealcloud.com/api' }, pretty);
        assert.equal(result.connections.length, 0, 'the connection is not loaded');
        assert.equal(result.diagnostics.length, 1, JSON.stringify(result.diagnostics));
        const d = result.diagnostics[0];
        assert.equal(d.field, `connections[0].${field}`);
        assert.equal(
          d.message,
          `connections[0].${field}: must not hold a password ("user:password@" in the URL) — secrets never go in this file; remove it and keep the connection's secret in BEHALF_SECRET_DC_SANDBOX`,
        );
        assert.ok(!d.message.includes('Hunter2'));
        if (pretty) assert.ok(d.position.line > 1);
      });
    }
  }

  it("a generic connection's impersonation.tokenUrl is checked too; a user name alone is not a secret", () => {
    const text = JSON.stringify({
      connections: [
        {
          id: 'gen',
          vendor: 'generic',
          label: 'Generic',
          baseUrl: 'https://api.acme.test',
          tokenUrl: 'https://auth.acme.test/token',
          clientId: 'c',
          impersonation: { kind: 'tokenExchange', tokenUrl: 'https://c:s3cret@auth.acme.test/exchange' },
        },
      ],
    });
    const result = parseConnections(text, F);
    assert.deepEqual(
      result.diagnostics.map((d) => d.field),
      ['connections[0].impersonation.tokenUrl'],
    );
    assert.equal(parse({ baseUrl: 'https://svc@acme.dealcloud.com' }).diagnostics.length, 0);
    assert.equal(parse({ baseUrl: 'https://acme.dealcloud.com' }).connections.length, 1);
  });
});

describe('guard in the CLI (a real process)', () => {
  let h: Harness;
  let dir: string;
  beforeEach(async () => {
    h = await startHarness();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-guards-'));
    fs.writeFileSync(path.join(dir, 'behalf.connections.json'), JSON.stringify(h.sandbox.connectionsFile(), null, 2));
  });
  afterEach(async () => {
    await h.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a hand-written startimpersonation exits 1 with the refusal and the hint; nothing is sent, no session opens', async () => {
    const file = path.join(dir, 'start.http');
    fs.writeFileSync(file, `# @connection ol-sandbox\nGET ${OL_START}?UserAPIID=jane.api&format=JSON\n`);
    const { code, out, err } = await runProcess(
      process.execPath,
      ['--require', 'tsx/cjs', path.join(ROOT, 'src/cli/bin.ts'), 'send', file, '--yes', '--config', path.join(dir, 'behalf.connections.json')],
      { env: { ...process.env, ...h.sandbox.secretsEnv() }, cwd: ROOT },
    );
    assert.equal(code, 1, `${out}\n${err}`);
    assert.match(
      err,
      /Not sent: http:\/\/127\.0\.0\.1:\d+\/orangelogic\/webapi\/security\/authentication\/startimpersonation_4CN_v1 is start impersonation of Orange Logic \(sandbox\)/,
    );
    assert.match(err, /use "# @as jane" with "# @mode full": Behalf starts and stops the session/);
    assert.equal(h.sandbox.log.length, 0);
    assert.equal(h.sandbox.openSessions(), 0);
  });
});
