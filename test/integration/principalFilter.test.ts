// The Connections view's principal filter ("Behalf: Filter Principals…"), in a real VS Code.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { BehalfApi } from '../../src/extension/extension';
import { PRINCIPALS_FILTERED_CONTEXT, type ConnectionsNode } from '../../src/extension/trees';
import { EXTENSION_ID, startBehalf, waitFor } from './support';

let api: BehalfApi;

/** Every connection's children, by connection id. */
async function rows(): Promise<Map<string, ConnectionsNode[]>> {
  const tree = api.services.connectionsTree;
  const out = new Map<string, ConnectionsNode[]>();
  for (const root of await tree.getChildren()) out.set(root.connection.id, await tree.getChildren(root));
  return out;
}

/** What the tree tells VS Code about the filter context key, recorded from here on. */
function recordContextKey(): { values: unknown[]; restore(): void } {
  const commands = vscode.commands as { executeCommand: (...args: unknown[]) => Thenable<unknown> };
  const original = commands.executeCommand;
  const values: unknown[] = [];
  commands.executeCommand = (...args: unknown[]) => {
    if (args[0] === 'setContext' && args[1] === PRINCIPALS_FILTERED_CONTEXT) values.push(args[2]);
    return original.apply(vscode.commands, args);
  };
  return { values, restore: () => (commands.executeCommand = original) };
}

/** A stand-in for vscode.window.createInputBox: the test types, presses Enter or Escape. */
function fakeInputBox() {
  const changed = new vscode.EventEmitter<string>();
  const accepted = new vscode.EventEmitter<void>();
  const hidden = new vscode.EventEmitter<void>();
  let open = false;
  const box = {
    title: undefined as string | undefined,
    prompt: undefined as string | undefined,
    placeholder: undefined as string | undefined,
    value: '',
    valueSelection: undefined as readonly [number, number] | undefined,
    validationMessage: undefined as string | vscode.InputBoxValidationMessage | undefined,
    shown: 0,
    disposed: false,
    onDidChangeValue: changed.event,
    onDidAccept: accepted.event,
    onDidHide: hidden.event,
    show() {
      open = true;
      box.shown++;
    },
    hide() {
      if (!open) return;
      open = false;
      hidden.fire();
    },
    dispose() {
      box.disposed = true;
    },
    type(text: string) {
      box.value = text;
      changed.fire(text);
    },
    enter: () => accepted.fire(),
    escape: () => box.hide(),
  };
  const window = vscode.window as { createInputBox: () => unknown };
  const original = window.createInputBox;
  window.createInputBox = () => box;
  return { box, restore: () => (window.createInputBox = original) };
}

