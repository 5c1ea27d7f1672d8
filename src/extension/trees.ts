import * as vscode from 'vscode';
import type { BehalfEngine } from '../core/engine';
import type { ActAs, Connection, Principal } from '../core/model';
import { describeFilter, normalizeQuery, PrincipalSearchKeys } from '../core/principalFilter';
import type { ConnectionCheck, ImpersonationSession, UnendedSession } from '../core/vendor';
import type { ConnectionsStore } from './connectionsStore';
import type { ActiveIdentity } from './identity';

export type ConnectionsNode =
  | { kind: 'connection'; connection: Connection }
  | { kind: 'principal'; connection: Connection; principal: Principal }
  | { kind: 'self'; connection: Connection }
  /** While a principal filter is on: the one row of a connection none of whose principals matches. */
  | { kind: 'noMatch'; connection: Connection; filter: string }
  /** The last Check Connection of a connection (running or done), and one row per check under it. */
  | { kind: 'checks'; connection: Connection }
  | { kind: 'check'; connection: Connection; check: ConnectionCheck };

/** A connection's checks as the tree shows them: those known so far, and whether more are coming. */
export interface ChecksState {
  checks: ConnectionCheck[];
  running: boolean;
  /** Set when the run ended early (cancelled, an error). */
  ended?: string;
}

/** Theme icons and colours per check status (the Testing view's colours: they follow the theme). */
const CHECK_ICONS: Record<ConnectionCheck['status'], [string, string]> = {
  pass: ['pass', 'testing.iconPassed'],
  fail: ['error', 'testing.iconFailed'],
  warn: ['warning', 'list.warningForeground'],
  skip: ['circle-slash', 'testing.iconSkipped'],
};
const CHECK_WORDS: Record<ConnectionCheck['status'], string> = { pass: 'passed', fail: 'failed', warn: 'warning', skip: 'skipped' };

/** Context key: a principal filter is on (the view title then offers "Clear Principal Filter"). */
export const PRINCIPALS_FILTERED_CONTEXT = 'behalf.principalsFiltered';

/** How long expanding a connection waits for its vendor list of principals before showing the rows without it. */
const FETCH_WAIT_MS = 3000;

