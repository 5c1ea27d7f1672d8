// The impersonation log in VS Code: every request sent as someone else, kept as JSON Lines in the extension's
// global storage (<globalStorageUri>/impersonation-log.jsonl) through src/core/impersonationLog.ts, shown in the
// "Impersonation Log" tree (newest first) and exported as JSON or CSV. Entries are built from redacted records
// only (src/core/impersonationLog.ts): no header at all, the URL redacted, errors redacted.

import * as vscode from 'vscode';
import type { AttributionResult, ImpersonationLogEntry } from '../core/audit';
import { ImpersonationLog, fileLogStorage, type LogEntryKey } from '../core/impersonationLog';
import { shortName } from '../core/vendor';

export const LOG_FILE_NAME = 'impersonation-log.jsonl';
const RETENTION_SETTING = 'impersonationLog.retentionDays';
const DEFAULT_RETENTION_DAYS = 30;
/** The file is rewritten on every record: keep it bounded (about 4 MB). */
const MAX_ENTRIES = 10_000;
/** Tree items shown; older entries are in the file and the exports. */
const TREE_LIMIT = 500;

export function retentionDays(): number {
  const days = vscode.workspace.getConfiguration('behalf').get<number>(RETENTION_SETTING, DEFAULT_RETENTION_DAYS);
  return typeof days === 'number' && Number.isFinite(days) && days >= 0 ? days : DEFAULT_RETENTION_DAYS;
}

/** The log of this VS Code profile (global storage: the log follows the user, not the workspace). */
export class ImpersonationLogService implements vscode.Disposable {
  readonly file: vscode.Uri;
  private log: ImpersonationLog;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
  ) {
    this.file = vscode.Uri.joinPath(context.globalStorageUri, LOG_FILE_NAME);
    this.log = this.create();
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(`behalf.${RETENTION_SETTING}`)) return;
        // A new instance after the old one's queue has drained (one instance per storage at a time).
        const previous = this.log;
        void previous
          .entries()
          .catch(() => undefined)
          .then(() => {
            this.log = this.create();
            return this.log.prune();
          })
          .then(
            () => this.changed.fire(),
            (e: unknown) => this.warn('apply the retention setting', e),
          );
      }),
    );
    // Expired entries go at start-up too, not only when the next request is recorded.
    void this.log.prune().then(
      (dropped) => dropped > 0 && this.changed.fire(),
      (e: unknown) => this.warn('prune', e),
    );
  }

  private create(): ImpersonationLog {
    return new ImpersonationLog(fileLogStorage(this.file.fsPath), { retentionDays: retentionDays(), maxEntries: MAX_ENTRIES });
  }

  /** Record an entry. Never throws: a log that cannot be written is reported, the request is not affected. */
  async record(entry: ImpersonationLogEntry): Promise<void> {
    try {
      await this.log.record(entry);
      this.changed.fire();
    } catch (e) {
      this.warn('record a request', e);
    }
  }

  async setAttribution(key: LogEntryKey, outcome: AttributionResult['outcome']): Promise<void> {
    try {
      if (await this.log.setAttribution(key, outcome)) this.changed.fire();
    } catch (e) {
      this.warn('note the attribution', e);
    }
  }

  /** Oldest first. */
  entries(): Promise<ImpersonationLogEntry[]> {
    return this.log.entries();
  }

  async clear(): Promise<void> {
    await this.log.clear();
    this.changed.fire();
  }

  private warn(what: string, e: unknown): void {
    this.output.warn(`Impersonation log: could not ${what}: ${e instanceof Error ? e.message : String(e)}`);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

export type LogNode = { kind: 'entry'; entry: ImpersonationLogEntry } | { kind: 'older'; count: number };

/** The path and query of a (redacted) URL: what the tree shows as the label. */
function pathOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.pathname}${u.search}`.replaceAll('%C2%ABredacted%C2%BB', '«redacted»'); // URL percent-encodes the marker
  } catch {
    return url;
  }
}

/** "14:03:07" today, "2026-02-03 14:03" before. */
function whenText(time: string, now = new Date()): string {
  const d = new Date(time);
  if (Number.isNaN(d.getTime())) return time;
  const pad = (n: number) => String(n).padStart(2, '0');
  const sameDay = d.toDateString() === now.toDateString();
  return sameDay
    ? `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
    : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const ATTRIBUTION_TEXT: Record<AttributionResult['outcome'], string> = {
  'recorded-as-principal': 'recorded as the principal',
  'recorded-as-other': 'recorded as someone else',
  'no-new-version': 'nothing recorded',
};

/** The log, newest first. contextValue `logEntry:<mode>[:<attribution>]`. */
export class ImpersonationLogTree implements vscode.TreeDataProvider<LogNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly disposables: vscode.Disposable[];

  constructor(private readonly log: ImpersonationLogService) {
    this.disposables = [this.changed, log.onDidChange(() => this.refresh())];
  }

  refresh(): void {
    this.changed.fire();
  }

  async getChildren(node?: LogNode): Promise<LogNode[]> {
    if (node) return [];
    const entries = await this.log.entries().catch(() => []);
    const newest = entries
      .slice(-TREE_LIMIT)
      .reverse()
      .map((entry): LogNode => ({ kind: 'entry', entry }));
    if (entries.length > TREE_LIMIT) newest.push({ kind: 'older', count: entries.length - TREE_LIMIT });
    return newest;
  }

  getTreeItem(node: LogNode): vscode.TreeItem {
    if (node.kind === 'older') {
      const item = new vscode.TreeItem(`${node.count.toLocaleString('en-US')} older entries`);
      item.description = 'export the log to see them';
      item.iconPath = new vscode.ThemeIcon('ellipsis');
      item.command = { command: 'behalf.exportImpersonationLog', title: 'Export Impersonation Log…' };
      item.contextValue = 'logOlder';
      return item;
    }
    const e = node.entry;
    const item = new vscode.TreeItem(`${e.method} ${pathOf(e.url)}`);
    const outcome = e.status !== undefined ? String(e.status) : 'no response';
    item.description = [outcome, e.mode, shortName(e.principal), whenText(e.time)].join(' · ');
    const failed = e.status === undefined || e.status >= 400;
    item.iconPath = new vscode.ThemeIcon(
      e.attribution === 'recorded-as-other' ? 'warning' : failed ? 'error' : 'account',
      e.attribution === 'recorded-as-other'
        ? new vscode.ThemeColor('list.warningForeground')
        : failed
          ? new vscode.ThemeColor('list.errorForeground')
          : undefined,
    );
    item.contextValue = `logEntry:${e.mode}${e.attribution ? `:${e.attribution}` : ''}`;
    const lines = [
      `${e.method} ${e.url}`,
      `time: ${e.time}`,
      `connection: ${e.connectionId} (${e.vendor})`,
      `sent as: ${e.principal} [${e.principalId}]`,
      `mode: ${e.mode}`,
      e.status !== undefined ? `status: ${e.status}` : `error: ${e.error ?? 'no response'}`,
      e.durationMs !== undefined ? `time taken: ${e.durationMs} ms` : undefined,
      e.attribution ? `attribution: ${ATTRIBUTION_TEXT[e.attribution]}` : undefined,
    ].filter((l): l is string => l !== undefined);
    item.tooltip = new vscode.MarkdownString().appendText(lines.join('\n'));
    item.accessibilityInformation = {
      label: `${e.method} ${pathOf(e.url)} as ${e.principal}, ${e.mode} mode, ${outcome}${e.attribution ? `, ${ATTRIBUTION_TEXT[e.attribution]}` : ''}, ${whenText(e.time)}`,
    };
    return item;
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
