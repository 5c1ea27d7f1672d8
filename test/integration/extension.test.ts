// Runs inside a real VS Code extension host (code-server here, @vscode/test-electron on desktops).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BehalfApi } from '../../src/extension/extension';
import type { ConnectionsNode } from '../../src/extension/trees';
import { EXTENSION_ID, openSessions as countOpenSessions, sandboxControl, startBehalf, waitFor } from './support';

interface LogEntry {
  method: string;
  path: string;
  headers: Record<string, string>;
  status: number;
}

let api: BehalfApi;
let sandboxUrl: string;

const sandbox = <T>(route: string, init?: RequestInit) => sandboxControl<T>(sandboxUrl, route, init);
const sandboxLog = () => sandbox<LogEntry[]>('log');
const openSessions = () => countOpenSessions(sandboxUrl);

async function node(connectionId: string, principalId?: string): Promise<ConnectionsNode> {
  const tree = api.services.connectionsTree;
  const roots = await tree.getChildren();
  const connection = roots.find((n) => n.connection.id === connectionId);
  assert.ok(connection, `connection ${connectionId} in the tree`);
  if (!principalId) return connection;
  const child = (await tree.getChildren(connection)).find((n) => n.kind === 'principal' && n.principal.id === principalId);
  assert.ok(child, `principal ${principalId} under ${connectionId}`);
  return child;
}

/** Open requests.http with the cursor on the request named `name`. */
async function openRequest(name: string): Promise<vscode.TextEditor> {
  const folder = vscode.workspace.workspaceFolders![0].uri;
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, 'requests.http'));
  const editor = await vscode.window.showTextDocument(doc);
  const line = doc
    .getText()
    .split('\n')
    .findIndex((l) => l.trim() === `# @name ${name}`);
  assert.ok(line >= 0, `request ${name}`);
  const at = new vscode.Position(line + 2, 0);
  editor.selection = new vscode.Selection(at, at);
  return editor;
}

/** Answer VS Code's modal confirmations in this test ("Send"); restored afterwards. */
function answerModals(answer: string | undefined): () => void {
  const window = vscode.window as { showWarningMessage: (...args: unknown[]) => Thenable<unknown> };
  const original = window.showWarningMessage;
  window.showWarningMessage = (...args: unknown[]) => {
    const options = args[1];
    if (options && typeof options === 'object' && (options as vscode.MessageOptions).modal) return Promise.resolve(answer);
    return original.apply(vscode.window, args);
  };
  return () => (window.showWarningMessage = original);
}

