import assert from 'node:assert/strict';
import type { ActAs } from '../../src/core/model';
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

  it('header template: sends X-Impersonate-User with the principal\'s email', async () => {
    const record = await h.engine.sendAs({ method: 'GET', url: '/api/whoami', headers: {} }, as('gen-header-sandbox', 'jane'));
    assert.deepEqual(JSON.parse(record.body), { sub: 'jane@acme.test', via: 'header' });
    assert.equal(received(h.sandbox, '/api/whoami')[0]!.headers['x-impersonate-user'], 'jane@acme.test');
  });

  it('token exchange (RFC 8693): acts as the principal with an exchanged token, cached per principal', async () => {
    for (let i = 0; i < 2; i++) {
      const record = await h.engine.sendAs({ method: 'GET', url: '/api/whoami', headers: {} }, as('gen-exchange-sandbox', 'jane'));
      assert.deepEqual(JSON.parse(record.body), { sub: 'jane@acme.test', via: 'token-exchange' });
    }
    const exchanges = received(h.sandbox, '/oauth/token').map((e) => new URLSearchParams(e.body)).filter((f) => f.get('grant_type')!.includes('token-exchange'));
    assert.equal(exchanges.length, 1);
    assert.equal(exchanges[0]!.get('requested_subject'), 'u-100');
    assert.equal(received(h.sandbox, '/api/whoami')[0]!.headers['x-impersonate-user'], undefined);
  });

  it('token exchange refused: a clear error naming the principal', async () => {
    await assert.rejects(h.engine.sendAs({ method: 'GET', url: '/api/whoami', headers: {} }, as('gen-exchange-sandbox', 'lee')), /refused a token for Lee.*Client may not impersonate u-300/);
  });

  it('expands principal templates and says which field is missing', () => {
    assert.equal(expandPrincipal('{{principal.email}}|{{ principal.userId }}', { id: 'j', email: 'j@x' }), 'j@x|j');
    assert.throws(() => expandPrincipal('{{principal.email}}', { id: 'j' }), /has no "email"/);
  });
});
