// The access matrix: a file's reads sent as each of several identities, one cell per request × identity, with the
// outcome (allowed / denied / error), rows seen, the adapter's explanation and the `# @expect` verdicts. Every send
// goes through engine.sendAs (guards, redaction, explanations, the per-gateway rate limit); writes are never sent.

import { readsDespiteMethod, rowCountOf } from './compare';
import type { BehalfEngine, SendOptions } from './engine';
import { BehalfError, isBehalfError } from './errors';
import type { Verdict } from './expectations';
import type { HttpFileRequest } from './http/parsedFile';
import { judgeExpectation, namesIdentity } from './judge';
import type { ActAs, Connection, ImpersonationMode, Principal, RequestSpec, ResponseRecord } from './model';
import { isMutating, urlOnConnection } from './model';
import type { UnendedSession } from './vendor';
import { describePrincipal } from './vendor';

/** One column: someone to send as. `id` is the principal's id, or `self` for the service user. */
export interface MatrixIdentity {
  id: string;
  label: string;
  /** The connection's id. */
  connection: string;
  actAs: ActAs;
}

/** One row: a request of the file. */
export interface MatrixRow {
  name: string;
  method: string;
  url: string;
  request: HttpFileRequest;
  /** The request resolved (variables expanded); absent when it could not be (see `error`) or is skipped. */
  spec?: RequestSpec;
  /** Why the row is not sent (a write); its cells are `skipped` with this reason. */
  skipped?: string;
  /** Why the request could not be prepared (a variable that does not resolve): its cells are `error`. */
  error?: string;
  /** The connection the request goes to: only identities of this connection get a cell sent (absent: any). */
  connection?: Connection;
}

export type MatrixOutcome = 'allowed' | 'denied' | 'error' | 'skipped';

export interface MatrixCell {
  /** The row's name. */
  request: string;
  /** The identity's id. */
  identity: string;
  status?: number;
  outcome: MatrixOutcome;
  /** Rows (items) in the body when it holds a list, found as compare finds them. */
  rows?: number;
  durationMs?: number;
  /** For denials, the adapter's explanation (e.g. "no proxy assignment"); for skipped cells, why. */
  explanation?: string;
  /** No answer: why (redacted). */
  error?: string;
  /** The `# @expect` lines for this identity, in words (`denied`, `rows >= 1`). */
  expected?: string[];
  /** Whether every expectation holds (absent without expectations). */
  met?: boolean;
  verdicts: Verdict[];
  /** The response (redacted), for opening a cell in the response panel. */
  record?: ResponseRecord;
}

export interface MatrixResult {
  identities: Array<{ id: string; label: string; connection: string }>;
  requests: Array<{ name: string; method: string; url: string; skipped?: string }>;
  /** Row by row, identity by identity (the order of `requests` × `identities`). */
  cells: MatrixCell[];
  /** Impersonation sessions the run opened whose stop the vendor did not confirm: they may still be open. */
  unendedSessions?: UnendedSession[];
}

export interface MatrixSentEvent {
  spec: RequestSpec;
  actAs: ActAs;
  /** When it was sent. */
  time: Date;
  record?: ResponseRecord;
  error?: unknown;
}

export interface MatrixOptions extends SendOptions {
  /** Sends in flight at once per connection (default 4); the vendor's rate limit applies on top. */
  concurrency?: number;
  signal?: AbortSignal;
  /** Each cell as soon as it is known (sent, failed or skipped); `done` of `total` cells. */
  onCell?(cell: MatrixCell, done: number, total: number): void;
  /** Each send, as soon as it is done or failed: for an impersonation log that misses nothing. */
  onSent?(event: MatrixSentEvent): void | Promise<void>;
}

export const DEFAULT_MATRIX_CONCURRENCY = 4;

/** Whether a matrix may send this request: a safe method, or a read the adapter knows uses POST. */
export function isMatrixRead(engine: BehalfEngine, method: string, url: string, connection: Connection): boolean {
  return !isMutating(method) || readsDespiteMethod(engine, { method, url, headers: {} }, connection);
}

