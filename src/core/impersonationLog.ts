// The impersonation log: every request sent as someone else — when, as whom, in which mode, what came
// back — kept as JSON Lines behind a tiny storage port (a file for the CLI, extension storage in VS Code).
// Entries are built only from redacted data (the ResponseRecord, redacted URLs and error sentences), so
// the log never holds a secret.

// fs.promises, not node:fs/promises: its getter loads the module when a file is written, not at start-up.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { AttributionResult, ImpersonationLogEntry } from './audit';
import type { ResponseRecord, SentAs } from './model';
import type { Redactor } from './redact';

/** Where the log's text lives. `read` answers '' when there is nothing yet. */
export interface LogStorage {
  read(): Promise<string>;
  write(text: string): Promise<void>;
}

export interface ImpersonationLogOptions {
  /** Entries older than this many days are dropped (on record, prune, and left out on read). 0: keep nothing; Infinity: keep all. */
  retentionDays: number;
  /** Keep at most this many entries (the newest); no limit when absent. */
  maxEntries?: number;
  /** Milliseconds since the epoch; Date.now by default (tests move time). */
  now?: () => number;
}

/** Identifies an entry for setAttribution: the time it was sent and its (redacted) URL, optionally the method. */
export interface LogEntryKey {
  time: string;
  url: string;
  method?: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The log over a storage. Every change is a read-modify-write of the whole text, run one at a time
 * through a promise queue, so concurrent records never lose entries. Lines that are not entries
 * (corrupt, half-written, from elsewhere) are skipped, never fatal, and dropped on the next write.
 * Serialisation holds per instance: use one ImpersonationLog per storage.
 */
export class ImpersonationLog {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;
  private skippedLines = 0;

  constructor(
    private readonly storage: LogStorage,
    private readonly options: ImpersonationLogOptions,
  ) {
    if (Number.isNaN(options.retentionDays) || options.retentionDays < 0)
      throw new RangeError(`retentionDays must be 0 or more (got ${options.retentionDays}).`);
    if (options.maxEntries !== undefined && !(options.maxEntries >= 0)) throw new RangeError(`maxEntries must be 0 or more (got ${options.maxEntries}).`);
    this.now = options.now ?? Date.now;
  }

  /** Lines the last read could not use. */
  get skipped(): number {
    return this.skippedLines;
  }

  /** Append an entry (dropping expired ones and the oldest beyond maxEntries). */
  record(entry: ImpersonationLogEntry): Promise<void> {
    return this.enqueue(async () => {
      const entries = this.retain([...(await this.load()), entry]);
      await this.storage.write(serialise(entries));
    });
  }

  /** The entries still within retention, oldest first (in the order they were recorded). */
  entries(): Promise<ImpersonationLogEntry[]> {
    return this.enqueue(async () => this.retain(await this.load()));
  }

  /** Note the attribution outcome on the newest entry with this time and URL (and method). False when none matches. */
  setAttribution(key: LogEntryKey, outcome: AttributionResult['outcome']): Promise<boolean> {
    return this.enqueue(async () => {
      const entries = this.retain(await this.load());
      for (let i = entries.length - 1; i >= 0; i--) {
        const e = entries[i];
        if (e.time === key.time && e.url === key.url && (key.method === undefined || e.method.toUpperCase() === key.method.toUpperCase())) {
          entries[i] = { ...e, attribution: outcome };
          await this.storage.write(serialise(entries));
          return true;
        }
      }
      return false;
    });
  }

  /** Drop expired entries (and unreadable lines) from storage; answers how many entries were dropped. */
  prune(): Promise<number> {
    return this.enqueue(async () => {
      const all = await this.load();
      const kept = this.retain(all);
      if (kept.length !== all.length || this.skippedLines > 0) await this.storage.write(serialise(kept));
      return all.length - kept.length;
    });
  }

