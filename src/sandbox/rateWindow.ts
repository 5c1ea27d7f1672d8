// Rate limits of the doubles (Creative Force's gateway, DealCloud): a sliding window of hits per key.

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** At most `limit` hits per key in any sliding window of `windowMs`; refused hits are not counted. */
export class RateWindow {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  hit(key: string, now: number = Date.now()): RateDecision {
    const recent = (this.hits.get(key) ?? []).filter((time) => time > now - this.windowMs);
    if (recent.length >= this.limit) {
      this.hits.set(key, recent);
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((recent[0] + this.windowMs - now) / 1000)) };
    }
    recent.push(now);
    this.hits.set(key, recent);
    return { allowed: true };
  }

  clear(): void {
    this.hits.clear();
  }
}