/** Why a write is not sent by a matrix, for its skipped cells. */
export function writeSkipReason(method: string): string {
  return `${method.toUpperCase()} changes data: a matrix sends reads only (it would be sent once per identity)`;
}

/** The outcome of an answer: allowed 2xx/3xx, denied 401/403 (and 404 where the vendor hides), error otherwise. */
export function outcomeOf(status: number, hidden: boolean): MatrixOutcome {
  if (status >= 200 && status < 400) return 'allowed';
  if (status === 401 || status === 403 || (status === 404 && hidden)) return 'denied';
  return 'error';
}

/** The row's display name: `# @name`, else `METHOD path` (uniqueRowNames disambiguates repeats). */
export function matrixRowName(request: HttpFileRequest): string {
  return request.name ?? request.title ?? `${request.method} ${request.url.replace(/^https?:\/\/[^/]+/i, '')}`.slice(0, 120);
}

/**
 * Build a row from a parsed request and its resolved spec (or the error resolving it). Writes the adapter does not
 * mark as reads are skipped with the reason.
 */
export function matrixRow(
  engine: BehalfEngine,
  request: HttpFileRequest,
  connection: Connection,
  resolved: { spec: RequestSpec } | { error: string },
): MatrixRow {
  const spec = 'spec' in resolved ? resolved.spec : undefined;
  const method = (spec?.method ?? request.method).toUpperCase();
  const url = spec?.url ?? request.url;
  const row: MatrixRow = { name: matrixRowName(request), method, url, request, connection };
  if (request.disabled) row.skipped = 'disabled by # @disabled';
  else if (!isMatrixRead(engine, method, url, connection)) row.skipped = writeSkipReason(method);
  else if (spec) row.spec = spec;
  else row.error = 'error' in resolved ? resolved.error : 'not resolved';
  return row;
}

/** Names are how cells are found: two requests without `# @name` and the same line become `… #2`, `… #3`. */
export function uniqueRowNames(rows: MatrixRow[]): MatrixRow[] {
  const seen = new Map<string, number>();
  for (const row of rows) {
    const n = (seen.get(row.name) ?? 0) + 1;
    seen.set(row.name, n);
    if (n > 1) row.name = `${row.name} #${n}`;
  }
  return rows;
}

/** An identity for a principal of a connection (undefined = the service user, `self`). */
export function matrixIdentity(connection: Connection, principal: Principal | undefined, mode: ImpersonationMode): MatrixIdentity {
  return {
    id: principal ? principal.id : 'self',
    label: principal ? describePrincipal(principal) : `${describePrincipal(undefined)} (self)`,
    connection: connection.id,
    actAs: { connection, principal, mode },
  };
}

export interface IdentityChoice {
  /** `--as`: principal ids, emails, vendor user ids, or `self`. */
  as?: string[];
  /** `--all`: the service user and every principal of each row's connection. */
  all?: boolean;
  /** The mode to act in (default: engine.readMode — full where the vendor has it, as compare does). */
  mode?: ImpersonationMode;
  signal?: AbortSignal;
}

/**
 * The columns of a matrix: `as` refs resolved on each row's connection, or with `all` the service user and every
 * principal (file and vendor), or else the identities the rows' `# @expect` lines name. Ids are unique: when two
 * connections have a principal of the same id, the id becomes `<connection>/<id>`.
 */
