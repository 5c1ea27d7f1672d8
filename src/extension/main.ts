import * as vscode from 'vscode';
import { BehalfEngine } from '../core/engine';
import { isCompareView } from '../protocol/compare';
import { isRecord } from '../protocol/guards';
import { isHistoryView } from '../protocol/history';
import { isResponseView } from '../protocol/response';
import { allVendors, assetIdOf } from '../vendors';
import { hasAssetHistory, registerAuditCommands } from './auditCommands';
import { registerConnectionCommands } from './connectionCommands';
import { ConnectionsStore } from './connectionsStore';
import { registerHttpCompletion } from './httpCompletion';
import { HttpDocuments } from './httpDocuments';
import { ActiveIdentity } from './identity';
import { ImpersonationLogService, ImpersonationLogTree } from './impersonationLog';
import { outputChannelLog } from './log';
import { SandboxProcess } from './sandboxProcess';
import { SecretStorageStore } from './secrets';
import { ComparePanel } from './comparePanel';
import { HistoryPanel } from './historyPanel';
import { ResponsePanel } from './responsePanel';
import { registerSendCommands, responseHandlers } from './sendCommands';
import { ConnectionsTree, SessionsTree, type ConnectionsNode } from './trees';

/** Everything the commands share. The engine is created on first use, not at activation. */
export class Services implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly secrets: SecretStorageStore;
  readonly store = new ConnectionsStore();
  readonly documents = new HttpDocuments();
  readonly identity: ActiveIdentity;
  readonly connectionsTree: ConnectionsTree;
  readonly sessionsTree: SessionsTree;
  readonly sandbox: SandboxProcess;
  /** Every request sent as someone else (global storage), and its tree. */
  readonly impersonationLog: ImpersonationLogService;
  readonly impersonationLogTree: ImpersonationLogTree;
  /** Requests on their way, so "Cancel Running Requests" can abort them. */
  readonly inFlight = new Set<AbortController>();
  private engineInstance: BehalfEngine | undefined;
  /** Command handlers by id: the shell registered every contributed command and calls runCommand. */
  private readonly commands = new Map<string, (...args: never[]) => unknown>();

  constructor(
    readonly context: vscode.ExtensionContext,
    readonly views: ShellViews,
  ) {
    this.log = vscode.window.createOutputChannel('Behalf', { log: true });
    this.secrets = new SecretStorageStore(context.secrets);
    this.identity = new ActiveIdentity(context.workspaceState, this.store, () => this.engine);
    this.connectionsTree = new ConnectionsTree(this.store, this.identity, () => this.engine);
    this.sessionsTree = new SessionsTree(() => this.engineInstance);
    this.sandbox = new SandboxProcess(context, this.log);
    this.impersonationLog = new ImpersonationLogService(context, this.log);
    this.impersonationLogTree = new ImpersonationLogTree(this.impersonationLog);
  }

  get engine(): BehalfEngine {
    if (!this.engineInstance) {
      const config = vscode.workspace.getConfiguration('behalf');
      this.engineInstance = new BehalfEngine({
        vendors: allVendors,
        secrets: this.secrets,
        log: outputChannelLog(this.log),
        prompt: {
          confirm: async (question) => (await vscode.window.showWarningMessage(question, { modal: true }, 'Send')) === 'Send',
        },
        maxBodyBytes: Math.max(1, config.get<number>('maxResponseSizeMB', 50)) * 1024 * 1024,
        idleSessionTimeoutMs: Math.max(1, config.get<number>('idleSessionMinutes', 5)) * 60_000,
        onSessionsChanged: () => this.sessionsTree.refresh(),
      });
    }
    return this.engineInstance;
  }

  registerCommand(id: string, handler: (...args: never[]) => unknown): void {
    if (this.commands.has(id)) throw new Error(`command ${id} registered twice`);
    this.commands.set(id, handler);
  }

  runCommand(id: string, args: unknown[]): unknown {
    const handler = this.commands.get(id);
    if (!handler) throw new Error(`Behalf has no handler for ${id}`);
    return handler(...(args as never[]));
  }

  /** Ids with a handler: a test checks them against package.json's commands. */
  commandIds(): string[] {
    return [...this.commands.keys()];
  }

  /** End every impersonation session (deactivate, settings change). */
  async disposeEngine(): Promise<void> {
    const engine = this.engineInstance;
    this.engineInstance = undefined;
    await engine?.dispose();
    this.sessionsTree.refresh();
  }

  dispose(): void {
    this.store.dispose();
    this.documents.dispose();
    this.identity.dispose();
    this.connectionsTree.dispose();
    this.sessionsTree.dispose();
    this.impersonationLogTree.dispose();
    this.impersonationLog.dispose();
    this.log.dispose();
  }
}

/** What activate() returns: for integration tests and other extensions, never secrets. */
export interface BehalfApi {
  services: Services;
  /** What the open response and compare panels were given (already redacted): for leak scans in tests. */
  panelViews(): unknown[];
}

/** The tree views, made by the shell at activation (their providers load this module on first use). */
export interface ShellViews {
  connections: vscode.TreeView<unknown>;
  sessions: vscode.TreeView<unknown>;
  impersonationLog: vscode.TreeView<unknown>;
}

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
      if (e.affectsConfiguration('behalf.maxResponseSizeMB') || e.affectsConfiguration('behalf.idleSessionMinutes')) void s.disposeEngine();
    }),
  );
  s.registerCommand('behalf.showLog', () => s.log.show());
  s.registerCommand('behalf.refresh', () => s.store.invalidate());
  registerSendCommands(s);
  registerConnectionCommands(s);
  registerAuditCommands(s);
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
    panelViews: () => [ResponsePanel.active?.currentView, ComparePanel.active?.currentView].filter((v) => v !== undefined),
    runCommand: (id, args) => s.runCommand(id, args),
    revivePanel: (viewType, panel, state) => revivePanel(s, viewType, panel, state),
    stop: async () => {
      // Every full impersonation session ends with the extension (before the sandbox, which may host them).
      await s.disposeEngine().catch(() => undefined);
      await s.sandbox.stop().catch(() => undefined);
    },
  };
}

/** The view types whose panels survive a window reload (the shell registers a serializer for each). */
export const REVIVED_VIEW_TYPES: readonly string[] = [ResponsePanel.viewType, HistoryPanel.viewType, ComparePanel.viewType];

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
    HistoryPanel.revive(panel, extensionUri, view, async () => {
      await vscode.commands.executeCommand('behalf.openAssetHistory', args);
      return undefined;
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
