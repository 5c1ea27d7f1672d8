// What every command shares (the engine, the stores, the trees, the log), and the types the shell
// (extension.ts) and main.ts agree on. Its own module so that commands depend on it, not on main or the shell.

import * as vscode from 'vscode';
import { BehalfEngine } from '../core/engine';
import { allVendors } from '../vendors';
import { ConnectionsStore } from './connectionsStore';
import { HttpDocuments } from './httpDocuments';
import { ActiveIdentity } from './identity';
import { ImpersonationLogService, ImpersonationLogTree } from './impersonationLog';
import { outputChannelLog } from './log';
import { SandboxProcess } from './sandboxProcess';
import { SecretStorageStore } from './secrets';
import { ConnectionsTree, SessionsTree } from './trees';

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