export async function matrixIdentities(engine: BehalfEngine, rows: MatrixRow[], choice: IdentityChoice): Promise<MatrixIdentity[]> {
  const connections = [...new Map(rows.filter((r) => r.connection).map((r) => [r.connection!.id, r.connection!])).values()];
  const found: MatrixIdentity[] = [];
  const add = (connection: Connection, principal: Principal | undefined) => {
    const identity = matrixIdentity(connection, principal, engine.readMode(connection, choice.mode));
    if (!found.some((f) => f.connection === identity.connection && f.actAs.principal?.id === principal?.id)) found.push(identity);
  };
  const resolve = async (connection: Connection, ref: string) =>
    ref.trim().toLowerCase() === 'self' ? undefined : await engine.resolvePrincipal(connection, ref.trim(), choice.signal);

  if (choice.all) {
    for (const connection of connections) {
      add(connection, undefined);
      for (const principal of await engine.listPrincipals(connection, choice.signal)) add(connection, principal);
    }
  }
  for (const ref of choice.as ?? []) {
    let first: Error | undefined;
    let resolved = 0;
    for (const connection of connections) {
      try {
        add(connection, await resolve(connection, ref));
        resolved++;
      } catch (e) {
        first ??= e instanceof Error ? e : new Error(String(e));
      }
    }
    if (resolved === 0 && first) throw first;
  }
  if (!choice.all && !(choice.as ?? []).length) {
    for (const row of rows) {
      if (!row.connection) continue;
      for (const expectation of row.request.expectations) {
        try {
          add(row.connection, await resolve(row.connection, expectation.identity));
        } catch (e) {
          if (!isBehalfError(e) || e.code !== 'principal') throw e;
          throw new BehalfError('principal', `${e.message.replace(/\.$/, '')}, named by "${expectation.text}" (line ${expectation.line}).`, { hint: e.hint });
        }
      }
    }
  }
  // Unique ids: a principal id shared by two connections is qualified by its connection.
  const counts = new Map<string, number>();
  for (const identity of found) counts.set(identity.id, (counts.get(identity.id) ?? 0) + 1);
  for (const identity of found) if ((counts.get(identity.id) ?? 0) > 1) identity.id = `${identity.connection}/${identity.id}`;
  return found;
}

/**
 * Send every row as every identity and judge the `# @expect` lines. Sends run concurrently, at most `concurrency`
 * per connection (the engine's per-gateway rate limit applies to them too); every session a principal opened is
 * ended at the end, whatever happens (a stop the vendor did not confirm is in `unendedSessions`).
 */
