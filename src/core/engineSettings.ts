// Whether a connection read again still has the settings its adapter was made for (BehalfEngine.adapter): the
// adapter, and the impersonation sessions it holds, stay when only the connection's place in the file moved.
import type { Connection } from './model';

/**
 * Two connections with the same settings: equal as JSON values (what JSON.stringify would write, in any key order)
 * apart from their position in the file. A comparison rather than a key made of each connection's JSON: with 10,000
 * principals that key was a megabyte string per connection read, made at the first render of the Connections tree;
 * this walks the values once, only when an adapter meets a new Connection object, and stops at the first difference.
 */
export function sameSettings(a: Connection, b: Connection): boolean {
  return a === b || jsonEqual({ ...a, position: undefined }, { ...b, position: undefined });
}

/** Equal as JSON: undefined (and function) properties count as absent, as JSON.stringify leaves them out. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], b[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let count = 0;
  for (const key in x) {
    if (!Object.prototype.hasOwnProperty.call(x, key) || absent(x[key])) continue;
    if (!Object.prototype.hasOwnProperty.call(y, key) || !jsonEqual(x[key], y[key])) return false;
    count++;
  }
  for (const key in y) if (Object.prototype.hasOwnProperty.call(y, key) && !absent(y[key])) count--;
  return count === 0;
}

function absent(value: unknown): boolean {
  return value === undefined || typeof value === 'function';
}
