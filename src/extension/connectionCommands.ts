// The Connections view's everyday commands: the identity menu, fetching principals, the principal filter and the
// connections file. The commands that change a connection (add, edit, remove, secrets, principals, proxy
// assignments) and the vendor sandbox's are in connectionSetupCommands.ts, part of the extras chunk
// (src/extension/extras.ts).
import * as vscode from 'vscode';
import { BehalfError } from '../core/errors';
import type { Connection } from '../core/model';
import type { Services } from './services';
import { reportError } from './sendCommands';
import type { ConnectionsNode, ConnectionsTree } from './trees';

export function registerConnectionCommands(s: Services): void {
  const register = (id: string, run: (...args: never[]) => Promise<unknown>) =>
    s.registerCommand(id, (...args: never[]) => run(...args).catch((e) => reportError(s, e)));

  // The status bar identity's click: switch mode, principal, or connection.
  register('behalf.identityMenu', () => s.identity.showMenu());

  register('behalf.fetchPrincipals', async (node?: ConnectionsNode) => {
    const connection = node?.connection ?? (await pickExisting(s));
    if (!connection) return;
    const principals = await vscode.window.withProgress(
      { location: { viewId: 'behalf.connections' }, title: `Fetching principals of ${connection.label}` },
      () => s.engine.vendorPrincipals(connection),
    );
    if (!principals)
      throw new BehalfError('unsupported', `${s.engine.vendor(connection).displayName} keeps no list of principals; add them with "Add Principal…".`);
    s.store.setFetched(connection.id, principals);
    const vendorCount = principals.length;
    void vscode.window.setStatusBarMessage(
      `Behalf: ${vendorCount} principal${vendorCount === 1 ? '' : 's'} with a proxy assignment on ${connection.label}`,
      5000,
    );
  });

  // The Connections view's principal filter: typed live into an input box, or given as an argument
  // (`executeCommand('behalf.filterPrincipals', 'ann')`, e.g. from a keybinding).
  register('behalf.filterPrincipals', async (text?: unknown) => {
    if (typeof text === 'string') return s.connectionsTree.setFilter(text);
    return askPrincipalFilter(s, s.connectionsTree);
  });

  register('behalf.clearPrincipalFilter', () => s.connectionsTree.setFilter(undefined));

  register('behalf.openConnectionsFile', async () => {
    await vscode.window.showTextDocument(await s.store.ensureFile());
  });
}

/**
 * An input box that filters the Connections view as the user types. Enter keeps the filter; Escape (or
 * clicking elsewhere) puts back the filter there was before. The box tells how many principals match.
 */
function askPrincipalFilter(s: Services, tree: ConnectionsTree): Promise<void> {
  const previous = tree.filter;
  const box = vscode.window.createInputBox();
  box.title = 'Filter Principals';
  box.prompt =
    'Show the principals whose name, email, user id or Behalf id contains this text (not case-sensitive). Enter keeps the filter; Escape restores the previous one.';
  box.placeholder = 'Name, email or id, e.g. ann or @acme.test';
  box.value = previous ?? '';
  box.valueSelection = [0, box.value.length];
  let accepted = false;
  let applied: Promise<void> = Promise.resolve();
  const apply = (value: string) => {
    applied = tree.setFilter(value).then(
      () => {
        const description = tree.filterDescription;
        box.validationMessage = description ? { message: description, severity: vscode.InputBoxValidationSeverity.Info } : undefined;
      },
      (e) => reportError(s, e),
    );
  };
  return new Promise<void>((resolve) => {
    const listeners = [
      box.onDidChangeValue(apply),
      box.onDidAccept(() => {
        accepted = true;
        apply(box.value);
        box.hide();
      }),
      box.onDidHide(() => {
        for (const l of listeners) l.dispose();
        box.dispose();
        resolve(accepted ? applied : applied.then(() => tree.setFilter(previous)));
      }),
    ];
    box.show();
  });
}

/** A connection picked from the file's (a command run from the palette, without a tree row). */
export async function pickExisting(s: Services): Promise<Connection | undefined> {
  const connections = await s.store.connections();
  if (connections.length === 0) throw new BehalfError('config', 'No connections yet: run "Behalf: Add Connection…".');
  const picked = await vscode.window.showQuickPick(
    connections.map((c) => ({ label: c.label, description: c.id, connection: c })),
    { title: 'Which connection?' },
  );
  return picked?.connection;
}
