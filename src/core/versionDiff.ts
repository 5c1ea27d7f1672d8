// Version diffs of an asset's history: per version, how each changed field changed — word-level for text,
// structural for JSON, set/unset when one side is empty. Pure and vendor-neutral: it works on the
// normalised AssetVersion list, whoever produced it.
//
// A long history's first paint needs only summariseVersions (who, when, which fields: a few ms for 1,000 × 50);
// the history panel asks for one version's diffs (diffVersion) when it is opened, as the page shows most
// versions collapsed. diffVersions diffs them all (the same answers, version by version).
//
// Speed matters (1,000 versions × 50 changed fields diffed in well under 100 ms): the common prefix and suffix
// are cut at word boundaries before jsdiff sees anything, one word replaced by another never reaches
// jsdiff at all, huge middles are not word-diffed, and the JSON walk is linear. About half the time
// used to go to the garbage collector (the result itself is tens of thousands of small objects), so
// the common case allocates nothing it does not return, and diffVersions remembers per field what it
// derived from the previous version (parsed JSON, the unchanged head and tail) instead of redoing it.

import { diffWordsWithSpace } from 'diff';
import type { FieldDiff, FieldSummary, JsonChange, TextPart, VersionDiff, VersionSummary } from './audit';
import type { AssetVersion } from './model';

export interface DiffVersionsOptions {
  /** The principal the user acted as: versions recorded under this user get `byPrincipal`. */
  principalEmail?: string;
}

/** Texts whose differing middle is longer than this (either side) get one removed and one added part. */
export const MAX_WORD_DIFF_CHARS = 20 * 1024;
/** jsdiff gives up beyond this many token edits (then: one removed and one added part). */
const MAX_EDIT_LENGTH = 500;
/** Deeper JSON than this is compared as a whole (JSON.parse allows deeper; recursion would not). */
const MAX_JSON_DEPTH = 200;

/** Field diffs per version, in the order given (normaliseVersionHistory: oldest first). */
export function diffVersions(versions: readonly AssetVersion[], options: DiffVersionsOptions = {}): VersionDiff[] {
  const principal = principalKey(options);
  // A field's old value is usually its new value one version earlier: what was derived from it then
  // (parsed JSON, the unchanged head and tail) is reused rather than computed and stored again.
  const memo = new HistoryMemo();
  return versions.map((v) => ({
    version: v.version,
    date: v.date,
    user: v.user,
    byPrincipal: isByPrincipal(v, principal),
    fields: v.changes.map((c) => fieldDiff(c.field, c.oldValue, c.newValue, memo)),
  }));
}

/**
 * Per version, in the order given: who, when and which fields changed how (set, unset, changed), without diffing
 * any value. A field's summary is one object per name and kind, shared by every version it applies to (never
 * mutated: the panel only sends it), so a long history allocates per version, not per field.
 */
export function summariseVersions(versions: readonly AssetVersion[], options: DiffVersionsOptions = {}): VersionSummary[] {
  const principal = principalKey(options);
  const shared = new Map<string, FieldSummaries>();
  return versions.map((v) => ({
    version: v.version,
    date: v.date,
    user: v.user,
    byPrincipal: isByPrincipal(v, principal),
    fields: v.changes.map((c) => {
      let of = shared.get(c.field);
      if (of === undefined) shared.set(c.field, (of = new FieldSummaries(c.field)));
      // The kinds as fieldDiff decides them: set / unset when one side is empty, else changed (text or json).
      return c.oldValue === '' ? (c.newValue === '' ? of.changed() : of.set()) : c.newValue === '' ? of.unset() : of.changed();
    }),
  }));
}

/** One field's summaries, made when first needed. */
class FieldSummaries {
  private setSummary: FieldSummary | undefined;
  private unsetSummary: FieldSummary | undefined;
  private changedSummary: FieldSummary | undefined;

  constructor(private readonly field: string) {}

  set(): FieldSummary {
    return (this.setSummary ??= { field: this.field, kind: 'set' });
  }

  unset(): FieldSummary {
    return (this.unsetSummary ??= { field: this.field, kind: 'unset' });
  }

