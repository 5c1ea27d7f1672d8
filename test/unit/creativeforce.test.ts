import assert from 'node:assert/strict';
import type { ActAs } from '../../src/core/model';
import { permissionsFor } from '../../src/vendors/creativeforce';
import { BehalfEngine } from '../../src/core/engine';
import { secretEnvName } from '../../src/core/ports';
import { allVendors } from '../../src/vendors';
import { received, startHarness, type Harness } from './support';
import { parseConnections } from '../../src/core/connections';
import type { BehalfError } from '../../src/core/errors';

describe('Creative Force adapter against the sandbox', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  const as = (principalId?: string): ActAs => ({
    connection: h.connection('cf-sandbox'),
    principal: principalId ? h.principal('cf-sandbox', principalId) : undefined,
    mode: 'full',
  });
  const tokenCalls = () => received(h.sandbox, '/connect/token').map((e) => new URLSearchParams(e.body).get('client_id'));

  it("acting as a principal uses that principal's own app", async () => {
    const record = await h.engine.sendAs({ method: 'GET', url: '/extpost/tasks/T-1', headers: {} }, as('eve'));
    assert.equal(record.status, 200);
    assert.equal(JSON.parse(record.body).actedBy, 'eve@studio.test');
    assert.deepEqual(tokenCalls(), ['cf-app-ecomm']);
    const form = new URLSearchParams(received(h.sandbox, '/connect/token')[0].body);
    assert.equal(form.get('scope'), 'cfgateway');
  });

  it("as the service user uses the connection's own app", async () => {
    const record = await h.engine.sendAs({ method: 'GET', url: '/editorial/projects/P-1', headers: {} }, as());
    assert.equal(record.status, 200);
    assert.deepEqual(tokenCalls(), ['cf-app-ops']);
  });

  it('an apps-only connection (no clientId of its own): the loader accepts it, a principal sends as its app, no @as is refused before anything is sent', async () => {
    const file = structuredClone(h.sandbox.connectionsFile()) as { connections: Array<Record<string, unknown>> };
    const raw = file.connections.find((c) => c.id === 'cf-sandbox')!;
    delete raw.clientId;
    const parsed = parseConnections(JSON.stringify(file), 'behalf.connections.json');
    assert.deepEqual(parsed.diagnostics, []);
    const appsOnly = parsed.connections.find((c) => c.id === 'cf-sandbox')!;
    assert.equal(appsOnly.clientId, undefined);

    const record = await h.engine.sendAs(
      { method: 'GET', url: '/extpost/tasks/T-1', headers: {} },
      { connection: appsOnly, principal: appsOnly.principals.find((p) => p.id === 'eve'), mode: 'full' },
    );
    assert.equal(record.status, 200);
    assert.equal(JSON.parse(record.body).actedBy, 'eve@studio.test');
    assert.deepEqual(tokenCalls(), ['cf-app-ecomm']);

    const before = h.sandbox.log.length;
    await assert.rejects(
      h.engine.sendAs({ method: 'GET', url: '/editorial/projects/P-1', headers: {} }, { connection: appsOnly, mode: 'full' }),
      (e: BehalfError) => {
        assert.match(
          e.message,
          /^Not sent: Creative Force \(sandbox\) has no app of its own \(no "clientId"\), so pick the app \(principal\) to send as \(eve, ed/,
        );
        assert.match(e.hint ?? '', /# @as <principal>/);
        return true;
      },
    );
    assert.equal(h.sandbox.log.length, before, 'nothing was sent, not even a token call');
  });

  it("caches each app's token for its lifetime", async () => {
    for (let i = 0; i < 3; i++) await h.engine.sendAs({ method: 'GET', url: '/extpost/tasks/T-1', headers: {} }, as('eve'));
    await h.engine.sendAs({ method: 'GET', url: '/editorial/extpost/tasks/T-2', headers: {} }, as('ed'));
    assert.deepEqual(tokenCalls(), ['cf-app-ecomm', 'cf-app-editorial']);
  });

  it('a 403 names the Developer API permission the on-behalf user lacks (required)', async () => {
    const record = await h.engine.sendAs({ method: 'GET', url: '/extpost/tasks/T-1', headers: {} }, as('ed'));
    assert.equal(record.status, 403);
    assert.match(record.explanation!.message, /Ed Torres.*the Developer API permission GET \/extpost\/tasks\/\{taskId\} \(ECOMM, required\) is "None"/);
    assert.match(record.explanation!.message, /Otherwise the user lacks access to this item's workspace or group/);
  });

  it('a 403 on an optional permission says optional', async () => {
    const record = await h.engine.sendAs({ method: 'GET', url: '/products/PR-9', headers: {} }, as('pat'));
    assert.equal(record.status, 403);
    assert.match(record.explanation!.message, /GET \/products\/\{productId\} \(ECOMM, optional\)/);
  });

  it('a write the app may not do (PUT start) is refused and explained', async () => {
    const record = await h.engine.sendAs({ method: 'PUT', url: '/extpost/tasks/T-1/start', headers: {} }, as('pat'));
    assert.equal(record.status, 403);
    assert.match(record.explanation!.message, /PUT \/extpost\/tasks\/\{taskId\}\/start \(ECOMM, required\)/);
    assert.ok(h.prompts.length === 1, 'a write as someone else was confirmed');
  });

  it('stays under 20 requests per second: 45 concurrent requests, no 429', async () => {
    const records = await Promise.all(Array.from({ length: 45 }, (_, i) => h.engine.sendAs({ method: 'GET', url: `/jobs/J-${i}`, headers: {} }, as('eve'))));
    assert.deepEqual([...new Set(records.map((r) => r.status))], [200]);
    assert.equal(received(h.sandbox, '/jobs/').filter((e) => e.status === 429).length, 0);
  });

  it('connections to one gateway share its 20 requests/s (the limit is per IP): two connections, 60 concurrent requests, no 429', async () => {
    const env = h.sandbox.secretsEnv();
    // A second connection to the same gateway; its secrets are the first one's.
    const engine = new BehalfEngine({
      vendors: allVendors,
      secrets: { get: async (key) => env[secretEnvName({ ...key, connectionId: 'cf-sandbox' })], whereToSet: () => 'test' },
      prompt: { confirm: async () => true },
    });
    try {
      const one = h.connection('cf-sandbox');
      const two = { ...one, id: 'cf-sandbox-2', label: 'Creative Force (second)' };
      const sends = Array.from({ length: 60 }, (_, i) => {
        const connection = i % 2 ? two : one;
        return engine.sendAs(
          { method: 'GET', url: `/jobs/J-${i}`, headers: {} },
          { connection, principal: connection.principals.find((p) => p.id === 'eve'), mode: 'full' },
        );
      });
      const records = await Promise.all(sends);
      assert.deepEqual([...new Set(records.map((r) => r.status))], [200]);
      assert.equal(received(h.sandbox, '/jobs/').filter((e) => e.status === 429).length, 0);
    } finally {
      await engine.dispose();
    }
  });

  it('a 429 without Retry-After says Behalf did not wait, not that it waited as asked', async () => {
    h.sandbox.injectFault({ kind: 'status', status: 429, match: { pathIncludes: '/jobs/' } });
    const record = await h.engine.sendAs({ method: 'GET', url: '/jobs/J-1', headers: {} }, as('eve'));
    assert.equal(record.status, 429);
    assert.match(record.explanation!.message, /with no Retry-After, so Behalf did not retry/);
    assert.doesNotMatch(record.explanation!.message, /as Retry-After asked/);
    assert.equal(received(h.sandbox, '/jobs/J-1').length, 1);
  });

  it('honours Retry-After on a 429 and says it waited', async () => {
    h.sandbox.injectFault({ kind: 'status', status: 429, retryAfterSeconds: 1, match: { pathIncludes: '/jobs/' } });
    const record = await h.engine.sendAs({ method: 'GET', url: '/jobs/J-1', headers: {} }, as('eve'));
    assert.equal(record.status, 200);
    assert.ok(record.notes.some((n) => /waiting 1\.0 s as Retry-After asks/.test(n)));
    assert.equal(received(h.sandbox, '/jobs/J-1').length, 2);
  });
});

describe('Creative Force permission table', () => {
  it('matches templates and lists both modules for shared endpoints', () => {
    assert.deepEqual(
      permissionsFor('POST', '/assets/bulk-get-assets').map((p) => p.module),
      ['ECOMM', 'EDITORIAL'],
    );
    assert.equal(permissionsFor('GET', '/extpost/tasks/42')[0].required, true);
    assert.equal(permissionsFor('GET', '/extpost/tasks').length, 0);
    assert.equal(permissionsFor('DELETE', '/extpost/tasks/42').length, 0);
  });
});
