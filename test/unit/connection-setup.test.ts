// The Add Connection wizard's questions (each vendor's `setup`) and their logic, without VS Code: every path
// through the questions the wizard offers writes a connection the connections schema accepts.
import assert from 'node:assert/strict';
import { parseConnections } from '../../src/core/connections';
import {
  applies,
  asksTlsPassphrase,
  buildConnection,
  choicesFor,
  defaultAnswer,
  plannedSteps,
  secretOwner,
  secretPrompt,
  validateAnswer,
  wizardFields,
  type SetupAnswers,
} from '../../src/core/connectionSetup';
import type { SetupField, VendorWithSetup } from '../../src/core/vendor';
import { allVendors as adapters } from '../../src/vendors';
import { allVendorsWithSetup as allVendors } from '../../src/vendors/setup';

const vendor = (id: string) => allVendors.find((v) => v.id === id)!;

/** A valid typed answer for a field that needs one and has no default. */
function sample(field: SetupField): string {
  if (field.optional) return '';
  if (field.type === 'url') return 'https://api.example.test';
  if (field.pattern === '^\\d+$') return '6001';
  const made = `sample-${field.key.replace(/\W/g, '-')}`;
  // A field whose pattern a made-up word cannot match (a proxy URL): its placeholder is the example.
  if (field.pattern && !new RegExp(field.pattern).test(made) && field.placeholder && new RegExp(field.pattern).test(field.placeholder))
    return field.placeholder;
  return made;
}

/** Every way through the wizard's choices for a vendor, with defaults (or samples) for typed answers. */
function allPaths(v: VendorWithSetup, fill: (field: SetupField) => string | undefined = () => undefined): SetupAnswers[] {
  const fields = wizardFields(v, []);
  const paths: SetupAnswers[] = [];
  const walk = (index: number, answers: SetupAnswers) => {
    for (let i = index; i < fields.length; i++) {
      const field = fields[i];
      if (!applies(field, answers)) continue;
      if (field.choices && !field.many) {
        for (const choice of choicesFor(field, answers)) walk(i + 1, { ...answers, [field.key]: choice.value });
        return;
      }
      answers = { ...answers, [field.key]: fill(field) ?? (defaultAnswer(field, answers) || sample(field)) };
    }
    paths.push(answers);
  };
  walk(0, {});
  return paths;
}

function validate(connection: Record<string, unknown>): void {
  const text = JSON.stringify({ connections: [connection] }, null, 2);
  const parsed = parseConnections(text, 'behalf.connections.json');
  assert.deepEqual(
    parsed.diagnostics.map((d) => d.message),
    [],
    text,
  );
  assert.equal(parsed.connections.length, 1);
}

// The setups live apart from the adapters (src/vendors/<vendor>Setup.ts): a vendor added to one list and not the other
// would have no wizard, or a wizard for a vendor the engine cannot send for.
describe('vendor setups (src/vendors/setup.ts) match the vendors the engine knows (src/vendors/index.ts)', () => {
  it('the same vendors, in the same order, each setup over its own adapter', () => {
    assert.deepEqual(
      allVendors.map((v) => v.id),
      adapters.map((v) => v.id),
    );
    for (const [i, v] of allVendors.entries()) {
      assert.equal(v.create, adapters[i].create, `${v.id}: its setup's adapter is the engine's`);
      assert.equal(v.displayName, adapters[i].displayName);
    }
  });
});