export async function runMatrix(engine: BehalfEngine, rows: MatrixRow[], identities: MatrixIdentity[], options: MatrixOptions = {}): Promise<MatrixResult> {
  const { concurrency = DEFAULT_MATRIX_CONCURRENCY, ...sendOptions } = options;
  const onSent = (event: MatrixSentEvent) => options.onSent?.(event);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new BehalfError('usage', `The matrix concurrency must be a whole number of at least 1 (got ${concurrency}).`);
  const total = rows.length * identities.length;
  const cells: MatrixCell[] = new Array<MatrixCell>(total);
  let done = 0;
  const settle = (index: number, cell: MatrixCell) => {
    cells[index] = cell;
    done++;
    options.onCell?.(cell, done, total);
  };

  // Cells to send, queued per connection; the rest are settled at once.
  const queues = new Map<string, Array<() => Promise<void>>>();
  rows.forEach((row, r) =>
    identities.forEach((identity, i) => {
      const index = r * identities.length + i;
      const base = { request: row.name, identity: identity.id, verdicts: [] as Verdict[] };
      const expectations = row.request.expectations.filter((e) => namesIdentity(e.identity, identity.actAs.principal));
      const judged = (cell: Omit<MatrixCell, 'verdicts' | 'expected' | 'met'> & { verdicts: Verdict[] }): MatrixCell => {
        if (expectations.length === 0) return cell;
        const verdicts = expectations.map((e) => judgeExpectation(e, cell));
        return { ...cell, verdicts, expected: verdicts.map((v) => v.expected), met: verdicts.every((v) => v.met) };
      };
      if (row.skipped) return settle(index, judged({ ...base, outcome: 'skipped', explanation: row.skipped }));
      if (row.connection && row.connection.id !== identity.actAs.connection.id)
        return settle(index, { ...base, outcome: 'skipped', explanation: `${row.name} goes to ${row.connection.id}, not ${identity.connection}` });
      if (!row.spec) return settle(index, judged({ ...base, outcome: 'error', error: row.error ?? 'the request could not be prepared' }));
      const spec = row.spec;
      const key = identity.actAs.connection.id;
      if (!queues.has(key)) queues.set(key, []);
      queues.get(key)!.push(async () => {
        if (sendOptions.signal?.aborted) return settle(index, judged({ ...base, outcome: 'skipped', explanation: 'cancelled before it was sent' }));
        const time = new Date();
        try {
          const record = await engine.sendAs(spec, identity.actAs, sendOptions);
          await onSent({ spec, actAs: identity.actAs, time, record });
          const adapter = engine.adapter(identity.actAs.connection);
          const hidden =
            record.status === 404 && adapter.hidesWithNotFound?.(spec.method.toUpperCase(), urlOnConnection(spec.url, identity.actAs.connection)) === true;
          const outcome = outcomeOf(record.status, hidden);
          settle(
            index,
            judged({
              ...base,
              status: record.status,
              outcome,
              rows: record.status >= 200 && record.status < 300 ? rowCountOf(record.body) : undefined,
              durationMs: record.durationMs,
              explanation:
                record.explanation?.message ??
                (hidden ? `answered 404: ${identity.label} may not see it (the vendor hides what a user may not see)` : undefined),
              ...(outcome === 'error' ? { error: `answered ${record.status}${record.statusText ? ` ${record.statusText}` : ''}` } : {}),
              record,
            }),
          );
        } catch (error) {
          await onSent({ spec, actAs: identity.actAs, time, error });
          const message = engine.redactor.text(isBehalfError(error) ? error.message : error instanceof Error ? error.message : String(error));
          if (isBehalfError(error) && error.code === 'cancelled') settle(index, judged({ ...base, outcome: 'skipped', explanation: 'cancelled' }));
          else settle(index, judged({ ...base, outcome: 'error', error: message }));
        }
      });
    }),
  );

  const unendedSessions: UnendedSession[] = [];
  try {
    await Promise.all(
      [...queues.values()].map(async (queue) => {
        const workers = Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
          for (let task = queue.shift(); task; task = queue.shift()) await task();
        });
        await Promise.all(workers);
      }),
    );
  } finally {
    // Sessions (Orange Logic full mode) were started once per principal by the adapter; all end now, whatever happened.
    const ended = new Set<string>();
    for (const identity of identities) {
      const { connection, principal } = identity.actAs;
      if (!principal || ended.has(`${connection.id}\n${principal.id}`)) continue;
      ended.add(`${connection.id}\n${principal.id}`);
      try {
        unendedSessions.push(...(await engine.endSession(connection, principal.id)));
      } catch (e) {
        const session = { connectionId: connection.id, principalId: principal.id, principalLabel: identity.label, startedAt: 0, lastUsedAt: 0 };
        const reason = engine.redactor.text(e instanceof Error ? e.message : String(e));
        unendedSessions.push({ ...session, connectionLabel: connection.label, reason, howToEnd: 'end it in the vendor, or run the matrix again' });
      }
    }
  }

  return {
    identities: identities.map(({ id, label, connection }) => ({ id, label, connection })),
    requests: rows.map(({ name, method, url, skipped }) => ({ name, method, url, ...(skipped ? { skipped } : {}) })),
    cells,
    ...(unendedSessions.length ? { unendedSessions } : {}),
  };
}

/** Whether a matrix run proved everything: every sent cell got an answer and every expectation holds. */
export function matrixPassed(result: MatrixResult): boolean {
  const cancelled = (cell: MatrixCell) => cell.outcome === 'skipped' && cell.explanation?.startsWith('cancelled') === true;
  return result.cells.every((cell) => cell.outcome !== 'error' && cell.met !== false && !cancelled(cell)) && !result.unendedSessions?.length;
}
