// The access matrix in a real VS Code, against the vendor sandbox: the CodeLens on every request, the identities
// QuickPick (preselected from the file's # @expect lines, then remembered per file), the run, the panel's view, the
// Impersonation Log, and diagnostics on the unmet # @expect line (cleared by an edit).
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BehalfApi } from '../../src/extension/extension';
import type * as Main from '../../src/extension/main';
import type { MatrixView } from '../../src/protocol/matrix';
import { EXTENSION_ID, sandboxControl, startBehalf, waitFor } from './support';

let api: BehalfApi;
let sandboxUrl: string;

type PickItem = vscode.QuickPickItem & { key?: string };

/** Answer the next multi-select QuickPicks in this test: `choose` gets the items and returns the picked ones. */
function answerQuickPicks(choose: (items: PickItem[]) => PickItem[]): { seen: PickItem[][]; restore(): void } {
  const window = vscode.window as { showQuickPick: (...args: unknown[]) => Thenable<unknown> };
  const original = window.showQuickPick;
  const seen: PickItem[][] = [];
  window.showQuickPick = async (items: unknown, options: unknown) => {
    if (!(options as vscode.QuickPickOptions | undefined)?.canPickMany) return original.call(vscode.window, items, options);
    const list = (await items) as PickItem[];
    seen.push(list);
    return choose(list);
  };
  return { seen, restore: () => (window.showQuickPick = original) };
}

const preselected = (items: PickItem[]) => items.filter((i) => i.picked);
const keysOf = (items: PickItem[]) => items.filter((i) => i.key).map((i) => i.key!);

function matrixUri(): vscode.Uri {
  return vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'matrix.http');
}

function cellOf(view: MatrixView, request: string, identity: string) {
  const cell = view.cells.find((c) => c.request === request && c.identity === identity);
  assert.ok(cell, `cell ${request} × ${identity}`);
  return cell;
}