describe('Add Connection wizard questions (vendor setups)', () => {
  it('every vendor × auth × impersonation path the wizard offers writes a connection the schema accepts', () => {
    const seen = new Set<string>();
    for (const v of allVendors) {
      for (const answers of allPaths(v)) {
        const connection = buildConnection(v, wizardFields(v, []), answers);
        validate(connection);
        const imp = connection['impersonation'] as { kind?: string } | undefined;
        seen.add(`${v.id}/${(connection['auth'] as string | undefined) ?? 'clientCredentials'}/${imp?.kind ?? '-'}`);
      }
    }
    for (const combo of [
      'dealcloud/clientCredentials/-',
      'orangelogic/clientCredentials/-',
      'orangelogic/token/-',
      'creativeforce/clientCredentials/-',
      'generic/clientCredentials/header',
      'generic/clientCredentials/tokenExchange',
      'generic/token/header',
      'generic/token/tokenExchange',
      'generic/none/header',
    ]) {
      assert.ok(seen.has(combo), `${combo} offered (seen: ${[...seen].join(', ')})`);
    }
    assert.ok(!seen.has('generic/none/tokenExchange'), 'token exchange needs a service token: not offered with auth none');
  });

  it('optional fields left empty stay out of the file; every optional field filled in is still valid', () => {
    for (const v of allVendors) {
      for (const answers of allPaths(v, (f) =>
        f.optional
          ? f.pattern === '^\\d+$'
            ? '6001'
            : f.type === 'list'
              ? 'read write'
              : f.key === 'impersonationParam'
                ? 'UserAPIID'
                : 'x-value'
          : undefined,
      )) {
        validate(buildConnection(v, wizardFields(v, []), answers));
      }
    }
    const dc = buildConnection(vendor('dealcloud'), wizardFields(vendor('dealcloud'), []), {
      id: 'dc',
      label: 'DC',
      baseUrl: 'https://acme.dealcloud.com/',
      clientId: '42',
      scopes: 'data user_management',
      serviceUserId: '',
      production: 'false',
    });
    assert.deepEqual(dc, {
      id: 'dc',
      vendor: 'dealcloud',
      label: 'DC',
      baseUrl: 'https://acme.dealcloud.com',
      clientId: '42',
      scopes: ['data', 'user_management'],
      principals: [],
    });
  });

  it('DealCloud asks for serviceUserId (optional, numeric) and says what it is for', () => {
    const field = vendor('dealcloud').setup.connectionFields.find((f) => f.key === 'serviceUserId')!;
    assert.ok(field.optional);
    assert.match(field.prompt, /Create Proxy Assignment/);
    assert.equal(validateAnswer(field, ''), undefined);
    assert.equal(validateAnswer(field, '6001'), undefined);
    assert.match(validateAnswer(field, 'jane')!, /numeric/);
  });

  it('Orange Logic token auth asks no client id and asks for the bearer token last', () => {
    const v = vendor('orangelogic');
    const fields = wizardFields(v, []);
    const clientId = fields.find((f) => f.key === 'clientId')!;
    assert.equal(applies(clientId, { auth: 'token' }), false);
    assert.equal(applies(clientId, { auth: 'clientCredentials' }), true);
    assert.match(secretPrompt(v, { auth: 'token' })!, /bearer token/);
    const connection = buildConnection(v, fields, {
      id: 'ol',
      label: 'OL',
      baseUrl: 'https://acme.orangelogic.com',
      auth: 'token',
      clientId: 'stale',
      defaultMode: 'lite',
      production: 'true',
    });
    assert.deepEqual(connection, {
      id: 'ol',
      vendor: 'orangelogic',
      label: 'OL',
      baseUrl: 'https://acme.orangelogic.com',
      auth: 'token',
      defaultMode: 'lite',
      production: true,
      principals: [],
    });
  });

  it('Creative Force: no Application ID of its own is needed; the wizard then asks for the first app, whose secret is asked last', () => {
    const v = vendor('creativeforce');
    const fields = wizardFields(v, []);
    const own = fields.find((f) => f.key === 'clientId')!;
    assert.ok(own.optional, 'the connection-level Application ID is optional');
    assert.equal(validateAnswer(own, ''), undefined);
    const firstApp = fields.filter((f) => f.key.startsWith('principal.'));
    assert.deepEqual(
      firstApp.map((f) => f.key),
      ['principal.id', 'principal.clientId', 'principal.name'],
    );
    // Asked only when the connection has no app of its own.
    for (const f of firstApp) {
      assert.equal(applies(f, { clientId: '' }), true, f.key);
      assert.equal(applies(f, { clientId: 'cf-app-ops' }), false, f.key);
    }
    assert.match(validateAnswer(firstApp[0], 'eve commerce')!, /Letters, digits/);
    assert.match(validateAnswer(firstApp[1], ' ')!, /needed/i);
    const base = { id: 'cf', label: 'CF', baseUrl: 'https://gateway.creativeforce.io/v1', tokenUrl: 'https://accounts.creativeforce.io/connect/token' };
    const appsOnly: SetupAnswers = {
      ...base,
      clientId: '',
      'principal.id': 'eve',
      'principal.clientId': 'cf-app-ecomm',
      'principal.name': 'Eve Commerce',
      production: 'false',
    };
    const connection = buildConnection(v, fields, appsOnly);
    assert.deepEqual(connection, { ...base, vendor: 'creativeforce', principals: [{ id: 'eve', clientId: 'cf-app-ecomm', name: 'Eve Commerce' }] });
    validate(connection);
    assert.deepEqual(secretOwner(appsOnly), { principalId: 'eve' }, "the secret asked last is the first app's");
    assert.match(secretPrompt(v, appsOnly)!, /Secret Key/);
    // With an app of its own: no first-app questions, the secret is the connection's.
    const withOwn: SetupAnswers = { ...base, clientId: 'cf-app-ops', 'principal.id': 'stale', production: 'false' };
    assert.deepEqual(buildConnection(v, fields, withOwn), { ...base, vendor: 'creativeforce', clientId: 'cf-app-ops', principals: [] });
    assert.deepEqual(secretOwner(withOwn), {});
    // The first app's three questions are planned only while the connection has no app of its own.
    assert.equal(plannedSteps(v, fields, { ...base }) - plannedSteps(v, fields, withOwn), 3);
  });

  it('Creative Force offers its gateway and token URLs; generic asks the token URL and impersonation settings', () => {
    const cf = vendor('creativeforce').setup.connectionFields;
    assert.equal(cf.find((f) => f.key === 'baseUrl')!.default, 'https://gateway.creativeforce.io/v1');
    assert.equal(cf.find((f) => f.key === 'tokenUrl')!.default, 'https://accounts.creativeforce.io/connect/token');
    const g = vendor('generic');
    const fields = wizardFields(g, []);
    const answers: SetupAnswers = {
      id: 'g',
      label: 'G',
      baseUrl: 'https://api.example.test',
      auth: 'token',
      'impersonation.kind': 'tokenExchange',
      tokenUrl: 'https://auth.example.test/token',
      clientId: '',
      'impersonation.subjectParam': 'requested_subject',
      production: 'false',
    };
    assert.ok(fields.filter((f) => f.key === 'tokenUrl').some((f) => applies(f, answers)));
    assert.deepEqual(buildConnection(g, fields, answers), {
      id: 'g',
      vendor: 'generic',
      label: 'G',
      baseUrl: 'https://api.example.test',
      auth: 'token',
      impersonation: { kind: 'tokenExchange', subjectParam: 'requested_subject' },
      tokenUrl: 'https://auth.example.test/token',
      principals: [],
    });
    const header = buildConnection(g, fields, {
      id: 'h',
      label: 'H',
      baseUrl: 'https://api.example.test',
      auth: 'none',
      'impersonation.kind': 'header',
      'impersonation.headers': 'X-Act-As :  {{principal.email}}',
      'impersonation.writesOnly': 'true',
    });
    assert.deepEqual(header['impersonation'], { kind: 'header', headers: { 'X-Act-As': '{{principal.email}}' }, writesOnly: true });
    assert.equal(header['tokenUrl'], undefined);
    assert.equal(secretPrompt(g, { auth: 'none' }), undefined);
    const headerField = fields.find((f) => f.key === 'impersonation.headers')!;
    assert.match(validateAnswer(headerField, 'X Impersonate: x')!, /Name: value/);
  });

  it('plans the step count from the answers so far, counting the secret', () => {
    const g = vendor('generic');
    const fields = wizardFields(g, []);
    // vendor, id, label, baseUrl, auth, kind(header), tokenUrl, clientId, scopes, header, writesOnly, corporate network, production, secret
    assert.equal(plannedSteps(g, fields, {}), 14);
    // no secret, no token URL, client id or scopes
    assert.equal(plannedSteps(g, fields, { auth: 'none' }), 10);
    // vendor, id, label, baseUrl, clientId, scopes, serviceUserId, corporate network, production, secret
    assert.equal(plannedSteps(vendor('dealcloud'), wizardFields(vendor('dealcloud'), []), {}), 10);
    // A client certificate: its 4 questions (proxy not asked), and the key's passphrase after the secret.
    assert.equal(plannedSteps(g, fields, { auth: 'none', _network: 'tls', 'tls.keyFile': 'client.key' }), 14);
  });

  it('suggests an unused id and a label naming it', () => {
    const v = vendor('dealcloud');
    const [id, label] = wizardFields(v, ['dealcloud-2']);
    assert.equal(defaultAnswer(id, {}), 'dealcloud-3');
    assert.equal(defaultAnswer(label, { id: 'dc-prod' }), 'DealCloud (dc-prod)');
    assert.match(validateAnswer(id, 'a b')!, /Letters, digits/);
  });

  it('no vendor wording is left in the extension: every vendor has its own fields and secret question', () => {
    for (const v of allVendors) {
      assert.ok(
        v.setup.connectionFields.some((f) => f.key === 'baseUrl'),
        `${v.id} asks its base URL`,
      );
      assert.ok(v.setup.secretPrompts.clientCredentials || v.setup.secretPrompts.token, `${v.id} words its secret`);
      for (const f of v.setup.connectionFields) if (f.pattern) new RegExp(f.pattern);
    }
  });
});

