// How the extension ends impersonation sessions, bounded in time, and what it keeps of those it could not confirm
// ended: the engines that still hold them (a disposed engine keeps its unconfirmed sessions, to try again), the list
// the Sessions view shows with "End Session Again", and which of them the user was already told about. No 'vscode'
// here: Services wires it to the views and notifications, and unit tests run it against the sandbox.
import type { BehalfEngine } from '../core/engine';
import type { UnendedSession } from '../core/vendor';

/** How long ending sessions may take while the window lives (a settings change, End All, End Session Again). */
export const END_SESSIONS_MS = 5_000;
/**
 * At deactivate (window closing or reloading, folder closed) VS Code gives the extension host a few seconds: the
 * sessions get this much, the sandbox what is left of DEACTIVATE_MS.
 */
export const DEACTIVATE_SESSIONS_MS = 4_000;
export const DEACTIVATE_MS = 5_000;
/** Past its own deadline, the engine gets this long to answer before Behalf stops waiting for it. */
const GRACE_MS = 300;

/** A session that may still be open, and the engine that can try to end it again. */
interface Held {
  session: UnendedSession;
  engine: BehalfEngine;
}

export function unendedKey(u: { connectionId: string; principalId: string; startedAt: number }): string {
  return `${u.connectionId}/${u.principalId}/${u.startedAt}`;
}

export class SessionEnding {
  /** Disposed engines that could not confirm every session ended: they keep those sessions, to try again. */
  private readonly retired = new Set<BehalfEngine>();
  /** Sessions the user was told may still be open (by key), so each is told once. */
  private readonly reported = new Set<string>();

  constructor(
    private readonly current: () => BehalfEngine | undefined,
    /** Sessions newly found to be possibly open (their stop was not confirmed). */
    private readonly onUnended: (sessions: UnendedSession[], engine: BehalfEngine) => void,
  ) {}

  /** Sessions that may still be open, from the engine in use and from disposed ones. */
  list(): UnendedSession[] {
    return this.held().map((h) => h.session);
  }

  /** Report the sessions not yet reported, forget those now ended. Call whenever sessions change. */
  check(): void {
    const held = this.held();
    const keys = new Set(held.map((h) => unendedKey(h.session)));
    for (const key of [...this.reported]) if (!keys.has(key)) this.reported.delete(key);
    const fresh = held.filter((h) => !this.reported.has(unendedKey(h.session)));
    for (const h of fresh) this.reported.add(unendedKey(h.session));
    for (const engine of new Set(fresh.map((h) => h.engine))) {
      this.onUnended(
        fresh.filter((h) => h.engine === engine).map((h) => h.session),
        engine,
      );
    }
  }

  /**
   * Dispose an engine that is no longer in use, within `timeoutMs` whatever its vendors do. What it could not
   * confirm ended stays held (listed, End Session Again) and is returned.
   */
  async disposeEngine(engine: BehalfEngine, timeoutMs = END_SESSIONS_MS): Promise<UnendedSession[]> {
    this.retired.add(engine);
    const unended = await this.disposeBounded(engine, timeoutMs);
    this.prune();
    this.check();
    return unended;
  }

  /** End Session Again: send the stop again for a principal's sessions (every held one when none is given), bounded. */
  async endAgain(which?: { connectionId: string; principalId: string }, timeoutMs = END_SESSIONS_MS): Promise<UnendedSession[]> {
    const targets = new Map<string, Held>();
    for (const h of this.held()) {
      if (which && (h.session.connectionId !== which.connectionId || h.session.principalId !== which.principalId)) continue;
      targets.set(`${h.session.connectionId}/${h.session.principalId}`, h);
    }
    const results = await Promise.all(
      [...targets.values()].map(({ engine, session }) =>
        bounded(
          (signal) => engine.retryEnd(session.connectionId, session.principalId, { timeoutMs, signal }),
          timeoutMs,
          () => [session],
        ),
      ),
    );
    this.prune();
    this.check();
    return results.flat();
  }

