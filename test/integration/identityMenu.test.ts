// The status bar identity's menu (a QuickPick) and the Sessions view's badge and descriptions, in a real VS Code.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { BehalfApi } from '../../src/extension/extension';
import { openSessions, startBehalf, waitFor } from './support';

/** ActiveIdentity's workspaceState key: restored after these tests, which change the active identity. */
const STATE_KEY = 'behalf.activeIdentity';

type Item = vscode.QuickPickItem & { run?: unknown };
type ShowQuickPick = (items: unknown, options?: vscode.QuickPickOptions) => Thenable<unknown>;

/** Runs the identity menu, answering its QuickPick with the first item `choose` accepts; returns what it offered. */
async function menu(choose: (item: Item) => boolean): Promise<{ items: Item[]; options?: vscode.QuickPickOptions }> {
  const window = vscode.window as unknown as { showQuickPick: ShowQuickPick };
  const original = window.showQuickPick;
  let seen: { items: Item[]; options?: vscode.QuickPickOptions } | undefined;
  window.showQuickPick = async (items, options) => {
    const list = (await items) as Item[];
    seen = { items: list, options };
    return list.find(choose);
  };
  try {
    await vscode.commands.executeCommand('behalf.identityMenu');
  } finally {
    window.showQuickPick = original;
  }
  assert.ok(seen, 'the menu showed a QuickPick');
  return seen;
}

const labels = (items: Item[]) => items.filter((i) => i.kind !== vscode.QuickPickItemKind.Separator).map((i) => i.label);

describe('the identity menu and the Sessions view', function () {
  this.timeout(60_000);
  let api: BehalfApi;
  let sandboxUrl: string;
  let saved: unknown;

  before(async () => {
    ({ api, sandboxUrl } = await startBehalf());
    await waitFor('the sandbox connections', async () => (await api.services.store.connection('ol-sandbox')) !== undefined);
    saved = api.services.context.workspaceState.get(STATE_KEY);
  });

  after(async () => {
    await vscode.commands.executeCommand('behalf.endAllSessions');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await api.services.context.workspaceState.update(STATE_KEY, saved);
    assert.equal(await openSessions(sandboxUrl), 0, 'no impersonation session left open');
  });

  it('the status bar item opens the menu; toggleMode stays a command of its own', async () => {
    const item = (api.services.identity as unknown as { item: vscode.StatusBarItem }).item;
    assert.equal(item.command, 'behalf.identityMenu');
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('behalf.identityMenu') && commands.includes('behalf.toggleMode'));
  });

  it('offers "Switch to full" first, then the principals (current marked), the service user and other connections', async () => {
    const { store, identity } = api.services;
    const orangelogic = (await store.connection('ol-sandbox'))!;
    await identity.set(orangelogic, 'jane', 'lite');

    const { items, options } = await menu((i) => /Switch to full/.test(i.label));
    const offered = labels(items);
    assert.match(offered[0], /Switch to full/);
    const jane = items.find((i) => i.label.includes('Jane Doe'))!;
    assert.match(jane.label, /^\$\(check\)/, 'the current principal is marked');
    assert.match(String(jane.description), /current/);
    assert.ok(items.some((i) => i.label.includes('Raj Patel') && !/current/.test(String(i.description))));
    assert.ok(offered.some((l) => l.includes('Act as the service user')));
    assert.ok(offered.at(-1)!.includes('Select identity on another connection'));
    assert.match(String(options?.title), /acting as Jane Doe \(lite\) on Orange Logic \(sandbox\)/);
    assert.equal((await identity.current())!.mode, 'full', 'picking "Switch to full" switched the mode');

    await menu((i) => /Switch to lite/.test(i.label));
    assert.equal((await identity.current())!.mode, 'lite');
  });

  it('picks another principal or the service user of the same connection', async () => {
    const { identity } = api.services;
    await menu((i) => i.label.includes('Raj Patel'));
    assert.equal((await identity.current())!.principal?.id, 'raj');
    await menu((i) => i.label.includes('Act as the service user'));
    const current = (await identity.current())!;
    assert.equal(current.principal, undefined);
    assert.equal(current.connection.id, 'ol-sandbox');
    // As the service user there is no mode to switch; the service user is the one marked.
    const { items } = await menu((i) => i.label.includes('Jane Doe'));
    assert.ok(!labels(items).some((l) => /Switch to/.test(l)));
    assert.match(items.find((i) => i.label.includes('Act as the service user'))!.label, /^\$\(check\)/);
    assert.equal((await identity.current())!.principal?.id, 'jane');
  });

  it('a one-mode vendor (DealCloud) offers identities only', async () => {
    const { store, identity } = api.services;
    await identity.set((await store.connection('dc-sandbox'))!, 'jane');
    const { items, options } = await menu(() => false);
    assert.ok(!labels(items).some((l) => /Switch to/.test(l)));
    assert.match(String(options?.placeHolder), /one mode: full/);
  });

  it('the Sessions view counts open sessions in its badge and says when each ends if idle', async () => {
    const { store, identity, sessionsTree, views } = api.services;
    await identity.set((await store.connection('ol-sandbox'))!, 'jane', 'full');
    const folder = vscode.workspace.workspaceFolders![0].uri;
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder, 'requests.http'));
    const editor = await vscode.window.showTextDocument(doc);
    const line = doc
      .getText()
      .split('\n')
      .findIndex((l) => l.trim() === '# @name ol-read');
    editor.selection = new vscode.Selection(line + 2, 0, line + 2, 0);
    const window = vscode.window as unknown as { showWarningMessage: (...args: unknown[]) => Thenable<unknown> };
    const original = window.showWarningMessage;
    window.showWarningMessage = (...args: unknown[]) =>
      (args[1] as vscode.MessageOptions | undefined)?.modal ? Promise.resolve('Send') : original.apply(vscode.window, args);
    try {
      await vscode.commands.executeCommand('behalf.sendRequest');
    } finally {
      window.showWarningMessage = original;
    }
    assert.equal(await openSessions(sandboxUrl), 1);

    assert.equal(views.sessions.badge?.value, 1);
    assert.match(String(views.sessions.badge?.tooltip), /1 open impersonation session$/);
    assert.ok(sessionsTree.ticking, 'the items refresh every minute while a session is open');
    const [session] = sessionsTree.getChildren();
    const minutes = vscode.workspace.getConfiguration('behalf').get<number>('idleSessionMinutes', 5);
    assert.equal(sessionsTree.getTreeItem(session).description, `ol-sandbox · started just now · ends in ${minutes} min if idle`);

    await vscode.commands.executeCommand('behalf.endSession', session);
    assert.equal(await openSessions(sandboxUrl), 0);
    assert.equal(views.sessions.badge, undefined, 'no badge without sessions');
    assert.ok(!sessionsTree.ticking, 'the timer stops with the last session');
    await identity.set((await store.connection('ol-sandbox'))!, 'jane', 'lite');
  });
});
