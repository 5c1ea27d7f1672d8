// Panels after a window reload, in a real VS Code: the shell registers a serializer for every panel that
// survives a reload and activates on it, and the main bundle's revivePanel takes over the restored panel from
// the state its page kept (or closes it). A real window reload would end this extension host (and the test
// run with it), so the restored panel is played by one created here, handed to the same revivePanel the
// serializer calls.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type * as Main from '../../src/extension/main';
import type { BehalfApi } from '../../src/extension/extension';
import { compareView, historyView } from '../webview/auditFixtures';
import { forbiddenView } from '../webview/fixtures';
import { EXTENSION_ID, waitFor } from './support';

const VIEW_TYPES = ['behalf.response', 'behalf.history', 'behalf.compare', 'behalf.matrix'];

describe('Behalf panels after a window reload (real VS Code)', function () {
  this.timeout(60_000);
  let api: BehalfApi;
  let main: typeof Main;

  before(async () => {
    const extension = vscode.extensions.getExtension<BehalfApi>(EXTENSION_ID);
    assert.ok(extension, 'the extension is installed');
    api = await extension.activate();
    void api.services; // loads the main bundle
    // The module the shell loaded (same path, so the same instance: the panels' registries are shared).
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a computed path esbuild leaves alone
    main = require(path.join(extension.extensionPath, 'dist', 'extension-main.js')) as typeof Main;
  });

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  const tabs = () => vscode.window.tabGroups.all.flatMap((g) => g.tabs.map((t) => t.label));
  const restored = (viewType: string) => vscode.window.createWebviewPanel(viewType, 'Restored', { viewColumn: vscode.ViewColumn.One, preserveFocus: true }, {});
  const disposed = (panel: vscode.WebviewPanel) => new Promise<void>((resolve) => panel.onDidDispose(() => resolve()));

  it('activates on every panel that survives a reload, and the shell has registered a serializer for each', () => {
    const packageJSON = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { activationEvents: string[] };
    assert.deepEqual([...main.REVIVED_VIEW_TYPES].sort(), [...VIEW_TYPES].sort());
    for (const viewType of VIEW_TYPES) {
      assert.ok(packageJSON.activationEvents.includes(`onWebviewPanel:${viewType}`), viewType);
      // VS Code allows one serializer per view type: a second registration fails if the shell made the first.
      let second: vscode.Disposable | undefined;
      assert.throws(
        () => {
          second = vscode.window.registerWebviewPanelSerializer(viewType, { deserializeWebviewPanel: async () => undefined });
        },
        /already registered/,
        viewType,
      );
      second?.dispose();
    }
  });

  it('a history panel comes back from the view its page kept; its page loads and says ready', async () => {
    const view = historyView({ id: 'revived-h1' });
    const panel = restored('behalf.history');
    const ready = new Promise<void>((resolve) => panel.webview.onDidReceiveMessage((m: { type?: string }) => m?.type === 'ready' && resolve()));
    main.revivePanel(api.services, 'behalf.history', panel, {
      v: 1,
      view,
      ui: { asset: `${view.connectionId}/${view.assetId}`, user: '', expanded: [], shown: 100, scrollY: 0 },
    });
    assert.equal(panel.title, `History · ${view.assetId}`);
    assert.equal(panel.webview.options.enableScripts, true);
    assert.match(panel.webview.html, /webviews\/history\.js/);
    await waitFor('the History tab', () => tabs().includes(`History · ${view.assetId}`));
    await Promise.race([ready, new Promise((_, reject) => setTimeout(() => reject(new Error('the revived page never said ready')), 20_000))]);
    panel.dispose();
  });

  it('compare and response panels come back the same way, and are the panels "the current" commands act on', async () => {
    const compare = compareView('revived-c1');
    const comparePanel = restored('behalf.compare');
    main.revivePanel(api.services, 'behalf.compare', comparePanel, { v: 1, view: compare, ui: { viewId: compare.id, collapsed: [], shown: {}, scrollY: 0 } });
    assert.equal(comparePanel.title, 'Compare · Jane Doe ⇄ Raj Patel');
    const response = { ...forbiddenView(), id: 'revived-r1' };
    const responsePanel = restored('behalf.response');
    main.revivePanel(api.services, 'behalf.response', responsePanel, { v: 1, view: response, ui: {} });
    assert.match(responsePanel.title, /^Response · 403 · /);
    const views = api.panelViews() as Array<{ id?: string }>;
    assert.deepEqual(views.map((v) => v.id).sort(), ['revived-c1', 'revived-r1']);
    comparePanel.dispose();
    responsePanel.dispose();
    assert.deepEqual(api.panelViews(), []);
  });

  it('without a kept view (too large to keep), with a malformed one, or of another type, the panel is closed', async () => {
    const cases: Array<[string, unknown]> = [
      ['behalf.history', { v: 1, ui: { asset: 'ol-sandbox/A-1', user: '', expanded: [], shown: 100, scrollY: 0 } }],
      ['behalf.compare', undefined],
      ['behalf.response', { v: 1, view: { status: '200' } }],
      ['behalf.history', { v: 1, view: { ...historyView(), versions: 'all of them' } }],
    ];
    for (const [viewType, state] of cases) {
      const panel = restored(viewType);
      const closed = disposed(panel);
      main.revivePanel(api.services, viewType, panel, state);
      await closed;
    }
    const other = restored('behalf.unknown');
    const closed = disposed(other);
    main.revivePanel(api.services, 'behalf.unknown', other, { v: 1, view: historyView() });
    await closed;
    assert.deepEqual(api.panelViews(), []);
  });
});