  changed(): FieldSummary {
    return (this.changedSummary ??= { field: this.field, kind: 'changed' });
  }
}

/** The field diffs of the version numbered `version` (the first of that number): what diffVersions gives for it; undefined when there is none. */
export function diffVersion(versions: readonly AssetVersion[], version: number, options: DiffVersionsOptions = {}): VersionDiff | undefined {
  const v = versions.find((x) => x.version === version);
  if (v === undefined) return undefined;
  return {
    version: v.version,
    date: v.date,
    user: v.user,
    byPrincipal: isByPrincipal(v, principalKey(options)),
    fields: v.changes.map((c) => fieldDiff(c.field, c.oldValue, c.newValue, undefined)),
  };
}

function principalKey(options: DiffVersionsOptions): string | undefined {
  return options.principalEmail?.trim().toLowerCase() || undefined;
}

function isByPrincipal(v: AssetVersion, principal: string | undefined): boolean {
  return principal !== undefined && v.user.trim().toLowerCase() === principal;
}

/** How one field changed: 'json' (both sides JSON objects/arrays), 'set' / 'unset' (one side empty), else 'text'. */
export function diffField(field: string, oldValue: string, newValue: string): FieldDiff {
  return fieldDiff(field, oldValue, newValue, undefined);
}

function fieldDiff(field: string, oldValue: string, newValue: string, memo: HistoryMemo | undefined): FieldDiff {
  if (oldValue === '' && newValue !== '') return { field, kind: 'set', oldValue, newValue, parts: [{ value: newValue, added: true }] };
  if (newValue === '' && oldValue !== '') return { field, kind: 'unset', oldValue, newValue, parts: [{ value: oldValue, removed: true }] };
  if (oldValue === newValue) return { field, kind: 'text', oldValue, newValue, parts: diffText(oldValue, newValue) };
  const last = memo?.of(field);
  if (mayBeJson(oldValue)) {
    const oldJson = last ? last.parse(oldValue) : parseJsonContainer(oldValue);
    if (oldJson !== undefined && mayBeJson(newValue)) {
      const newJson = last ? last.parse(newValue) : parseJsonContainer(newValue);
      if (newJson !== undefined) {
        try {
          return { field, kind: 'json', oldValue, newValue, changes: jsonChanges(oldJson, newJson) };
        } catch (e) {
          // Nesting deeper than the stack allows (JSON.stringify recurses): compared as text instead.
          if (!(e instanceof RangeError)) throw e;
        }
      }
    }
  }
  return { field, kind: 'text', oldValue, newValue, parts: textParts(oldValue, newValue, last) };
}

/** Per field, what diffVersions derived from its previous version (see FieldMemo). */
class HistoryMemo {
  private readonly fields = new Map<string, FieldMemo>();

  of(field: string): FieldMemo {
    let memo = this.fields.get(field);
    if (memo === undefined) this.fields.set(field, (memo = new FieldMemo()));
    return memo;
  }
}

/**
 * What was derived from one field's values, kept for the next version of the field, whose old value is
 * usually this one's new value. The last text parsed as JSON with its value (parsed values are only read,
 * walkJson never mutates them, so one can serve two diffs). The last new text diffed in the common case,
 * with the offsets found and the strings of its unchanged head and tail and its added middle: when the
 * next old text is that text, the new text is first checked against that head and tail, and where the
 * offsets come out the same those strings are reused (strings are immutable: sharing is invisible), so
 * a long history holds one copy of an unchanged head, not one per version.
 */
class FieldMemo {
  private jsonText: string | undefined;
  private json: object | undefined;
  /** Invariant: head = newText[0, p), added = newText[p, newEnd), tail = newText[newText.length - q, …). */
  newText: string | undefined;
  p = 0;
  q = 0;
  newEnd = 0;
  head = '';
  tail = '';
  added = '';
  /** The unchanged parts last returned, { value: head } when p > 0 and { value: tail } when q > 0: the next version reuses them whole. */
  headPart: TextPart = NO_PART;
  tailPart: TextPart = NO_PART;

