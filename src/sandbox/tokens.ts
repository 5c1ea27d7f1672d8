// Bearer tokens the doubles issue: unguessable values with a vendor prefix, each with what it stands for
// and when it expires.

import { randomBytes } from 'node:crypto';
import type { SandboxConfig } from './doubles';

/** An unguessable token whose prefix tells which double issued it (dc_, ol_, olimp_, cf_, gen_...). */
export function newToken(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('base64url')}`;
}

/** Bearer tokens of one kind, each with what it stands for and when it expires. */
export class TokenStore<T> {
  private readonly tokens = new Map<string, { info: T; expiresAt: number }>();

  constructor(
    private readonly prefix: string,
    private readonly lifetimeSeconds: () => number,
  ) {}

  issue(info: T): { token: string; expiresIn: number } {
    const expiresIn = this.lifetimeSeconds();
    const token = newToken(this.prefix);
    this.tokens.set(token, { info, expiresAt: Date.now() + expiresIn * 1000 });
    return { token, expiresIn };
  }

  /** What the token stands for; undefined when missing, unknown or expired. */
  lookup(token: string | undefined): T | undefined {
    if (token === undefined) return undefined;
    const entry = this.tokens.get(token);
    if (!entry) return undefined;
    if (Date.now() >= entry.expiresAt) {
      this.tokens.delete(token);
      return undefined;
    }
    return entry.info;
  }

  /** Every token issued so far becomes invalid. */
  expireAll(): void {
    this.tokens.clear();
  }
}

/** The token lifetime a double uses: the sandbox-wide override, else the vendor's own. */
export function tokenLifetime(config: SandboxConfig, vendorSeconds: number): () => number {
  return () => config.tokenLifetimeSeconds ?? vendorSeconds;
}
