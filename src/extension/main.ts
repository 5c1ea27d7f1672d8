import * as vscode from 'vscode';
import { isCompareView } from '../protocol/compare';
import { isMatrixView } from '../protocol/matrix';
import { isRecord } from '../protocol/guards';
import { isHistoryView } from '../protocol/history';
import { isResponseView } from '../protocol/response';
import { assetIdOf } from '../vendors';
import { hasAssetHistory } from './attributionCommands';
import { registerAuditCommands, revivedHistoryDiffs } from './auditCommands';
import { registerConnectionCommands } from './connectionCommands';
import { registerHttpCompletion } from './httpCompletion';
import { ComparePanel } from './comparePanel';
import { HistoryPanel } from './historyPanel';
import { MatrixPanel } from './matrixPanel';
import { ResponsePanel } from './responsePanel';
import { registerSendCommands, responseHandlers } from './sendCommands';
import { Services, type BehalfApi, type ShellViews } from './services';
import { DEACTIVATE_MS, DEACTIVATE_SESSIONS_MS } from './sessionEnding';
import type { ConnectionsNode } from './trees';
// In the bundle, a stand-in that requires dist/extension-extras.js on the first call (scripts/esbuild-lazy-chunk.mjs).
import { registerExtraCommands } from './extras';

export type { BehalfApi, ShellViews } from './services';

/** What the shell (extension.ts) reaches through once this module is loaded. */
export interface Started extends BehalfApi {
  runCommand(id: string, args: unknown[]): unknown;
  /** A panel VS Code restored after a reload (its serializer is the shell's): take it over, or close it. */
  revivePanel(viewType: string, panel: vscode.WebviewPanel, state: unknown): void;
  stop(): Promise<void>;
}

/**
 * Everything Behalf does, started on first need (a command, a view, a CodeLens, a restored panel): the shell
 * registered the contributions and forwards to what this returns.
 */
export function start(context: vscode.ExtensionContext, views: ShellViews): Started {
  const s = new Services(context, views);
  s.connectionsTree.attach(views.connections as vscode.TreeView<ConnectionsNode>);
  s.sessionsTree.attach(views.sessions);
  context.subscriptions.push(
    s,
    s.store.onDidChange(() => s.documents.refreshLenses()),
    s.identity.onDidChange(() => s.documents.refreshLenses()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      // Limits are read when the engine is made: make a new one (ending sessions) when they change.
      // So are VS Code's proxy and certificate settings (http.*).
      if (e.affectsConfiguration('behalf.maxResponseSizeMB') || e.affectsConfiguration('behalf.idleSessionMinutes') || e.affectsConfiguration('http'))
        void s.disposeEngine();
    }),
  );
  s.registerCommand('behalf.showLog', () => s.log.show());
  s.registerCommand('behalf.refresh', () => s.store.invalidate());
  registerSendCommands(s);
  registerConnectionCommands(s);
  registerAuditCommands(s);
  // The access matrix and Check Connection: a bundle of their own, loaded when one of their commands first runs.
  s.registerLazyCommands(() => registerExtraCommands(s));
  // Completion in .http files (# @as, # @connection, # @mode, {{variables}}): main starts when one is open.
  context.subscriptions.push(registerHttpCompletion(s));
  // "History of <asset>" on requests about an asset of a connection whose history can be read.
  s.documents.assetLookup = async (request) => {
    const connections = await s.store.connections();
    let connection = request.connection ? connections.find((c) => c.id === request.connection) : undefined;
    if (!connection && !request.connection && /^https?:/i.test(request.url))
      connection = connections.find((c) => request.url.startsWith(c.baseUrl.replace(/\/+$/, '')));
    if (!connection && !request.connection) connection = (await s.identity.current())?.connection;
    if (!connection || !hasAssetHistory(s, connection)) return undefined;
    const assetId = assetIdOf(connection.vendor, { url: request.url, body: request.body });
    return assetId ? { connectionId: connection.id, assetId } : undefined;
  };
  s.documents.refreshLenses();
  // `npm run demo`'s workspace sets this: its connections and secrets come from a sandbox started on open.
  if (vscode.workspace.workspaceFolders?.length && vscode.workspace.getConfiguration('behalf').get<boolean>('startSandboxOnOpen', false)) {
    void s.runCommand('behalf.startSandbox', []);
  }
  return {
    services: s,
    panelViews: () =>
      [ResponsePanel.active?.currentView, ResponsePanel.active?.currentStatus, ComparePanel.active?.currentView, MatrixPanel.active?.currentView].filter(
        (v) => v !== undefined,
      ),
    runCommand: (id, args) => s.runCommand(id, args),
    revivePanel: (viewType, panel, state) => revivePanel(s, viewType, panel, state),
    stop: async () => {
      // Every full impersonation session ends with the extension (before the sandbox, which may host them), bounded:
      // VS Code gives deactivate a few seconds. What may still be open is logged (the window is going away).
      const started = Date.now();
      await s.shutdown(DEACTIVATE_SESSIONS_MS).catch((e: unknown) => s.log.error(`Behalf: ending the impersonation sessions failed: ${String(e)}`));
      const left = Math.max(0, DEACTIVATE_MS - (Date.now() - started));
      await Promise.race([s.sandbox.stop().catch(() => undefined), new Promise((r) => setTimeout(r, left))]);
    },
  };
}

