// .http editors in a real VS Code: which editor a tree command sends from, what the CodeLenses say, the
// behalf.codeLens.enabled setting, and completion after `# @as `, `# @connection `, `# @mode ` and inside `{{`.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BehalfApi } from '../../src/extension/extension';
import type { ConnectionsNode } from '../../src/extension/trees';
import { sandboxControl, startBehalf, waitFor } from './support';

/** ActiveIdentity's workspaceState key: restored after these tests, which change the active identity. */
const STATE_KEY = 'behalf.activeIdentity';

describe('.http editors', function () {
  this.timeout(60_000);
  let api: BehalfApi;
  let sandboxUrl: string;
  let saved: unknown;
  const folder = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
  const written: string[] = [];

  function writeHttp(name: string, lines: string[]): vscode.Uri {
    const file = path.join(folder(), name);
    fs.writeFileSync(file, lines.join('\n'));
    written.push(file);
    return vscode.Uri.file(file);
  }

  async function principalNode(connectionId: string, principalId: string): Promise<ConnectionsNode> {
    const tree = api.services.connectionsTree;
    const connection = (await tree.getChildren()).find((n) => n.connection.id === connectionId);
    assert.ok(connection, connectionId);
    const child = (await tree.getChildren(connection)).find((n) => n.kind === 'principal' && n.principal.id === principalId);
    assert.ok(child, `${principalId} under ${connectionId}`);
    return child;
  }

  const lastPath = async () =>
    (await sandboxControl<Array<{ path: string; headers: Record<string, string> }>>(sandboxUrl, 'log')).filter((e) => e.path.includes('/rows/')).at(-1);

  before(async () => {
    ({ api, sandboxUrl } = await startBehalf());
    saved = api.services.context.workspaceState.get(STATE_KEY);
  });

  after(async () => {
    await api.services.context.workspaceState.update(STATE_KEY, saved);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const file of written) fs.rmSync(file, { force: true, recursive: true });
  });

  it('"Send Current Request as This User" sends from the active .http editor, else the one active last', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const deals = writeHttp('two-deals.http', ['# @connection dc-sandbox', 'GET /api/rest/v4/data/entrydata/rows/Deals']);
    const companies = writeHttp('two-companies.http', ['# @connection dc-sandbox', 'GET /api/rest/v4/data/entrydata/rows/Companies']);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(deals), vscode.ViewColumn.One);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(companies), vscode.ViewColumn.Two);
    const jane = await principalNode('dc-sandbox', 'jane');

    // The second editor (column two) is active: its request is sent, not the first visible editor's.
    await vscode.commands.executeCommand('behalf.sendAsThisUser', jane);
    assert.match((await lastPath())!.path, /\/rows\/Companies$/);

    // Back to the first, then focus leaves for a plain text editor: the .http editor active last is meant.
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(deals), vscode.ViewColumn.One);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument({ content: 'notes', language: 'plaintext' }), vscode.ViewColumn.Three);
    assert.equal(vscode.window.activeTextEditor?.document.languageId, 'plaintext');
    await vscode.commands.executeCommand('behalf.sendAsThisUser', jane);
    assert.match((await lastPath())!.path, /\/rows\/Deals$/);
    assert.equal((await lastPath())!.headers['as-user'], '6045');

    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(companies), vscode.ViewColumn.Two);
    await vscode.commands.executeCommand('behalf.sendAsThisUser', jane);
    assert.match((await lastPath())!.path, /\/rows\/Companies$/);
    await waitFor('the response panel', () => vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => /^Response/.test(t.label))));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
  async function lensTitles(uri: vscode.Uri): Promise<string[]> {
    const lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 50)) ?? [];
    return lenses.map((l) => l.command?.title ?? '');
  }

  it('the "Send" lens says whom: the request\'s # @as, else the active identity, else the service user', async () => {
    const uri = writeHttp('lens-who.http', [
      '# @connection dc-sandbox',
      'GET /api/rest/v4/data/entrydata/rows/Deals',
      '',
      '###',
      '# @connection dc-sandbox',
      '# @as raj',
      'GET /api/rest/v4/data/entrydata/rows/Deals',
      '',
      '###',
      '# @connection ol-sandbox',
      'GET /API/DataTable/v2.2/Documents.All:Read?RecordID=A-1&format=JSON',
      '',
      '###',
      'GET /no/connection/named',
    ]);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const { store, identity } = api.services;
    const dealcloud = (await store.connection('dc-sandbox'))!;
    await identity.set(dealcloud, 'jane');
    const sends = async () => (await lensTitles(uri)).filter((t) => t.startsWith('$(play)'));
    assert.deepEqual(await sends(), [
      '$(play) Send as Jane Doe · full',
      '$(play) Send as raj',
      '$(play) Send as service user',
      '$(play) Send as Jane Doe · full',
    ]);

    // An identity change refreshes the lenses, and the service user is named as such.
    let refreshed = 0;
    const listening = api.services.documents.onDidChangeCodeLenses(() => refreshed++);
    try {
      await identity.set(dealcloud, undefined);
      assert.ok(refreshed > 0, 'lenses asked for again');
    } finally {
      listening.dispose();
    }
    assert.deepEqual(await sends(), ['$(play) Send as service user', '$(play) Send as raj', '$(play) Send as service user', '$(play) Send as service user']);
  });

  it('behalf.codeLens.enabled: false shows no Behalf lens, and changing it refreshes them', async () => {
    const uri = vscode.Uri.file(path.join(folder(), 'requests.http'));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    assert.ok((await lensTitles(uri)).some((t) => t.includes('Send as user…')));
    const config = () => vscode.workspace.getConfiguration('behalf');
    let refreshed = 0;
    const listening = api.services.documents.onDidChangeCodeLenses(() => refreshed++);
    try {
      await config().update('codeLens.enabled', false, vscode.ConfigurationTarget.Workspace);
      await waitFor('a lens refresh', () => refreshed > 0);
      assert.deepEqual(await lensTitles(uri), []);
      refreshed = 0;
      await config().update('codeLens.enabled', undefined, vscode.ConfigurationTarget.Workspace);
      await waitFor('a lens refresh', () => refreshed > 0);
      assert.ok((await lensTitles(uri)).some((t) => t.includes('Send as user…')));
    } finally {
      listening.dispose();
      await config().update('codeLens.enabled', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
  it('# @disabled: the lens says Disabled and sending refuses; # @prompt asks in an input box (password-style for a secret name)', async () => {
    const uri = writeHttp('annotations.http', [
      '# @connection dc-sandbox',
      '# @disabled',
      'GET /api/rest/v4/data/entrydata/rows/Deals?which=disabled',
      '',
      '###',
      '# @connection dc-sandbox',
      '# @prompt dealName The deal to look for',
      '# @prompt apiToken',
      'GET /api/rest/v4/data/entrydata/rows/Deals?which=prompted&name={{dealName}}&t={{apiToken}}',
    ]);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const titles = await lensTitles(uri);
    assert.equal(titles.filter((t) => t === '$(circle-slash) Disabled (# @disabled)').length, 1, titles.join(' | '));
    assert.equal(titles.filter((t) => t.startsWith('$(play)')).length, 1, 'only the enabled request has a Send lens');

    const window = vscode.window as unknown as Record<'showErrorMessage' | 'showInputBox', (...args: unknown[]) => Thenable<unknown>>;
    const original = { showErrorMessage: window.showErrorMessage, showInputBox: window.showInputBox };
    const errors: string[] = [];
    const boxes: vscode.InputBoxOptions[] = [];
    window.showErrorMessage = async (...args: unknown[]) => (errors.push(String(args[0])), undefined);
    window.showInputBox = async (options: unknown) => {
      boxes.push(options as vscode.InputBoxOptions);
      return (options as vscode.InputBoxOptions).password ? 'tok-prompted-5d1e9a7c3b' : 'Gamma';
    };
    const sent = async (which: string) =>
      (await sandboxControl<Array<{ path: string; query: Record<string, string> }>>(sandboxUrl, 'log')).filter((e) => e.query?.which === which);
    try {
      await vscode.commands.executeCommand('behalf.sendRequest', uri, 3);
      await waitFor('the refusal', () => errors.length > 0);
      assert.match(errors[0], /This request is marked "# @disabled" \(line 3\): Behalf does not send it — remove "# @disabled" to send it/);
      assert.equal((await sent('disabled')).length, 0, 'nothing was sent');

      await vscode.commands.executeCommand('behalf.sendRequest', uri, 9);
      await waitFor('the prompted request', async () => (await sent('prompted')).length > 0);
      assert.deepEqual(
        boxes.map((b) => [b.prompt, b.password]),
        [
          ['The deal to look for', false],
          ['The value of {{apiToken}} for this request', true],
        ],
      );
      const [request] = await sent('prompted');
      assert.equal(request.query.name, 'Gamma');
      assert.equal(request.query.t, 'tok-prompted-5d1e9a7c3b');
      assert.ok(!JSON.stringify(api.panelViews()).includes('tok-prompted-5d1e9a7c3b'), 'the typed token is redacted in the response panel');
    } finally {
      Object.assign(window, original);
    }
  });

  describe('completion', () => {
    let uri: vscode.Uri;
    let doc: vscode.TextDocument;
    const lines = [
      '@host = https://example.test',
      '@apiVersion = v4',
      '',
      '###',
      '# @name login',
      '# @connection ol-sandbox',
      '# @as ',
      '# @mode ',
      'GET /API/DataTable/v2.2/Documents.All:Read?RecordID=A-1&format=JSON',
      '',
      '###',
      '# @connection dc-sandbox',
      '// @mode ',
      'GET /api/rest/{{apiVersion}}/data',
      'X-Token: {{',
      '',
      '###',
      '# @as ',
      '# @connection ',
      'GET /nothing',
    ];

    before(async () => {
      const dir = path.join(folder(), 'completion');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'http-client.env.json'), JSON.stringify({ $shared: { sharedVar: 's' }, dev: { devVar: 'd' } }));
      fs.writeFileSync(path.join(dir, '.env'), 'DOTENV_KEY=x\n');
      written.push(dir);
      fs.writeFileSync(path.join(dir, 'complete.http'), lines.join('\n'));
      uri = vscode.Uri.file(path.join(dir, 'complete.http'));
      doc = await vscode.workspace.openTextDocument(uri);
      await vscode.window.showTextDocument(doc);
    });

    /** Labels of the completion items at the end of the line that starts with `prefix` (the `nth` such line). */
    async function labelsAt(prefix: string, trigger: string, nth = 0): Promise<Array<{ label: string; detail?: string; description?: string }>> {
      const line = lines.map((l, k) => [l, k] as const).filter(([l]) => l.startsWith(prefix))[nth][1];
      const position = new vscode.Position(line, lines[line].length);
      const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, position, trigger);
      return list.items
        .filter((i) => i.kind !== vscode.CompletionItemKind.Text) // word-based suggestions
        .map((i) =>
          typeof i.label === 'string' ? { label: i.label, detail: i.detail } : { label: i.label.label, detail: i.detail, description: i.label.description },
        );
    }

    it("after # @as: the principals of the request's connection, with name, email and id", async () => {
      const items = await labelsAt('# @as ', ' ');
      const jane = items.find((i) => i.label === 'jane');
      assert.ok(jane, JSON.stringify(items));
      assert.match(jane.detail ?? '', /Jane Doe · jane@acme\.test · id jane/);
      const connection = (await api.services.store.connection('ol-sandbox'))!;
      assert.deepEqual(
        items.map((i) => i.label).sort(),
        api.services.store
          .principals(connection)
          .map((p) => p.id)
          .sort(),
      );
    });

    it("after # @as without a connection: every connection's principals, labelled with their connection", async () => {
      const items = await labelsAt('# @as ', ' ', 1);
      const connections = await api.services.store.connections();
      const expected = connections.flatMap((c) => api.services.store.principals(c).map((p) => `${p.id}@${c.id}`)).sort();
      assert.equal(items.length, expected.length);
      for (const c of connections.filter((c) => api.services.store.principals(c).length)) {
        assert.ok(
          items.some((i) => i.description?.startsWith(c.label) && i.detail?.endsWith(`on ${c.id}`)),
          c.id,
        );
      }
    });

    it('after # @connection: the connection ids with their labels', async () => {
      const items = await labelsAt('# @connection ', ' ', 2);
      const connections = await api.services.store.connections();
      assert.deepEqual(items.map((i) => i.label).sort(), connections.map((c) => c.id).sort());
      assert.equal(items.find((i) => i.label === 'dc-sandbox')?.description, connections.find((c) => c.id === 'dc-sandbox')!.label);
    });

    it("after # @mode: the modes of the connection's vendor", async () => {
      assert.deepEqual((await labelsAt('# @mode ', ' ')).map((i) => i.label).sort(), ['full', 'lite']); // Orange Logic
      assert.deepEqual(
        (await labelsAt('// @mode ', ' ')).map((i) => i.label),
        ['full'],
      ); // DealCloud: one mode
    });

    it('inside {{: file, environment, .env, system and request variables', async () => {
      const labels = (await labelsAt('X-Token: {{', '{')).map((i) => i.label);
      for (const name of [
        'host',
        'apiVersion',
        'sharedVar',
        '$dotenv DOTENV_KEY',
        '$processEnv',
        '$guid',
        '$timestamp',
        '$randomInt',
        '$datetime',
        'login.response.body.$',
      ]) {
        assert.ok(labels.includes(name), `${name} in ${labels.join(', ')}`);
      }
      assert.ok(!labels.includes('devVar'), 'only the selected environment ($shared)');
      const config = vscode.workspace.getConfiguration('behalf');
      await config.update('environment', 'dev', vscode.ConfigurationTarget.Workspace);
      try {
        const withDev = (await labelsAt('X-Token: {{', '{')).map((i) => i.label);
        assert.ok(withDev.includes('devVar') && withDev.includes('sharedVar'), withDev.join(', '));
      } finally {
        await config.update('environment', undefined, vscode.ConfigurationTarget.Workspace);
      }
    });

    it('nothing in plain text', async () => {
      assert.deepEqual(await labelsAt('GET /nothing', ' '), []);
    });
  });
});
