// What every command shares (the engine, the stores, the trees, the log), and the types the shell
// (extension.ts) and main.ts agree on. Its own module so that commands depend on it, not on main or the shell.

import * as vscode from 'vscode';
import { BehalfEngine } from '../core/engine';
import type { NetworkOptions } from '../core/transport';
import type { UnendedSession } from '../core/vendor';
import { allVendors } from '../vendors';
import { ConnectionsStore } from './connectionsStore';
import { HttpDocuments } from './httpDocuments';
import { ActiveIdentity } from './identity';
import { ImpersonationLogService, ImpersonationLogTree } from './impersonationLog';
import { outputChannelLog } from './log';
import type { SandboxProcess } from './sandboxProcess';
import { vscodeNetwork } from './network';
import { SecretStorageStore } from './secrets';
import { DEACTIVATE_SESSIONS_MS, describeUnended, END_SESSIONS_MS, howToEndUnended, SessionEnding } from './sessionEnding';
import { ConnectionsTree, SessionsTree } from './trees';

/** Everything the commands share. The engine is created on first use, not at activation. */
/** How long after the engine is made the stored secrets are read into its redactor. */
const PRIME_SECRETS_DELAY_MS = 1000;

export class Services implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly secrets: SecretStorageStore;
  readonly store = new ConnectionsStore();
  readonly documents = new HttpDocuments();
  readonly identity: ActiveIdentity;
  readonly connectionsTree: ConnectionsTree;
  readonly sessionsTree: SessionsTree;
  private sandboxInstance: SandboxProcess | undefined;
  /** Every request sent as someone else (global storage), and its tree. */
  readonly impersonationLog: ImpersonationLogService;
  readonly impersonationLogTree: ImpersonationLogTree;
  /** Requests on their way, so "Cancel Running Requests" can abort them. */
  readonly inFlight = new Set<AbortController>();
  private engineInstance: BehalfEngine | undefined;
  /** Sessions ended bounded in time; those not confirmed ended stay listed (Sessions view: End Session Again). */
  readonly sessionEnding: SessionEnding;
  /** Every secret value read from or stored in SecretStorage in this window: each engine's redactor knows them all. */
  private readonly knownSecrets = new Set<string>();
  /** Deactivating: the window is going away, so sessions that may still be open are logged, not notified. */
  private stopping = false;
  /** Command handlers by id: the shell registered every contributed command and calls runCommand. */
  private readonly commands = new Map<string, (...args: never[]) => unknown>();
  /** Parts that register their commands when first needed (src/extension/extras.ts): loaded on a command without a handler. */
  private readonly lazyCommands: Array<() => void> = [];

  constructor(
    readonly context: vscode.ExtensionContext,
    readonly views: ShellViews,
    private readonly lazy: LazyParts,
  ) {
    this.log = vscode.window.createOutputChannel('Behalf', { log: true });
    this.secrets = new SecretStorageStore(
      context.secrets,
      (value) => this.registerSecret(value),
      (key) => this.engineInstance?.secretsChanged(key.connectionId),
    );
    this.sessionEnding = new SessionEnding(
      () => this.engineInstance,
      (unended, engine) => this.reportUnended(unended, engine),
    );
    this.identity = new ActiveIdentity(context.workspaceState, this.store, () => this.engine);
    this.connectionsTree = new ConnectionsTree(this.store, this.identity, () => this.engine);
    this.connectionsTree.onFetchError = (connection, e) =>
      this.log.warn(
        `Behalf: could not read the principals of ${connection.label} to mark those without a proxy assignment (Fetch Principals tries again): ${this.redacted(e instanceof Error ? e.message : String(e), this.engineInstance)}`,
      );
    this.sessionsTree = new SessionsTree(
      () => this.engineInstance,
      () => this.sessionEnding.list(),
    );
    this.impersonationLog = new ImpersonationLogService(context, this.log);
    this.impersonationLogTree = new ImpersonationLogTree(this.impersonationLog);
  }

  /** The vendor sandbox's child process, made on first use (Start the Vendor Sandbox). */
  get sandbox(): SandboxProcess {
    return (this.sandboxInstance ??= this.lazy.sandbox(this.context, this.log));
  }

  /** The sandbox, if it was ever asked for (reading it this way does not load it): deactivation stops it. */
  get sandboxIfMade(): SandboxProcess | undefined {
    return this.sandboxInstance;
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
        network: this.network(),
        idleSessionTimeoutMs: Math.max(1, config.get<number>('idleSessionMinutes', 5)) * 60_000,
        onSessionsChanged: () => {
          this.sessionsTree.refresh();
          this.sessionEnding.check();
        },
      });
      for (const value of this.knownSecrets) this.engineInstance.redactor.add(value);
      // Off the path of whatever made the engine (a first tree expand, a send): adapters register each secret they
      // read anyway; this covers the ones read some other way, a moment later.
      setTimeout(() => void this.primeSecrets(), PRIME_SECRETS_DELAY_MS);
    }
    return this.engineInstance;
  }

  /** The proxy and CAs of VS Code's http.* settings (extension/network.ts); read when the engine is made. */
  private network(): NetworkOptions {
    const http = vscode.workspace.getConfiguration('http');
    const network = vscodeNetwork(
      {
        proxy: http.get<string>('proxy') ?? '',
        noProxy: http.get<string[]>('noProxy') ?? [],
        proxySupport: http.get<string>('proxySupport') ?? 'override',
        proxyStrictSSL: http.get<boolean>('proxyStrictSSL') ?? true,
        proxyAuthorization: http.get<string | null>('proxyAuthorization') ?? null,
        systemCertificates: http.get<boolean>('systemCertificates') ?? true,
      },
      process.env,
    );
    // The whole header value and its credentials part ("Basic <this>"): redacted wherever they could show.
    if (network.proxyAuthorization)
      for (const part of [network.proxyAuthorization, network.proxyAuthorization.replace(/^\S+\s+/, '')]) this.registerSecret(part);
    return network;
  }

  /** A secret read from or stored in SecretStorage: redacted wherever the engine shows or logs anything. */
  private registerSecret(value: string): void {
    if (!value) return;
    this.knownSecrets.add(value);
    this.engineInstance?.redactor.add(value);
  }

  /**
   * Read each connection's stored secret once per engine, so the redactor knows it before any request: a .http file
   * that holds the value itself (pasted, or through a variable) shows «redacted», as the CLI does for BEHALF_SECRET_*.
   */
  private async primeSecrets(): Promise<void> {
    try {
      for (const connection of await this.store.connections()) await this.secrets.get({ connectionId: connection.id }).catch(() => undefined);
    } catch {
      // No connections file yet, or one with errors: there is nothing to prime.
    }
  }

  registerCommand(id: string, handler: (...args: never[]) => unknown): void {
    if (this.commands.has(id)) throw new Error(`command ${id} registered twice`);
    this.commands.set(id, handler);
  }

  /** `register` registers more commands; it runs once, when a command without a handler is first run. */
  registerLazyCommands(register: () => void): void {
    this.lazyCommands.push(register);
  }

  runCommand(id: string, args: unknown[]): unknown {
    if (!this.commands.has(id)) this.loadLazyCommands();
    const handler = this.commands.get(id);
    if (!handler) throw new Error(`Behalf has no handler for ${id}`);
    return handler(...(args as never[]));
  }

  private loadLazyCommands(): void {
    for (const register of this.lazyCommands.splice(0)) register();
  }

  /** Ids with a handler (the lazily registered ones too): a test checks them against package.json's commands. */
  commandIds(): string[] {
    this.loadLazyCommands();
    return [...this.commands.keys()];
  }

  /**
   * End every impersonation session of the engine in use and drop it (a settings change, End All Sessions), within
   * 5 s. A session whose stop was not confirmed stays in the Sessions view with End Session Again, and a warning says
   * whose it is and how to end it. Returns those sessions.
   */
  async disposeEngine(): Promise<UnendedSession[]> {
    const engine = this.engineInstance;
    this.engineInstance = undefined;
    const unended = engine ? await this.sessionEnding.disposeEngine(engine) : [];
    this.sessionsTree.refresh();
    return unended;
  }

  /** The engine, if one was made (reading it this way does not make one). */
  get engineIfStarted(): BehalfEngine | undefined {
    return this.engineInstance;
  }

  /** End All Sessions: the engine in use (dropped), and every session an earlier stop did not confirm, within 5 s. */
  async endAllSessions(): Promise<UnendedSession[]> {
    const engine = this.engineInstance;
    this.engineInstance = undefined;
    const unended = await this.sessionEnding.endAll(engine, END_SESSIONS_MS);
    this.sessionsTree.refresh();
    return unended;
  }

  /**
   * Deactivate (window closing or reloading, folder closed): end every session, within DEACTIVATE_SESSIONS_MS. The
   * window is going away, so a session that may still be open is a warning in the log (no notification).
   */
  async shutdown(timeoutMs = DEACTIVATE_SESSIONS_MS): Promise<UnendedSession[]> {
    this.stopping = true;
    try {
      const engine = this.engineInstance;
      this.engineInstance = undefined;
      const unended = await this.sessionEnding.endAll(engine, timeoutMs);
      for (const u of unended) this.log.warn(`Behalf: ${this.redacted(describeUnended(u), engine)} ${u.howToEnd ? `What to do: ${u.howToEnd}.` : ''}`.trim());
      if (unended.length === 0 && engine) this.log.info('Behalf: every impersonation session ended.');
      this.sessionsTree.refresh();
      return unended;
    } finally {
      this.stopping = false;
    }
  }

  /** Sessions newly found to be possibly open: a log line each, and (while the window lives) a warning with End Again. */
  private reportUnended(unended: UnendedSession[], engine: BehalfEngine): void {
    this.sessionsTree.refresh();
    // Deactivating: shutdown() logs what may still be open, and there is no window left to tell.
    if (this.stopping) return;
    for (const u of unended) this.log.warn(`Behalf: ${this.redacted(describeUnended(u), engine)} ${this.redacted(howToEndUnended(u), engine)}`);
    const text =
      unended.length === 1
        ? `Behalf: ${describeUnended(unended[0])} ${howToEndUnended(unended[0])}`
        : `Behalf: ${unended.length} impersonation sessions may still be open (${unended.map((u) => `${u.principalLabel} on ${u.connectionLabel}`).join('; ')}): ${unended[0].reason}. ${howToEndUnended(unended[0])}`;
    void vscode.window.showWarningMessage(this.redacted(text, engine), 'End Session Again', 'Show Sessions').then((choice) => {
      if (choice === 'End Session Again') {
        for (const u of unended) void vscode.commands.executeCommand('behalf.endSessionAgain', { connectionId: u.connectionId, principalId: u.principalId });
      } else if (choice === 'Show Sessions') {
        void vscode.commands.executeCommand('behalf.sessions.focus');
      }
    });
  }

  private redacted(text: string, engine: BehalfEngine | undefined): string {
    return engine ? engine.redactor.text(text) : text;
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

/**
 * What Services gets from the extras chunk (src/extension/extras.ts) through main.ts, each loading the chunk when
 * first used: parts only some commands need.
 */
export interface LazyParts {
  /** The vendor sandbox's child process. */
  sandbox(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): SandboxProcess;
}

/** The tree views, made by the shell at activation (their providers load this module on first use). */
export interface ShellViews {
  connections: vscode.TreeView<unknown>;
  sessions: vscode.TreeView<unknown>;
  impersonationLog: vscode.TreeView<unknown>;
}