  parse(text: string): object | undefined {
    if (text !== this.jsonText) {
      this.json = parseJsonContainer(text);
      this.jsonText = text;
    }
    return this.json;
  }
}

/**
 * Word-level diff (jsdiff's diffWordsWithSpace tokens: words, runs of spaces, newlines, single
 * punctuation marks). The removed and unchanged parts concatenate to the old text, the added and
 * unchanged parts to the new one.
 *
 * jsdiff is exact but costs tens of microseconds even for a short sentence, so it only sees what is
 * left after cheaper steps: the common prefix and suffix are cut at token boundaries; the rest is split
 * at tokens that occur once on each side (patience-diff anchors); a region where one word replaced
 * another, or that shares no word at all, needs no search.
 */
export function diffText(oldText: string, newText: string): TextPart[] {
  return textParts(oldText, newText, undefined);
}

/** diffText, with the strings of the common case shared with the field's previous diff when equal. */
function textParts(oldText: string, newText: string, last: FieldMemo | undefined): TextPart[] {
  if (oldText === newText) return oldText ? [{ value: oldText }] : [];
  const maxPrefix = Math.min(oldText.length, newText.length);
  // When the old text is the field's previous new text (one native compare), its unchanged head and tail
  // are known: the new text usually starts and ends with them too, which one native compare each checks
  // (several times faster than comparing those chars one by one, and nothing allocated).
  const same = last !== undefined && oldText === last.newText;
  let p: number;
  if (same && last.p > 0 && last.p <= maxPrefix) {
    p = newText.lastIndexOf(last.head, 0) === 0 ? commonPrefix(oldText, newText, maxPrefix, last.p) : commonPrefix(oldText, newText, last.p - 1, 0);
  } else {
    p = commonPrefix(oldText, newText, maxPrefix, 0);
  }
  while (p > 0 && !(isBoundary(oldText, p) && isBoundary(newText, p))) p--;
  const maxSuffix = maxPrefix - p;
  let q: number;
  if (same && last.q > 0 && last.q <= maxSuffix) {
    q = newText.endsWith(last.tail) ? commonSuffix(oldText, newText, maxSuffix, last.q) : commonSuffix(oldText, newText, last.q - 1, 0);
  } else {
    q = commonSuffix(oldText, newText, maxSuffix, 0);
  }
  while (q > 0 && !(isBoundary(oldText, oldText.length - q) && isBoundary(newText, newText.length - q))) q--;

  const oldEnd = oldText.length - q;
  const newEnd = newText.length - q;
  if (
    oldEnd === p ||
    newEnd === p ||
    oldEnd - p > MAX_WORD_DIFF_CHARS ||
    newEnd - p > MAX_WORD_DIFF_CHARS ||
    (isSingleToken(oldText, p, oldEnd) && isSingleToken(newText, p, newEnd))
  ) {
    // The common case (one word replaced, text inserted or removed): at most four parts, built directly.
    // A history holds tens of thousands of these: an array literal (which V8 learns to allocate straight
    // into the old generation, the parts being long-lived), cut to length, not a growing array.
    const parts: TextPart[] = [NO_PART, NO_PART, NO_PART, NO_PART];
    let k = 0;
    if (last === undefined) {
      if (p > 0) parts[k++] = { value: oldText.slice(0, p) };
      if (oldEnd > p) parts[k++] = { value: oldText.slice(p, oldEnd), removed: true };
      if (newEnd > p) parts[k++] = { value: newText.slice(p, newEnd), added: true };
      if (q > 0) parts[k++] = { value: oldText.slice(oldEnd) };
      if (k < 4) parts.length = k;
      return parts;
    }
    // The old text is the previous new text: its pieces at the same offsets are reused, and so are the
    // unchanged parts themselves (never mutated once returned), so a long history holds one object per
    // unchanged head and tail rather than one per version: fewer allocations, less for the GC to trace.
    const sameHead = p > 0 && same && p === last.p;
    const sameTail = q > 0 && same && q === last.q;
    const head = p === 0 ? '' : sameHead ? last.head : oldText.slice(0, p);
    const tail = q === 0 ? '' : sameTail ? last.tail : oldText.slice(oldEnd);
    const added = newText.slice(p, newEnd);
    const headPart = p === 0 ? NO_PART : sameHead ? last.headPart : { value: head };
    const tailPart = q === 0 ? NO_PART : sameTail ? last.tailPart : { value: tail };
    if (p > 0) parts[k++] = headPart;
    // What this version removed is often what the previous one added.
    if (oldEnd > p) parts[k++] = { value: same && p === last.p && oldEnd === last.newEnd ? last.added : oldText.slice(p, oldEnd), removed: true };
    if (newEnd > p) parts[k++] = { value: added, added: true };
    if (q > 0) parts[k++] = tailPart;
    // head and tail are pieces of the new text too (they are common to both).
    last.newText = newText;
    last.p = p;
    last.q = q;
    last.newEnd = newEnd;
    last.head = head;
    last.tail = tail;
    last.added = added;
    last.headPart = headPart;
    last.tailPart = tailPart;
    if (k < 4) parts.length = k;
    return parts;
  }
  const out = new Parts();
  out.keep(oldText.slice(0, p));
  diffTokens(tokenize(oldText.slice(p, oldEnd)), tokenize(newText.slice(p, newEnd)), out);
  out.keep(oldText.slice(oldEnd));
  return out.parts;
}