  /**
   * End every session of every engine (the one in use, `engine`, and disposed ones still holding some), all at once
   * and within `timeoutMs`: End All Sessions, and deactivate (the window is going away: what is returned is for the
   * log, and the caller keeps quiet). What is still not confirmed ended stays held and is returned.
   */
  async endAll(engine: BehalfEngine | undefined, timeoutMs = DEACTIVATE_SESSIONS_MS): Promise<UnendedSession[]> {
    if (engine) this.retired.add(engine);
    const results = await Promise.all([...this.retired].map((e) => this.disposeBounded(e, timeoutMs)));
    this.prune();
    this.check();
    return results.flat();
  }

  /** engine.dispose, but Behalf stops waiting shortly after `timeoutMs`: then what was open counts as maybe open. */
  private async disposeBounded(engine: BehalfEngine, timeoutMs: number): Promise<UnendedSession[]> {
    const before: UnendedSession[] = [
      ...engine.unendedSessions(),
      ...engine.sessions().map((s) => ({ ...s, connectionLabel: s.connectionId, reason: 'Behalf stopped waiting for its stop', howToEnd: '' })),
    ];
    return bounded(
      (signal) => {
        const disposing = engine.dispose({ timeoutMs, signal });
        // Answered after all: list (and report) what it could not end.
        void disposing.then(() => {
          this.prune();
          this.check();
        });
        return disposing;
      },
      timeoutMs,
      () => before,
    );
  }

  private held(): Held[] {
    const engines = [...new Set([...this.retired, ...[this.current()].filter((e) => e !== undefined)])];
    const seen = new Set<string>();
    const held: Held[] = [];
    for (const engine of engines) {
      for (const session of engine.unendedSessions()) {
        const key = unendedKey(session);
        if (seen.has(key)) continue;
        seen.add(key);
        held.push({ session, engine });
      }
    }
    return held;
  }

  /** Forget disposed engines that hold nothing any more. */
  private prune(): void {
    for (const engine of [...this.retired])
      if (engine !== this.current() && engine.unendedSessions().length === 0 && engine.sessions().length === 0) this.retired.delete(engine);
  }
}

/**
 * Run `work` with a signal that aborts just after `timeoutMs`, and stop waiting for it shortly after that whatever it
 * does (a vendor call that ignores its timeout): then `fallback` answers.
 */
export async function bounded<T>(work: (signal: AbortSignal) => Promise<T>, timeoutMs: number, fallback: () => T): Promise<T> {
  const controller = new AbortController();
  let abortTimer: ReturnType<typeof setTimeout> | undefined;
  let giveUpTimer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work(controller.signal),
      new Promise<T>((resolve) => {
        abortTimer = setTimeout(() => controller.abort(), timeoutMs + GRACE_MS / 2);
        giveUpTimer = setTimeout(() => resolve(fallback()), timeoutMs + GRACE_MS);
      }),
    ]);
  } finally {
    clearTimeout(abortTimer);
    clearTimeout(giveUpTimer);
  }
}

/** The sentence that says which principal's session may still be open, why, and how to end it. */
export function describeUnended(u: UnendedSession, now = Date.now()): string {
  const minutes = Math.max(0, Math.floor((now - u.startedAt) / 60_000));
  const since = `${new Date(u.startedAt).toLocaleTimeString()}${minutes > 0 ? `, ${minutes} min ago` : ''}`;
  return `the impersonation session as ${u.principalLabel} on ${u.connectionLabel} (open since ${since}) may still be open: ${u.reason}.`;
}

/** What the user can do: End Session Again, else the vendor's own way. */
export function howToEndUnended(u: UnendedSession): string {
  return `Click "End Session Again" (also on the session in the Behalf Sessions view) to send the stop again${u.howToEnd ? `; if it keeps failing, ${u.howToEnd}` : ''}.`;
}