describe('Add Connection wizard: the corporate network step (every vendor)', () => {
  const g = vendor('generic');
  const fields = wizardFields(g, []);
  const base: SetupAnswers = { id: 'partner', label: 'Partner', baseUrl: 'https://partner.example.test', auth: 'none', 'impersonation.kind': 'header' };
  base['impersonation.headers'] = 'X-Act-As: {{principal.email}}';

  it('"No" asks nothing more and writes nothing; "Both" writes "proxy" and "tls", never the steering answer', () => {
    const asked = (answers: SetupAnswers) => fields.filter((f) => f.key.startsWith('tls.') || f.key === 'proxy').filter((f) => applies(f, answers));
    assert.deepEqual(asked({ ...base, _network: '' }), []);
    assert.deepEqual(
      asked({ ...base, _network: 'tls' }).map((f) => f.key),
      ['tls.caFile', 'tls.certFile', 'tls.keyFile'],
    );
    const none = buildConnection(g, fields, { ...base, _network: '' });
    assert.equal(none['proxy'], undefined);
    assert.equal(none['tls'], undefined);
    const both = buildConnection(g, fields, {
      ...base,
      _network: 'both',
      proxy: 'http://proxy.corp.example:3128',
      'tls.caFile': '',
      'tls.certFile': 'certs/client.pem',
      'tls.keyFile': 'certs/client.key',
    });
    assert.equal(both['_network'], undefined);
    assert.equal(both['proxy'], 'http://proxy.corp.example:3128');
    assert.deepEqual(both['tls'], { certFile: 'certs/client.pem', keyFile: 'certs/client.key' });
    validate(both);
    assert.ok(asksTlsPassphrase({ _network: 'both', 'tls.keyFile': 'certs/client.key' }));
    assert.ok(!asksTlsPassphrase({ _network: 'both', 'tls.keyFile': '' }));
    assert.ok(!asksTlsPassphrase({ _network: '', 'tls.keyFile': 'stale.key' }), 'an answer of a step not taken');
  });

  it('the proxy answer: a URL without credentials, or "direct"', () => {
    const proxy = fields.find((f) => f.key === 'proxy')!;
    assert.equal(validateAnswer(proxy, 'http://proxy.corp.example:3128'), undefined);
    assert.equal(validateAnswer(proxy, 'direct'), undefined);
    assert.match(validateAnswer(proxy, 'http://alice:secret@proxy.corp.example:3128')!, /no user:password@/);
    assert.match(validateAnswer(proxy, '')!, /needed/);
  });
});