/** Placeholder in a parts array being filled (never returned). */
const NO_PART: TextPart = { value: '' };

/** Chars compared one by one before commonPrefix/commonSuffix switch to halving (which allocates substrings). */
const SCAN_CHARS = 256;

/**
 * Length of the common prefix, at most max, the first `from` chars being known to be equal: char by
 * char, then by halving for long texts (substring compares are memcmp-fast).
 */
function commonPrefix(a: string, b: string, max: number, from: number): number {
  let low = from;
  const scan = Math.min(max, low + SCAN_CHARS);
  while (low < scan && a.charCodeAt(low) === b.charCodeAt(low)) low++;
  if (low < scan || low === max) return low;
  let high = max;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (a.substring(low, mid) === b.substring(low, mid)) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** Length of the common suffix, at most max, the last `from` chars being known to be equal (as commonPrefix). */
function commonSuffix(a: string, b: string, max: number, from: number): number {
  const la = a.length;
  const lb = b.length;
  let low = from;
  const scan = Math.min(max, low + SCAN_CHARS);
  while (low < scan && a.charCodeAt(la - 1 - low) === b.charCodeAt(lb - 1 - low)) low++;
  if (low < scan || low === max) return low;
  let high = max;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (a.substring(la - mid, la - low) === b.substring(lb - mid, lb - low)) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** Collects parts, merging neighbours of the same kind. */
class Parts {
  readonly parts: TextPart[] = [];

  keep(value: string): void {
    this.push(value, false, false);
  }

  replace(oldValue: string, newValue: string): void {
    this.push(oldValue, false, true);
    this.push(newValue, true, false);
  }

  push(value: string, added: boolean, removed: boolean): void {
    if (!value) return;
    const last = this.parts[this.parts.length - 1];
    if (last && !!last.added === added && !!last.removed === removed) last.value += value;
    else this.parts.push(added ? { value, added: true } : removed ? { value, removed: true } : { value });
  }
}

/** A text cut into tokens: list[i] starts at at[i]; at[list.length] is the text's length. */
interface Tokens {
  text: string;
  list: string[];
  at: number[];
}

/** Split at anchors (non-space tokens found exactly once on each side, in an order both sides share). */
function diffTokens(a: Tokens, b: Tokens, out: Parts): void {
  const na = a.list.length;
  const nb = b.list.length;
  const seen = new Map<string, number>(); // token → occurrences in a (bits 0-15), in b (bits 16-30)
  for (let i = 0; i < na; i++) {
    const token = a.list[i];
    if (!isSpaceToken(token)) seen.set(token, Math.min((seen.get(token) ?? 0) + 1, 2));
  }
  let shared = false;
  const atB = new Map<string, number>();
  for (let j = 0; j < nb; j++) {
    const token = b.list[j];
    const count = seen.get(token);
    if (count === undefined) continue;
    shared = true;
    const inB = count >> 16;
    if (inB < 2) seen.set(token, (count & 0xffff) | ((inB + 1) << 16));
    atB.set(token, j);
  }
  // Nothing in common but spaces: it was rewritten, and reads best as such.
  if (!shared) return out.replace(a.text, b.text);
  const candidates: Array<[number, number]> = [];
  for (let i = 0; i < na; i++) {
    const token = a.list[i];
    if (seen.get(token) === (1 | (1 << 16))) candidates.push([i, atB.get(token)!]);
  }
  let ia = 0;
  let ib = 0;
  for (const [i, j] of increasingChain(candidates)) {
    diffRegion(a, ia, i, b, ib, j, out);
    out.keep(a.list[i]);
    ia = i + 1;
    ib = j + 1;
  }
  diffRegion(a, ia, na, b, ib, nb, out);
}

/** Tokens a[a0, a1) against b[b0, b1): common ends kept, then replaced whole or word-diffed by jsdiff. */
function diffRegion(a: Tokens, a0: number, a1: number, b: Tokens, b0: number, b1: number, out: Parts): void {
  while (a0 < a1 && b0 < b1 && a.list[a0] === b.list[b0]) {
    out.keep(a.list[a0]);
    a0++;
    b0++;
  }
  let tail = 0;
  while (a1 - tail > a0 && b1 - tail > b0 && a.list[a1 - 1 - tail] === b.list[b1 - 1 - tail]) tail++;
  const oldText = a.text.slice(a.at[a0], a.at[a1 - tail]);
  const newText = b.text.slice(b.at[b0], b.at[b1 - tail]);
  const oldCount = a1 - tail - a0;
  const newCount = b1 - tail - b0;
  if (oldCount === 0 || newCount === 0 || (oldCount === 1 && newCount === 1) || !sharesWord(a, a0, a1 - tail, b, b0, b1 - tail)) {
    out.replace(oldText, newText);
  } else {
    const changes = diffWordsWithSpace(oldText, newText, { maxEditLength: MAX_EDIT_LENGTH });
    if (changes) for (const c of changes) out.push(c.value, !!c.added, !!c.removed);
    else out.replace(oldText, newText);
  }
  out.keep(a.text.slice(a.at[a1 - tail], a.at[a1]));
}

function sharesWord(a: Tokens, a0: number, a1: number, b: Tokens, b0: number, b1: number): boolean {
  if ((a1 - a0) * (b1 - b0) <= 256) {
    for (let i = a0; i < a1; i++) {
      const token = a.list[i];
      if (isSpaceToken(token)) continue;
      for (let j = b0; j < b1; j++) if (b.list[j] === token) return true;
    }
    return false;
  }
  const set = new Set<string>();
  for (let i = a0; i < a1; i++) if (!isSpaceToken(a.list[i])) set.add(a.list[i]);
  for (let j = b0; j < b1; j++) if (set.has(b.list[j])) return true;
  return false;
}

/** The longest chain of pairs increasing in both coordinates (pairs come sorted by the first): patience sorting, O(n log n). */
function increasingChain(pairs: Array<[number, number]>): Array<[number, number]> {
  if (pairs.length <= 1) return pairs;
  const tails: number[] = []; // index into pairs of the smallest tail of a chain of each length
  const previous = new Array<number>(pairs.length).fill(-1);
  for (let k = 0; k < pairs.length; k++) {
    const value = pairs[k][1];
    let low = 0;
    let high = tails.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (pairs[tails[mid]][1] < value) low = mid + 1;
      else high = mid;
    }
    if (low > 0) previous[k] = tails[low - 1]!;
    tails[low] = k;
  }
  const chain: Array<[number, number]> = [];
  for (let k = tails[tails.length - 1]; k !== -1; k = previous[k]!) chain.push(pairs[k]);
  return chain.reverse();
}

/** jsdiff's diffWordsWithSpace tokens, by the same character classes. */
function tokenize(text: string): Tokens {
  const list: string[] = [];
  const at: number[] = [0];
  let start = 0;
  for (let i = 1; i <= text.length; i++) {
    if (isBoundary(text, i)) {
      list.push(text.slice(start, i));
      at.push(i);
      start = i;
    }
  }
  return { text, list, at };
}

function isSpaceToken(token: string): boolean {
  const c = token.charCodeAt(0);
  return c === 0x0a || c === 0x0d || charClass(c) === SPACE;
}

/** Structural changes between two JSON values, paths like `$.owner.name` or `$.tags[2]`; linear in their size. */
export function jsonChanges(oldValue: unknown, newValue: unknown): JsonChange[] {
  const changes: JsonChange[] = [];
  walkJson(oldValue, newValue, '$', (change) => changes.push(change));
  return changes;
}

/**
 * Walk two JSON values side by side and report each difference once, at the shallowest path where it
 * can be named: a key only on one side is added/removed whole, a type change is one 'changed'. Arrays:
 * the common head and tail are skipped (so one inserted element is one 'added'), the rest paired by index.
 */
export function walkJson(oldValue: unknown, newValue: unknown, path: string, emit: (change: JsonChange) => void, depth = 0): void {
  if (oldValue === newValue) return;
  const oldKind = kindOf(oldValue);
  const newKind = kindOf(newValue);
  if (oldKind !== newKind || oldKind === 'scalar' || depth >= MAX_JSON_DEPTH) {
    if (oldKind === newKind && jsonEqual(oldValue, newValue)) return;
    emit({ path, kind: 'changed', oldValue: jsonText(oldValue), newValue: jsonText(newValue) });
    return;
  }
  if (oldKind === 'array') {
    const a = oldValue as unknown[];
    const b = newValue as unknown[];
    const min = Math.min(a.length, b.length);
    let head = 0;
    while (head < min && jsonEqual(a[head], b[head])) head++;
    let tail = 0;
    while (tail < min - head && jsonEqual(a[a.length - 1 - tail], b[b.length - 1 - tail])) tail++;
    const aEnd = a.length - tail;
    const bEnd = b.length - tail;
    const paired = Math.min(aEnd, bEnd);
    for (let i = head; i < paired; i++) walkJson(a[i], b[i], `${path}[${i}]`, emit, depth + 1);
    for (let i = paired; i < aEnd; i++) emit({ path: `${path}[${i}]`, kind: 'removed', oldValue: jsonText(a[i]) });
    for (let i = paired; i < bEnd; i++) emit({ path: `${path}[${i}]`, kind: 'added', newValue: jsonText(b[i]) });
    return;
  }
  const a = oldValue as Record<string, unknown>;
  const b = newValue as Record<string, unknown>;
  for (const key of Object.keys(a)) {
    if (!Object.prototype.hasOwnProperty.call(b, key)) emit({ path: childPath(path, key), kind: 'removed', oldValue: jsonText(a[key]) });
    else if (a[key] !== b[key]) walkJson(a[key], b[key], childPath(path, key), emit, depth + 1); // (no path built for equal scalars)
  }
  for (const key of Object.keys(b)) {
    if (!Object.prototype.hasOwnProperty.call(a, key)) emit({ path: childPath(path, key), kind: 'added', newValue: jsonText(b[key]) });
  }
}

/** `$.name` for identifier-like keys, `$["odd key"]` otherwise. */
export function childPath(path: string, key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** Deep equality of JSON values; object key order does not matter. Iterative: any depth. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const stack: unknown[] = [a, b];
  while (stack.length > 0) {
    const y = stack.pop();
    const x = stack.pop();
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null) return false;
    if (Array.isArray(x)) {
      if (!Array.isArray(y) || x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) stack.push(x[i], y[i]);
      continue;
    }
    if (Array.isArray(y)) return false;
    const rx = x as Record<string, unknown>;
    const ry = y as Record<string, unknown>;
    const keys = Object.keys(rx);
    if (keys.length !== Object.keys(ry).length) return false;
    for (const key of keys) {
      if (!Object.prototype.hasOwnProperty.call(ry, key)) return false;
      stack.push(rx[key], ry[key]);
    }
  }
  return true;
}

