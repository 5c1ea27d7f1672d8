// The commands that change connections: the Add Connection wizard, Edit, Remove, Set Secret, Add Principal, Create
// Proxy Assignment, and Start / Stop the Vendor Sandbox (which writes its connections). Few sessions run them, so
// they are part of the extras chunk (src/extension/extras.ts); the everyday Connections commands are in
// connectionCommands.ts.
import * as vscode from 'vscode';
import {
  applies,
  asksTlsPassphrase,
  buildConnection,
  choicesFor,
  defaultAnswer,
  FIRST_PRINCIPAL,
  plannedSteps,
  secretOwner,
  secretPrompt,
  validateAnswer,
  wizardFields,
  type SetupAnswers,
} from '../core/connectionSetup';
import { hasTlsKey, tlsPassphraseKey } from '../core/connectionNetwork';
import { CORE_CONNECTION_KEYS, type Connection, type Principal } from '../core/model';
import type { SecretKey } from '../core/ports';
import type { SetupField, VendorWithSetup } from '../core/vendor';
import { allVendorsWithSetup, vendorWithSetup } from '../vendors/setup';
import { pickExisting } from './connectionCommands';
import type { Services } from './services';
import { reportError } from './sendCommands';
import type { ConnectionsNode } from './trees';

const ID_PATTERN = /^[A-Za-z0-9._-]+$/;
const URL_PATTERN = /^https?:\/\/[^\s/]+/i;