describe('Access matrix in a real VS Code', function () {
  this.timeout(60_000);

  before(async () => {
    ({ api, sandboxUrl } = await startBehalf());
    await api.services.context.workspaceState.update(`behalf.matrix.identities:${matrixUri().toString()}`, undefined);
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('puts an "Access matrix…" CodeLens on every request', async () => {
    const uri = matrixUri();
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    let lenses: vscode.CodeLens[] = [];
    await waitFor('the lenses', async () => {
      lenses = (await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 50)) ?? [];
      return lenses.some((l) => l.command?.command === 'behalf.accessMatrix');
    });
    const matrix = lenses.filter((l) => l.command?.command === 'behalf.accessMatrix');
    assert.deepEqual(
      matrix.map((l) => [l.command!.title, l.range.start.line + 1]),
      [
        ['$(table) Access matrix…', 8],
        ['$(table) Access matrix…', 14],
        ['$(table) Access matrix…', 19],
      ],
    );
    assert.equal((matrix[0].command!.arguments![0] as vscode.Uri).toString(), uri.toString());
  });

  it('runs the file as the identities its # @expect lines name, logs every send, shows the grid, marks the unmet expectation', async () => {
    const uri = matrixUri();
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const before = (await api.services.impersonationLog.entries()).length;
    const sandboxBefore = (await sandboxControl<Array<{ method: string; path: string }>>(sandboxUrl, 'log')).length;
    const picks = answerQuickPicks(preselected);
    let view: MatrixView | undefined;
    try {
      view = await vscode.commands.executeCommand<MatrixView>('behalf.runAccessMatrixForFile', uri);
    } finally {
      picks.restore();
    }
    // One QuickPick: the connection's service user and principals, jane and lee preselected (the # @expect lines).
    assert.equal(picks.seen.length, 1);
    const items = picks.seen[0];
    assert.equal(items[0].kind, vscode.QuickPickItemKind.Separator);
    assert.match(items[0].label, /DealCloud/);
    assert.ok(keysOf(items).includes('dc-sandbox/self'));
    assert.ok(keysOf(items).includes('dc-sandbox/raj'));
    assert.deepEqual(keysOf(preselected(items)).sort(), ['dc-sandbox/jane', 'dc-sandbox/lee']);

    assert.ok(view, 'the command returns the view it showed');
    assert.equal(view.running, false);
    assert.deepEqual(
      view.requests.map((r) => [r.name, r.method, Boolean(r.skipped)]),
      [
        ['deals', 'GET', false],
        ['companies', 'GET', false],
        ['rename-deal', 'PATCH', true],
      ],
    );
    assert.deepEqual(
      view.identities.map((i) => i.id),
      ['jane', 'lee'],
    );
    assert.equal(view.cells.length, 6);
    const janeDeals = cellOf(view, 'deals', 'jane');
    assert.equal(janeDeals.outcome, 'allowed');
    assert.equal(janeDeals.status, 200);
    assert.ok((janeDeals.rows ?? 0) >= 1);
    assert.equal(janeDeals.met, true);
    assert.equal(janeDeals.hasResponse, true);
    const leeDeals = cellOf(view, 'deals', 'lee');
    assert.equal(leeDeals.outcome, 'denied');
    assert.match(leeDeals.explanation ?? '', /proxy assignment/i);
    assert.equal(leeDeals.met, false);
    assert.equal(cellOf(view, 'companies', 'jane').met, true);
    assert.equal(cellOf(view, 'rename-deal', 'jane').outcome, 'skipped');

    // The panel got the same, finished view (through api.panelViews, what leak scans read).
    const shown = api.panelViews().find((v): v is MatrixView => typeof v === 'object' && v !== null && 'cells' in v && (v as MatrixView).id === view.id);
    assert.ok(shown, 'the matrix panel shows this run');
    assert.equal(shown.running, false);
    assert.equal(shown.cells.length, 6);
    await waitFor('the matrix panel tab', () => vscode.window.tabGroups.all.some((g) => g.tabs.some((t) => t.label === 'Access Matrix · matrix.http')));

    // The sandbox got 4 reads (2 requests × 2 identities), no write; each is in the Impersonation Log.
    const sent = (await sandboxControl<Array<{ method: string; path: string }>>(sandboxUrl, 'log')).slice(sandboxBefore);
    assert.equal(sent.filter((e) => /\/rows\/(Deals|Companies)$/.test(e.path) && e.method === 'GET').length, 4);
    assert.equal(sent.filter((e) => e.method === 'PATCH').length, 0, 'a matrix never sends a write');
    const all = await api.services.impersonationLog.entries();
    assert.equal(all.length - before, 4, 'one log entry per send as someone else');
    for (const who of ['jane', 'lee'])
      for (const table of ['Deals', 'Companies'])
        assert.ok(
          all.some((e) => e.principalId === who && e.connectionId === 'dc-sandbox' && e.url.endsWith(`/rows/${table}`)),
          `${who} ${table} in the Impersonation Log`,
        );
    assert.ok(
      all.some((e) => e.principalId === 'lee' && (e.status === 401 || e.status === 403)),
      'the refusal is logged too',
    );

    // The unmet # @expect line (line 7: "# @expect lee allowed") is an error in the Problems view.
    const problems = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Behalf access matrix');
    assert.equal(problems.length, 1, JSON.stringify(problems));
    assert.equal(problems[0].range.start.line, 6);
    assert.equal(problems[0].severity, vscode.DiagnosticSeverity.Error);
    assert.match(problems[0].message, /^Lee Wong · deals: expected allowed, got denied \(40[13]\)/);
  });

  it('remembers the identities per file: the next run preselects them; an edit clears the diagnostics', async () => {
    const uri = matrixUri();
    const doc = await vscode.workspace.openTextDocument(uri);
    // Second run: add the service user to what was preselected.
    let picks = answerQuickPicks((items) => [...preselected(items), ...items.filter((i) => i.key === 'dc-sandbox/self')]);
    let view: MatrixView | undefined;
    try {
      view = await vscode.commands.executeCommand<MatrixView>('behalf.runAccessMatrixForFile', uri);
    } finally {
      picks.restore();
    }
    assert.deepEqual(keysOf(preselected(picks.seen[0])).sort(), ['dc-sandbox/jane', 'dc-sandbox/lee']);
    assert.ok(view);
    assert.deepEqual(view.identities.map((i) => i.id).sort(), ['jane', 'lee', 'self']);
    assert.equal(cellOf(view, 'deals', 'self').outcome, 'allowed');
    // Third run, from the CodeLens of one request: the three are preselected now.
    picks = answerQuickPicks(preselected);
    try {
      view = await vscode.commands.executeCommand<MatrixView>('behalf.accessMatrix', uri, 14);
    } finally {
      picks.restore();
    }
    assert.deepEqual(keysOf(preselected(picks.seen[0])).sort(), ['dc-sandbox/jane', 'dc-sandbox/lee', 'dc-sandbox/self']);
    assert.deepEqual(
      view?.requests.map((r) => r.name),
      ['companies'],
    );
    assert.equal(view?.cells.length, 3);
    // That run had no unmet expectation: the diagnostics of the earlier one were cleared.
    assert.equal(vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Behalf access matrix').length, 0);

    // Whole file again (identities given, no QuickPick), then an edit clears what it found.
    await vscode.commands.executeCommand('behalf.runAccessMatrixForFile', { uri, identities: ['dc-sandbox/lee'] });
    assert.equal(vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Behalf access matrix').length, 1);
    const editor = await vscode.window.showTextDocument(doc);
    await editor.edit((e) => e.insert(new vscode.Position(0, 0), '# edited\n'));
    await waitFor(
      'diagnostics cleared by the edit',
      () => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Behalf access matrix').length === 0,
    );
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('after a window reload the panel comes back from the finished run its page kept; a running one is closed', async () => {
    const uri = matrixUri();
    const view = await vscode.commands.executeCommand<MatrixView>('behalf.runAccessMatrixForFile', { uri, identities: ['dc-sandbox/jane'] });
    assert.deepEqual(view.source, { uri: uri.toString(), identities: ['dc-sandbox/jane'] });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const extension = vscode.extensions.getExtension<BehalfApi>(EXTENSION_ID)!;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module the shell loaded (a computed path esbuild leaves alone)
    const main = require(path.join(extension.extensionPath, 'dist', 'extension-main.js')) as typeof Main;
    const restored = () => vscode.window.createWebviewPanel('behalf.matrix', 'Restored', { viewColumn: vscode.ViewColumn.One, preserveFocus: true }, {});
    const panel = restored();
    const ready = new Promise<void>((resolve) => panel.webview.onDidReceiveMessage((m: { type?: string }) => m?.type === 'ready' && resolve()));
    main.revivePanel(api.services, 'behalf.matrix', panel, { v: 1, view, ui: { viewId: view.id, row: 0, col: 0, scrollTop: 0, scrollLeft: 0 } });
    assert.equal(panel.title, 'Access Matrix · matrix.http');
    assert.match(panel.webview.html, /webviews\/matrix\.js/);
    await Promise.race([ready, new Promise((_, reject) => setTimeout(() => reject(new Error('the revived page never said ready')), 20_000))]);
    assert.ok(api.panelViews().some((v) => (v as MatrixView).id === view.id));
    panel.dispose();
    const running = restored();
    const closed = new Promise<void>((resolve) => running.onDidDispose(() => resolve()));
    main.revivePanel(api.services, 'behalf.matrix', running, { v: 1, view: { ...view, running: true } });
    await closed;
  });

  it('Cancel aborts the run: the cells not answered say so, and the view says it was cancelled', async () => {
    const uri = matrixUri();
    const fault = (init: RequestInit) => sandboxControl(sandboxUrl, 'faults', init);
    await fault({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'delay', delayMs: 5000, times: 10, match: { pathIncludes: '/rows/Companies' } }),
    });
    try {
      const started = Date.now();
      const running = vscode.commands.executeCommand<MatrixView>('behalf.runAccessMatrixForFile', { uri, identities: ['dc-sandbox/jane', 'dc-sandbox/self'] });
      await waitFor('the deals cells', () =>
        api.panelViews().some((v) => typeof v === 'object' && v !== null && 'cells' in v && (v as MatrixView).running && (v as MatrixView).cells.length >= 4),
      );
      await vscode.commands.executeCommand('behalf.cancelRequests');
      const view = await running;
      assert.ok(Date.now() - started < 4500, 'cancelled before the delayed answers came');
      assert.equal(view.cancelled, true);
      assert.equal(cellOf(view, 'deals', 'jane').outcome, 'allowed');
      const companies = cellOf(view, 'companies', 'jane');
      assert.equal(companies.outcome, 'skipped');
      assert.match(companies.explanation ?? '', /cancel/);
    } finally {
      await fault({ method: 'DELETE' });
    }
  });
});
