import * as vscode from 'vscode';
import { httpCompletionContext } from '../core/http/completion';
import { isRecord } from '../protocol/guards';
import { isResponseView } from '../protocol/response';
import { assetIdOf } from '../vendors';
import { hasAssetHistory } from './attributionCommands';
import { registerConnectionCommands } from './connectionCommands';
import { ResponsePanel } from './responsePanel';
import { registerSendCommands, responseHandlers } from './sendCommands';
import { Services, type BehalfApi, type ShellViews } from './services';
import { DEACTIVATE_MS, DEACTIVATE_SESSIONS_MS } from './sessionEnding';
import { PANEL_VIEW_TYPES } from './panelViewTypes';
import type { ConnectionsNode } from './trees';
// In the bundle, stand-ins that require dist/extension-extras.js on the first call (scripts/esbuild-lazy-chunk.mjs).
import { extraPanelViews, newSandboxProcess, provideHttpCompletion, registerExtraCommands, reviveExtraPanel } from './extras';

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
  const s = new Services(context, views, { sandbox: fromExtras(newSandboxProcess) });
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
  // The commands few sessions use (src/extension/extras.ts lists them): a bundle of their own, loaded when one of
  // them first runs (or one of their panels is restored, or the sandbox or a completion is first needed).
  s.registerLazyCommands(() => fromExtras(registerExtraCommands)(s));
  // Completion in .http files (# @as, # @connection, # @mode, {{variables}}): main starts when one is open. The
  // provider is the extras chunk's, loaded on the first completion with something to offer, not on every space typed.
  context.subscriptions.push(
    vscode.languages.registerCompletionItemProvider(
      [{ language: 'http' }, { pattern: '**/*.{http,rest}' }],
      {
        provideCompletionItems: (doc, position) => {
          if (!httpCompletionContext(doc.lineAt(position.line).text.slice(0, position.character))) return undefined;
          return fromExtras(provideHttpCompletion)(s, doc, position);
        },
      },
      ' ',
      '{',
    ),
  );
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
    // The chunk's panels exist only once it is loaded: asking before would load it for nothing.
    panelViews: () =>
      [ResponsePanel.active?.currentView, ResponsePanel.active?.currentStatus, ...(extrasLoaded ? extraPanelViews() : [])].filter((v) => v !== undefined),
    runCommand: (id, args) => s.runCommand(id, args),
    revivePanel: (viewType, panel, state) => revivePanel(s, viewType, panel, state),
    stop: async () => {
      // Every full impersonation session ends with the extension (before the sandbox, which may host them), bounded:
      // VS Code gives deactivate a few seconds. What may still be open is logged (the window is going away).
      const started = Date.now();
      await s.shutdown(DEACTIVATE_SESSIONS_MS).catch((e: unknown) => s.log.error(`Behalf: ending the impersonation sessions failed: ${String(e)}`));
      const left = Math.max(0, DEACTIVATE_MS - (Date.now() - started));
      await Promise.race([s.sandboxIfMade?.stop().catch(() => undefined), new Promise((r) => setTimeout(r, left))]);
    },
  };
}

/** Whether dist/extension-extras.js was loaded (its commands registered, or one of its panels restored). */
let extrasLoaded = false;

/** An export of the extras chunk, called through here: in the bundle the call loads the chunk, and this notes it. */
function fromExtras<A extends unknown[], R>(part: (...args: A) => R): (...args: A) => R {
  return (...args) => {
    extrasLoaded = true;
    return part(...args);
  };
}

/** The view types whose panels survive a window reload (the shell registers a serializer for each). */
export const REVIVED_VIEW_TYPES: readonly string[] = Object.values(PANEL_VIEW_TYPES);

/**
 * Takes over a panel VS Code restored after a reload. It shows the view its page kept in its webview state
 * (the same, already redacted view the host sent it: no secret is read or kept for this); a page keeps its view
 * only while it is small, so without one (or with one that is not a well-formed view) the panel is closed.
 * The response panel is revived here; the others are the extras chunk's (src/extension/extras.ts).
 */
export function revivePanel(s: Services, viewType: string, panel: vscode.WebviewPanel, state: unknown): void {
  const view = isRecord(state) ? state.view : undefined;
  if (viewType === ResponsePanel.viewType) {
    if (isResponseView(view)) ResponsePanel.revive(panel, s.context.extensionUri, view, responseHandlers(s, {}));
    else panel.dispose(); // nothing to show: the view was too large to keep, or is not one
  } else if (REVIVED_VIEW_TYPES.includes(viewType)) {
    fromExtras(reviveExtraPanel)(s, viewType, panel, view);
  } else {
    panel.dispose(); // not one of ours
  }
}