describe('the principal filter of the Connections view', function () {
  this.timeout(60_000);

  before(async () => {
    ({ api } = await startBehalf());
    await waitFor('the sandbox connections', async () => (await api.services.store.connection('dc-sandbox')) !== undefined);
  });

  afterEach(async () => {
    await vscode.commands.executeCommand('behalf.clearPrincipalFilter');
  });

  it('contributes the commands, the view title buttons and hides "clear" from the palette without a filter', async () => {
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('behalf.filterPrincipals'));
    assert.ok(commands.includes('behalf.clearPrincipalFilter'));
    const contributes = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON.contributes;
    const titles = Object.fromEntries((contributes.commands as Array<{ command: string; title: string; icon?: string }>).map((c) => [c.command, c]));
    assert.deepEqual([titles['behalf.filterPrincipals']?.title, titles['behalf.filterPrincipals']?.icon], ['Filter Principals…', '$(filter)']);
    assert.deepEqual([titles['behalf.clearPrincipalFilter']?.title, titles['behalf.clearPrincipalFilter']?.icon], ['Clear Principal Filter', '$(clear-all)']);
    const whenOf = (menu: string, command: string) =>
      (contributes.menus[menu] as Array<{ command: string; when?: string }>).find((m) => m.command === command)?.when;
    assert.equal(whenOf('view/title', 'behalf.filterPrincipals'), 'view == behalf.connections && !behalf.principalsFiltered');
    assert.equal(whenOf('view/title', 'behalf.clearPrincipalFilter'), 'view == behalf.connections && behalf.principalsFiltered');
    assert.equal(whenOf('commandPalette', 'behalf.clearPrincipalFilter'), 'behalf.principalsFiltered');
    assert.equal(whenOf('commandPalette', 'behalf.filterPrincipals'), undefined, 'Filter Principals… is in the palette');
  });

  it("filters every connection's principals by name, email, user id or id; a connection without a match says so", async () => {
    const { connectionsTree: tree, store } = api.services;
    const context = recordContextKey();
    try {
      const before = await rows();
      const total = (await store.connections()).reduce((n, c) => n + store.principals(c).length, 0);
      const janes = (await store.connections()).reduce(
        (n, c) => n + store.principals(c).filter((p) => `${p.name} ${p.email} ${p.userId} ${p.id}`.toLowerCase().includes('jane')).length,
        0,
      );
      assert.ok(janes > 1 && janes < total);

      await vscode.commands.executeCommand('behalf.filterPrincipals', '  JANE ');
      assert.equal(tree.filter, 'JANE');
      assert.equal(tree.filterDescription, `filter "JANE" · ${janes} of ${total} principals`);
      assert.deepEqual(context.values, [true]);
      const filtered = await rows();
      assert.deepEqual([...filtered.keys()], [...before.keys()], 'every connection stays in the tree');
      let shown = 0;
      for (const [id, children] of filtered) {
        const noMatch = children.filter((n) => n.kind === 'noMatch');
        if (noMatch.length > 0) {
          assert.equal(children.length, 1, `${id}: the "no match" row is alone`);
          const item = await tree.getTreeItem(noMatch[0]);
          assert.equal(item.label, 'No principal matches "JANE"');
          assert.equal(item.command, undefined, 'not clickable');
          assert.equal(item.collapsibleState ?? vscode.TreeItemCollapsibleState.None, vscode.TreeItemCollapsibleState.None);
          assert.match(item.accessibilityInformation?.label ?? '', /^No principal matches "JANE" in /);
          continue;
        }
        for (const child of children) {
          assert.equal(child.kind, 'principal', `${id}: only principals while filtering (no service user row)`);
          if (child.kind !== 'principal') continue;
          assert.match(`${child.principal.name} ${child.principal.email} ${child.principal.id}`.toLowerCase(), /jane/);
          const item = await tree.getTreeItem(child);
          assert.equal(item.label, child.principal.name ?? child.principal.email ?? child.principal.id, 'items keep their labels');
          shown++;
        }
        const connectionItem = await tree.getTreeItem((await tree.getChildren()).find((n) => n.connection.id === id)!);
        assert.match(
          String(connectionItem.description),
          new RegExp(` · ${children.length} of ${before.get(id)!.filter((n) => n.kind === 'principal').length} match$`),
        );
      }
      assert.equal(shown, janes);

      // User id, email, Behalf id; a query without a match anywhere.
      const dealcloud = (await store.connection('dc-sandbox'))!;
      const raj = store.principals(dealcloud).find((p) => p.id === 'raj')!;
      assert.ok(raj.userId && raj.email);
      for (const query of [raj.userId, raj.email.toUpperCase(), 'RAJ']) {
        await vscode.commands.executeCommand('behalf.filterPrincipals', query);
        const dc = (await rows()).get('dc-sandbox')!;
        assert.deepEqual(
          dc.map((n) => (n.kind === 'principal' ? n.principal.id : n.kind)),
          ['raj'],
          query,
        );
      }
      await vscode.commands.executeCommand('behalf.filterPrincipals', 'nobody-has-this');
      assert.equal(tree.filterDescription, `filter "nobody-has-this" · 0 of ${total} principals`);
      for (const children of (await rows()).values())
        assert.deepEqual(
          children.map((n) => n.kind),
          ['noMatch'],
        );
      assert.deepEqual(context.values, [true], 'the context key is set once while the filter stays on');

      // Clear: everything as before, the context key off, no description.
      await vscode.commands.executeCommand('behalf.clearPrincipalFilter');
      assert.equal(tree.filter, undefined);
      assert.equal(tree.filterDescription, undefined);
      assert.deepEqual(context.values, [true, false]);
      const after = await rows();
      assert.deepEqual(
        [...after].map(([id, children]) => [id, children.map((n) => (n.kind === 'principal' ? n.principal.id : n.kind))]),
        [...before].map(([id, children]) => [id, children.map((n) => (n.kind === 'principal' ? n.principal.id : n.kind))]),
      );
      // Blank text is no filter either.
      await vscode.commands.executeCommand('behalf.filterPrincipals', '   ');
      assert.equal(tree.filter, undefined);
    } finally {
      context.restore();
    }
  });

  it('the input box filters as the user types; Enter keeps the filter, Escape restores the previous one', async () => {
    const tree = api.services.connectionsTree;
    const fake = fakeInputBox();
    try {
      // Type, then Enter.
      let done = vscode.commands.executeCommand('behalf.filterPrincipals');
      await waitFor('the input box', () => fake.box.shown === 1);
      assert.equal(fake.box.value, '');
      assert.ok(fake.box.title && fake.box.prompt && fake.box.placeholder, 'a title, a prompt and a placeholder');
      fake.box.type('ra');
      await waitFor('the filter "ra"', () => tree.filter === 'ra');
      fake.box.type('raj');
      await waitFor('the filter "raj"', () => tree.filter === 'raj');
      await waitFor('the count in the box', () => typeof fake.box.validationMessage === 'object');
      const message = fake.box.validationMessage as vscode.InputBoxValidationMessage;
      assert.equal(message.message, tree.filterDescription);
      assert.equal(message.severity, vscode.InputBoxValidationSeverity.Info, 'information: Enter still works');
      assert.deepEqual(
        (await rows()).get('dc-sandbox')!.map((n) => (n.kind === 'principal' ? n.principal.id : n.kind)),
        ['raj'],
      );
      fake.box.enter();
      await done;
      assert.equal(tree.filter, 'raj', 'Enter keeps the filter');
      assert.ok(fake.box.disposed);

      // Again: the box starts from the current filter; typing changes the tree; Escape puts "raj" back.
      fake.box.disposed = false;
      done = vscode.commands.executeCommand('behalf.filterPrincipals');
      await waitFor('the input box again', () => fake.box.shown === 2);
      assert.equal(fake.box.value, 'raj');
      assert.deepEqual(fake.box.valueSelection, [0, 3]);
      fake.box.type('lee');
      await waitFor('the filter "lee"', () => tree.filter === 'lee');
      fake.box.escape();
      await done;
      assert.equal(tree.filter, 'raj', 'Escape restores the previous filter');
      assert.deepEqual(
        (await rows()).get('dc-sandbox')!.map((n) => (n.kind === 'principal' ? n.principal.id : n.kind)),
        ['raj'],
      );

      // From no filter, Escape restores no filter.
      await vscode.commands.executeCommand('behalf.clearPrincipalFilter');
      done = vscode.commands.executeCommand('behalf.filterPrincipals');
      await waitFor('the input box a third time', () => fake.box.shown === 3);
      fake.box.type('jane');
      await waitFor('the filter "jane"', () => tree.filter === 'jane');
      fake.box.escape();
      await done;
      assert.equal(tree.filter, undefined);
      assert.equal((await rows()).get('dc-sandbox')![0].kind, 'self', 'the service user row is back');
    } finally {
      fake.restore();
    }
  });
});
