// What the server and the vendor doubles agree on: the vendors, the settings every double reads, the
// connections a double can serve, and the VendorDouble interface the server dispatches to.

import type { Connection } from '../core/model';
import type { Reply } from './replies';
import type { SandboxRequest } from './requests';

export type VendorName = 'dealcloud' | 'orangelogic' | 'creativeforce' | 'generic';
export type AsUserDenialStatus = 400 | 401 | 403;

/** Settings every double reads at request time; reset() restores the ones given at start. */
export interface SandboxConfig {
  tokenLifetimeSeconds?: number;
  asUserDenialStatus: AsUserDenialStatus;
  /**
   * The `{"message"}` of that denial; `{proxyUserId}` and `{userId}` are filled in (e.g. "User {proxyUserId} is not
   * allowed to act as user {userId}"). Default: "Unauthorized" on a 401, else "User is not allowed to proxy as the
   * provided user.".
   */
  asUserDenialMessage?: string;
  cfRequestsPerSecond: number;
  /**
   * Where a site takes one: the Search API parameter by which a service token names the user to search as
   * (`?<param>=<API id>`). Unset (the default): such a parameter is ignored, and only a full-impersonation
   * session token searches as someone else.
   */
  olSearchImpersonationParam?: string;
}

// A connection as the file writes it: the vendor-neutral fields, and each vendor's own settings beside them.
export type ConnectionJson = Omit<Connection, 'position' | 'settings'> & { [setting: string]: unknown };

/** A connection the sandbox can serve, with the secrets that belong in the environment, not in the file. */
export interface SandboxConnection {
  connection: ConnectionJson;
  secret: string;
  /** Principal id → that principal's own secret (Creative Force: each principal is a registered app). */
  principalSecrets?: Record<string, string>;
}

export interface VendorDouble {
  readonly vendor: VendorName;
  /** Path prefix on the main listener, e.g. `/dealcloud`. */
  readonly prefix: string;
  handle(req: SandboxRequest): Reply | Promise<Reply>;
  /** The vendor's wording of a 400 for a body or query it cannot read (default `{"message"}`). */
  badRequest?(message: string, req: SandboxRequest): Reply;
  /** Headers on every response of this vendor (Orange Logic's x-cortex-request-id). */
  responseHeaders?(): Record<string, string>;
  /** Seed data, sessions, tokens and rate windows back to the start. */
  reset(): void;
  expireTokens(): void;
  /** The connections (and their secrets) that reach this double at `sandboxUrl`. */
  connections(sandboxUrl: string): SandboxConnection[];
}
