// The adapters an engine has bound to connections, and the impersonation sessions they hold until the vendor
// confirms each ended: replaced and released adapters end theirs in the background, and dispose() waits for them,
// within a deadline, and reports what stayed unconfirmed.
import type { Connection } from './model';
import type { Clock, Log } from './ports';
import type { RateLimiter } from './rateLimiter';
import type { Redactor } from './redact';
import type { ConnectionAdapter, ImpersonationSession, UnendedSession } from './vendor';
import { errorMessage } from './engineRedaction';

/** How long dispose() may spend ending sessions by default: short enough for a process that is going away. */
export const DEFAULT_DISPOSE_MS = 5_000;

/** An ending that does not wait past `timeoutMs` from now (default DEFAULT_DISPOSE_MS); `signal` gives up at once. */
export interface BoundedEnding {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** The moment an ending of `timeoutMs` (default DEFAULT_DISPOSE_MS) started now must be over. */
export function endingDeadline(clock: Clock, timeoutMs: number | undefined): number {
  return clock.now() + (timeoutMs ?? DEFAULT_DISPOSE_MS);
}

/** A connection's adapter, the connection (settings) it was made for, and the rate limiter its requests wait on. */
export interface BoundAdapter {
  connection: Connection;
  adapter: ConnectionAdapter;
  limiter?: RateLimiter;
}

/** The engine's adapters by connection id, plus those replaced or released that are still ending (or failed to end) sessions. */
export class BoundAdapters {
  private readonly bound = new Map<string, BoundAdapter>();
  /** Adapters replaced or released while the engine runs, still ending their sessions: dispose() waits for them. */
  private readonly retiring = new Set<Promise<UnendedSession[]>>();
  /** Adapters (retired or disposed) that could not confirm every session ended: dispose() tries them again. */
  private readonly unsettled = new Map<ConnectionAdapter, string>();

  constructor(
    private readonly clock: Clock,
    private readonly log: Log,
    // Only for the wording of a failed ending: its message may quote a token.
    private readonly redactor: Redactor,
  ) {}

  get(connectionId: string): BoundAdapter | undefined {
    return this.bound.get(connectionId);
  }

  set(connectionId: string, bound: BoundAdapter): void {
    this.bound.set(connectionId, bound);
  }

  /** The sessions open now, on every bound adapter. */
  sessions(): ImpersonationSession[] {
    return [...this.bound.values()].flatMap((b) => b.adapter.sessions?.() ?? []);
  }

  /** BehalfEngine.unendedSessions: of the bound adapters and of those that could not confirm every stop. */
  unendedSessions(): UnendedSession[] {
    const adapters = new Set([...[...this.bound.values()].map((b) => b.adapter), ...this.unsettled.keys()]);
    return [...adapters].flatMap((adapter) => adapter.unendedSessions?.() ?? []);
  }

  /** BehalfEngine.retryEnd: the bound adapter and any unsettled one of the connection try again. */
  async retryEnd(connectionId: string, principalId: string, options: BoundedEnding = {}): Promise<UnendedSession[]> {
    const deadline = endingDeadline(this.clock, options.timeoutMs);
    const bound = this.bound.get(connectionId)?.adapter;
    const adapters = new Set([...(bound ? [bound] : []), ...[...this.unsettled].filter(([, id]) => id === connectionId).map(([a]) => a)]);
    const results = await Promise.all([...adapters].map((a) => a.retryEnd?.(principalId, { deadline, signal: options.signal }) ?? Promise.resolve([])));
    for (const adapter of adapters) if (this.unsettled.has(adapter) && (adapter.unendedSessions?.().length ?? 0) === 0) this.unsettled.delete(adapter);
    return results.flat();
  }

  /** BehalfEngine.release: unbound at once, its sessions ended before this resolves. */
  async release(connectionId: string): Promise<void> {
    const bound = this.bound.get(connectionId);
    this.bound.delete(connectionId);
    if (bound) await this.retire(bound.adapter, connectionId);
  }

  /** BehalfEngine.dispose: every adapter, bound, retiring or unsettled, ends its sessions within one deadline. */
  async dispose(options: BoundedEnding = {}): Promise<UnendedSession[]> {
    const adapters: Array<[ConnectionAdapter, string]> = [
      ...[...this.bound.entries()].map(([id, b]): [ConnectionAdapter, string] => [b.adapter, id]),
      ...this.unsettled,
    ];
    this.bound.clear();
    this.unsettled.clear();
    const deadline = endingDeadline(this.clock, options.timeoutMs);
    const ending = adapters.map(([adapter, id]) => this.endAdapter(adapter, id, { deadline, signal: options.signal }));
    const results = await Promise.all([...ending, ...this.retiring]);
    return results.flat();
  }

  /** Dispose an adapter that is no longer bound; what it could not end, dispose() tries again and reports. */
  retire(adapter: ConnectionAdapter, connectionId: string): Promise<UnendedSession[]> {
    const ending = this.endAdapter(adapter, connectionId, {}).finally(() => this.retiring.delete(ending));
    this.retiring.add(ending);
    return ending;
  }

  private async endAdapter(adapter: ConnectionAdapter, connectionId: string, options: { deadline?: number; signal?: AbortSignal }): Promise<UnendedSession[]> {
    try {
      const unended = (await adapter.dispose(options)) ?? [];
      // Kept, so that the next dispose() tries these sessions again (and reports them while they stay unconfirmed).
      if (unended.length > 0) this.unsettled.set(adapter, connectionId);
      return unended;
    } catch (e) {
      this.log.log('warn', `Ending the sessions of ${connectionId} failed: ${errorMessage(this.redactor, e)}`);
      return [];
    }
  }
}
