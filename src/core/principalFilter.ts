// The Connections view's principal filter, without VS Code: a lower-case search key per principal (made once
// per loaded principal, not per keystroke) and a case-insensitive substring match on it.

import type { Principal } from './model';

/** Between fields in a search key: no query can match across two fields (a query holding it is never typed). */
const SEPARATOR = '\u0000';

/** The text a query is matched against: name, email, vendor user id (or app client id) and Behalf id, lower-case. */
export function principalSearchKey(principal: Principal): string {
  const fields = [principal.name, principal.email, principal.userId, principal.clientId, principal.id];
  return fields
    .filter((f): f is string => typeof f === 'string' && f !== '')
    .join(SEPARATOR)
    .toLowerCase();
}

/** The query as matched: trimmed and lower-case; undefined for no filter (nothing, or only spaces). */
export function normalizeQuery(text: string | undefined): string | undefined {
  const query = text?.trim().toLowerCase();
  return query ? query : undefined;
}

/**
 * Search keys, made once per principal object: the objects are new each time the connections file is read
 * (or principals are fetched), so the cache follows the loads by itself and keeps nothing alive.
 */
export class PrincipalSearchKeys {
  private readonly keys = new WeakMap<Principal, string>();

  of(principal: Principal): string {
    let key = this.keys.get(principal);
    if (key === undefined) {
      key = principalSearchKey(principal);
      this.keys.set(principal, key);
    }
    return key;
  }

  /** The principals that match a normalized query (all of them when there is none), in their order. */
  filter(principals: readonly Principal[], query: string | undefined): Principal[] {
    if (!query) return [...principals];
    const out: Principal[] = [];
    for (const principal of principals) if (this.of(principal).includes(query)) out.push(principal);
    return out;
  }
}

/** `filter "ann" · 12 of 10,000 principals` (numbers grouped the same way whatever the locale). */
export function describeFilter(text: string, matches: number, total: number): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return `filter "${text.trim()}" · ${n(matches)} of ${n(total)} principal${total === 1 ? '' : 's'}`;
}
