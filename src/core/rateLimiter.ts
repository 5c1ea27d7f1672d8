import type { Clock } from './ports';
import { cancelled } from './transport';

/**
 * A steady queue: requests leave at most `perSecond` per second, evenly spaced, instead of bursting
 * into a vendor's limit and waiting out 429s (Creative Force asks for exactly this).
 */
export class RateLimiter {
  private nextSlot = 0;
  private readonly spacingMs: number;

  constructor(perSecond: number, private readonly clock: Clock) {
    this.spacingMs = 1000 / perSecond;
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    const now = this.clock.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + this.spacingMs;
    if (slot > now) await this.clock.sleep(slot - now, signal).catch(() => Promise.reject(cancelled()));
  }
}
