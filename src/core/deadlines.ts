// Inactivity deadlines of the requests in flight (the transport's timeout: no answer, or no body chunk, for so
// long), all watched by one timer. A timer per request cost more than it looks: Node keeps a list per duration and
// drops it when it empties, so each sequential request made a list, queued it, and removed it again (500 GETs in
// a row: 3 to 8 ms of a ~210 ms loop, against 10 ms with no timer at all). Here a deadline is a number moved on activity, and the one
// timer is set again only when it would fire too late for a new deadline, or when it fires.

export interface Deadline {
  /** Activity: the deadline moves to its duration from now. */
  refresh(): void;
  /** Done: it never expires. Idempotent. */
  clear(): void;
}

interface Entry {
  due: number;
  readonly ms: number;
  readonly onExpired: () => void;
}

/** A monotonic clock in ms: process.uptime() allocates nothing, and `performance` would load node:perf_hooks. */
const now = () => process.uptime() * 1000;

const watched = new Set<Entry>();
let timer: NodeJS.Timeout | undefined;
/** When `timer` fires (on `now`), Infinity without one. */
let timerDue = Infinity;

/** Calls `onExpired` once if `ms` pass without a refresh() and before clear(). */
export function watchDeadline(ms: number, onExpired: () => void): Deadline {
  const entry: Entry = { due: now() + ms, ms, onExpired };
  watched.add(entry);
  // Only the requests keep the process running: the timer holds it while one is watched (as a timer each did).
  if (watched.size === 1) timer?.ref();
  wakeBy(entry.due);
  return {
    refresh: () => {
      if (watched.has(entry)) entry.due = now() + ms;
    },
    clear: () => {
      if (watched.delete(entry) && watched.size === 0) timer?.unref();
    },
  };
}

function wakeBy(due: number): void {
  if (timer !== undefined && timerDue <= due) return;
  if (timer !== undefined) clearTimeout(timer);
  timerDue = due;
  // Called only with a deadline watched (a new one, or those left after expire): the timer holds the process.
  timer = setTimeout(expire, Math.max(0, due - now()));
}

function expire(): void {
  timer = undefined;
  timerDue = Infinity;
  const at = now();
  let next = Infinity;
  for (const entry of [...watched]) {
    // A callback may have cleared it meanwhile (a failure settles the others of its request too).
    if (!watched.has(entry)) continue;
    if (entry.due <= at) {
      watched.delete(entry);
      entry.onExpired();
    } else next = Math.min(next, entry.due);
  }
  // Deadlines added by the callbacks have set the timer themselves; wakeBy keeps the earlier of the two.
  if (next !== Infinity) wakeBy(next);
}