/** A principal row's icons, made once (ThemeIcons are values): not 10,000 copies of the same one. */
const ICONS = { principal: new vscode.ThemeIcon('account'), active: new vscode.ThemeIcon('pass-filled'), unassigned: new vscode.ThemeIcon('warning') };

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
 *
 * A principal filter (setFilter) narrows each connection to the principals whose name, email, vendor id or
 * Behalf id contains the text. Every connection stays in the tree: one with no match shows a single
 * "No principal matches" row, so a filter never makes a connection (or its actions) disappear. The service
 * user row is left out while filtering: it is not a principal.
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
    this.disposables = [this.changed, store.onDidChange(() => this.reload()), identity.onDidChange(() => this.refresh())];
  }

  /** Each connection's last Check Connection, by connection id (shown under it until the next run or a reload). */
  private readonly checkStates = new Map<string, ChecksState>();

  /** Show (or update) a connection's checks under it. */
  setChecks(connectionId: string, state: ChecksState): void {
    this.checkStates.set(connectionId, state);
    this.changed.fire(undefined);
  }

  /** A connection's checks as shown, if it was checked. */
  checksOf(connectionId: string): ChecksState | undefined {
    return this.checkStates.get(connectionId);
  }

  /** The filter as the user typed it (trimmed), and as matched (lower-case); undefined: no filter. */
  private filterText: string | undefined;
  private query: string | undefined;
  private readonly searchKeys = new PrincipalSearchKeys();
  /** Each connection's matching principals for the current filter and load (getChildren and the counts share them). */
  private matches = new Map<Connection, { principals: Principal[]; total: number }>();
  private summary: { matches: number; total: number } | undefined;
  private filterGeneration = 0;
  private contextValue = false;
  private view: vscode.TreeView<ConnectionsNode> | undefined;

  /** The principal filter, as set (trimmed); undefined when there is none. */
  get filter(): string | undefined {
    return this.filterText;
  }

  /** What the view's description says: `filter "ann" · 12 of 10,000 principals`, or undefined with no filter. */
  get filterDescription(): string | undefined {
    return this.filterText && this.summary ? describeFilter(this.filterText, this.summary.matches, this.summary.total) : undefined;
  }

  /** The tree view showing this tree: its description tells about the filter. Returns the view. */
  attach(view: vscode.TreeView<ConnectionsNode>): vscode.TreeView<ConnectionsNode> {
    this.view = view;
    view.description = this.filterDescription;
    return view;
  }

  /**
   * Filter the principals (case-insensitive substring of name, email, user id, client id or Behalf id); undefined
   * or blank text clears the filter. Resolves once the counts and the view's description are set, the context key
   * is on its way and the tree has been told to redraw. Calls in quick succession (typing) end with the last one's filter.
   */
  async setFilter(text: string | undefined): Promise<void> {
    const generation = ++this.filterGeneration;
    const query = normalizeQuery(text);
    const connections = await this.store.connections();
    if (generation !== this.filterGeneration) return; // a later call took over
    this.query = query;
    this.filterText = query ? text!.trim() : undefined;
    this.matches.clear();
    this.summarize(connections);
    this.changed.fire(undefined);
    // The title's filter/clear button: a round trip to the workbench that the rows need not wait for.
    void this.setContextKey(query !== undefined);
  }

  /** The counts and the view's description for the current filter over `connections`. */
  private summarize(connections: readonly Connection[]): void {
    if (this.query) {
      let matches = 0;
      let total = 0;
      for (const connection of connections) {
        const m = this.matching(connection);
        matches += m.principals.length;
        total += m.total;
      }
      this.summary = { matches, total };
    } else {
      this.summary = undefined;
    }
    if (this.view) this.view.description = this.filterDescription;
  }

  private matching(connection: Connection): { principals: Principal[]; total: number } {
    let m = this.matches.get(connection);
    if (!m) {
      const all = this.store.principals(connection);
      m = { principals: this.searchKeys.filter(all, this.query), total: all.length };
      this.matches.set(connection, m);
    }
    return m;
  }

  private async setContextKey(on: boolean): Promise<void> {
    if (on === this.contextValue) return;
    this.contextValue = on;
    try {
      await vscode.commands.executeCommand('setContext', PRINCIPALS_FILTERED_CONTEXT, on);
    } catch {
      // Only while the workbench shuts down; the next change sets it again.
      this.contextValue = !on;
    }
  }

  /** The connections or fetched principals changed: the filter stays, its matches and counts are made again. */
  private reload(): void {
    this.matches.clear();
    if (this.query) {
      const generation = this.filterGeneration;
      void this.store.connections().then(
        (connections) => generation === this.filterGeneration && this.summarize(connections),
        () => undefined,
      );
    }
    this.refresh();
  }

  /**
   * The active identity, resolved once per refresh rather than once per item (10,000 principals stay fast); once it
   * is in, getTreeItem answers without a promise per row.
   */
  private active: { promise: Promise<ActAs | undefined>; settled?: { value: ActAs | undefined } } | undefined;

  refresh(): void {
    this.active = undefined;
    this.changed.fire(undefined);
  }

  async getChildren(node?: ConnectionsNode): Promise<ConnectionsNode[]> {
    if (!node) return (await this.store.connections()).map((connection) => ({ kind: 'connection', connection }));
    if (node.kind === 'checks')
      return (this.checkStates.get(node.connection.id)?.checks ?? []).map((check) => ({ kind: 'check', connection: node.connection, check }));
    if (node.kind !== 'connection') return [];
    const { connection } = node;
    const checked: ConnectionsNode[] = this.checkStates.has(connection.id) ? [{ kind: 'checks', connection }] : [];
    if (this.query && this.filterText) {
      const { principals } = this.matching(connection);
      if (principals.length === 0) return [{ kind: 'noMatch', connection, filter: this.filterText }];
      return principals.map((principal) => ({ kind: 'principal' as const, connection, principal }));
    }
    await this.fetchAssignments(connection);
    // One array of 10,000 rows, not a mapped one spread into another.
    const rows: ConnectionsNode[] = [{ kind: 'self', connection }, ...checked];
    for (const principal of this.store.principals(connection)) rows.push({ kind: 'principal', connection, principal });
    return rows;
  }

  /**
   * A connection whose vendor list of principals can be read (DealCloud: user_management and serviceUserId) reads
   * it the first time it is expanded (once, cached in the store; Fetch Principals refreshes it), so its principals
   * without a proxy assignment are marked at first look. Waits at most a few seconds: a slow vendor marks them later.
   */
  private async fetchAssignments(connection: Connection): Promise<void> {
    if (this.store.fetchedUserIds(connection.id)) return;
    let engine: BehalfEngine;
    try {
      engine = this.engine();
      if (!engine.canListPrincipals(connection)) return;
    } catch {
      return; // an unknown vendor: nothing to read
    }
    const read = this.store.fetchOnce(
      connection.id,
      () => engine.vendorPrincipals(connection),
      (e) => this.onFetchError?.(connection, e),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([read, new Promise<void>((resolve) => (timer = setTimeout(resolve, FETCH_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /** Told when reading a connection's principals on expand failed (the extension logs it). */
  onFetchError: ((connection: Connection, error: unknown) => void) | undefined;

  getTreeItem(node: ConnectionsNode): vscode.TreeItem | Promise<vscode.TreeItem> {
    let active = this.active;
    if (!active) {
      const entry: NonNullable<typeof this.active> = { promise: this.identity.current() };
      entry.promise.then(
        (value) => (entry.settled = { value }),
        () => undefined, // the rows waiting for it get the error
      );
      this.active = active = entry;
    }
    if (active.settled) return this.treeItem(node, active.settled.value);
    return active.promise.then((value) => this.treeItem(node, value));
  }

  private treeItem(node: ConnectionsNode, active: ActAs | undefined): vscode.TreeItem {
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
      const filtered = this.query ? this.matching(connection) : undefined;
      const count = filtered ? ` · ${filtered.principals.length.toLocaleString('en-US')} of ${filtered.total.toLocaleString('en-US')} match` : '';
      item.description = `${connection.id}${connection.production ? ' · PRODUCTION' : ''} · ${modes}${count}`;
      item.iconPath = new vscode.ThemeIcon(VENDOR_ICONS[connection.vendor] ?? 'plug');
      item.contextValue = `connection:${connection.vendor}${connection.production ? ':production' : ''}`;
      item.accessibilityInformation = { label: `${connection.label}, ${connection.vendor} connection${connection.production ? ', production' : ''}` };
      return item;
    }
    if (node.kind === 'checks' || node.kind === 'check') return checkItem(node, this.checkStates.get(node.connection.id));
    if (node.kind === 'noMatch') {
      const text = `No principal matches "${node.filter}"`;
      const item = new vscode.TreeItem(text);
      item.id = `noMatch/${node.connection.id}`;
      item.iconPath = new vscode.ThemeIcon('search');
      item.contextValue = 'noMatch';
      item.tooltip = `None of the principals of ${node.connection.label} has "${node.filter}" in its name, email or ids. "Clear Principal Filter" in the view's title shows them all again.`;
      item.accessibilityInformation = { label: `${text} in ${node.connection.label}` };
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
    let description = principal.email ?? '';
    if (vendorId) description = description ? `${description} · ${vendorId}` : vendorId;
    if (isActive) description = description ? `${description} · active · ${active?.mode}` : `active · ${active?.mode}`;
    if (state === 'unassigned') description = description ? `${description} · no proxy assignment` : 'no proxy assignment';
    item.description = description;
    item.iconPath = isActive ? ICONS.active : state === 'unassigned' ? ICONS.unassigned : ICONS.principal;
    item.contextValue = `principal:${connection.vendor}:${state}${isActive ? ':active' : ''}`;
    item.command = { command: 'behalf.setActivePrincipal', title: 'Act as this user', arguments: [node] };
    item.accessibilityInformation = {
      label: `Principal ${principal.name ?? principal.id}${principal.email ? `, ${principal.email}` : ''}${isActive ? ', active' : ''}${state === 'unassigned' ? ', no proxy assignment' : ''}`,
    };
    return item;
  }

  /**
   * Tooltips are made when a row is hovered, not for every row: with 10,000 principals, building (and sending
   * to the workbench) a tooltip per row was a large part of expanding a connection.
   */
  resolveTreeItem(item: vscode.TreeItem, node: ConnectionsNode): vscode.TreeItem {
    if (node.kind === 'connection') {
      const { connection } = node;
      let modes = '';
      try {
        modes = this.engine().modes(connection).join(' · ');
      } catch {
        modes = 'unknown vendor';
      }
      item.tooltip = new vscode.MarkdownString().appendText(`${connection.label}\n${connection.vendor} · ${connection.baseUrl}\nmodes: ${modes}`);
    } else if (node.kind === 'principal') {
      const { principal } = node;
      const vendorId = principal.userId ?? principal.clientId;
      item.tooltip = new vscode.MarkdownString().appendText(
        `${principal.name ?? principal.id}\nemail: ${principal.email ?? '—'}\nvendor id: ${vendorId ?? '—'}\nBehalf id: ${principal.id}\nsource: ${principal.source === 'vendor' ? 'fetched from the vendor' : 'connections file'}`,
      );
    }
    return item;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

/** The "Checks" row (a summary; its icon the worst status) or one check's row (its status icon, the detail as tooltip). */
function checkItem(node: Extract<ConnectionsNode, { kind: 'checks' | 'check' }>, state: ChecksState | undefined): vscode.TreeItem {
  const { connection } = node;
  if (node.kind === 'check') {
    const { check } = node;
    const item = new vscode.TreeItem(check.title);
    item.id = `check/${connection.id}/${check.id}`;
    item.description = CHECK_WORDS[check.status];
    item.iconPath = new vscode.ThemeIcon(...iconArgs(check.status));
    const fix = check.fix ? `\n\n${check.status === 'fail' ? 'Fix' : 'Next'}: ${check.fix.title}${check.fix.command ? ` (${check.fix.command})` : ''}` : '';
    item.tooltip = `${check.detail}${fix}`;
    item.contextValue = `check:${check.status}${check.fix?.action ? ':fix' : ''}`;
    item.accessibilityInformation = { label: `${check.title}: ${CHECK_WORDS[check.status]}. ${check.detail}` };
    return item;
  }
  const checks = state?.checks ?? [];
  const count = (status: ConnectionCheck['status']) => checks.filter((c) => c.status === status).length;
  const summary = `${count('pass')} passed, ${count('fail')} failed${count('warn') ? `, ${count('warn')} warnings` : ''}${count('skip') ? `, ${count('skip')} skipped` : ''}`;
  const item = new vscode.TreeItem('Checks', vscode.TreeItemCollapsibleState.Expanded);
  item.id = `checks/${connection.id}`;
  item.description = state?.running ? `running… ${checks.length} so far` : `${summary}${state?.ended ? ` · ${state.ended}` : ''}`;
  const worst = (['fail', 'warn', 'pass', 'skip'] as const).find((status) => count(status) > 0);
  item.iconPath = state?.running ? new vscode.ThemeIcon('loading~spin') : worst ? new vscode.ThemeIcon(...iconArgs(worst)) : new vscode.ThemeIcon('checklist');
  item.contextValue = state?.running ? 'checks:running' : 'checks';
  item.tooltip = `Check Connection of ${connection.label}: ${summary}. Nothing was changed on the vendor's side.`;
  item.accessibilityInformation = { label: `Checks of ${connection.label}: ${state?.running ? 'running' : summary}` };
  return item;
}

function iconArgs(status: ConnectionCheck['status']): [string, vscode.ThemeColor] {
  const [icon, color] = CHECK_ICONS[status];
  return [icon, new vscode.ThemeColor(color)];
}

/**
 * Open full-impersonation sessions, each with End. The view's badge counts them (on the Behalf icon too); while
 * any is open, the items refresh every minute ("started N min ago", the idle time left before Behalf ends it).
 */
export class SessionsTree implements vscode.TreeDataProvider<ImpersonationSession>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private view: vscode.TreeView<unknown> | undefined;
  private ticker: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly engine: () => BehalfEngine | undefined,
    /** Sessions whose stop was not confirmed (they may still be open): listed with End Session Again. */
    private readonly unended: () => UnendedSession[] = () => [],
  ) {}

  /** The shell's Sessions view: its badge shows how many sessions are open. */
  attach(view: vscode.TreeView<unknown>): void {
    this.view = view;
    this.update();
  }

  refresh(): void {
    this.update();
    this.changed.fire();
  }

  /** Whether the per-minute refresh runs (only while a session is open). */
  get ticking(): boolean {
    return this.ticker !== undefined;
  }

  getChildren(node?: ImpersonationSession): ImpersonationSession[] {
    return node ? [] : this.sessions();
  }

  getTreeItem(session: ImpersonationSession): vscode.TreeItem {
    if (isUnended(session)) return this.unendedItem(session);
    const now = Date.now();
    const item = new vscode.TreeItem(session.principalLabel);
    item.id = `session/${session.connectionId}/${session.principalId}`;
    const started = Math.max(0, Math.floor((now - session.startedAt) / 60000));
    const idleLeft = session.lastUsedAt + idleTimeoutMs() - now;
    const idleText = idleLeft > 0 ? `ends in ${Math.ceil(idleLeft / 60000)} min if idle` : 'ending (idle)';
    item.description = `${session.connectionId} · started ${started === 0 ? 'just now' : `${started} min ago`} · ${idleText}`;
    item.tooltip = new vscode.MarkdownString().appendText(
      `Full impersonation of ${session.principalLabel} on ${session.connectionId}\nstarted ${new Date(session.startedAt).toLocaleTimeString()}, last used ${new Date(session.lastUsedAt).toLocaleTimeString()}\nBehalf ends it after ${Math.round(idleTimeoutMs() / 60000)} idle min (behalf.idleSessionMinutes), on a mode or principal switch, and when VS Code closes`,
    );
    item.iconPath = new vscode.ThemeIcon('broadcast');
    item.contextValue = 'session';
    item.accessibilityInformation = { label: `Open impersonation session as ${session.principalLabel} on ${session.connectionId}, ${item.description}` };
    return item;
  }

  dispose(): void {
    this.stopTicking();
    this.changed.dispose();
  }

  /** A session the vendor did not confirm ended: it may still be open, and End Session Again sends the stop again. */
  private unendedItem(session: UnendedSession): vscode.TreeItem {
    const item = new vscode.TreeItem(session.principalLabel);
    item.id = `unended/${session.connectionId}/${session.principalId}/${session.startedAt}`;
    item.description = `${session.connectionId} · may still be open`;
    item.tooltip = new vscode.MarkdownString().appendText(
      `Full impersonation of ${session.principalLabel} on ${session.connectionLabel}, started ${new Date(session.startedAt).toLocaleTimeString()}: it may still be open. The vendor did not confirm the stop: ${session.reason}.\nEnd Session Again sends the stop again${session.howToEnd ? `; if it keeps failing, ${session.howToEnd}` : ''}.`,
    );
    item.iconPath = new vscode.ThemeIcon('warning');
    item.contextValue = 'session:unconfirmed';
    item.accessibilityInformation = {
      label: `Impersonation session as ${session.principalLabel} on ${session.connectionId} may still be open: ${session.reason}`,
    };
    return item;
  }

  private sessions(): ImpersonationSession[] {
    return [...(this.engine()?.sessions() ?? []), ...this.unended()];
  }

  private update(): void {
    const count = this.sessions().length;
    const unended = this.unended().length;
    if (this.view)
      this.view.badge = count
        ? {
            value: count,
            tooltip: unended
              ? `${count} impersonation session${count === 1 ? '' : 's'}, ${unended} of which may still be open (the stop was not confirmed)`
              : `${count} open impersonation session${count === 1 ? '' : 's'}`,
          }
        : undefined;
    if (count && !this.ticker) {
      this.ticker = setInterval(() => (this.sessions().length ? this.changed.fire() : this.update()), 60_000);
      this.ticker.unref?.();
    } else if (!count) {
      this.stopTicking();
    }
  }

  private stopTicking(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }
}

function isUnended(session: ImpersonationSession): session is UnendedSession {
  return typeof (session as Partial<UnendedSession>).reason === 'string';
}

/** What the engine was given as its idle timeout (main.ts makes it with the same setting). */
function idleTimeoutMs(): number {
  return Math.max(1, vscode.workspace.getConfiguration('behalf').get<number>('idleSessionMinutes', 5)) * 60_000;
}
