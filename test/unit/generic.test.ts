import assert from 'node:assert/strict';
import type { ActAs } from '../../src/core/model';
import { secretEnvName } from '../../src/core/ports';
import { expandPrincipal } from '../../src/vendors/generic';
import { received, startHarness, type Harness } from './support';

describe('Generic adapter against the sandbox', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  const as = (connectionId: string, principalId?: string): ActAs => ({
    connection: h.connection(connectionId),
    principal: principalId ? h.principal(connectionId, principalId) : undefined,
    mode: 'full',
  });

  it("header template: sends X-Impersonate-User with the principal's email", async () => {
    const record = await h.engine.sendAs({ method: 'GET', url: '/api/whoami', headers: {} }, as('gen-header-sandbox', 'jane'));
    assert.deepEqual(JSON.parse(record.body), { sub: 'jane@acme.test', via: 'header' });
    assert.equal(received(h.sandbox, '/api/whoami')[0].headers['x-impersonate-user'], 'jane@acme.test');
  });

  it('token exchange (RFC 8693): acts as the principal with an exchanged token, cached per principal', async () => {
    for (let i = 0; i < 2; i++) {
      const record = await h.engine.sendAs({ method: 'GET', url: '/api/whoami', headers: {} }, as('gen-exchange-sandbox', 'jane'));
      assert.deepEqual(JSON.parse(record.body), { sub: 'jane@acme.test', via: 'token-exchange' });
    }
    const exchanges = received(h.sandbox, '/oauth/token')
      .map((e) => new URLSearchParams(e.body))
      .filter((f) => f.get('grant_type')!.includes('token-exchange'));
    assert.equal(exchanges.length, 1);
    assert.equal(exchanges[0].get('requested_subject'), 'u-100');
    assert.equal(received(h.sandbox, '/api/whoami')[0].headers['x-impersonate-user'], undefined);
  });

  it('token exchange refused: a clear error naming the principal', async () => {
    await assert.rejects(
      h.engine.sendAs({ method: 'GET', url: '/api/whoami', headers: {} }, as('gen-exchange-sandbox', 'lee')),
      /refused a token for Lee.*Client may not impersonate u-300/,
    );
  });

  it('a write-only header (lite): a read carries no header, and the record says it went out as the service account', async () => {
    const connection = {
      ...h.connection('gen-header-sandbox'),
      settings: { impersonation: { kind: 'header' as const, headers: { 'X-Impersonate-User': '{{principal.email}}' }, writesOnly: true } },
    };
    const jane = connection.principals.find((p) => p.id === 'jane')!;
    const read = await h.engine.sendAs({ method: 'GET', url: '/api/whoami', headers: {} }, { connection, principal: jane, mode: 'lite' });
    assert.deepEqual(JSON.parse(read.body), { sub: 'svc@acme.test', via: 'self' });
    assert.equal(received(h.sandbox, '/api/whoami')[0].headers['x-impersonate-user'], undefined);
    assert.ok(
      read.notes.some((n) => /^Lite impersonation only marks writes \(X-Impersonate-User on writes only\): this read went out as the service account/.test(n)),
    );
    const self = await h.engine.sendAs({ method: 'GET', url: '/api/whoami', headers: {} }, { connection, mode: 'lite' });
    assert.ok(!self.notes.some((n) => /Lite impersonation/.test(n)));
  });

  it('token exchange with a static service token ("auth": "token") still retries the exchange once after a 401', async () => {
    const exchange = { ...h.connection('gen-exchange-sandbox'), auth: 'token' as const };
    const jane = h.principal('gen-exchange-sandbox', 'jane');
    const prepared = { method: 'GET', url: `${exchange.baseUrl}/api/whoami`, headers: {}, identityHeaders: [], trustedOrigin: '' };
    assert.equal(await h.engine.adapter(exchange).onUnauthorized({ connection: exchange, principal: jane, mode: 'full' }, prepared), true);
    // Without an exchange a static token cannot be refreshed: no retry.
    assert.equal(await h.engine.adapter(exchange).onUnauthorized({ connection: exchange, mode: 'full' }, prepared), false);
    const header = { ...h.connection('gen-header-sandbox'), auth: 'token' as const };
    assert.equal(
      await h.engine.adapter(header).onUnauthorized({ connection: header, principal: h.principal('gen-header-sandbox', 'jane'), mode: 'full' }, prepared),
      false,
    );
  });

  it('token exchange with a static API token ("auth": "token"): the token is the subject_token, never also the client_secret', async () => {
    await h.close();
    const env: Record<string, string | undefined> = {};
    h = await startHarness({ engine: { secrets: { get: async (key) => env[secretEnvName(key)], whereToSet: (key) => `set ${secretEnvName(key)}` } } });
    Object.assign(env, h.sandbox.secretsEnv());
    const base = h.connection('gen-exchange-sandbox');
    // A static service token: one the sandbox issued to the client, kept as the connection's only secret.
    const issued = await fetch(base.tokenUrl!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: base.clientId!, client_secret: env[secretEnvName({ connectionId: base.id })]! }),
    });
    const apiToken = ((await issued.json()) as { access_token: string }).access_token;
    const connection = { ...base, id: 'gen-static-token', auth: 'token' as const };
    env[secretEnvName({ connectionId: connection.id })] = apiToken;
    const jane = connection.principals.find((p) => p.id === 'jane')!;
    // The sandbox's client is confidential: an exchange that only names it is refused (invalid_client), and
    // Behalf says so rather than passing the API token off as the client's password.
    await assert.rejects(
      h.engine.sendAs({ method: 'GET', url: '/api/whoami', headers: {} }, { connection, principal: jane, mode: 'full' }),
      /Invalid client credentials|invalid_client/,
    );
    const exchange = received(h.sandbox, '/oauth/token')
      .map((e) => new URLSearchParams(e.body))
      .filter((f) => f.get('grant_type')!.includes('token-exchange'));
    assert.equal(exchange.length, 1);
    assert.equal(exchange[0].get('subject_token'), apiToken);
    assert.equal(exchange[0].get('client_id'), base.clientId);
    assert.equal(exchange[0].get('client_secret'), null, 'the API token is not sent as client_secret');
    assert.equal(exchange[0].get('requested_subject'), 'u-100');

    // With client credentials the client authenticates with its own secret, and the exchange succeeds.
    const record = await h.engine.sendAs({ method: 'GET', url: '/api/whoami', headers: {} }, as('gen-exchange-sandbox', 'jane'));
    assert.deepEqual(JSON.parse(record.body), { sub: 'jane@acme.test', via: 'token-exchange' });
    const confidential = received(h.sandbox, '/oauth/token')
      .map((e) => new URLSearchParams(e.body))
      .filter((f) => f.get('grant_type')!.includes('token-exchange'));
    assert.equal(confidential.at(-1)!.get('client_secret'), env[secretEnvName({ connectionId: base.id })]);
    assert.notEqual(confidential.at(-1)!.get('subject_token'), apiToken);
  });

  it('expands principal templates and says which field is missing', () => {
    assert.equal(expandPrincipal('{{principal.email}}|{{ principal.userId }}', { id: 'j', email: 'j@x' }), 'j@x|j');
    assert.throws(() => expandPrincipal('{{principal.email}}', { id: 'j' }), /has no "email"/);
  });
});
