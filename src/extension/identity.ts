import * as vscode from 'vscode';
import type { BehalfEngine } from '../core/engine';
import type { ActAs, Connection, ImpersonationMode, Principal } from '../core/model';
import { describePrincipal } from '../core/vendor';
import type { ConnectionsStore } from './connectionsStore';

const STATE_KEY = 'behalf.activeIdentity';

/** What is remembered (ids only, never a secret): who the user acts as by default. */
interface StoredIdentity {
  connectionId: string;
  principalId?: string;
  mode?: ImpersonationMode;
}

/**
 * The active identity: the default "who" for Send, shown in the status bar with its mode. Requests
 * still carry an explicit ActAs; this only supplies the default.
 */
export class ActiveIdentity implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly state: vscode.Memento,
    private readonly store: ConnectionsStore,
    private readonly engine: () => BehalfEngine,
  ) {
    this.item = vscode.window.createStatusBarItem('behalf.identity', vscode.StatusBarAlignment.Left, 100);
    this.item.name = 'Behalf Identity';
    this.item.command = 'behalf.identityMenu';
    this.disposables.push(
      this.item,
      this.changed,
      store.onDidChange(() => void this.render()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('behalf.showStatusBar')) void this.render();
      }),
    );
    void this.render();
  }

  /** The active identity resolved against the current connections, if it still exists. */
  async current(): Promise<ActAs | undefined> {
    const stored = this.state.get<StoredIdentity>(STATE_KEY);
    const connections = await this.store.connections();
    const connection = (stored && connections.find((c) => c.id === stored.connectionId)) ?? connections[0];
    if (!connection) return undefined;
    const principal =
      stored?.connectionId === connection.id && stored.principalId ? this.store.principals(connection).find((p) => p.id === stored.principalId) : undefined;
    return { connection, principal, mode: this.modeFor(connection, stored?.connectionId === connection.id ? stored.mode : undefined) };
  }

  async set(connection: Connection, principalId: string | undefined, mode?: ImpersonationMode): Promise<void> {
    // Keep the mode within a connection; another connection starts from its own default (DealCloud's only mode,
    // full, must not carry over into Orange Logic, where full means a session with the principal's privileges).
    const current = await this.current();
    const resolved = this.modeFor(connection, mode ?? (current?.connection.id === connection.id ? current.mode : undefined));
    await this.state.update(STATE_KEY, { connectionId: connection.id, principalId, mode: resolved } satisfies StoredIdentity);
    const actAs = await this.current();
    if (actAs) await this.engine().identityChanged(actAs);
    this.changed.fire();
    await this.render();
  }

  /** Flip lite ⇄ full where the vendor has both; explain where it has one. */
  async toggleMode(): Promise<void> {
    const actAs = await this.current();
    if (!actAs) {
      void vscode.window.showInformationMessage('Behalf: add a connection first (or start the vendor sandbox).');
      return;
    }
    const modes = this.engine().modes(actAs.connection);
    if (modes.length < 2) {
      const vendor = this.engine().vendor(actAs.connection);
      void vscode.window.showInformationMessage(`${vendor.displayName} has one way to act as a user (${modes[0]}): ${vendor.modesNote}`);
      return;
    }
    const next: ImpersonationMode = actAs.mode === 'lite' ? 'full' : 'lite';
    await this.set(actAs.connection, actAs.principal?.id, next);
    void vscode.window.setStatusBarMessage(
      `Behalf: ${next} impersonation${next === 'lite' ? ' (your privileges, writes attributed to the principal)' : " (the principal's privileges)"}`,
      4000,
    );
  }

  /**
   * The status bar's menu (keyboard-friendly QuickPick): switch lite ⇄ full where the vendor has both, then the
   * active connection's principals (the current one marked), the service user, and another connection's identities.
   */
  async showMenu(): Promise<void> {
    const actAs = await this.current();
    if (!actAs) {
      void vscode.window.showInformationMessage('Behalf: add a connection first (or start the vendor sandbox).');
      return;
    }
    const { connection } = actAs;
    const engine = this.engine();
    const modes = engine.modes(connection);
    type Item = vscode.QuickPickItem & { run?: () => Promise<unknown> };
    const items: Item[] = [];
    if (modes.length > 1 && actAs.principal) {
      const next: ImpersonationMode = actAs.mode === 'lite' ? 'full' : 'lite';
      items.push({
        label: `$(arrow-swap) Switch to ${next}`,
        description: `now ${actAs.mode}`,
        detail: next === 'lite' ? 'Your privileges; writes attributed to the principal' : "The principal's privileges (a session, ended when idle or on exit)",
        run: () => this.toggleMode(),
      });
    }
    items.push({ label: connection.label, kind: vscode.QuickPickItemKind.Separator });
    const currentId = actAs.principal?.id;
    const mark = (current: boolean) => (current ? '$(check) ' : '$(account) ');
    for (const p of this.store.principals(connection)) {
      items.push({
        label: `${mark(p.id === currentId)}${principalName(p)}`,
        description: [p.id === currentId ? 'current' : undefined, p.email].filter(Boolean).join(' · ') || undefined,
        detail: `id ${p.id}${p.userId ? ` · user ${p.userId}` : ''}${p.clientId ? ` · app ${p.clientId}` : ''}`,
        run: () => this.set(connection, p.id),
      });
    }
    items.push({
      label: `${currentId ? '$(server) ' : '$(check) '}Act as the service user`,
      description: currentId ? undefined : 'current',
      detail: "No impersonation: the connection's own identity",
      run: () => this.set(connection, undefined),
    });
    const connections = await this.store.connections();
    if (connections.length > 1) {
      items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
      items.push({
        label: '$(plug) Select identity on another connection…',
        run: () => Promise.resolve(vscode.commands.executeCommand('behalf.selectIdentity')),
      });
    }
    const picked = await vscode.window.showQuickPick(items, {
      title: `Behalf: acting as ${actAs.principal ? principalName(actAs.principal) : 'the service user'} (${actAs.principal ? actAs.mode : 'self'}) on ${connection.label}`,
      placeHolder:
        modes.length > 1
          ? 'Switch mode or identity: type a name, email or id'
          : `Switch identity (${engine.vendor(connection).displayName} has one mode: ${modes[0]})`,
      matchOnDescription: true,
      matchOnDetail: true,
    });
    await picked?.run?.();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }

  private modeFor(connection: Connection, wanted: ImpersonationMode | undefined): ImpersonationMode {
    const engine = this.engine();
    const modes = engine.modes(connection);
    return wanted && modes.includes(wanted) ? wanted : engine.defaultMode(connection);
  }

  private async render(): Promise<void> {
    let actAs: ActAs | undefined;
    try {
      actAs = await this.current();
    } catch {
      actAs = undefined;
    }
    const visible = vscode.workspace.getConfiguration('behalf').get<boolean>('showStatusBar', true);
    if (!actAs || !visible) {
      this.item.hide();
      return;
    }
    const name = actAs.principal ? principalName(actAs.principal) : 'service user';
    const modes = this.engine().modes(actAs.connection);
    this.item.text = `$(account) ${name} · ${actAs.principal ? actAs.mode : 'self'}`;
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown(`**Behalf** — requests are sent as\n\n`);
    tooltip.appendText(`${describePrincipal(actAs.principal)}\n`);
    tooltip.appendMarkdown(`\n\nConnection: `);
    tooltip.appendText(`${actAs.connection.label} (${actAs.connection.id})${actAs.connection.production ? ' — PRODUCTION' : ''}`);
    tooltip.appendMarkdown(`\n\nMode: `);
    tooltip.appendText(actAs.mode);
    tooltip.appendMarkdown(
      modes.length > 1 ? `\n\nClick to switch lite ⇄ full or act as someone else.` : `\n\nThis vendor has one mode. Click to act as someone else.`,
    );
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: `Behalf: acting as ${name}, ${actAs.mode} mode, on ${actAs.connection.label}`, role: 'button' };
    this.item.backgroundColor = actAs.connection.production && actAs.principal ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this.item.show();
  }
}

function principalName(p: Principal): string {
  return p.name ?? p.email ?? p.id;
}