describe('Behalf in a real VS Code', function () {
  this.timeout(60_000);

  before(async () => {
    ({ api, sandboxUrl } = await startBehalf());
  });

  it('activates and contributes its commands and views', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['behalf.sendRequest', 'behalf.sendAsUser', 'behalf.toggleMode', 'behalf.addConnection', 'behalf.startSandbox', 'behalf.copyAsCurl']) {
      assert.ok(commands.includes(id), id);
    }
    // The shell registers package.json's commands; the main bundle must handle exactly those.
    const contributed = (vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes.commands as Array<{ command: string }>)
      .map((c) => c.command)
      .sort();
    assert.deepEqual(api.services.commandIds().sort(), contributed);
    for (const id of contributed) assert.ok(commands.includes(id), id);
  });

  it('"Start the vendor sandbox" writes ready connections and the tree shows them', async () => {
    const folder = vscode.workspace.workspaceFolders![0].uri;
    const file = JSON.parse(Buffer.from(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder, 'behalf.connections.json'))).toString('utf8'));
    assert.ok(file.connections.length >= 5);
    await waitFor('connections in the tree', async () => (await api.services.connectionsTree.getChildren()).length === file.connections.length);
    const dc = await node('dc-sandbox');
    const item = await api.services.connectionsTree.getTreeItem(dc);
    assert.equal(item.contextValue, 'connection:dealcloud');
  });

  it('expanding a DealCloud connection with user_management reads its proxy assignments once: the first look marks who has none', async () => {
    const tree = api.services.connectionsTree;
    const proxyReads = async () => (await sandboxLog()).filter((e) => e.path.endsWith('/management/user/proxy') && e.method === 'GET').length;
    // No Fetch Principals: expanding the connection (the view does it, and so does node()) is enough.
    const lee = await node('dc-sandbox', 'lee');
    await waitFor('lee marked without a proxy assignment', async () => (await tree.getTreeItem(lee)).contextValue === 'principal:dealcloud:unassigned');
    assert.equal((await tree.getTreeItem(await node('dc-sandbox', 'jane'))).contextValue, 'principal:dealcloud:assigned');
    assert.match(String((await tree.getTreeItem(lee)).description), /no proxy assignment/);
    // Cached: expanding again reads nothing more (a read that failed before the sandbox's secrets were stored may have been retried once the file changed).
    const reads = await proxyReads();
    assert.ok(reads >= 1);
    await tree.getChildren(await node('dc-sandbox'));
    await tree.getChildren(await node('dc-sandbox'));
    assert.equal(await proxyReads(), reads);
  });

  it('fetches DealCloud proxy assignments from the sandbox and marks who is assigned', async () => {
    await vscode.commands.executeCommand('behalf.fetchPrincipals', await node('dc-sandbox'));
    assert.ok((await sandboxLog()).some((e) => e.path.endsWith('/management/user/proxy') && e.method === 'GET'));
    const tree = api.services.connectionsTree;
    assert.equal((await tree.getTreeItem(await node('dc-sandbox', 'jane'))).contextValue, 'principal:dealcloud:assigned');
    assert.equal((await tree.getTreeItem(await node('dc-sandbox', 'lee'))).contextValue, 'principal:dealcloud:unassigned');
    // Tooltips are made on hover (resolveTreeItem), not for every row.
    const jane = await node('dc-sandbox', 'jane');
    const item = await tree.getTreeItem(jane);
    assert.equal(item.tooltip, undefined);
    const tooltip = (tree.resolveTreeItem(item, jane).tooltip as vscode.MarkdownString).value.replace(/&nbsp;/g, ' ');
    assert.match(tooltip, /email: jane@acme\.test/);
    assert.match(tooltip, /vendor id: 6045/);
  });

  it('"Send current request as this user" sends AS-USER and opens the response panel', async () => {
    await openRequest('deals');
    await vscode.commands.executeCommand('behalf.sendAsThisUser', await node('dc-sandbox', 'jane'));
    const rows = (await sandboxLog()).filter((e) => e.path.endsWith('/rows/Deals'));
    assert.equal(rows[rows.length - 1].headers['as-user'], '6045');
    await waitFor('the response panel', () => vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => /^Response/.test(t.label))));
  });

  it('"Send" uses the request\'s own # @as', async () => {
    await openRequest('deals-as-jane');
    await vscode.commands.executeCommand('behalf.sendRequest');
    const rows = (await sandboxLog()).filter((e) => e.path.endsWith('/rows/Deals'));
    assert.equal(rows[rows.length - 1].headers['as-user'], '6045');
  });

  it('toggling the mode switches Orange Logic between the lite header and a full session; ending leaves 0 open', async () => {
    const restore = answerModals('Send');
    try {
      await vscode.commands.executeCommand('behalf.setActivePrincipal', await node('ol-sandbox', 'jane'));
      const connection = (await api.services.store.connection('ol-sandbox'))!;
      await api.services.identity.set(connection, 'jane', 'lite');
      await openRequest('ol-update');
      await vscode.commands.executeCommand('behalf.sendRequest');
      let updates = (await sandboxLog()).filter((e) => e.path.endsWith('Documents.All:Update'));
      assert.equal(updates[updates.length - 1].headers['x-cortex-save-changes-as-user'], 'jane@acme.test');
      assert.equal(await openSessions(), 0);

      await vscode.commands.executeCommand('behalf.toggleMode');
      assert.equal((await api.services.identity.current())!.mode, 'full');
      await vscode.commands.executeCommand('behalf.sendRequest');
      updates = (await sandboxLog()).filter((e) => e.path.endsWith('Documents.All:Update'));
      assert.equal(updates[updates.length - 1].headers['x-cortex-save-changes-as-user'], undefined);
      assert.match(updates[updates.length - 1].headers['authorization'], /^Bearer olimp_/);
      assert.equal(await openSessions(), 1);
      assert.equal(api.services.sessionsTree.getChildren().length, 1);

      await vscode.commands.executeCommand('behalf.toggleMode');
      assert.equal(await openSessions(), 0, 'switching back to lite ends the session');

      await vscode.commands.executeCommand('behalf.toggleMode');
      await openRequest('ol-read');
      await vscode.commands.executeCommand('behalf.sendRequest');
      assert.equal(await openSessions(), 1);
      const [session] = api.services.sessionsTree.getChildren();
      await vscode.commands.executeCommand('behalf.endSession', session);
      assert.equal(await openSessions(), 0);
    } finally {
      restore();
    }
  });

  it('the response panel opens as the request starts ("Sending as …"), then shows the response, or why there is none', async () => {
    type Shown = { state?: string; message?: string; status?: number; sentAs?: { who: string } };
    const shown = () => api.panelViews() as Shown[];
    const fault = (spec: object) => sandbox('faults', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    try {
      // A slow answer: the panel is open and says whom it is sending as before the response arrives.
      await fault({ kind: 'delay', delayMs: 1500, match: { pathIncludes: '/rows/Companies' } });
      await openRequest('companies');
      const sending = vscode.commands.executeCommand<{ status?: number }>('behalf.sendRequest');
      await waitFor('the panel to say "Sending"', async () => shown().some((v) => v.state === 'sending'));
      assert.equal(shown().find((v) => v.state === 'sending')?.sentAs?.who, 'the service user');
      assert.equal((await sending)?.status, 200);
      assert.deepEqual(
        shown().map((v) => v.status ?? v.state),
        [200],
        'the response replaced "Sending"',
      );

      // Cancelled in flight: the panel says so (nothing left "Sending…").
      await fault({ kind: 'timeout', match: { pathIncludes: '/rows/Companies' } });
      const cancelled = vscode.commands.executeCommand('behalf.sendRequest');
      await waitFor('the panel to say "Sending"', async () => shown().some((v) => v.state === 'sending'));
      await vscode.commands.executeCommand('behalf.cancelRequests');
      await cancelled;
      assert.deepEqual(
        shown().map((v) => [v.state, v.message]),
        [['cancelled', 'Cancelled before a response arrived.']],
      );

      // Failed (the server reset the connection): the panel says what happened.
      await fault({ kind: 'reset', match: { pathIncludes: '/rows/Companies' } });
      await vscode.commands.executeCommand('behalf.sendRequest');
      const [failed] = shown();
      assert.equal(failed?.state, 'failed');
      assert.ok(failed?.message && failed.message.length > 10, `a message that says what went wrong (${failed?.message})`);
    } finally {
      await sandbox('faults', { method: 'DELETE' });
    }
  });

  it('Cancel aborts a request in flight', async () => {
    await sandbox('faults', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'timeout', match: { pathIncludes: '/rows/Companies' } }),
    });
    await openRequest('companies');
    const before = (await sandboxLog()).length;
    const sending = vscode.commands.executeCommand('behalf.sendRequest');
    await waitFor('the request to reach the sandbox', async () => (await sandboxLog()).slice(before).some((e) => e.path.endsWith('/rows/Companies')));
    assert.equal(api.services.inFlight.size, 1);
    await vscode.commands.executeCommand('behalf.cancelRequests');
    await sending;
    assert.equal(api.services.inFlight.size, 0);
    await sandbox('faults', { method: 'DELETE' });
  });

  it('a keyring failure is a clear message, not a crash', async () => {
    const { SecretStorageStore } = await import('../../src/extension/secrets');
    const broken = new SecretStorageStore({
      get: () => Promise.reject(new Error('keyring locked')),
      store: () => Promise.reject(new Error('keyring locked')),
      delete: () => Promise.reject(new Error('keyring locked')),
      keys: () => Promise.resolve([]),
      onDidChange: new vscode.EventEmitter<vscode.SecretStorageChangeEvent>().event,
    } as vscode.SecretStorage);
    await assert.rejects(broken.get({ connectionId: 'x' }), /Could not read a secret in VS Code's secret storage: keyring locked/);
  });

  it('secrets live in SecretStorage and nowhere else: settings, workspace files, state, storage, the log', async () => {
    const { services } = api;
    const connections = await services.store.connections();
    const secrets: string[] = [];
    for (const c of connections) {
      for (const principalId of [undefined, ...c.principals.map((p) => p.id)]) {
        const value = await services.secrets.get({ connectionId: c.id, principalId });
        if (value) secrets.push(value);
      }
    }
    assert.ok(secrets.length >= 6, 'the sandbox secrets are in SecretStorage');
    const tokens = (await sandboxLog()).flatMap((e) => (e.headers['authorization'] ? [e.headers['authorization'].replace(/^Bearer /, '')] : []));
    assert.ok(tokens.length > 3);
    const places: Array<[string, string]> = [];
    const readTree = (dir: string) => {
      if (!fs.existsSync(dir)) return;
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) readTree(full);
        else if (fs.statSync(full).size < 20 * 1024 * 1024) places.push([full, fs.readFileSync(full, 'utf8')]);
      }
    };
    readTree(vscode.workspace.workspaceFolders![0].uri.fsPath);
    readTree(services.context.globalStorageUri.fsPath);
    if (services.context.storageUri) readTree(services.context.storageUri.fsPath);
    readTree(services.context.logUri.fsPath);
    places.push(['settings', JSON.stringify(vscode.workspace.getConfiguration('behalf'))]);
    // The response panel's view: redacted request, headers, body and the cURL export.
    const views = api.panelViews();
    assert.ok(views.length >= 1, 'a response panel is open');
    places.push(['webview messages and cURL', JSON.stringify(views)]);
    for (const state of [services.context.globalState, services.context.workspaceState]) {
      places.push(['state', JSON.stringify(state.keys().map((k) => [k, state.get(k)]))]);
    }
    assert.ok(
      places.some(([p]) => p.startsWith(services.context.logUri.fsPath)),
      'the log file was scanned',
    );
    // Each secret and token in every form a leak takes: as is, URL/form-encoded, JSON-escaped, Base64.
    const forms = (secret: string) => [
      ...new Set([
        secret,
        encodeURIComponent(secret),
        encodeURIComponent(secret).replace(/%20/g, '+'),
        JSON.stringify(secret).slice(1, -1),
        Buffer.from(secret).toString('base64'),
      ]),
    ];
    for (const [where, text] of places) {
      for (const secret of [...secrets, ...tokens]) {
        for (const form of forms(secret))
          assert.ok(!text.includes(form), `a secret (${secret.slice(0, 4)}…) leaked into ${where} (as ${form === secret ? 'is' : form.slice(0, 6) + '…'})`);
      }
    }
  });

  it('deactivating ends every impersonation session', async () => {
    const connection = (await api.services.store.connection('ol-sandbox'))!;
    await api.services.identity.set(connection, 'raj', 'full');
    await openRequest('ol-read');
    await vscode.commands.executeCommand('behalf.sendRequest');
    assert.equal(await openSessions(), 1);
    const extension = vscode.extensions.getExtension(EXTENSION_ID)!;
    // The module VS Code loaded: its deactivate is what the editor calls on shutdown.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the very module file VS Code loaded, by its path
    const main = require(path.join(extension.extensionPath, 'dist', 'extension.js')) as { deactivate(): Promise<void> };
    // Keep the sandbox up through deactivate so it can be asked afterwards; stop it by hand.
    const sandboxProcess = api.services.sandbox;
    const stop = sandboxProcess.stop.bind(sandboxProcess);
    sandboxProcess.stop = async () => undefined;
    await main.deactivate();
    assert.equal(await openSessions(), 0);
    await stop();
  });
});
