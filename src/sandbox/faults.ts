// Fault injection: the FaultSpec a test injects (in code or over POST /__sandbox/faults), its validation,
// which requests it matches, and the big valid JSON body of the big-body fault. The server applies them.

import type { SandboxLogEntry } from './requestLog';
import { MAX_BODY_BYTES, isPlainObject } from './requests';

export type FaultKind = 'status' | 'timeout' | 'reset' | 'malformed-json' | 'big-body' | 'redirect' | 'json' | 'delay';

export interface FaultSpec {
  match?: { vendor?: string; method?: string; pathIncludes?: string };
  kind: FaultKind;
  /** kind=status (default 500); kind=redirect (default 302); kind=malformed-json (default 200). */
  status?: number;
  /** Adds Retry-After to whatever the fault answers. */
  retryAfterSeconds?: number;
  /** kind=big-body: exact size of a valid JSON body (default 6 MiB). */
  bytes?: number;
  /** kind=redirect (default: the same path on the foreign listener). */
  location?: string;
  /**
   * kind=timeout: answer 200 after this long (default: never answer). kind=delay: wait this long (default 1000 ms),
   * then handle the request as usual, even when the client has gone (a session start that opens after the client
   * gave up).
   */
  delayMs?: number;
  /** How many matching requests it applies to (default 1). */
  times?: number;
  /** kind=json: a valid JSON body of the wrong shape (status default 200), to test tolerant parsing. */
  body?: unknown;
}

export const DEFAULT_BIG_BODY_BYTES = 6 * 1024 * 1024;
const FAULT_KINDS: readonly FaultKind[] = ['status', 'timeout', 'reset', 'malformed-json', 'big-body', 'redirect', 'json', 'delay'];

/** Validates a FaultSpec from code or from the control endpoint; throws TypeError naming the bad field. */
export function parseFaultSpec(value: unknown): FaultSpec {
  if (!isPlainObject(value)) throw new TypeError('A fault must be a JSON object.');
  const spec = value as Partial<FaultSpec> & Record<string, unknown>;
  if (!FAULT_KINDS.includes(spec.kind as FaultKind)) throw new TypeError(`fault.kind must be one of ${FAULT_KINDS.join(', ')}.`);
  const integer = (name: keyof FaultSpec, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const field = spec[name];
    if (field !== undefined && (typeof field !== 'number' || !Number.isInteger(field) || field < min || field > max)) {
      throw new TypeError(`fault.${name} must be an integer between ${min} and ${max}.`);
    }
  };
  integer('status', 100, 599);
  integer('retryAfterSeconds', 0);
  integer('bytes', 2, MAX_BODY_BYTES);
  integer('delayMs', 0);
  integer('times', 1);
  if (spec.location !== undefined && typeof spec.location !== 'string') throw new TypeError('fault.location must be a string.');
  if (spec.match !== undefined) {
    if (!isPlainObject(spec.match)) throw new TypeError('fault.match must be an object.');
    for (const key of ['vendor', 'method', 'pathIncludes'] as const) {
      if (spec.match[key] !== undefined && typeof spec.match[key] !== 'string') throw new TypeError(`fault.match.${key} must be a string.`);
    }
  }
  return { ...spec } as FaultSpec;
}

export function faultMatches(spec: FaultSpec, entry: SandboxLogEntry): boolean {
  const match = spec.match ?? {};
  if (match.vendor !== undefined && match.vendor !== entry.vendor) return false;
  if (match.method !== undefined && match.method.toUpperCase() !== entry.method.toUpperCase()) return false;
  if (match.pathIncludes !== undefined && !entry.path.includes(match.pathIncludes)) return false;
  return true;
}

/** A valid JSON document of exactly `bytes` bytes (row objects, then padding), for size-cap tests. */
export function bigJsonBody(bytes: number): string {
  const head = '{"rows":[';
  const tail = '],"padding":""}';
  const rows: string[] = [];
  let size = head.length + tail.length;
  for (let id = 1; ; id++) {
    const row = JSON.stringify({ id, name: `Row ${id}`, note: 'Sandbox big-body fault' });
    const added = row.length + (rows.length > 0 ? 1 : 0);
    if (size + added > bytes) break;
    rows.push(row);
    size += added;
  }
  return `${head}${rows.join(',')}],"padding":"${'x'.repeat(Math.max(0, bytes - size))}"}`;
}
