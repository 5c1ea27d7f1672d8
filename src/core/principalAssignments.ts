// A connection's principals as the file lists them, merged with the vendor's own list of whom the service user may
// act as (DealCloud: proxy assignments), each marked with where it comes from and whether the vendor allows it.
// Vendor-neutral: it compares vendor user ids (falling back to Behalf's ids), nothing else.

import type { Principal } from './model';

export interface MergedPrincipal extends Omit<Principal, 'source'> {
  /** Where it is listed: the connections file, the vendor's list, or both. */
  source: 'file' | 'vendor' | 'both';
  /** Whether the vendor's list lets the service user act as it; undefined when the vendor keeps no such list. */
  assigned?: boolean;
}

/** The key principals are matched on: the vendor's user id, else Behalf's id. */
function keyOf(principal: Pick<Principal, 'id' | 'userId'>): string {
  return principal.userId ?? principal.id;
}

/**
 * The file's principals in file order (each `both` or `file`), then those only the vendor lists (`vendor`).
 * `vendor` undefined: the vendor keeps no list, so every principal is `file` and `assigned` is left out.
 */
export function mergePrincipals(file: readonly Principal[], vendor: readonly Principal[] | undefined): MergedPrincipal[] {
  const plain = ({ source: _source, ...rest }: Principal) => rest;
  if (!vendor) return file.map((p) => ({ ...plain(p), source: 'file' }));
  const byKey = new Map(vendor.map((p) => [keyOf(p), p]));
  const merged: MergedPrincipal[] = file.map((p) => {
    const listed = byKey.get(keyOf(p));
    // The file's values win; the vendor fills in what the file leaves out (name, email).
    return listed
      ? { ...plain(p), name: p.name ?? listed.name, email: p.email ?? listed.email, source: 'both', assigned: true }
      : { ...plain(p), source: 'file', assigned: false };
  });
  const inFile = new Set(file.map(keyOf));
  const seen = new Set<string>();
  for (const p of vendor) {
    const key = keyOf(p);
    if (inFile.has(key) || seen.has(key)) continue;
    seen.add(key);
    merged.push({ ...plain(p), source: 'vendor', assigned: true });
  }
  return merged;
}

/**
 * An id for a vendor-only principal added to the file: the email's local part (or the name) in the id alphabet
 * (letters, digits, ".", "_", "-"), else `user-<userId>`; never one of `taken`.
 */
export function suggestedPrincipalId(principal: Pick<Principal, 'id' | 'userId' | 'email' | 'name'>, taken: readonly string[]): string {
  const fromEmail = principal.email?.split('@')[0];
  const fromName = principal.name?.split(/\s+/)[0];
  const base =
    [fromEmail, fromName]
      .map((s) =>
        s
          ?.toLowerCase()
          .replace(/[^a-z0-9._-]+/g, '-')
          .replace(/^-+|-+$/g, ''),
      )
      .find((s) => s) ?? `user-${keyOf(principal)}`.replace(/[^A-Za-z0-9._-]+/g, '-');
  let id = base;
  for (let n = 2; taken.includes(id); n++) id = `${base}-${n}`;
  return id;
}