/** JSON text with object keys sorted: equal for values that are jsonEqual. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/** Versions recorded by this user (case-insensitive); every version when user is empty. */
export function filterByUser(diffs: readonly VersionDiff[], user: string | undefined): VersionDiff[] {
  const wanted = user?.trim().toLowerCase();
  if (!wanted) return [...diffs];
  return diffs.filter((d) => d.user.trim().toLowerCase() === wanted);
}

/** The distinct users of a history (case-insensitive, first spelling kept, empty ones left out), sorted. */
export function usersOf(versions: ReadonlyArray<{ user: string }>): string[] {
  const seen = new Map<string, string>();
  for (const v of versions) {
    const user = v.user.trim();
    const key = user.toLowerCase();
    if (user && !seen.has(key)) seen.set(key, user);
  }
  return [...seen.values()].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }));
}

function jsonText(value: unknown): string {
  return JSON.stringify(value) ?? 'null';
}

function kindOf(value: unknown): 'array' | 'object' | 'scalar' {
  if (Array.isArray(value)) return 'array';
  return value !== null && typeof value === 'object' ? 'object' : 'scalar';
}

/** Whether the text may be a JSON object or array: it starts with a bracket or JSON whitespace (parseJsonContainer decides). */
function mayBeJson(text: string): boolean {
  const first = text.charCodeAt(0);
  return first === 0x7b /* { */ || first === 0x5b /* [ */ || isJsonSpace(first);
}

