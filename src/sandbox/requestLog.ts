// The request log: one entry per request either listener received, as GET /__sandbox/log returns it.

import type { VendorName } from './doubles';

export type LogVendor = VendorName | 'control' | 'foreign' | 'unknown';

export interface SandboxLogEntry {
  /** Increases with every request; not restarted by reset(). */
  seq: number;
  time: number;
  listener: 'main' | 'foreign';
  vendor: LogVendor;
  method: string;
  /** Path without query, as received. */
  path: string;
  query: Record<string, string>;
  /** Lower-case names, values as received (repeated headers joined with ", "). */
  headers: Record<string, string>;
  /** utf8, first 64 KiB. */
  body: string;
  /** What the sandbox answered; 0 while unanswered, and for reset/timeout faults. */
  status: number;
  /** Email of the identity the double acted as, when it decided one. */
  effectiveUser?: string;
}
