// The Add Connection wizard in a real VS Code: InputBoxes and QuickPicks are answered by a script (each
// InputBox answer is checked by the box's own validateInput, as typing would be), then the connections file is
// checked against the schema and for secrets, and the new connections are used against the sandbox.
// Removes what it adds, so the suites after it see the workspace as before.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { BehalfApi } from '../../src/extension/extension';
import { tlsPassphraseKey } from '../../src/core/connectionNetwork';
import { startBehalf } from './support';

let api: BehalfApi;
let sandboxUrl: string;

/** Accept what the InputBox offers (its pre-filled value). */
const ACCEPT = Symbol('accept');
/** Press Escape. */
const ESCAPE = Symbol('escape');
type Answer = string | string[] | typeof ACCEPT | typeof ESCAPE;
type Pickers = Record<'showQuickPick' | 'showInputBox', (...args: unknown[]) => Thenable<unknown>>;

/**
 * Answers the wizard's steps in order: a QuickPick with the item whose `value` (or vendor id, the description)
 * is the answer (several for a multi-select), an InputBox with the text. Records each step's title.
 */
function script(answers: Answer[]): { titles: string[]; prompts: string[]; restore(): void } {
  const window = vscode.window as unknown as Pickers;
  const originals = { showQuickPick: window.showQuickPick, showInputBox: window.showInputBox };
  const titles: string[] = [];
  const prompts: string[] = [];
  window.showQuickPick = async (items: unknown, options?: unknown) => {
    const o = options as vscode.QuickPickOptions & { canPickMany?: boolean };
    titles.push(String(o?.title));
    prompts.push(String(o?.placeHolder));
    const list = (await items) as Array<Record<string, unknown>>;
    const answer = answers.shift();
    assert.ok(answer !== undefined, `an unexpected QuickPick: ${titles.at(-1)}`);
    if (answer === ESCAPE) return undefined;
    const wanted = answer === ACCEPT ? list.filter((i) => i.picked).map((i) => String(i.value)) : Array.isArray(answer) ? answer : [answer];
    const found = list.filter((i) => wanted.includes(String(i.value ?? i.description)));
    assert.equal(
      found.length,
      wanted.length,
      `${titles.at(-1)} offers ${wanted.join(', ')} (it offers ${list.map((i) => i.value ?? i.description).join(', ')})`,
    );
    return o?.canPickMany ? found : found[0];
  };
  window.showInputBox = async (options?: unknown) => {
    const o = options as vscode.InputBoxOptions;
    titles.push(String(o.title));
    prompts.push(String(o.prompt));
    const answer = answers.shift();
    assert.ok(answer !== undefined, `an unexpected InputBox: ${o.title}`);
    if (answer === ESCAPE) return undefined;
    const value = answer === ACCEPT ? (o.value ?? '') : String(answer);
    const problem = await o.validateInput?.(value);
    assert.ok(!problem, `${o.title}: "${value}" refused: ${JSON.stringify(problem)}`);
    return value;
  };
  return { titles, prompts, restore: () => Object.assign(window, originals) };
}

async function runWizard(answers: Answer[]): Promise<{ titles: string[]; prompts: string[] }> {
  const run = script(answers);
  try {
    await vscode.commands.executeCommand('behalf.addConnection');
    assert.deepEqual(answers, [], 'every scripted answer was asked for');
    return run;
  } finally {
    run.restore();
  }
}

async function fileText(): Promise<string> {
  const uri = await api.services.store.fileUri();
  return Buffer.from(await vscode.workspace.fs.readFile(uri!)).toString('utf8');
}

/**
 * The file as written: loaded by the extension's own loader (schema and cross-field rules: a connection with a
 * problem is not returned, and every problem becomes a diagnostic on the file), and free of the given secrets.
 */
async function checkFile(id: string, secrets: string[]): Promise<Record<string, unknown>> {
  const text = await fileText();
  assert.ok(await api.services.store.connection(id), `${id} loads: it validates against the connections schema`);
  const uri = (await api.services.store.fileUri())!;
  assert.deepEqual(
    vscode.languages
      .getDiagnostics(uri)
      .filter((d) => d.source === 'Behalf')
      .map((d) => d.message),
    [],
    'no problem in the connections file',
  );
  for (const secret of secrets) assert.ok(!text.includes(secret), 'no secret in the connections file');
  const raw = (JSON.parse(text) as { connections: Array<Record<string, unknown>> }).connections.find((c) => c.id === id);
  assert.ok(raw, `${id} written`);
  return raw;
}

const stepsOf = (titles: string[]) => titles.map((t) => /\((\d+)\/(\d+|…)\)/.exec(t)?.[1]).map(Number);

