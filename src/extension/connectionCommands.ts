import * as vscode from 'vscode';
import { BehalfError } from '../core/errors';
import type { Connection, ImpersonationMode, Principal } from '../core/model';
import { allVendors } from '../vendors';
import type { Services } from './extension';
import { reportError } from './sendCommands';
import type { ConnectionsNode, ConnectionsTree } from './trees';

const ID_PATTERN = /^[A-Za-z0-9._-]+$/;
const URL_PATTERN = /^https?:\/\/[^\s/]+/i;

export function registerConnectionCommands(s: Services): void {
  const register = (id: string, run: (...args: never[]) => Promise<unknown>) =>
    s.registerCommand(id, (...args: never[]) => run(...args).catch((e) => reportError(s, e)));

  register('behalf.addConnection', () => addConnection(s));

  // The status bar identity's click: switch mode, principal, or connection.
  register('behalf.identityMenu', () => s.identity.showMenu());

  register('behalf.editConnection', async (node?: ConnectionsNode) => {
    const connection = node?.connection ?? (await pickExisting(s));
    if (!connection) return;
    const fields = ['label', 'baseUrl', 'tokenUrl', 'clientId', 'scopes', 'defaultMode', 'production', 'serviceUserId'] as const;
    const field = await vscode.window.showQuickPick(
      fields.map((f) => ({ label: f, description: describeValue(connection[f]) })),
      { title: `Edit ${connection.label}`, placeHolder: 'Which field?' },
    );
    if (!field) return;
    const value = await askField(field.label, connection);
    if (value === undefined) return;
    await s.store.setField(connection.id, field.label, value === '' ? undefined : value);
  });

  register('behalf.removeConnection', async (node?: ConnectionsNode) => {
    const connection = node?.connection ?? (await pickExisting(s));
    if (!connection) return;
    const ok = await vscode.window.showWarningMessage(
      `Remove connection "${connection.label}"? Its secrets are deleted from secret storage too.`,
      { modal: true },
      'Remove',
    );
    if (ok !== 'Remove') return;
    await s.engine.release(connection.id);
    await s.store.removeConnection(connection.id);
    await s.secrets.delete({ connectionId: connection.id });
    for (const p of connection.principals) await s.secrets.delete({ connectionId: connection.id, principalId: p.id });
  });

  register('behalf.setSecret', async (node?: ConnectionsNode) => {
    const connection = node?.connection ?? (await pickExisting(s));
    if (!connection) return;
    const principal = node?.kind === 'principal' ? node.principal : undefined;
    await askSecret(s, connection, principal);
  });

  register('behalf.fetchPrincipals', async (node?: ConnectionsNode) => {
    const connection = node?.connection ?? (await pickExisting(s));
    if (!connection) return;
    const principals = await vscode.window.withProgress(
      { location: { viewId: 'behalf.connections' }, title: `Fetching principals of ${connection.label}` },
      () => s.engine.vendorPrincipals(connection),
    );
    if (!principals) throw new BehalfError('unsupported', `${s.engine.vendor(connection).displayName} keeps no list of principals; add them with "Add Principal…".`);
    s.store.setFetched(connection.id, principals);
    const vendorCount = principals.length;
    void vscode.window.setStatusBarMessage(`Behalf: ${vendorCount} principal${vendorCount === 1 ? '' : 's'} with a proxy assignment on ${connection.label}`, 5000);
  });

  register('behalf.createProxyAssignment', async (arg?: ConnectionsNode | { connectionId: string; userId: string }) => {
    let connection: Connection | undefined;
    let userId: string | undefined;
    if (arg && 'connectionId' in arg) {
      connection = await s.store.connection(arg.connectionId);
      userId = arg.userId;
    } else {
      connection = arg?.connection ?? (await pickExisting(s));
      userId = arg?.kind === 'principal' ? arg.principal.userId : undefined;
    }
    if (!connection) return;
    userId ??= await vscode.window.showInputBox({
      title: `Create a proxy assignment on ${connection.label}`,
      prompt: 'The DealCloud user id the service user may act as (existing assignments are kept)',
      validateInput: (v) => (/^\d+$/.test(v.trim()) ? undefined : 'A numeric DealCloud user id'),
    });
    if (!userId) return;
    const target = connection;
    const ok = await vscode.window.showWarningMessage(
      `Let the service user of ${target.label} act as user ${userId}? This changes DealCloud's proxy assignments (existing ones are kept).`,
      { modal: true },
      'Create',
    );
    if (ok !== 'Create') return;
    const principals = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Creating a proxy assignment for ${userId}` }, () =>
      s.engine.createProxyAssignment(target, userId!.trim()),
    );
    s.store.setFetched(target.id, principals);
    void vscode.window.showInformationMessage(`Behalf: the service user of ${target.label} may now act as ${userId}.`);
  });

  register('behalf.addPrincipal', async (node?: ConnectionsNode) => {
    const connection = node?.connection ?? (await pickExisting(s));
    if (!connection) return;
    const principal = await askPrincipal(s, connection);
    if (!principal) return;
    await s.store.addPrincipal(connection.id, { ...principal });
    // Vendors whose principals are apps of their own need that app's secret too.
    if (s.engine.vendor(connection).setup.principalFields.includes('clientId')) await askSecret(s, connection, principal);
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

  register('behalf.startSandbox', async () => {
    const started = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Starting the Behalf vendor sandbox…', cancellable: false }, () => s.sandbox.start());
    // Ready connections: into the workspace file (replacing earlier sandbox ones), secrets into SecretStorage.
    for (const connection of started.connections) await s.store.upsertConnection(connection);
    for (const [key, value] of started.secrets) await s.secrets.set(key, value);
    await s.disposeEngine(); // new ports: forget tokens and sessions of any earlier sandbox
    await vscode.commands.executeCommand('setContext', 'behalf.sandboxRunning', true);
    void vscode.window.showInformationMessage(`Behalf: the vendor sandbox runs at ${started.url}; ${started.connections.length} connections are ready in behalf.connections.json.`);
  });

  register('behalf.stopSandbox', async () => {
    await s.disposeEngine();
    await s.sandbox.stop();
    await vscode.commands.executeCommand('setContext', 'behalf.sandboxRunning', false);
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
  box.prompt = 'Show the principals whose name, email, user id or Behalf id contains this text (not case-sensitive). Enter keeps the filter; Escape restores the previous one.';
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

async function addConnection(s: Services): Promise<void> {
  const title = 'Add Behalf connection';
  const vendor = await vscode.window.showQuickPick(
    allVendors.map((v) => ({ label: v.displayName, description: v.id, detail: v.modesNote, id: v.id })),
    { title: `${title} (1/6): vendor`, placeHolder: 'Which API?' },
  );
  if (!vendor) return;
  const existing = await s.store.connections();
  const id = await vscode.window.showInputBox({
    title: `${title} (2/6): id`,
    prompt: 'A short id used in "# @connection <id>" and secret names',
    value: `${vendor.id}-${existing.length + 1}`,
    validateInput: (v) => (!ID_PATTERN.test(v) ? 'Letters, digits, ".", "_" and "-" only' : existing.some((c) => c.id === v) ? `"${v}" is already used` : undefined),
  });
  if (!id) return;
  const label = await vscode.window.showInputBox({ title: `${title} (3/6): label`, value: `${vendor.label} (${id})`, validateInput: (v) => (v.trim() ? undefined : 'A label is needed') });
  if (!label) return;
  const baseUrl = await vscode.window.showInputBox({
    title: `${title} (4/6): base URL`,
    prompt: 'Requests like "/api/…" in .http files are relative to it',
    placeHolder: 'https://yourfirm.dealcloud.com',
    validateInput: (v) => (URL_PATTERN.test(v.trim()) ? undefined : 'An http:// or https:// URL'),
  });
  if (!baseUrl) return;
  const clientId = await vscode.window.showInputBox({ title: `${title} (5/6): client id`, prompt: 'The service account\'s client id / Application ID (not the secret)', validateInput: (v) => (v.trim() ? undefined : 'A client id is needed') });
  if (!clientId) return;
  const setup = allVendors.find((v) => v.id === vendor.id)!.setup;
  let scopes: string[] | undefined;
  if (setup.scopes) {
    const picked = await vscode.window.showQuickPick(
      setup.scopes.map((scope) => ({ label: scope, picked: setup.defaultScopes?.includes(scope) ?? false })),
      { title: `${title}: scopes`, canPickMany: true },
    );
    if (!picked) return;
    scopes = picked.map((p) => p.label);
  }
  const connection: Record<string, unknown> = { id, vendor: vendor.id, label: label.trim(), baseUrl: baseUrl.trim().replace(/\/+$/, ''), clientId: clientId.trim(), principals: [] };
  if (scopes) connection['scopes'] = scopes;
  if (setup.defaultTokenUrl) connection['tokenUrl'] = setup.defaultTokenUrl;
  const production = await vscode.window.showQuickPick([{ label: 'No', value: false }, { label: 'Yes — always confirm requests sent as someone else', value: true }], { title: `${title}: is this a production system?` });
  if (!production) return;
  if (production.value) connection['production'] = true;
  await s.store.upsertConnection({ ...connection, id });
  const created = await s.store.connection(id);
  if (created) await askSecret(s, created, undefined, `${title} (6/6): secret`);
}

async function askSecret(s: Services, connection: Connection, principal?: Principal, title?: string): Promise<void> {
  const what = principal ? `the secret of ${principal.name ?? principal.id}'s app${principal.clientId ? ` (${principal.clientId})` : ''}` : `the secret of ${connection.label}`;
  const value = await vscode.window.showInputBox({
    title: title ?? `Set ${what}`,
    prompt: `Stored in VS Code's secret storage only — never in files or settings. ${connection.auth === 'token' ? 'The API token.' : 'The client secret / API key.'}`,
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v.length ? undefined : 'Empty: press Escape to skip'),
  });
  if (!value) return;
  await s.secrets.set({ connectionId: connection.id, principalId: principal?.id }, value);
  s.engine.tokens.invalidateAll();
  void vscode.window.setStatusBarMessage(`Behalf: stored ${what}`, 4000);
}

async function askPrincipal(s: Services, connection: Connection): Promise<Principal | undefined> {
  const setup = s.engine.vendor(connection).setup;
  const title = `Add a principal to ${connection.label}`;
  const id = await vscode.window.showInputBox({
    title,
    prompt: 'A short id for "# @as <id>"',
    validateInput: (v) => (!ID_PATTERN.test(v) ? 'Letters, digits, ".", "_" and "-" only' : connection.principals.some((p) => p.id === v) ? `"${v}" is already used` : undefined),
  });
  if (!id) return undefined;
  const principal: Principal = { id };
  for (const field of setup.principalFields) {
    const value = await vscode.window.showInputBox({ title, prompt: setup.principalPrompts[field] });
    if (value === undefined) return undefined;
    if (value.trim()) principal[field] = value.trim();
  }
  const name = await vscode.window.showInputBox({ title, prompt: 'Display name (optional)' });
  if (name === undefined) return undefined;
  if (name.trim()) principal.name = name.trim();
  return principal;
}

async function askField(field: string, connection: Connection): Promise<unknown> {
  switch (field) {
    case 'production': {
      const picked = await vscode.window.showQuickPick([{ label: 'false' }, { label: 'true' }], { title: 'production' });
      return picked ? picked.label === 'true' : undefined;
    }
    case 'defaultMode': {
      const picked = await vscode.window.showQuickPick([{ label: 'lite' }, { label: 'full' }], { title: 'Default impersonation mode' });
      return picked?.label as ImpersonationMode | undefined;
    }
    case 'scopes': {
      const value = await vscode.window.showInputBox({ title: 'Scopes (space separated)', value: (connection.scopes ?? []).join(' ') });
      return value === undefined ? undefined : value.split(/\s+/).filter(Boolean);
    }
    default: {
      const current = connection[field as keyof Connection];
      return vscode.window.showInputBox({
        title: field,
        value: typeof current === 'string' ? current : '',
        validateInput: (v) => ((field === 'baseUrl' || (field === 'tokenUrl' && v)) && !URL_PATTERN.test(v) ? 'An http:// or https:// URL' : undefined),
      });
    }
  }
}

async function pickExisting(s: Services): Promise<Connection | undefined> {
  const connections = await s.store.connections();
  if (connections.length === 0) throw new BehalfError('config', 'No connections yet: run "Behalf: Add Connection…".');
  const picked = await vscode.window.showQuickPick(
    connections.map((c) => ({ label: c.label, description: c.id, connection: c })),
    { title: 'Which connection?' },
  );
  return picked?.connection;
}

function describeValue(value: unknown): string {
  if (value === undefined) return '—';
  return Array.isArray(value) ? value.join(' ') : String(value);
}