/** The value parsed, when the text is a JSON object or array; undefined otherwise (cheap for plain text). */
function parseJsonContainer(text: string): object | undefined {
  let i = 0;
  while (i < text.length && isJsonSpace(text.charCodeAt(i))) i++;
  const first = text.charCodeAt(i);
  if (first !== 0x7b /* { */ && first !== 0x5b /* [ */) return undefined;
  let j = text.length - 1;
  while (j > i && isJsonSpace(text.charCodeAt(j))) j--;
  const last = text.charCodeAt(j);
  if (last !== 0x7d /* } */ && last !== 0x5d /* ] */) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}

function isJsonSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

// Token classes of jsdiff's diffWordsWithSpace tokenizer: runs of word characters, runs of non-newline
// whitespace, "\n" or "\r\n", and every other character on its own.
const WORD = 0;
const SPACE = 1;
const OTHER = 2;

function charClass(c: number): number {
  if ((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x5f) return WORD;
  if (c === 0x20 || c === 0x09 || c === 0x0b || c === 0x0c) return SPACE;
  if (c < 0x80) return OTHER;
  if (
    c === 0xad ||
    (c >= 0xc0 && c <= 0xd6) ||
    (c >= 0xd8 && c <= 0xf6) ||
    (c >= 0xf8 && c <= 0x2c6) ||
    (c >= 0x2c8 && c <= 0x2d7) ||
    (c >= 0x2de && c <= 0x2ff) ||
    (c >= 0x1e00 && c <= 0x1eff)
  ) {
    return WORD;
  }
  if (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  ) {
    return SPACE;
  }
  return OTHER;
}

/** Whether a token of the tokenizer above may end at offset p of s. */
function isBoundary(s: string, p: number): boolean {
  if (p <= 0 || p >= s.length) return true;
  const before = s.charCodeAt(p - 1);
  const after = s.charCodeAt(p);
  if (before === 0x0d && after === 0x0a) return false; // "\r\n" is one token
  if (before >= 0xd800 && before <= 0xdbff && after >= 0xdc00 && after <= 0xdfff) return false; // one code point
  const cls = charClass(before);
  return !(cls !== OTHER && cls === charClass(after));
}

/** Whether s[start, end) is one token (of s cut at its own boundaries: the cuts around it are boundaries). */
function isSingleToken(s: string, start: number, end: number): boolean {
  for (let i = start + 1; i < end; i++) if (isBoundary(s, i)) return false;
  return end > start;
}
