import type { Clock } from './ports';

export interface IssuedToken {
  token: string;
  /** Lifetime in seconds from issue; undefined = never expires (a static token). */
  expiresInSeconds?: number;
}

interface Entry {
  token: string;
  expiresAt: number; // ms epoch; Infinity for static tokens
  issuedAt: number; // ms epoch, when the token call answered
}

/**
 * Caches bearer tokens per key. One fetch at a time per key (single flight): 500 concurrent requests
 * that find no token cause one token call, not 500. A token is treated as expired a little before its
 * real expiry (10% of its lifetime, at most 60 s) so it never dies in flight.
 */
export class TokenCache {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<string>>();
  private generation = 0;

  constructor(private readonly clock: Clock) {}

  async get(key: string, fetchToken: () => Promise<IssuedToken>): Promise<string> {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt > this.clock.now()) return entry.token;
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const generation = this.generation;
    const fetching = (async () => {
      try {
        const issued = await fetchToken();
        const lifetimeMs = issued.expiresInSeconds === undefined ? Infinity : Math.max(0, issued.expiresInSeconds * 1000);
        const margin = Math.min(lifetimeMs * 0.1, 60_000);
        // A token fetched before invalidateAll() must not be cached after it.
        if (generation === this.generation) {
          const now = this.clock.now();
          this.entries.set(key, { token: issued.token, expiresAt: now + lifetimeMs - margin, issuedAt: now });
        }
        return issued.token;
      } finally {
        this.inFlight.delete(key);
      }
    })();
    this.inFlight.set(key, fetching);
    return fetching;
  }

  /** Forget one token (after a 401) so the next get() fetches a new one. */
  invalidate(key: string): void {
    this.entries.delete(key);
  }

  invalidateAll(): void {
    this.entries.clear();
    this.generation++;
  }

  /** When the cached token was issued (ms epoch), or undefined when none is cached: a 401 right after issue is rarely its age. */
  issuedAt(key: string): number | undefined {
    const entry = this.entries.get(key);
    return entry && entry.expiresAt > this.clock.now() ? entry.issuedAt : undefined;
  }

  has(key: string): boolean {
    const entry = this.entries.get(key);
    return !!entry && entry.expiresAt > this.clock.now();
  }
}