  clear(): Promise<void> {
    return this.enqueue(() => this.storage.write(''));
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.queue.then(op, op);
    // A failed operation fails its caller only; the queue goes on.
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async load(): Promise<ImpersonationLogEntry[]> {
    const { entries, skipped } = parseLog(await this.storage.read());
    this.skippedLines = skipped;
    return entries;
  }

  private retain(entries: ImpersonationLogEntry[]): ImpersonationLogEntry[] {
    const { retentionDays, maxEntries } = this.options;
    const cutoff = retentionDays === Infinity ? -Infinity : this.now() - retentionDays * DAY_MS;
    let kept = retentionDays === 0 ? [] : entries.filter((e) => Date.parse(e.time) >= cutoff);
    if (maxEntries !== undefined && kept.length > maxEntries) kept = kept.slice(kept.length - maxEntries);
    return kept;
  }
}

/** Parse JSON Lines, keeping what looks like an entry and counting the rest. */
export function parseLog(text: string): { entries: ImpersonationLogEntry[]; skipped: number } {
  const entries: ImpersonationLogEntry[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (!trimmed) continue;
    try {
      const value: unknown = JSON.parse(trimmed);
      if (isEntry(value)) entries.push(value);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { entries, skipped };
}

function isEntry(value: unknown): value is ImpersonationLogEntry {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const e = value as Record<string, unknown>;
  return (
    typeof e['time'] === 'string' &&
    !Number.isNaN(Date.parse(e['time'])) &&
    typeof e['connectionId'] === 'string' &&
    typeof e['principalId'] === 'string' &&
    typeof e['method'] === 'string' &&
    typeof e['url'] === 'string' &&
    (e['mode'] === 'lite' || e['mode'] === 'full')
  );
}

function serialise(entries: ImpersonationLogEntry[]): string {
  return entries.map((e) => `${JSON.stringify(e)}\n`).join('');
}

/** The entry for a response, or undefined when it was sent as the service user (only impersonation is logged). */
export function logEntryFromRecord(record: ResponseRecord, time: Date): ImpersonationLogEntry | undefined {
  const { sentAs } = record;
  if (sentAs.mode === 'self' || !sentAs.principalId) return undefined;
  return {
    time: time.toISOString(),
    connectionId: sentAs.connectionId,
    vendor: sentAs.vendor,
    principalId: sentAs.principalId,
    principal: sentAs.who,
    mode: sentAs.mode,
    method: record.request.method,
    // Already redacted by the engine.
    url: record.request.url,
    status: record.status,
    durationMs: Math.round(record.durationMs * 10) / 10,
  };
}

/**
 * The entry for a request that got no response (refused, timed out, cancelled), or undefined when it was
 * sent as the service user. The URL and the error sentence go through the redactor (the engine's).
 */
export function logEntryFromError(
  sentAs: SentAs,
  request: { method: string; url: string },
  error: unknown,
  time: Date,
  redactor: Pick<Redactor, 'url' | 'text'>,
): ImpersonationLogEntry | undefined {
  if (sentAs.mode === 'self' || !sentAs.principalId) return undefined;
  const message = error instanceof Error ? error.message : String(error);
  return {
    time: time.toISOString(),
    connectionId: sentAs.connectionId,
    vendor: sentAs.vendor,
    principalId: sentAs.principalId,
    principal: sentAs.who,
    mode: sentAs.mode,
    method: request.method.toUpperCase(),
    url: redactUrl(redactor, request.url),
    error: redactor.text(message),
  };
}

/** Redact a URL, relative ones too (their sensitive query parameters are found the same way). */
function redactUrl(redactor: Pick<Redactor, 'url' | 'text'>, url: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) return redactor.url(url);
  const base = 'http://relative.invalid';
  try {
    const redacted = redactor.url(new URL(url, `${base}/`).toString());
    return redacted.startsWith(base) ? redacted.slice(base.length) : redacted;
  } catch {
    return redactor.text(url);
  }
}

/** The entries as a pretty JSON array (an export file). */
export function toJson(entries: readonly ImpersonationLogEntry[]): string {
  return `${JSON.stringify(entries, null, 2)}\n`;
}

export const CSV_COLUMNS = [
  'time',
  'connectionId',
  'vendor',
  'principalId',
  'principal',
  'mode',
  'method',
  'url',
  'status',
  'error',
  'durationMs',
  'attribution',
] as const;

/**
 * The entries as CSV (RFC 4180: CRLF line ends, fields with a comma, quote or line break quoted, quotes
 * doubled). Cells a spreadsheet would run as a formula (starting with = + - @, tab or CR) get a leading '.
 */
export function toCsv(entries: readonly ImpersonationLogEntry[]): string {
  const rows = [CSV_COLUMNS.join(',')];
  for (const e of entries) rows.push(CSV_COLUMNS.map((column) => csvCell(e[column])).join(','));
  return `${rows.join('\r\n')}\r\n`;
}

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

let temporaryCounter = 0;

/**
 * A log file on disk. Missing file: empty log. Writes go to a temporary file renamed over the log,
 * so a crash mid-write leaves the old log, never half of one.
 */
export function fileLogStorage(file: string): LogStorage {
  return {
    read: async () => {
      try {
        return await fs.readFile(file, 'utf8');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
        throw e;
      }
    },
    write: async (text) => {
      await fs.mkdir(path.dirname(file), { recursive: true });
      const temporary = `${file}.${process.pid}.${(temporaryCounter++).toString(36)}.tmp`;
      await fs.writeFile(temporary, text, 'utf8');
      try {
        await fs.rename(temporary, file);
      } catch (e) {
        await fs.rm(temporary, { force: true });
        throw e;
      }
    },
  };
}

/** A log kept in memory (tests, hosts that persist elsewhere). */
export function memoryLogStorage(initial = ''): LogStorage & { text: string } {
  const storage = {
    text: initial,
    read: async () => storage.text,
    write: async (text: string) => {
      storage.text = text;
    },
  };
  return storage;
}