/** The view types whose panels survive a window reload (the shell registers a serializer for each). */
export const REVIVED_VIEW_TYPES: readonly string[] = [ResponsePanel.viewType, HistoryPanel.viewType, ComparePanel.viewType, MatrixPanel.viewType];

/**
 * Takes over a panel VS Code restored after a reload. It shows the view its page kept in its webview state
 * (the same, already redacted view the host sent it: no secret is read or kept for this); a page keeps its view
 * only while it is small, so without one (or with one that is not a well-formed view) the panel is closed.
 */
export function revivePanel(s: Services, viewType: string, panel: vscode.WebviewPanel, state: unknown): void {
  const view = isRecord(state) ? state.view : undefined;
  const extensionUri = s.context.extensionUri;
  if (viewType === ResponsePanel.viewType && isResponseView(view)) {
    ResponsePanel.revive(panel, extensionUri, view, responseHandlers(s, {}));
  } else if (viewType === HistoryPanel.viewType && isHistoryView(view)) {
    // Refresh reads the history as "Open Asset Version History" does (highlighting the principal acted as now),
    // and that shows it in this panel: the same asset's.
    const args = { connectionId: view.connectionId, assetId: view.assetId };
    HistoryPanel.revive(
      panel,
      extensionUri,
      view,
      async () => {
        await vscode.commands.executeCommand('behalf.openAssetHistory', args);
        return undefined;
      },
      revivedHistoryDiffs(s, view),
    );
  } else if (viewType === MatrixPanel.viewType && isMatrixView(view) && !view.running) {
    // The run's responses were not kept: Re-run sends the file again as the same identities (the view says which).
    const notKept = (what: string) =>
      void vscode.window.showInformationMessage(`Behalf: the responses of this access matrix were not kept when the window reloaded. Re-run it to ${what}.`);
    const source = view.source;
    MatrixPanel.revive(panel, extensionUri, view, {
      onOpenCell: () => notKept('open them'),
      onExport: () => notKept('export it'),
      onRerun: async () => {
        if (!source) return notKept('send it again');
        const args = { uri: vscode.Uri.parse(source.uri), identities: source.identities };
        await (source.line === undefined
          ? vscode.commands.executeCommand('behalf.runAccessMatrixForFile', args)
          : vscode.commands.executeCommand('behalf.accessMatrix', { ...args, line: source.line }));
      },
      onCancel: () => undefined,
    });
  } else if (viewType === ComparePanel.viewType && isCompareView(view)) {
    ComparePanel.revive(panel, extensionUri, view, {
      onOpenResponse: () =>
        void vscode.window.showInformationMessage(
          'Behalf: the responses of this comparison were not kept when the window reloaded. Run "Compare Request as Two Users…" again to open them.',
        ),
    });
  } else {
    panel.dispose(); // nothing to show: the view was too large to keep, or is not one of ours
  }
}
