// Connection checks: `behalf check` as a real process (src/cli/bin.ts through tsx) against the sandbox, per vendor,
// pass and fail; the --json shape and exit codes; that no check changed vendor data (sandbox state); and, in
// process, that the Orange Logic impersonation check always stops its session (refused, cancelled).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { checkConnection, type ConnectionCheck } from '../../src/core/checks';
import { isBehalfError } from '../../src/core/errors';
import type { ConnectionJson, Sandbox } from '../../src/sandbox';
import { received, runProcess, startHarness, type Harness, freshCliWorld } from './support';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'src', 'cli', 'bin.ts');

interface CheckJson {
  connection: string;
  checks: Array<ConnectionCheck & Record<string, unknown>>;
}

describe('behalf check (the CLI as a process, over real sockets)', function () {
  this.timeout(60_000);
  let sandbox: Sandbox;
  let dir: string;
  let config: string;
  let extraEnv: Record<string, string>;

  freshCliWorld('behalf-check-', (world) => ({ sandbox, dir, config } = world));
  beforeEach(() => {
    extraEnv = {};
    writeConfig([]);
  });

  /** The sandbox's connections file plus `extra` connections (variants built from its own). */
  function writeConfig(extra: ConnectionJson[]): void {
    const file = sandbox.connectionsFile();
    file.connections.push(...extra);
    fs.writeFileSync(config, JSON.stringify(file, null, 2));
  }
  const connectionJson = (id: string): ConnectionJson => structuredClone(sandbox.connectionsFile().connections.find((c) => c.id === id)!);
  const cli = (args: string[]) =>
    runProcess(process.execPath, ['--require', 'tsx/cjs', BIN, ...args, '--config', config], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...sandbox.secretsEnv(), ...extraEnv },
    });
  const checkJson = async (connection: string) => {
    const run = await cli(['check', connection, '--json']);
    const lines = run.out.trim().split('\n');
    assert.equal(lines.length, 1, `one JSON object on stdout:\n${run.out}\n${run.err}`);
    return { run, report: JSON.parse(lines[0]) as CheckJson };
  };
  const byId = (report: CheckJson, id: string) => {
    const found = report.checks.find((c) => c.id === id);
    assert.ok(found, `a check ${id} in ${report.checks.map((c) => c.id).join(', ')}`);
    return found;
  };
  const assertShape = (report: CheckJson) => {
    for (const check of report.checks) {
      for (const key of Object.keys(check))
        assert.ok(['id', 'title', 'status', 'detail', 'principal', 'permission', 'fix'].includes(key), `unexpected key ${key}`);
      assert.ok(['pass', 'fail', 'warn', 'skip'].includes(check.status));
      assert.equal(typeof check.detail, 'string');
      assert.ok(check.detail.length > 0);
    }
    assert.equal(new Set(report.checks.map((c) => c.id)).size, report.checks.length, 'ids are unique');
  };
  const noSecretIn = (text: string) => {
    for (const secret of Object.values(sandbox.secretsEnv())) assert.ok(!text.includes(secret), 'no secret in the output');
  };

  it('DealCloud: a principal without a proxy assignment fails with the assign command; run it and the check passes', async () => {
    const { run, report } = await checkJson('dc-sandbox');
    assert.equal(run.code, 1, run.err);
    assertShape(report);
    assert.equal(report.connection, 'dc-sandbox');
    assert.equal(byId(report, 'token').status, 'pass');
    assert.equal(byId(report, 'baseUrl').status, 'pass');
    assert.equal(byId(report, 'tls').status, 'skip', 'plain http on loopback');
    assert.equal(byId(report, 'dealcloud.scope.data').status, 'pass');
    assert.equal(byId(report, 'dealcloud.scope.user_management').status, 'pass');
    assert.equal(byId(report, 'dealcloud.serviceUser').status, 'pass');
    assert.equal(byId(report, 'dealcloud.assignment.jane').status, 'pass');
    const lee = byId(report, 'dealcloud.assignment.lee');
    assert.equal(lee.status, 'fail');
    assert.equal(lee.principal, 'lee');
    assert.deepEqual(lee.fix?.action, {
      kind: 'createProxyAssignment',
      title: 'Create proxy assignment',
      args: { connectionId: 'dc-sandbox', userId: '6047' },
    });
    assert.equal(lee.fix?.command, `behalf assign dc-sandbox 6047 --config ${config}`);
    assert.equal(byId(report, 'dealcloud.asUser.lee').status, 'fail');
    assert.equal(byId(report, 'dealcloud.asUser.raj').status, 'pass');
    // One AS-USER read per principal went out, through the pipeline.
    const asUser = sandbox.log.filter((e) => e.path.endsWith('/schema/entrytypes') && e.headers['as-user'] !== undefined).map((e) => e.headers['as-user']);
    assert.deepEqual(asUser.sort(), ['6045', '6046', '6047']);
    // Nothing was written: no POST of proxy assignments, no row write.
    assert.deepEqual(
      sandbox.log.filter((e) => e.method !== 'GET' && !e.path.endsWith('/oauth/token')),
      [],
    );

    const assigned = await cli(['assign', 'dc-sandbox', '6047']);
    assert.equal(assigned.code, 0, assigned.err);
    const again = await checkJson('dc-sandbox');
    assert.equal(again.run.code, 0, again.run.out);
    assert.ok(again.report.checks.every((c) => c.status !== 'fail'));
  });

  it('DealCloud, human output: one line per check with its mark, the fix command, a summary', async () => {
    const run = await cli(['check', 'dc-sandbox']);
    assert.equal(run.code, 1);
    assert.match(run.out, /^✓ Token endpoint issues a token: /m);
    assert.match(run.out, /^– TLS is verified: /m);
    assert.match(run.out, /^✗ Proxy assignment for lee: No proxy assignment lets the service user \(6001\) act as Lee Wong/m);
    assert.match(
      run.out,
      new RegExp(`^ {4}fix: Create proxy assignment: behalf assign dc-sandbox 6047 --config ${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'),
    );
    assert.match(run.out, /^9 passed, 2 failed, 1 skipped$/m);
    noSecretIn(run.out + run.err);
  });

  it('DealCloud: a token endpoint that drops a scope fails that scope; one that refuses it fails the token', async () => {
    const limited = { ...connectionJson('dc-sandbox'), id: 'dc-limited', clientId: 'svc-limited', serviceUserId: '6002' };
    const strict = { ...connectionJson('dc-sandbox'), id: 'dc-strict', clientId: 'svc-reporting', serviceUserId: '6002' };
    writeConfig([limited, strict]);
    extraEnv = { BEHALF_SECRET_DC_LIMITED: 'dc-sandbox-secret-l1m1', BEHALF_SECRET_DC_STRICT: 'dc-sandbox-secret-r2d2' };

    const { run, report } = await checkJson('dc-limited');
    assert.equal(run.code, 1);
    assert.equal(byId(report, 'token').status, 'pass');
    assert.equal(byId(report, 'dealcloud.scope.data').status, 'pass');
    const management = byId(report, 'dealcloud.scope.user_management');
    assert.equal(management.status, 'fail');
    assert.equal(management.permission, 'user_management');
    assert.match(management.detail, /403.*lacks a scope.*Missing scope user_management/);
    assert.equal(byId(report, 'dealcloud.assignments').status, 'warn');

    const strictRun = await checkJson('dc-strict');
    assert.equal(strictRun.run.code, 1);
    const token = byId(strictRun.report, 'token');
    assert.equal(token.status, 'fail');
    assert.match(token.detail, /Invalid scope: user_management/);
    assert.equal(byId(strictRun.report, 'baseUrl').status, 'skip');
    assert.equal(byId(strictRun.report, 'dealcloud').status, 'skip');
  });

  it('a base URL nobody answers fails with what to do, exit 1', async () => {
    const down = {
      ...connectionJson('dc-sandbox'),
      id: 'dc-down',
      baseUrl: 'http://127.0.0.1:9',
      tokenUrl: `${sandbox.urls.dealcloud}/api/rest/v1/oauth/token`,
    };
    writeConfig([down]);
    extraEnv = { BEHALF_SECRET_DC_DOWN: sandbox.secretsEnv().BEHALF_SECRET_DC_SANDBOX };
    const { run, report } = await checkJson('dc-down');
    assert.equal(run.code, 1);
    assert.equal(byId(report, 'token').status, 'pass', 'the token endpoint is elsewhere and answered');
    assert.match(byId(report, 'baseUrl').detail, /127\.0\.0\.1:9.*connection refused/);
    assert.equal(byId(report, 'baseUrl').status, 'fail');
  });

  it('TLS off on an https connection is a warning', async () => {
    const insecure = { ...connectionJson('dc-sandbox'), id: 'dc-insecure', baseUrl: 'https://127.0.0.1:9', verifyTls: false };
    writeConfig([insecure]);
    extraEnv = { BEHALF_SECRET_DC_INSECURE: 'x' };
    const { report } = await checkJson('dc-insecure');
    const tls = byId(report, 'tls');
    assert.equal(tls.status, 'warn');
    assert.match(tls.detail, /"verifyTls": false/);
  });

  it('Orange Logic: Search API and impersonation pass, the session is stopped, lite is reported unverifiable without writing', async () => {
    const { run, report } = await checkJson('ol-sandbox');
    assert.equal(run.code, 0, run.out);
    assertShape(report);
    assert.equal(byId(report, 'orangelogic.search').status, 'pass');
    const impersonate = byId(report, 'orangelogic.impersonate');
    assert.equal(impersonate.status, 'pass');
    assert.equal(impersonate.permission, 'Impersonate Another User');
    const lite = byId(report, 'orangelogic.lite');
    assert.equal(lite.status, 'skip');
    assert.match(lite.detail, /not verifiable without a write/i);
    assert.equal(lite.fix?.action?.kind, 'verifyAttribution');
    assert.equal(sandbox.openSessions(), 0);
    assert.equal(received(sandbox, '/startimpersonation').length, 1);
    assert.equal(received(sandbox, '/stopimpersonation').length, 1);
    assert.deepEqual(received(sandbox, 'Documents.All:Update'), [], 'nothing written');
    assert.equal(sandbox.log.filter((e) => e.headers['x-cortex-save-changes-as-user'] !== undefined).length, 0, 'no lite attribution header was sent');
  });

  it('Orange Logic without the rights: both fail naming the security function, no session left', async () => {
    const { run, report } = await checkJson('ol-noimp-sandbox');
    assert.equal(run.code, 1);
    const impersonate = byId(report, 'orangelogic.impersonate');
    assert.equal(impersonate.status, 'fail');
    assert.match(impersonate.detail, /"Impersonate Another User"/);
    assert.match(byId(report, 'orangelogic.search').detail, /"Access to the Search API"/);
    assert.equal(sandbox.openSessions(), 0);
  });

  it('Creative Force: a checklist per app; probing starts no task, creates no upload, writes no audit entry', async () => {
    const { run, report } = await checkJson('cf-sandbox');
    assert.equal(run.code, 1, 'pat misses a required permission');
    assertShape(report);
    for (const app of ['eve', 'ed', 'pat']) assert.equal(byId(report, `creativeforce.token.${app}`).status, 'pass');
    const pat = byId(report, 'creativeforce.permissions.pat.ecomm');
    assert.equal(pat.status, 'fail');
    assert.equal(pat.permission, 'ECOMM');
    assert.match(pat.detail, /^pat: ECOMM required 6 \/ 7 — missing PUT \/extpost\/tasks\/\{taskId\}\/start; optional 0 \/ 2/);
    assert.equal(byId(report, 'creativeforce.permissions.eve.ecomm').status, 'pass');
    assert.equal(byId(report, 'creativeforce.permissions.eve.editorial').status, 'skip', 'an ECOMM app is not set up for EDITORIAL');
    assert.equal(byId(report, 'creativeforce.permissions.ed.editorial').status, 'pass');
    assert.equal(byId(report, 'creativeforce.permissions.self.ecomm').status, 'pass');
    assert.ok(!report.checks.some((c) => c.id === 'creativeforce.routes'), 'no route answered 404 for every app');
    // Allowed probes got 404 / 400, refused ones 403: nothing else.
    const gateway = sandbox.log.filter((e) => e.path.includes('/gateway/v1/') && e.path !== '/creativeforce/gateway/v1');
    assert.ok(gateway.length >= 4 * 15);
    assert.deepEqual([...new Set(gateway.map((e) => e.status))].sort(), [400, 403, 404]);
    assert.deepEqual(sandbox.creativeForceState(), { startedTasks: [], uploads: [], audit: [] });
  });

  it('Creative Force: the same routes really change state when called for real (the probe is what avoids it)', async () => {
    const token = await fetch(sandbox.urls.creativeforceToken, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'cf-app-ecomm', client_secret: 'cf-sandbox-secret-ecm2', scope: 'cfgateway' }),
    }).then((r) => r.json() as Promise<{ access_token: string }>);
    const headers = { Authorization: `Bearer ${token.access_token}`, 'Content-Type': 'application/json' };
    assert.equal((await fetch(`${sandbox.urls.creativeforceGateway}/extpost/tasks/T-7/start`, { method: 'PUT', headers })).status, 200);
    const upload = await fetch(`${sandbox.urls.creativeforceGateway}/assets/get-presigned-url`, { method: 'POST', headers, body: '{"fileName":"a.jpg"}' });
    assert.equal(upload.status, 200);
    const state = sandbox.creativeForceState();
    assert.deepEqual(state.startedTasks, ['T-7']);
    assert.equal(state.uploads.length, 1);
    assert.equal(state.audit.length, 2);
  });

  it('Creative Force: a route answering 404 for every app is called out, not counted as Access', async () => {
    // Only apps that hold every permission: every GET probe answers 404 for all of them.
    const onlyEve = { ...connectionJson('cf-sandbox'), id: 'cf-eve' };
    delete (onlyEve as { clientId?: string }).clientId;
    onlyEve.principals = onlyEve.principals.filter((p) => p.id === 'eve');
    writeConfig([onlyEve]);
    extraEnv = { BEHALF_SECRET_CF_EVE_EVE: sandbox.secretsEnv().BEHALF_SECRET_CF_SANDBOX_EVE };
    const { report } = await checkJson('cf-eve');
    assert.equal(byId(report, 'token').status, 'skip', 'no app of its own');
    const routes = byId(report, 'creativeforce.routes');
    assert.equal(routes.status, 'warn');
    assert.match(routes.detail, /GET \/extpost\/tasks\/\{taskId\}.*404 for every app.*may also not exist on this gateway/);
    const ecomm = byId(report, 'creativeforce.permissions.eve.ecomm');
    assert.equal(ecomm.status, 'warn');
    assert.match(ecomm.detail, /not known: GET \/extpost\/tasks\/\{taskId\} \(404 for every app\)/);
  });

  it('usage errors exit 2; an unknown connection exits 1 naming the known ones', async () => {
    const none = await cli(['check']);
    assert.equal(none.code, 2);
    assert.match(none.err, /usage: behalf check <connection>/);
    const two = await cli(['check', 'dc-sandbox', 'extra']);
    assert.equal(two.code, 2);
    const unknown = await cli(['check', 'nope']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.err, /No connection "nope".*known: dc-sandbox/);
  });

  it('a production connection: reads as someone else need --yes when not interactive, like send', async () => {
    writeConfig([{ ...connectionJson('dc-sandbox'), id: 'dc-prod', production: true }]);
    extraEnv = { BEHALF_SECRET_DC_PROD: sandbox.secretsEnv().BEHALF_SECRET_DC_SANDBOX };
    const refused = await checkJson('dc-prod');
    assert.equal(refused.run.code, 1);
    const jane = byId(refused.report, 'dealcloud.asUser.jane');
    assert.equal(jane.status, 'fail');
    assert.match(jane.detail, /needs confirmation/);
    assert.equal(sandbox.log.filter((e) => e.headers['as-user'] !== undefined).length, 0, 'nothing was sent as anyone');
    const confirmed = await cli(['check', 'dc-prod', '--json', '--yes']);
    const report = JSON.parse(confirmed.out) as CheckJson;
    assert.equal(byId(report, 'dealcloud.asUser.jane').status, 'pass');
  });

  it('--log records every request a check sent as someone else', async () => {
    const log = path.join(dir, 'impersonation.jsonl');
    const run = await cli(['check', 'dc-sandbox', '--log', log]);
    assert.equal(run.code, 1);
    const entries = fs
      .readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { principalId: string; status?: number });
    assert.deepEqual(entries.map((e) => e.principalId).sort(), ['jane', 'lee', 'raj']);
    assert.equal(entries.find((e) => e.principalId === 'lee')?.status, 401);
  });
});

describe('connection checks in process: the Orange Logic session always stopped, probes not confirmed as writes', function () {
  this.timeout(30_000);
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('reports every request sent as someone else to onSent', async () => {
    const sent: string[] = [];
    const report = await checkConnection(h.engine, h.connection('ol-sandbox'), {
      onSent: (e) => {
        if (e.actAs.principal) sent.push(`${e.actAs.principal.id} ${e.actAs.mode} ${e.record?.status ?? 'error'}`);
      },
    });
    assert.deepEqual(sent, ['jane full 200']);
    assert.equal(report.checks.find((c) => c.id === 'orangelogic.impersonate')?.status, 'pass');
    assert.equal(h.sandbox.openSessions(), 0);
    assert.deepEqual(h.engine.sessions(), []);
  });

  it('cancelled while the session starts: the check rejects "cancelled", the start that opens later is stopped', async () => {
    h.sandbox.injectFault({ kind: 'delay', delayMs: 600, match: { pathIncludes: '/startimpersonation' } });
    const controller = new AbortController();
    const seen: string[] = [];
    const checking = checkConnection(h.engine, h.connection('ol-sandbox'), {
      signal: controller.signal,
      onCheck: (check) => {
        seen.push(check.id);
        // The search passed: the impersonation check is next, and its start is delayed; cancel in the middle.
        if (check.id === 'orangelogic.search') setTimeout(() => controller.abort(), 200);
      },
    });
    await assert.rejects(checking, (e: unknown) => isBehalfError(e) && e.code === 'cancelled');
    assert.ok(!seen.includes('orangelogic.impersonate'));
    assert.equal(h.sandbox.openSessions(), 0, 'the session the delayed start opened was stopped before the check returned');
    assert.equal(received(h.sandbox, '/startimpersonation').length, 1);
    assert.equal(received(h.sandbox, '/stopimpersonation').length, 1);
  });

  it('a refused start leaves nothing open and names the right', async () => {
    const report = await checkConnection(h.engine, h.connection('ol-noimp-sandbox'));
    const impersonate = report.checks.find((c) => c.id === 'orangelogic.impersonate');
    assert.equal(impersonate?.status, 'fail');
    assert.match(impersonate.detail, /"Impersonate Another User"/);
    assert.equal(h.sandbox.openSessions(), 0);
    assert.equal(received(h.sandbox, '/stopimpersonation').length, 0, 'nothing was opened, so nothing to stop');
  });

  it('a side-effect-free probe is not confirmed as a write; on a production connection it still is', async () => {
    const cf = h.connection('cf-sandbox');
    const pat = h.principal('cf-sandbox', 'pat');
    const probe = { method: 'PUT', url: '/extpost/tasks/00000000-0000-0000-0000-000000000000/start', headers: {} };
    h.confirmAnswer = false;
    await assert.rejects(
      h.engine.sendAs(probe, { connection: cf, principal: pat, mode: 'full' }),
      (e: unknown) => isBehalfError(e) && e.code === 'not-confirmed',
    );
    const record = await h.engine.sendAs(probe, { connection: cf, principal: pat, mode: 'full' }, { sideEffectFree: 'a permission probe' });
    assert.equal(record.status, 403);
    assert.equal(h.prompts.length, 1, 'only the plain write asked');
    await assert.rejects(
      h.engine.sendAs(probe, { connection: { ...cf, production: true }, principal: pat, mode: 'full' }, { sideEffectFree: 'a permission probe' }),
      (e: unknown) => isBehalfError(e) && e.code === 'not-confirmed',
    );
    assert.equal(h.prompts.length, 2);
  });

  it('a stop the vendor does not confirm fails the check and says the session may still be open', async () => {
    h.sandbox.injectFault({ kind: 'status', status: 500, times: 10, match: { pathIncludes: '/stopimpersonation' } });
    const report = await checkConnection(h.engine, h.connection('ol-sandbox'));
    const impersonate = report.checks.find((c) => c.id === 'orangelogic.impersonate');
    assert.equal(impersonate?.status, 'fail');
    assert.match(impersonate.detail, /stop was not confirmed/);
    h.sandbox.clearFaults();
  });
});
