// The audit trail inside a real VS Code extension host: asset history panel, attribution checks, compare as
// two users, and the impersonation log (file, tree, exports). Runs before extension.test.ts in the same host
// (files run in alphabetical order): it starts the sandbox itself (idempotent) and leaves no session open.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AttributionResult, CompareResult, ImpersonationLogEntry } from '../../src/core/audit';
import type { BehalfApi } from '../../src/extension/extension';
import type { HistoryView } from '../../src/protocol/history';
import { openSessions as countOpenSessions, sandboxControl, startBehalf, waitFor } from './support';

let api: BehalfApi;
let sandboxUrl: string;

const sandbox = <T>(route: string) => sandboxControl<T>(sandboxUrl, route);
const openSessions = () => countOpenSessions(sandboxUrl);

const tabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => t.label));

/** The 1-based line of `# @name <name>` in audit.http: a line inside that request's block. */
async function request(name: string): Promise<{ uri: vscode.Uri; line: number }> {
  const uri = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'audit.http');
  const doc = await vscode.workspace.openTextDocument(uri);
  const index = doc
    .getText()
    .split('\n')
    .findIndex((l) => l.trim() === `# @name ${name}`);
  assert.ok(index >= 0, `request ${name}`);
  return { uri, line: index + 1 };
}

type Window = Record<'showWarningMessage' | 'showInformationMessage', (...args: unknown[]) => Thenable<unknown>>;

/**
 * Answers modal confirmations with `answer` and records non-modal messages (answering them with nothing,
 * so no notification waits for a click). Restore afterwards.
 */
function intercept(answer: string | undefined): { messages: string[]; restore(): void } {
  const window = vscode.window as unknown as Window;
  const originals = { showWarningMessage: window.showWarningMessage, showInformationMessage: window.showInformationMessage };
  const messages: string[] = [];
  for (const name of ['showWarningMessage', 'showInformationMessage'] as const) {
    window[name] = (...args: unknown[]) => {
      const options = args[1];
      if (options && typeof options === 'object' && (options as vscode.MessageOptions).modal) return Promise.resolve(answer);
      messages.push(String(args[0]));
      return Promise.resolve(undefined);
    };
  }
  return {
    messages,
    restore: () => Object.assign(window, originals),
  };
}

function logEntries(): ImpersonationLogEntry[] {
  const file = api.services.impersonationLog.file.fsPath;
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as ImpersonationLogEntry);
}

type Pickers = Record<'showQuickPick' | 'showInputBox', (...args: unknown[]) => Thenable<unknown>>;

/** Answers QuickPicks with the first item `choose` accepts (in call order) and InputBoxes with `inputs`. */
function answerPickers(choose: Array<(item: Record<string, unknown>) => boolean>, inputs: string[]): { titles: string[]; restore(): void } {
  const window = vscode.window as unknown as Pickers;
  const originals = { showQuickPick: window.showQuickPick, showInputBox: window.showInputBox };
  const titles: string[] = [];
  window.showQuickPick = async (items: unknown, options?: unknown) => {
    titles.push(String((options as vscode.QuickPickOptions | undefined)?.title));
    const list = (await items) as Array<Record<string, unknown>>;
    const rule = choose.shift();
    assert.ok(rule, `an unexpected QuickPick: ${titles.at(-1)}`);
    return list.find(rule);
  };
  window.showInputBox = async (options?: unknown) => {
    titles.push(String((options as vscode.InputBoxOptions | undefined)?.title));
    const value = inputs.shift();
    const problem = value === undefined ? undefined : await (options as vscode.InputBoxOptions).validateInput?.(value);
    assert.ok(!problem, JSON.stringify(problem));
    return value;
  };
  return { titles, restore: () => Object.assign(window, originals) };
}