export function registerConnectionSetupCommands(s: Services): void {
  const register = (id: string, run: (...args: never[]) => Promise<unknown>) =>
    s.registerCommand(id, (...args: never[]) => run(...args).catch((e) => reportError(s, e)));

  register('behalf.addConnection', () => addConnection(s));

  register('behalf.editConnection', async (node?: ConnectionsNode) => {
    const connection = node?.connection ?? (await pickExisting(s));
    if (!connection) return;
    // The shared fields, then the vendor's own text settings (DealCloud: serviceUserId), as its file declares them.
    const vendorSettings = Object.entries(vendorSetupOf(s, connection).settings?.properties ?? {})
      .filter(([, schema]) => schema.type === 'string')
      .map(([name]) => name);
    const fields = ['label', 'baseUrl', 'tokenUrl', 'clientId', 'scopes', 'defaultMode', 'production', ...vendorSettings];
    const field = await vscode.window.showQuickPick(
      fields.map((f) => ({ label: f, description: describeValue(fieldValue(connection, f)) })),
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
    await s.secrets.delete(tlsPassphraseKey(connection));
    for (const p of connection.principals) await s.secrets.delete({ connectionId: connection.id, principalId: p.id });
  });

  register('behalf.setSecret', async (node?: ConnectionsNode) => {
    const connection = node?.connection ?? (await pickExisting(s));
    if (!connection) return;
    const principal = node?.kind === 'principal' ? node.principal : undefined;
    await askSecret(s, connection, principal);
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
    const principals = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Creating a proxy assignment for ${userId}` },
      () => s.engine.createProxyAssignment(target, userId.trim()),
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
    if (vendorSetupOf(s, connection).setup.principalFields.includes('clientId')) await askSecret(s, connection, principal);
  });

  register('behalf.startSandbox', async () => {
    const started = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Starting the Behalf vendor sandbox…', cancellable: false },
      () => s.sandbox.start(),
    );
    // Ready connections: into the workspace file (replacing earlier sandbox ones), secrets into SecretStorage.
    for (const connection of started.connections) await s.store.upsertConnection(connection);
    for (const [key, value] of started.secrets) await s.secrets.set(key, value);
    await s.disposeEngine(); // new ports: forget tokens and sessions of any earlier sandbox
    await vscode.commands.executeCommand('setContext', 'behalf.sandboxRunning', true);
    void vscode.window.showInformationMessage(
      `Behalf: the vendor sandbox runs at ${started.url}; ${started.connections.length} connections are ready in behalf.connections.json.`,
    );
  });

  register('behalf.stopSandbox', async () => {
    await s.disposeEngine();
    await s.sandbox.stop();
    await vscode.commands.executeCommand('setContext', 'behalf.sandboxRunning', false);
  });
}

/**
 * The Add Connection wizard: the vendor, then the questions in `wizardFields` (the vendor's own come from its
 * `setup`), then the secret. Escape at any step cancels with nothing written; the file is written only after the
 * last answer, and the secret goes to secret storage, never into the file.
 */
async function addConnection(s: Services): Promise<void> {
  const title = 'Add Behalf connection';
  const picked = await vscode.window.showQuickPick(
    allVendorsWithSetup.map((v) => ({ label: v.displayName, description: v.id, detail: v.modesNote, vendor: v })),
    { title: `${title} (1/…): vendor`, placeHolder: 'Which API?', ignoreFocusOut: true },
  );
  if (!picked) return;
  const vendor = picked.vendor;
  const existing = (await s.store.connections()).map((c) => c.id);
  const fields = wizardFields(vendor, existing);
  const answers: SetupAnswers = {};
  let step = 1;
  for (const field of fields) {
    if (!applies(field, answers)) continue;
    step++;
    const stepTitle = `${title} (${step}/${plannedSteps(vendor, fields, answers)}): ${field.title}`;
    const answer = await askSetupField(field, answers, stepTitle, field.key === 'id' ? existing : []);
    if (answer === undefined) return; // Escape: nothing written
    answers[field.key] = answer;
  }
  const question = secretPrompt(vendor, answers);
  let secret: string | undefined;
  if (question) {
    step++;
    secret = await promptSecret(
      `${title} (${step}/${step}): secret`,
      `${question}. Stored in VS Code's secret storage only — never in files or settings. Leave empty to set it later with "Behalf: Set Secret…".`,
      true,
    );
    if (secret === undefined) return;
  }
  let passphrase: string | undefined;
  if (asksTlsPassphrase(answers)) {
    step++;
    passphrase = await promptSecret(
      `${title} (${step}/${step}): TLS key passphrase`,
      `The passphrase of ${answers['tls.keyFile']}. Stored in VS Code's secret storage only. Leave empty when the key has none.`,
      true,
    );
    if (passphrase === undefined) return;
  }
  const connection = buildConnection(vendor, fields, answers);
  await s.store.upsertConnection(connection);
  // An apps-only connection: the secret asked is its first app's.
  const { principalId } = secretOwner(answers);
  const owner = principalId ? `the secret of ${answers[`${FIRST_PRINCIPAL}name`] || principalId}'s app` : `the secret of ${answers['label'] ?? connection.id}`;
  if (secret) await storeSecret(s, { connectionId: connection.id, principalId }, secret, owner);
  if (passphrase) await storeSecret(s, tlsPassphraseKey(connection), passphrase, `the TLS key passphrase of ${answers['label'] ?? connection.id}`);
}

/** One wizard question: a QuickPick for choices, an InputBox (validated as you type) otherwise. */
async function askSetupField(field: SetupField, answers: SetupAnswers, title: string, takenIds: readonly string[]): Promise<string | undefined> {
  const fallback = defaultAnswer(field, answers);
  if (field.choices) {
    const choices = choicesFor(field, answers);
    if (field.many) {
      const wanted = new Set(fallback.split(/\s+/).filter(Boolean));
      for (;;) {
        const picks = await vscode.window.showQuickPick(
          choices.map((c) => ({ label: c.label, detail: c.detail, value: c.value, picked: wanted.has(c.value) })),
          { title, placeHolder: field.prompt, canPickMany: true, ignoreFocusOut: true },
        );
        if (!picks) return undefined;
        const value = picks.map((p) => p.value).join(' ');
        if (!validateAnswer(field, value)) return value;
        wanted.clear(); // nothing picked where something is needed: ask again
      }
    }
    const ordered = [...choices.filter((c) => c.value === fallback), ...choices.filter((c) => c.value !== fallback)];
    const pick = await vscode.window.showQuickPick(
      ordered.map((c) => ({ label: c.label, detail: c.detail, value: c.value })),
      { title, placeHolder: field.prompt, ignoreFocusOut: true },
    );
    return pick?.value;
  }
  const value = await vscode.window.showInputBox({
    title,
    prompt: field.prompt,
    placeHolder: field.placeholder,
    value: answers[field.key] ?? fallback,
    ignoreFocusOut: true,
    validateInput: (v) => validateAnswer(field, v) ?? (takenIds.includes(v.trim()) ? `"${v.trim()}" is already used` : undefined),
  });
  return value === undefined ? undefined : value.trim();
}

async function askSecret(s: Services, connection: Connection, principal?: Principal, title?: string): Promise<void> {
  // A connection with a client key has a second secret: the key's passphrase (the core reads it as TLS_PASSPHRASE).
  if (!principal && hasTlsKey(connection)) {
    const keyFile = connection.tls?.keyFile ?? connection.tls?.pfxFile ?? '';
    const choices = [
      ...(connection.auth === 'none' ? [] : [{ label: connection.auth === 'token' ? 'API token' : 'Client secret', value: 'secret' as const }]),
      { label: 'TLS key passphrase', detail: `The passphrase of ${keyFile} (the connection's "tls")`, value: 'passphrase' as const },
    ];
    const pick =
      choices.length === 1
        ? choices[0]
        : await vscode.window.showQuickPick(choices, {
            title: title ?? `Set a secret of ${connection.label}`,
            placeHolder: 'Which secret?',
            ignoreFocusOut: true,
          });
    if (!pick) return;
    if (pick.value === 'passphrase') {
      const value = await promptSecret(
        title ?? `Set the TLS key passphrase of ${connection.label}`,
        `The passphrase of ${keyFile}. Stored in VS Code's secret storage only — never in files or settings.`,
        false,
      );
      if (!value) return;
      await storeSecret(s, tlsPassphraseKey(connection), value, `the TLS key passphrase of ${connection.label}`);
      // The engine read the connection's TLS files (and the passphrase) once: read them again with this one.
      s.store.invalidate();
      return;
    }
  }
  const what = principal
    ? `the secret of ${principal.name ?? principal.id}'s app${principal.clientId ? ` (${principal.clientId})` : ''}`
    : `the secret of ${connection.label}`;
  const value = await promptSecret(
    title ?? `Set ${what}`,
    `Stored in VS Code's secret storage only — never in files or settings. ${connection.auth === 'token' ? 'The API token.' : 'The client secret / API key.'}`,
    false,
  );
  if (!value) return;
  await storeSecret(s, { connectionId: connection.id, principalId: principal?.id }, value, what);
}

/** A password box; `mayBeEmpty`: an empty answer (skip) is allowed and returned as "". */
async function promptSecret(title: string, prompt: string, mayBeEmpty: boolean): Promise<string | undefined> {
  return vscode.window.showInputBox({
    title,
    prompt,
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v.length || mayBeEmpty ? undefined : 'Empty: press Escape to skip'),
  });
}