describe('Add Connection wizard in a real VS Code', function () {
  this.timeout(60_000);
  const added: string[] = [];

  before(async () => {
    ({ api, sandboxUrl } = await startBehalf());
  });

  after(async () => {
    for (const id of added) {
      if (await api.services.store.connection(id)) await api.services.store.removeConnection(id);
      await api.services.secrets.delete({ connectionId: id });
    }
  });

  it('DealCloud: site, client id, scopes and serviceUserId; the API key goes to secret storage; Fetch Principals works', async () => {
    added.push('it-dc');
    const secret = (await api.services.secrets.get({ connectionId: 'dc-sandbox' }))!;
    const run = await runWizard(['dealcloud', 'it-dc', ACCEPT, `${sandboxUrl}/dealcloud/`, 'svc-integration', ACCEPT, '6001', '', 'false', secret]);
    assert.deepEqual(stepsOf(run.titles), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.ok(
      run.titles.slice(1).every((t) => t.endsWith('/10)') || /\(\d+\/10\)/.test(t)),
      run.titles.join(' | '),
    );
    assert.match(run.prompts[6], /service user's own numeric DealCloud user id.*Create Proxy Assignment/);
    const raw = await checkFile('it-dc', [secret]);
    assert.deepEqual(raw, {
      id: 'it-dc',
      vendor: 'dealcloud',
      label: 'DealCloud (it-dc)',
      baseUrl: `${sandboxUrl}/dealcloud`,
      clientId: 'svc-integration',
      scopes: ['data', 'user_management'],
      serviceUserId: '6001',
      principals: [],
    });
    assert.equal(await api.services.secrets.get({ connectionId: 'it-dc' }), secret);
    const connection = (await api.services.store.connection('it-dc'))!;
    const principals = await api.services.engine.vendorPrincipals(connection);
    assert.ok(principals && principals.length > 0, 'the proxy assignments of service user 6001');
  });

  it('Orange Logic with a non-expiring bearer token: no client id asked, the token in secret storage only', async () => {
    added.push('it-ol');
    const token = 'ol-static-bearer-token-it-4242';
    const run = await runWizard(['orangelogic', 'it-ol', 'Orange Logic (token)', 'https://acme.orangelogic.com', 'token', 'lite', '', 'true', token]);
    assert.ok(!run.titles.some((t) => /client id/.test(t)), run.titles.join(' | '));
    assert.match(run.prompts.at(-1)!, /non-expiring bearer token/);
    const raw = await checkFile('it-ol', [token]);
    assert.deepEqual(raw, {
      id: 'it-ol',
      vendor: 'orangelogic',
      label: 'Orange Logic (token)',
      baseUrl: 'https://acme.orangelogic.com',
      auth: 'token',
      defaultMode: 'lite',
      production: true,
      principals: [],
    });
    assert.equal(await api.services.secrets.get({ connectionId: 'it-ol' }), token);
  });

  it('Creative Force: the gateway and token URLs are offered; an empty secret is left for later', async () => {
    added.push('it-cf');
    const run = await runWizard(['creativeforce', 'it-cf', ACCEPT, ACCEPT, ACCEPT, 'cf-app-service', '', 'false', '']);
    assert.match(run.titles[3], /\(4\/\d+\): gateway URL/);
    const raw = await checkFile('it-cf', []);
    assert.deepEqual(raw, {
      id: 'it-cf',
      vendor: 'creativeforce',
      label: 'Creative Force (it-cf)',
      baseUrl: 'https://gateway.creativeforce.io/v1',
      tokenUrl: 'https://accounts.creativeforce.io/connect/token',
      clientId: 'cf-app-service',
      principals: [],
    });
    assert.equal(await api.services.secrets.get({ connectionId: 'it-cf' }), undefined);
  });

  it('Creative Force apps-only: no Application ID of its own; the first app is asked, its secret stored as its own; it sends, and no @as is refused', async () => {
    added.push('it-cf-apps');
    const secret = (await api.services.secrets.get({ connectionId: 'cf-sandbox', principalId: 'eve' }))!;
    assert.ok(secret, "the sandbox's app secret of eve");
    const gateway = `${sandboxUrl}/creativeforce/gateway/v1`;
    const tokenUrl = `${sandboxUrl}/creativeforce/accounts/connect/token`;
    const run = await runWizard(['creativeforce', 'it-cf-apps', ACCEPT, gateway, tokenUrl, '', 'eve', 'cf-app-ecomm', 'Eve Commerce', '', 'false', secret]);
    assert.deepEqual(
      run.titles.map((t) => t.replace(/^.*\): /, '')),
      [
        'vendor',
        'id',
        'label',
        'gateway URL',
        'token URL',
        'Application ID (optional)',
        'first app: principal id',
        'first app: Application ID',
        'first app: user name',
        'corporate network',
        'production?',
        'secret',
      ],
    );
    assert.match(run.titles.at(-1)!, /\(12\/12\)/);
    const raw = await checkFile('it-cf-apps', [secret]);
    assert.deepEqual(raw, {
      id: 'it-cf-apps',
      vendor: 'creativeforce',
      label: 'Creative Force (it-cf-apps)',
      baseUrl: gateway,
      tokenUrl,
      principals: [{ id: 'eve', clientId: 'cf-app-ecomm', name: 'Eve Commerce' }],
    });
    assert.equal(await api.services.secrets.get({ connectionId: 'it-cf-apps' }), undefined, 'no connection-level secret');
    assert.equal(await api.services.secrets.get({ connectionId: 'it-cf-apps', principalId: 'eve' }), secret, "the first app's secret, as eve's");
    const connection = (await api.services.store.connection('it-cf-apps'))!;
    const record = await api.services.engine.sendAs(
      { method: 'GET', url: '/extpost/tasks/T-1', headers: {} },
      { connection, principal: connection.principals[0], mode: 'full' },
    );
    assert.equal(record.status, 200, record.body);
    assert.equal(JSON.parse(record.body).actedBy, 'eve@studio.test');
    await assert.rejects(
      api.services.engine.sendAs({ method: 'GET', url: '/extpost/tasks/T-1', headers: {} }, { connection, mode: 'full' }),
      /pick the app \(principal\) to send as \(eve\)/,
    );
    await api.services.secrets.delete({ connectionId: 'it-cf-apps', principalId: 'eve' });
  });

  it('generic with token exchange: token URL and exchange settings asked; the first send as a principal works', async () => {
    added.push('it-gen');
    const secret = (await api.services.secrets.get({ connectionId: 'gen-exchange-sandbox' }))!;
    const tokenUrl = `${sandboxUrl}/generic/oauth/token`;
    const run = await runWizard([
      'generic',
      'it-gen',
      ACCEPT,
      `${sandboxUrl}/generic`,
      'clientCredentials',
      'tokenExchange',
      tokenUrl,
      'gen-client',
      '',
      ACCEPT,
      '',
      '',
      '',
      'false',
      secret,
    ]);
    assert.deepEqual(
      run.titles.map((t) => t.replace(/^.*\): /, '')),
      [
        'vendor',
        'id',
        'label',
        'base URL',
        'authentication',
        'impersonation',
        'token URL',
        'client id',
        'scopes',
        'subject parameter',
        'subject',
        'audience',
        'corporate network',
        'production?',
        'secret',
      ],
    );
    assert.match(run.titles.at(-1)!, /\(15\/15\)/);
    const raw = await checkFile('it-gen', [secret]);
    assert.deepEqual(raw, {
      id: 'it-gen',
      vendor: 'generic',
      label: 'Generic API (it-gen)',
      baseUrl: `${sandboxUrl}/generic`,
      auth: 'clientCredentials',
      impersonation: { kind: 'tokenExchange', subjectParam: 'requested_subject' },
      tokenUrl,
      clientId: 'gen-client',
      principals: [],
    });
    const connection = (await api.services.store.connection('it-gen'))!;
    const record = await api.services.engine.sendAs(
      { method: 'GET', url: '/api/whoami', headers: {} },
      { connection, principal: { id: 'jane', userId: 'u-100' }, mode: 'full' },
    );
    assert.deepEqual(JSON.parse(record.body), { sub: 'jane@acme.test', via: 'token-exchange' });
  });

  it('generic with a header: the header template is asked and written', async () => {
    added.push('it-hdr');
    await runWizard(['generic', 'it-hdr', ACCEPT, 'https://api.example.test', 'none', 'header', 'X-Act-As: {{principal.email}}', 'true', '', 'false']);
    const raw = await checkFile('it-hdr', []);
    assert.deepEqual(raw['impersonation'], { kind: 'header', headers: { 'X-Act-As': '{{principal.email}}' }, writesOnly: true });
    assert.equal(raw['auth'], 'none');
  });

  it('corporate network: a proxy and a client certificate of its own in the file, the key passphrase in secret storage only', async () => {
    added.push('it-net');
    const passphrase = 'wizard-k3y-passphrase-77';
    const run = await runWizard([
      'generic',
      'it-net',
      ACCEPT,
      'https://partner.example.test',
      'none',
      'header',
      'X-Act-As: {{principal.email}}',
      'false',
      'both',
      'http://proxy.corp.example:3128',
      '',
      'certs/client.pem',
      'certs/client.key',
      'false',
      passphrase,
    ]);
    assert.match(run.titles.at(-1)!, /\((\d+)\/\1\): TLS key passphrase$/);
    const raw = await checkFile('it-net', [passphrase]);
    assert.equal(raw['proxy'], 'http://proxy.corp.example:3128');
    assert.deepEqual(raw['tls'], { certFile: 'certs/client.pem', keyFile: 'certs/client.key' });
    assert.equal(raw['_network'], undefined);
    // Under the key the core reads the passphrase from (core/connectionNetwork.ts: TLS_PASSPHRASE).
    assert.equal(await api.services.secrets.get(tlsPassphraseKey({ id: 'it-net' })), passphrase);
    await api.services.secrets.delete(tlsPassphraseKey({ id: 'it-net' }));
  });

  it('Escape at any step, the secret included, writes nothing', async () => {
    const before = await fileText();
    await runWizard(['dealcloud', 'it-esc', ACCEPT, 'https://acme.dealcloud.com', ESCAPE]);
    await runWizard(['orangelogic', 'it-esc', ACCEPT, 'https://acme.orangelogic.com', 'token', 'full', ACCEPT, '', 'false', ESCAPE]);
    assert.equal(await fileText(), before);
    assert.equal(await api.services.store.connection('it-esc'), undefined);
  });
});
