import type { Clock } from './ports';
import { cancelled } from './transport';

/**
 * A steady queue: requests leave at most `perSecond` per second, evenly spaced, instead of bursting
 * into a vendor's limit and waiting out 429s (Creative Force asks for exactly this).
 *
 * Requests wait their turn in order, and each leaves at least one spacing after the previous one actually
 * left: timers that fire late together (a busy extension host) cannot turn into a burst, as slots booked
 * in advance would.
 */
export class RateLimiter {
  private lastDeparture = -Infinity;
  private queue: Promise<void> = Promise.resolve();
  private readonly spacingMs: number;

  constructor(
    perSecond: number,
    private readonly clock: Clock,
  ) {
    this.spacingMs = 1000 / perSecond;
  }

  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.waitForTurn(signal));
    // A cancelled request gives its turn to the next one.
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async waitForTurn(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) throw cancelled();
    const wait = this.lastDeparture + this.spacingMs - this.clock.now();
    if (wait > 0) await this.clock.sleep(wait, signal).catch(() => Promise.reject(cancelled()));
    this.lastDeparture = this.clock.now();
  }
}