/** The one place a secret is stored: secret storage, then cached tokens are forgotten. */
async function storeSecret(s: Services, key: SecretKey, value: string, what: string): Promise<void> {
  await s.secrets.set(key, value);
  s.engine.tokens.invalidateAll();
  void vscode.window.setStatusBarMessage(`Behalf: stored ${what}`, 4000);
}

async function askPrincipal(s: Services, connection: Connection): Promise<Principal | undefined> {
  const setup = vendorSetupOf(s, connection).setup;
  const title = `Add a principal to ${connection.label}`;
  const id = await vscode.window.showInputBox({
    title,
    prompt: 'A short id for "# @as <id>"',
    validateInput: (v) =>
      !ID_PATTERN.test(v) ? 'Letters, digits, ".", "_" and "-" only' : connection.principals.some((p) => p.id === v) ? `"${v}" is already used` : undefined,
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
      return picked?.label;
    }
    case 'scopes': {
      const value = await vscode.window.showInputBox({ title: 'Scopes (space separated)', value: (connection.scopes ?? []).join(' ') });
      return value === undefined ? undefined : value.split(/\s+/).filter(Boolean);
    }
    default: {
      const current = fieldValue(connection, field);
      return vscode.window.showInputBox({
        title: field,
        value: typeof current === 'string' ? current : '',
        validateInput: (v) => ((field === 'baseUrl' || (field === 'tokenUrl' && v)) && !URL_PATTERN.test(v) ? 'An http:// or https:// URL' : undefined),
      });
    }
  }
}

/** The connection's vendor with what its wizards ask (src/vendors/setup.ts). */
function vendorSetupOf(s: Services, connection: Connection): VendorWithSetup {
  const vendor = s.engine.vendor(connection); // a vendor Behalf does not know: the engine says what to do
  const found = vendorWithSetup(vendor.id);
  if (!found) throw new Error(`Behalf has no setup for ${vendor.displayName} (src/vendors/setup.ts lacks "${vendor.id}"): please report this bug.`);
  return found;
}

/** A property of the connection as the file has it: a shared field, or one of the vendor's settings. */
function fieldValue(connection: Connection, field: string): unknown {
  return CORE_CONNECTION_KEYS.includes(field) ? connection[field as keyof Connection] : connection.settings?.[field];
}

function describeValue(value: unknown): string {
  if (value === undefined) return '—';
  if (Array.isArray(value)) return value.join(' ');
  // An object (a generic connection's "impersonation") as JSON, not "[object Object]".
  return typeof value === 'string' ? value : JSON.stringify(value);
}
