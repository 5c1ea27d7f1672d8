import * as vscode from 'vscode';
import type { BehalfEngine } from '../core/engine';
import type { ActAs, Connection, Principal } from '../core/model';
import type { ImpersonationSession } from '../core/vendor';
import type { ConnectionsStore } from './connectionsStore';
import type { ActiveIdentity } from './identity';

export type ConnectionsNode =
  | { kind: 'connection'; connection: Connection }
  | { kind: 'principal'; connection: Connection; principal: Principal }
  | { kind: 'self'; connection: Connection };

/** Theme icons, so they follow the user's theme and contrast settings. */
const VENDOR_ICONS: Record<string, string> = {
  dealcloud: 'briefcase',
  orangelogic: 'file-media',
  creativeforce: 'device-camera',
  generic: 'globe',
};

/**
 * Connections → principals. contextValue strings encode vendor and state, e.g.
 * `connection:dealcloud`, `principal:dealcloud:assigned:active`, and package.json menus match them.
 */
export class ConnectionsTree implements vscode.TreeDataProvider<ConnectionsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<ConnectionsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[];

  constructor(
    private readonly store: ConnectionsStore,
    private readonly identity: ActiveIdentity,
    private readonly engine: () => BehalfEngine,
  ) {
    this.disposables = [this.changed, store.onDidChange(() => this.refresh()), identity.onDidChange(() => this.refresh())];
  }

  /** The active identity, resolved once per refresh rather than once per item (10,000 principals stay fast). */
  private active: Promise<ActAs | undefined> | undefined;

  refresh(): void {
    this.active = undefined;
    this.changed.fire(undefined);
  }

  async getChildren(node?: ConnectionsNode): Promise<ConnectionsNode[]> {
    if (!node) return (await this.store.connections()).map((connection) => ({ kind: 'connection', connection }));
    if (node.kind !== 'connection') return [];
    return [{ kind: 'self', connection: node.connection }, ...this.store.principals(node.connection).map((principal) => ({ kind: 'principal' as const, connection: node.connection, principal }))];
  }

  async getTreeItem(node: ConnectionsNode): Promise<vscode.TreeItem> {
    this.active ??= this.identity.current();
    const active = await this.active;
    const isActiveConnection = active?.connection.id === node.connection.id;
    if (node.kind === 'connection') {
      const { connection } = node;
      const item = new vscode.TreeItem(connection.label, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `connection/${connection.id}`;
      let modes = '';
      try {
        modes = this.engine().modes(connection).join(' · ');
      } catch {
        modes = 'unknown vendor';
      }
      item.description = `${connection.id}${connection.production ? ' · PRODUCTION' : ''} · ${modes}`;
      item.iconPath = new vscode.ThemeIcon(VENDOR_ICONS[connection.vendor] ?? 'plug');
      item.contextValue = `connection:${connection.vendor}${connection.production ? ':production' : ''}`;
      item.tooltip = new vscode.MarkdownString().appendText(`${connection.label}\n${connection.vendor} · ${connection.baseUrl}\nmodes: ${modes}`);
      item.accessibilityInformation = { label: `${connection.label}, ${connection.vendor} connection${connection.production ? ', production' : ''}` };
      return item;
    }
    if (node.kind === 'self') {
      const isActive = isActiveConnection && !active?.principal;
      const item = new vscode.TreeItem('Service user (yourself)');
      item.id = `self/${node.connection.id}`;
      item.description = isActive ? 'active' : node.connection.clientId;
      item.iconPath = new vscode.ThemeIcon(isActive ? 'pass-filled' : 'server');
      item.contextValue = `self:${node.connection.vendor}${isActive ? ':active' : ''}`;
      item.command = { command: 'behalf.actAsServiceUser', title: 'Act as the service user', arguments: [node] };
      item.accessibilityInformation = { label: `Service user of ${node.connection.label}${isActive ? ', active' : ''}` };
      return item;
    }
    const { connection, principal } = node;
    const isActive = isActiveConnection && active?.principal?.id === principal.id;
    const fetched = this.store.fetchedUserIds(connection.id);
    // DealCloud: a principal is "assigned" when the vendor's proxy assignments include it.
    const state = fetched ? (fetched.has(principal.userId ?? principal.id) ? 'assigned' : 'unassigned') : principal.source === 'vendor' ? 'assigned' : 'file';
    const item = new vscode.TreeItem(principal.name ?? principal.email ?? principal.id);
    item.id = `principal/${connection.id}/${principal.id}`;
    const vendorId = principal.userId ?? principal.clientId;
    item.description = [principal.email, vendorId, isActive ? `active · ${active?.mode}` : undefined, state === 'unassigned' ? 'no proxy assignment' : undefined].filter(Boolean).join(' · ');
    item.iconPath = new vscode.ThemeIcon(isActive ? 'pass-filled' : state === 'unassigned' ? 'warning' : 'account');
    item.contextValue = `principal:${connection.vendor}:${state}${isActive ? ':active' : ''}`;
    item.tooltip = new vscode.MarkdownString().appendText(
      `${principal.name ?? principal.id}\nemail: ${principal.email ?? '—'}\nvendor id: ${vendorId ?? '—'}\nBehalf id: ${principal.id}\nsource: ${principal.source === 'vendor' ? 'fetched from the vendor' : 'connections file'}`,
    );
    item.command = { command: 'behalf.setActivePrincipal', title: 'Act as this user', arguments: [node] };
    item.accessibilityInformation = { label: `Principal ${principal.name ?? principal.id}${principal.email ? `, ${principal.email}` : ''}${isActive ? ', active' : ''}${state === 'unassigned' ? ', no proxy assignment' : ''}` };
    return item;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** Open full-impersonation sessions, each with End. */
export class SessionsTree implements vscode.TreeDataProvider<ImpersonationSession>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly engine: () => BehalfEngine | undefined) {}

  refresh(): void {
    this.changed.fire();
  }

  getChildren(node?: ImpersonationSession): ImpersonationSession[] {
    return node ? [] : (this.engine()?.sessions() ?? []);
  }

  getTreeItem(session: ImpersonationSession): vscode.TreeItem {
    const item = new vscode.TreeItem(session.principalLabel);
    item.id = `session/${session.connectionId}/${session.principalId}`;
    const minutes = Math.max(0, Math.round((Date.now() - session.startedAt) / 60000));
    item.description = `${session.connectionId} · started ${minutes} min ago`;
    item.iconPath = new vscode.ThemeIcon('broadcast');
    item.contextValue = 'session';
    item.accessibilityInformation = { label: `Open impersonation session as ${session.principalLabel} on ${session.connectionId}` };
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