describe('Behalf audit trail in a real VS Code', function () {
  this.timeout(60_000);

  before(async () => {
    ({ api, sandboxUrl } = await startBehalf());
    await waitFor('the sandbox connections', async () => (await api.services.store.connection('ol-noimp-sandbox')) !== undefined);
  });

  after(async () => {
    // The next suite finds requests by the active editor: leave no editor or panel of ours open.
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    assert.equal(await openSessions(), 0, 'no impersonation session left open');
  });

  it('contributes the audit commands, the Impersonation Log view and CodeLenses on requests', async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const id of [
      'behalf.openAssetHistory',
      'behalf.verifyAttribution',
      'behalf.compareAsUsers',
      'behalf.exportImpersonationLog',
      'behalf.clearImpersonationLog',
    ]) {
      assert.ok(commands.includes(id), id);
    }
    const { uri } = await request('ol-update-jane-lite');
    await vscode.window.showTextDocument(uri);
    let lenses: vscode.CodeLens[] = [];
    await waitFor('the History lens', async () => {
      lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 50)) ?? [];
      return lenses.some((l) => l.command?.command === 'behalf.openAssetHistory');
    });
    const titles = lenses.map((l) => l.command?.title ?? '');
    assert.equal(titles.filter((t) => t.includes('Compare as…')).length, 5, 'Compare as… on every request');
    const history = lenses.filter((l) => l.command?.command === 'behalf.openAssetHistory').map((l) => [l.command!.title, l.command!.arguments?.[0]]);
    assert.deepEqual(history, [
      ['$(history) History of A-1', { connectionId: 'ol-sandbox', assetId: 'A-1' }],
      ['$(history) History of A-2', { connectionId: 'ol-noimp-sandbox', assetId: 'A-2' }],
      ['$(history) History of A-3', { connectionId: 'ol-sandbox', assetId: 'A-3' }],
    ]);
  });

  it('"Open Asset Version History" for A-1 opens a History panel with the diffs', async () => {
    const view = await vscode.commands.executeCommand<HistoryView>('behalf.openAssetHistory', 'ol-sandbox', 'A-1');
    assert.ok(view, 'the command answers the view it shows');
    assert.equal(view.assetId, 'A-1');
    assert.ok(view.versions.length >= 3);
    assert.deepEqual(
      view.versions.slice(0, 3).map((v) => v.user),
      ['svc@acme.test', 'jane@acme.test', 'jane@acme.test'],
    );
    // The view has each version's summary (a version's diffs are sent when the page opens it: test/webview/history.test.ts).
    assert.deepEqual(
      view.versions[2].fields.find((f) => f.field === 'Keywords'),
      { field: 'Keywords', kind: 'changed' },
    );
    assert.equal(view.versions[0].fields[0]?.kind, 'set');
    assert.equal(JSON.stringify(view).includes('dawn, boats'), false, 'no values in the view');
    assert.deepEqual(view.users, ['jane@acme.test', 'svc@acme.test']);
    await waitFor('the History tab', () => tabs().some((t) => t.startsWith('History')));
    assert.ok(tabs().includes('History · A-1'));
    // With the principal named, their versions are marked.
    const marked = await vscode.commands.executeCommand<HistoryView>('behalf.openAssetHistory', {
      connectionId: 'ol-sandbox',
      assetId: 'A-1',
      principalId: 'jane',
    });
    assert.equal(marked.principal?.email, 'jane@acme.test');
    assert.deepEqual(
      marked.versions.slice(0, 3).map((v) => v.byPrincipal),
      [false, true, true],
    );
    assert.equal(tabs().filter((t) => t === 'History · A-1').length, 1, 'the same asset reuses its panel');
  });

  it('a lite write as jane is checked after sending: recorded as jane@acme.test; the command says the same', async () => {
    const ui = intercept('Send');
    try {
      const { uri, line } = await request('ol-update-jane-lite');
      await vscode.commands.executeCommand('behalf.sendRequest', uri, line);
      const entry = logEntries().at(-1);
      assert.equal(entry?.method, 'POST');
      assert.equal(entry?.connectionId, 'ol-sandbox');
      assert.equal(entry?.attribution, 'recorded-as-principal', 'the automatic check noted on the log entry');
      assert.ok(
        ui.messages.some((m) => /^Behalf: Recorded as jane@acme\.test in version \d+\.$/.test(m)),
        ui.messages.join('\n'),
      );
      await waitFor('the response panel', () => tabs().some((t) => /^Response · 200 · Jane Doe/.test(t)));

      const result = await vscode.commands.executeCommand<AttributionResult>('behalf.verifyAttribution', {
        connectionId: 'ol-sandbox',
        assetId: 'A-1',
        principalId: 'jane',
        mode: 'lite',
      });
      assert.equal(result.outcome, 'recorded-as-principal');
      assert.equal(result.recordedUser, 'jane@acme.test');
      assert.match(result.message, /^Recorded as jane@acme\.test in version \d+\.$/);
      assert.equal(result.advice, undefined);
    } finally {
      ui.restore();
    }
  });

  it('on ol-noimp-sandbox the vendor records the service user: the check says so and what to do', async () => {
    const ui = intercept('Send');
    try {
      const { uri, line } = await request('ol-noimp-update-jane-lite');
      await vscode.commands.executeCommand('behalf.sendRequest', uri, line);
      assert.equal(logEntries().at(-1)?.attribution, 'recorded-as-other');
      const warning = ui.messages.find((m) => m.includes('noimp@acme.test'));
      assert.ok(warning, ui.messages.join('\n'));
      assert.match(
        warning,
        /Orange Logic recorded noimp@acme\.test, not jane@acme\.test, in version \d+\. Lite impersonation is probably not enabled for this account/,
      );

      const result = await vscode.commands.executeCommand<AttributionResult>('behalf.verifyAttribution', {
        connectionId: 'ol-noimp-sandbox',
        assetId: 'A-2',
        principalId: 'jane',
        mode: 'lite',
      });
      assert.equal(result.outcome, 'recorded-as-other');
      assert.equal(result.recordedUser, 'noimp@acme.test');
      assert.match(result.advice ?? '', /lite impersonation is probably not enabled/i);
    } finally {
      ui.restore();
    }
  });

  it('"Compare as…" on an Orange Logic search: in full mode, the assets only Jane can find, matched by SystemIdentifier', async () => {
    const { uri, line } = await request('ol-search');
    const { result } = await vscode.commands.executeCommand<{ result: CompareResult }>('behalf.compareAsUsers', {
      uri,
      line,
      left: { connectionId: 'ol-sandbox', principalId: 'jane' },
      right: { connectionId: 'ol-sandbox', principalId: 'raj' },
    });
    // ol-sandbox defaults to lite; Compare uses full, where the principal's own privileges apply.
    assert.equal(result.left.mode, 'full');
    assert.equal(result.rowsPath, '$.APIResponse.Items');
    assert.equal(result.rowKey, 'SystemIdentifier');
    assert.deepEqual(
      result.onlyLeft.map((r) => [r.key, r.label]),
      [['A-3', 'Board deck cover']],
    );
    assert.deepEqual(result.onlyRight, []);
    assert.equal(result.summary, 'Jane Doe sees 3 rows, Raj Patel sees 2: 1 only Jane Doe, 0 only Raj Patel, 1 value differs.');
    await waitFor('the Compare tab', () => tabs().some((t) => t === 'Compare · Jane Doe ⇄ Raj Patel'));
    // Full mode opened a session for each; end them as a user would (the suite leaves none open).
    await vscode.commands.executeCommand('behalf.endAllSessions');
    await waitFor('the sessions ended', async () => (await openSessions()) === 0);
  });

  it('"Compare as…" sends one request as two identities and opens the compare panel', async () => {
    const { uri, line } = await request('dc-deals');
    const compared = await vscode.commands.executeCommand<{ result: CompareResult }>('behalf.compareAsUsers', {
      uri,
      line,
      left: { connectionId: 'dc-sandbox', principalId: 'jane' },
      right: { connectionId: 'dc-sandbox', principalId: 'raj' },
    });
    const { result } = compared;
    assert.equal(result.rowsPath, '$.rows');
    assert.equal(result.rowKey, 'EntryId');
    assert.deepEqual(
      result.onlyLeft.map((r) => r.label),
      ['Project Borealis'],
    );
    assert.deepEqual(
      result.onlyRight.map((r) => r.label),
      ['Project Cedar'],
    );
    assert.equal(result.left.rowCount, 3);
    assert.equal(result.right.rowCount, 3);
    assert.equal(result.left.mode, 'full');
    assert.match(result.summary, /^Jane Doe sees 3 rows, Raj Patel sees 3: 1 only Jane Doe, 1 only Raj Patel/);
    await waitFor('the Compare tab', () => tabs().some((t) => t === 'Compare · Jane Doe ⇄ Raj Patel'));

    // A principal and yourself: the service user sees every row.
    const self = await vscode.commands.executeCommand<{ result: CompareResult }>('behalf.compareAsUsers', {
      uri,
      line,
      left: { connectionId: 'dc-sandbox', principalId: 'jane' },
      right: { connectionId: 'dc-sandbox' },
    });
    assert.equal(self.result.right.mode, 'self');
    assert.equal(self.result.right.rowCount, 5);
    assert.deepEqual(self.result.onlyRight.map((r) => r.label).sort(), ['Project Cedar', 'Project Delta']);
    assert.deepEqual(self.result.onlyLeft, []);
    await waitFor('the Compare tab renamed', () => tabs().some((t) => t.startsWith('Compare · Jane Doe ⇄ ')));
    assert.equal(tabs().filter((t) => t.startsWith('Compare')).length, 1, 'one compare panel, reused');
  });

  it('every request sent as someone else is in the log file and the tree, with no secret; exports as JSON and CSV', async () => {
    const entries = logEntries();
    const dc = entries.filter((e) => e.connectionId === 'dc-sandbox' && e.method === 'GET' && e.url.endsWith('/rows/Deals'));
    // The compare sent Deals as jane twice and as raj once (the service user is not logged).
    assert.deepEqual(
      dc.slice(-3).map((e) => [e.principalId, e.mode, e.status]),
      [
        ['jane', 'full', 200],
        ['raj', 'full', 200],
        ['jane', 'full', 200],
      ],
    );
    const writes = entries.filter((e) => e.method === 'POST');
    assert.deepEqual(
      writes.slice(-2).map((e) => [e.connectionId, e.principalId, e.mode, e.status, e.attribution]),
      [
        ['ol-sandbox', 'jane', 'lite', 200, 'recorded-as-principal'],
        ['ol-noimp-sandbox', 'jane', 'lite', 200, 'recorded-as-other'],
      ],
    );
    for (const e of entries) {
      assert.ok(e.principalId, 'only requests sent as someone else');
      assert.ok(!Number.isNaN(Date.parse(e.time)));
      assert.ok(e.url.startsWith(sandboxUrl), e.url);
    }

    // The tree: newest first, status and mode in the description, details in the tooltip.
    const tree = api.services.impersonationLogTree;
    const nodes = await tree.getChildren();
    assert.equal(nodes.length, entries.length);
    const newest = tree.getTreeItem(nodes[0]);
    assert.equal(newest.label, 'GET /dealcloud/api/rest/v4/data/entrydata/rows/Deals');
    assert.match(String(newest.description), /^200 · full · Jane Doe · /);
    assert.equal(newest.contextValue, 'logEntry:full');
    assert.match((newest.tooltip as vscode.MarkdownString).value.replace(/&nbsp;/g, ' '), /sent as: Jane Doe/);
    const write = nodes.map((n) => tree.getTreeItem(n)).find((i) => i.contextValue === 'logEntry:lite:recorded-as-other');
    assert.ok(write, 'the unattributed write is marked');

    // Exports.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-log-'));
    const jsonFile = vscode.Uri.file(path.join(dir, 'log.json'));
    const csvFile = vscode.Uri.file(path.join(dir, 'log.csv'));
    await vscode.commands.executeCommand('behalf.exportImpersonationLog', { uri: jsonFile });
    await vscode.commands.executeCommand('behalf.exportImpersonationLog', { uri: csvFile });
    const exported = JSON.parse(fs.readFileSync(jsonFile.fsPath, 'utf8')) as ImpersonationLogEntry[];
    assert.deepEqual(exported, entries);
    const csv = fs.readFileSync(csvFile.fsPath, 'utf8').split('\r\n');
    assert.equal(csv[0], 'time,connectionId,vendor,principalId,principal,mode,method,url,status,error,durationMs,attribution');
    assert.equal(csv.filter((l) => l).length, entries.length + 1);

    // No secret anywhere: not the stored secrets, not a token the sandbox saw, not a header.
    const secrets: string[] = [];
    for (const c of await api.services.store.connections()) {
      for (const principalId of [undefined, ...c.principals.map((p) => p.id)]) {
        const value = await api.services.secrets.get({ connectionId: c.id, principalId });
        if (value) secrets.push(value);
      }
    }
    const seen = await sandbox<Array<{ headers: Record<string, string> }>>('log');
    const tokens = seen.flatMap((e) => (e.headers['authorization'] ? [e.headers['authorization'].replace(/^Bearer /, '')] : []));
    assert.ok(secrets.length >= 6 && tokens.length > 3);
    for (const [where, text] of [
      ['log file', fs.readFileSync(api.services.impersonationLog.file.fsPath, 'utf8')],
      ['JSON export', fs.readFileSync(jsonFile.fsPath, 'utf8')],
      ['CSV export', fs.readFileSync(csvFile.fsPath, 'utf8')],
    ] as const) {
      for (const secret of [...secrets, ...tokens]) assert.ok(!text.includes(secret), `a secret (${secret.slice(0, 4)}…) in the ${where}`);
      assert.doesNotMatch(text, /Bearer|authorization|x-cortex-save-changes-as-user|as-user/i, where);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('from the palette and the CodeLens: asks the connection, the asset and the identities', async () => {
    const byConnection = (id: string) => (item: Record<string, unknown>) => (item['connection'] as { id?: string } | undefined)?.id === id;
    const byPrincipal = (id: string | undefined) => (item: Record<string, unknown>) =>
      (item['principal'] as { id?: string } | undefined)?.id === id && (id !== undefined || String(item['label']).includes('Service user'));

    // Several connections keep histories: "Open Asset Version History" asks which, then the asset id.
    let pickers = answerPickers([byConnection('ol-sandbox')], ['A-3']);
    try {
      const view = await vscode.commands.executeCommand<HistoryView>('behalf.openAssetHistory');
      assert.equal(view.assetId, 'A-3');
      assert.equal(view.connectionId, 'ol-sandbox');
      assert.deepEqual(pickers.titles, ['Version history on which connection?', 'Version history of which asset? (Orange Logic (sandbox))']);
    } finally {
      pickers.restore();
    }
    await waitFor('the History · A-3 tab', () => tabs().includes('History · A-3'));

    // "Verify Attribution": connection, asset, and whose write it was.
    pickers = answerPickers([byConnection('ol-noimp-sandbox'), byPrincipal('jane')], ['A-2']);
    const ui = intercept(undefined);
    try {
      const result = await vscode.commands.executeCommand<AttributionResult>('behalf.verifyAttribution');
      assert.equal(result.outcome, 'recorded-as-other');
      assert.equal(pickers.titles.length, 3);
      assert.ok(ui.messages.some((m) => m.includes('Lite impersonation is probably not enabled')));
    } finally {
      ui.restore();
      pickers.restore();
    }

    // "Compare as…" from its CodeLens: two QuickPicks of identities (a principal and the service user).
    const { uri, line } = await request('dc-deals');
    pickers = answerPickers([byPrincipal('raj'), byPrincipal(undefined)], []);
    try {
      const compared = await vscode.commands.executeCommand<{ result: CompareResult }>('behalf.compareAsUsers', uri, line);
      assert.equal(compared.result.left.who, 'Raj Patel <raj@acme.test> (6046)');
      assert.equal(compared.result.right.mode, 'self');
      assert.deepEqual(compared.result.onlyRight.map((r) => r.label).sort(), ['Project Borealis', 'Project Delta']);
      assert.match(pickers.titles[0] ?? '', /^Compare GET .*: first identity$/);
    } finally {
      pickers.restore();
    }
    await waitFor('the Compare tab', () => tabs().includes('Compare · Raj Patel ⇄ the service user'));

    // Compare refuses a write: it would be sent twice.
    const write = await request('ol-update-jane-lite');
    const errors = intercept(undefined);
    const errorWindow = vscode.window as unknown as { showErrorMessage: (...args: unknown[]) => Thenable<unknown> };
    const originalError = errorWindow.showErrorMessage;
    const shownErrors: string[] = [];
    errorWindow.showErrorMessage = (...args: unknown[]) => {
      shownErrors.push(String(args[0]));
      return Promise.resolve(undefined);
    };
    try {
      const before = logEntries().length;
      await vscode.commands.executeCommand('behalf.compareAsUsers', {
        ...write,
        left: { connectionId: 'ol-sandbox', principalId: 'jane' },
        right: { connectionId: 'ol-sandbox', principalId: 'raj' },
      });
      assert.ok(
        shownErrors.some((m) => /Compare only sends reads/.test(m)),
        shownErrors.join('\n'),
      );
      assert.equal(logEntries().length, before, 'nothing was sent');
    } finally {
      errorWindow.showErrorMessage = originalError;
      errors.restore();
    }
  });

  it('"Clear Impersonation Log" asks first, then empties the file and the tree', async () => {
    const before = logEntries().length;
    let ui = intercept('Cancel');
    try {
      await vscode.commands.executeCommand('behalf.clearImpersonationLog');
    } finally {
      ui.restore();
    }
    assert.equal(logEntries().length, before, 'not cleared without confirmation');
    ui = intercept('Clear');
    try {
      await vscode.commands.executeCommand('behalf.clearImpersonationLog');
    } finally {
      ui.restore();
    }
    assert.equal(logEntries().length, 0);
    assert.deepEqual(await api.services.impersonationLogTree.getChildren(), []);
  });
});
