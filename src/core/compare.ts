// Compare what two identities see: the same request sent as two users, and the answers side by side —
// rows only one of them sees, values that differ, status. Vendor-neutral: rows are found by shape.

import type { CompareResult, CompareRow, CompareSide, CompareValueDiff } from './audit';
import type { BehalfEngine, SendOptions } from './engine';
import { BehalfError } from './errors';
import type { ActAs, Connection, RequestSpec, ResponseRecord } from './model';
import { isMutating, urlOnConnection } from './model';
import { describePrincipal, shortName } from './vendor';
import { canonicalJson, childPath, walkJson } from './versionDiff';

/** At most this many differences are listed (all are counted). */
export const MAX_COMPARE_DIFFERENCES = 1000;
/** Text values longer than this are cut in differences (whole bodies that are not JSON). */
const MAX_TEXT_VALUE = 4000;
/** Fields that identify a row, in order of preference. */
export const ROW_KEY_FIELDS = ['EntryId', 'id', 'Id', 'ID', 'RecordID', 'recordId', 'key', 'uuid'] as const;
const LABEL_FIELDS = ['Name', 'name', 'Title', 'title', 'label'] as const;
/** Fields beside the rows that count all of them when a response is one page (DealCloud: totalRecords). */
const TOTAL_FIELDS = ['totalRecords', 'totalCount', 'total', 'total_count', 'totalItems', 'totalResults'] as const;
/** Field names that usually hold the rows, preferred when two lists are equally long. */
const ROW_LIST_NAMES = new Set(['rows', 'items', 'data', 'versions', 'results', 'records', 'entries', 'values']);

type Json = unknown;

interface Parsed {
  json: boolean;
  value: Json;
  text: string;
}

interface RowsLocation {
  path: string;
  segments: string[];
}

export interface CompareResponsesOptions {
  /** The vendor's record identifier fields for this request (adapter.recordKeyFields), tried before ROW_KEY_FIELDS. */
  keyFields?: readonly string[];
}

/** Compare two responses to the same request. Pure. */
export function compareResponses(left: ResponseRecord, right: ResponseRecord, options: CompareResponsesOptions = {}): CompareResult {
  const [leftName, rightName] = sideNames(left, right);
  const l = parseBody(left.body);
  const r = parseBody(right.body);
  const differences: CompareValueDiff[] = [];
  let differenceCount = 0;
  const add = (d: CompareValueDiff) => {
    differenceCount++;
    if (differences.length < MAX_COMPARE_DIFFERENCES) differences.push(d);
  };

  let rowsPath: string | undefined;
  let rowsSegments: string[] | undefined;
  let rowKey: string | undefined;
  let leftRows: unknown[] | undefined;
  let rightRows: unknown[] | undefined;
  const onlyLeft: CompareRow[] = [];
  const onlyRight: CompareRow[] = [];
  let identical = false;

  let bothJson = l.json && r.json;
  if (bothJson) {
    try {
      identical = canonicalJson(l.value) === canonicalJson(r.value);
    } catch (e) {
      // Nesting deeper than JSON.stringify can go: compared as text.
      if (!(e instanceof RangeError)) throw e;
      bothJson = false;
      l.json = r.json = false;
    }
  }
  if (bothJson) {
    const location = findRows(l.value, r.value);
    if (location) {
      rowsPath = location.path;
      rowsSegments = location.segments;
      leftRows = arrayAt(l.value, location.segments);
      rightRows = arrayAt(r.value, location.segments);
      const all = [...(leftRows ?? []), ...(rightRows ?? [])];
      rowKey = findKeyField(all, options.keyFields);
      const leftKeyed = keyRows(leftRows ?? [], rowKey);
      const rightKeyed = keyRows(rightRows ?? [], rowKey);
      const rightByKey = new Map(rightKeyed.map((row) => [row.key, row]));
      const matched = new Set<string>();
      for (const row of leftKeyed) {
        const other = rightByKey.get(row.key);
        if (!other) {
          onlyLeft.push(row.row);
          continue;
        }
        matched.add(row.key);
        walkJson(row.value, other.value, '$', (c) =>
          add({
            rowKey: row.key,
            path: c.path,
            left: c.oldValue,
            right: c.newValue,
            kind: c.kind === 'added' ? 'only-right' : c.kind === 'removed' ? 'only-left' : 'different',
          }),
        );
      }
      for (const row of rightKeyed) if (!matched.has(row.key)) onlyRight.push(row.row);
    }
    // Everything outside the rows (totals, paging, messages) is compared as JSON.
    const leftRest = location ? withoutPath(l.value, location.segments) : l.value;
    const rightRest = location ? withoutPath(r.value, location.segments) : r.value;
    if (leftRest === undefined && rightRest !== undefined) add({ path: '$', right: cut(JSON.stringify(rightRest)), kind: 'only-right' });
    else if (rightRest === undefined && leftRest !== undefined) add({ path: '$', left: cut(JSON.stringify(leftRest)), kind: 'only-left' });
    else {
      walkJson(leftRest, rightRest, '$', (c) =>
        add({ path: c.path, left: c.oldValue, right: c.newValue, kind: c.kind === 'added' ? 'only-right' : c.kind === 'removed' ? 'only-left' : 'different' }),
      );
    }
  } else {
    identical = !l.json && !r.json && l.text === r.text;
    if (!identical)
      add({ path: '$', left: cut(l.json ? JSON.stringify(l.value) : l.text), right: cut(r.json ? JSON.stringify(r.value) : r.text), kind: 'different' });
  }

  const side = (record: ResponseRecord, rows: unknown[] | undefined): CompareSide => ({
    who: record.sentAs.who,
    mode: record.sentAs.mode,
    status: record.status,
    durationMs: record.durationMs,
    rowCount: rows?.length,
  });
  const result: CompareResult = {
    left: side(left, leftRows),
    right: side(right, rightRows),
    sameStatus: left.status === right.status,
    rowsPath,
    rowKey,
    onlyLeft,
    onlyRight,
    differences,
    identical,
    summary: '',
  };
  result.summary = summarise(result, leftName, rightName, differenceCount);
  // One page of rows on either side: rows "only the other sees" may just be on a later page.
  if (rowsSegments) {
    const paged = (body: Parsed, rows: unknown[] | undefined, name: string, other: string) => {
      const total = totalBeside(body.value, rowsSegments);
      const shown = rows?.length ?? 0;
      return total !== undefined && total > shown
        ? ` ${name} sees ${total.toLocaleString('en-US')} rows but only ${shown.toLocaleString('en-US')} were compared (paged): rows "only ${other} sees" may be on a later page.`
        : '';
    };
    result.summary += paged(l, leftRows, leftName, rightName) + paged(r, rightRows, rightName, leftName);
  }
  return result;
}

export interface CompareOptions extends SendOptions {
  /** Told about each side as soon as it is done (or failed): for an impersonation log that misses nothing. */
  onSent?: (event: CompareSentEvent) => void | Promise<void>;
}

export interface CompareSentEvent {
  side: 'left' | 'right';
  actAs: ActAs;
  /** When that side was sent. */
  time: Date;
  record?: ResponseRecord;
  error?: unknown;
}

/**
 * Send the same request as two identities, one after the other (so sessions and rate limits don't
 * fight), and compare the answers. Reads only: a write would be done twice.
 */
export async function compareAs(
  engine: BehalfEngine,
  spec: RequestSpec,
  left: ActAs,
  right: ActAs,
  options: CompareOptions = {},
): Promise<{ result: CompareResult; left: ResponseRecord; right: ResponseRecord }> {
  const adapter = engine.adapter(left.connection);
  const url = urlOnConnection(spec.url, left.connection);
  // A write method the vendor knows only reads (a search by POST) may be compared; the engine does not confirm it either.
  refuseWrites(spec, left, right, readsDespiteMethod(engine, spec, left.connection));
  const { onSent, ...sendOptions } = options;
  const send = async (side: 'left' | 'right', actAs: ActAs): Promise<ResponseRecord> => {
    const time = new Date();
    try {
      const record = await engine.sendAs(spec, actAs, sendOptions);
      await onSent?.({ side, actAs, time, record });
      return record;
    } catch (error) {
      await onSent?.({ side, actAs, time, error });
      throw error;
    }
  };
  const leftRecord = await send('left', left);
  const rightRecord = await send('right', right);
  return { result: compareResponses(leftRecord, rightRecord, { keyFields: adapter.recordKeyFields?.(url) }), left: leftRecord, right: rightRecord };
}

/** A request whose method is not safe but which the connection's vendor knows only reads (adapter.isRead: a search by POST). */
export function readsDespiteMethod(engine: BehalfEngine, spec: RequestSpec, connection: Connection): boolean {
  if (!isMutating(spec.method)) return false;
  return engine.adapter(connection).isRead?.(spec.method.toUpperCase(), urlOnConnection(spec.url, connection)) === true;
}

/**
 * Compare sends a request twice: only reads may be. Throws a BehalfError (code compare-write) for every method but GET,
 * HEAD, OPTIONS and TRACE (isMutating), unless `readsAnyway` (readsDespiteMethod: the vendor knows it only reads).
 */
export function refuseWrites(spec: RequestSpec, left?: ActAs, right?: ActAs, readsAnyway = false): void {
  if (!isMutating(spec.method) || readsAnyway) return;
  const twice = left && right ? `once as ${describePrincipal(left.principal)}, once as ${describePrincipal(right.principal)}` : 'once as each identity';
  throw new BehalfError(
    'compare-write',
    `Compare only sends reads: ${spec.method.toUpperCase()} changes data, and comparing it would send the write twice (${twice}).`,
    {
      position: spec.position,
      hint: 'compare a GET that reads what the write changed',
    },
  );
}

/** Distinct short names for the two sides, as the summary sentence words them (the compare panel uses them too). */
export function sideNames(left: ResponseRecord, right: ResponseRecord): [string, string] {
  let a = shortName(left.sentAs.who);
  let b = shortName(right.sentAs.who);
  if (a === b) {
    a = `${a} (${left.sentAs.mode})`;
    b = `${b} (${right.sentAs.mode})`;
  }
  if (a === b) {
    a = `${a}, left`;
    b = `${b}, right`;
  }
  return [a, b];
}

function summarise(result: CompareResult, leftName: string, rightName: string, differenceCount: number): string {
  const { left, right } = result;
  const rows = result.rowsPath !== undefined;
  const listed = differenceCount > result.differences.length ? ` (the first ${result.differences.length.toLocaleString('en-US')} are listed)` : '';
  const values = `${differenceCount.toLocaleString('en-US')} ${differenceCount === 1 ? 'value differs' : 'values differ'}${listed}`;
  let sentence: string;
  if (result.identical) {
    const same = rows ? `see the same ${plural(left.rowCount ?? 0, 'row')}` : 'get identical responses';
    sentence = result.sameStatus
      ? `${leftName} and ${rightName} ${same} (status ${left.status})`
      : `${leftName} gets ${left.status}, ${rightName} gets ${right.status}, with identical bodies`;
  } else {
    const clauses: string[] = [];
    if (!result.sameStatus) clauses.push(`${leftName} gets ${left.status}, ${rightName} gets ${right.status}`);
    if (rows) {
      const count = (n: number | undefined, first: boolean) => (n === undefined ? 'no rows' : first ? plural(n, 'row') : String(n));
      clauses.push(`${leftName} sees ${count(left.rowCount, true)}, ${rightName} sees ${count(right.rowCount, left.rowCount === undefined)}`);
    }
    if (clauses.length === 0) clauses.push(`${leftName} and ${rightName} get different responses`);
    const reordered = rows && differenceCount === 0 && result.onlyLeft.length === 0 && result.onlyRight.length === 0;
    const detail = reordered
      ? 'the same rows, in another order'
      : rows
        ? `${result.onlyLeft.length} only ${leftName}, ${result.onlyRight.length} only ${rightName}, ${values}`
        : values;
    sentence = `${clauses.join('; ')}: ${detail}`;
  }
  return `${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}.`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function parseBody(text: string): Parsed {
  const trimmed = text.trim();
  if (trimmed) {
    try {
      return { json: true, value: JSON.parse(trimmed), text };
    } catch {
      // Not JSON: compared as text.
    }
  }
  return { json: false, value: undefined, text };
}

function cut(text: string): string {
  return text.length > MAX_TEXT_VALUE ? `${text.slice(0, MAX_TEXT_VALUE)}… (${(text.length - MAX_TEXT_VALUE).toLocaleString('en-US')} more characters)` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isRowList(value: unknown): value is unknown[] {
  return Array.isArray(value) && value.every(isRecord);
}

/**
 * Where the rows are: a top-level array, else the longest list of objects among the top-level fields,
 * else one level under a wrapper (`APIResponse.Items`). Both bodies vote, so an empty list on one side
 * still lines up with the other side's.
 */
function findRows(left: Json, right: Json): RowsLocation | undefined {
  if (Array.isArray(left) || Array.isArray(right)) return { path: '$', segments: [] };
  interface Candidate extends RowsLocation {
    length: number;
    depth: number;
    known: boolean;
    order: number;
  }
  const candidates = new Map<string, Candidate>();
  let order = 0;
  const consider = (segments: string[], value: unknown) => {
    if (!isRowList(value)) return;
    const path = segments.reduce(childPath, '$');
    const existing = candidates.get(path);
    if (existing) existing.length = Math.max(existing.length, value.length);
    else
      candidates.set(path, {
        path,
        segments,
        length: value.length,
        depth: segments.length,
        known: ROW_LIST_NAMES.has(segments[segments.length - 1].toLowerCase()),
        order: order++,
      });
  };
  for (const body of [left, right]) {
    if (!isRecord(body)) continue;
    for (const [key, value] of Object.entries(body)) {
      consider([key], value);
      if (isRecord(value)) for (const [inner, innerValue] of Object.entries(value)) consider([key, inner], innerValue);
    }
  }
  const usable = [...candidates.values()].filter((c) => c.length > 0 || c.known);
  usable.sort((a, b) => b.length - a.length || a.depth - b.depth || Number(b.known) - Number(a.known) || a.order - b.order);
  const best = usable[0];
  return best ? { path: best.path, segments: best.segments } : undefined;
}

/**
 * How many rows a response body holds, found as compare finds them (a top-level array, else the longest list of
 * objects near the top); undefined when the body is not JSON or holds no list. The access matrix counts with it.
 */
export function rowCountOf(body: string): number | undefined {
  const parsed = parseBody(body);
  if (!parsed.json) return undefined;
  const location = findRows(parsed.value, parsed.value);
  return location ? arrayAt(parsed.value, location.segments)?.length : undefined;
}

/** The total count beside the rows (`{"totalRecords": 1250, "rows": [...]}`), when the response has one. */
function totalBeside(body: Json, segments: string[]): number | undefined {
  let parent: unknown = body;
  for (const key of segments.slice(0, -1)) parent = isRecord(parent) ? parent[key] : undefined;
  if (!isRecord(parent)) return undefined;
  const rowsKey = segments[segments.length - 1];
  // Beside the rows, or in an object beside them (`GlobalInfo.TotalCount`, `meta.total`).
  for (const holder of [parent, ...Object.entries(parent).flatMap(([key, value]) => (key !== rowsKey && isRecord(value) ? [value] : []))]) {
    for (const field of TOTAL_FIELDS) {
      const key = Object.keys(holder).find((k) => k.toLowerCase() === field.toLowerCase());
      const value = key === undefined ? undefined : holder[key];
      if (typeof value === 'number' && Number.isFinite(value)) return value;
    }
  }
  return undefined;
}

function arrayAt(body: Json, segments: string[]): unknown[] | undefined {
  let current: unknown = body;
  for (const key of segments) {
    if (!isRecord(current)) return undefined;
    current = current[key];
  }
  return Array.isArray(current) ? current : undefined;
}

/** The body with the rows taken out (copies along the path only). */
function withoutPath(body: Json, segments: string[]): Json {
  if (segments.length === 0) return Array.isArray(body) ? undefined : body;
  if (!isRecord(body)) return body;
  const [key, ...rest] = segments as [string, ...string[]];
  if (!(key in body)) return body;
  const copy: Record<string, unknown> = { ...body };
  if (rest.length === 0) delete copy[key];
  else copy[key] = withoutPath(copy[key], rest);
  return copy;
}

/**
 * The first id-ish field that most rows have (a string or number): the vendor's own (`preferred`), then the usual
 * ones; undefined when none is, and rows are then matched by content.
 */
function findKeyField(rows: unknown[], preferred: readonly string[] = []): string | undefined {
  const records = rows.filter(isRecord);
  if (records.length === 0) return undefined;
  for (const field of [...preferred, ...ROW_KEY_FIELDS]) {
    let present = 0;
    for (const row of records) {
      const v = row[field];
      if (typeof v === 'string' || typeof v === 'number') present++;
    }
    if (present * 2 > records.length) return field;
  }
  return undefined;
}

interface KeyedRow {
  key: string;
  value: unknown;
  row: CompareRow;
}

function keyRows(rows: unknown[], keyField: string | undefined): KeyedRow[] {
  const seen = new Map<string, number>();
  return rows.map((value) => {
    const id = keyField && isRecord(value) ? value[keyField] : undefined;
    const json = JSON.stringify(value) ?? 'null';
    let key = typeof id === 'string' || typeof id === 'number' ? String(id) : canonicalJson(value);
    // The same key twice on one side: the second is "#2", so rows pair up in order.
    const count = (seen.get(key) ?? 0) + 1;
    seen.set(key, count);
    if (count > 1) key = `${key} #${count}`;
    return { key, value, row: { key, label: labelOf(value, keyField, key), json } };
  });
}

function labelOf(value: unknown, keyField: string | undefined, key: string): string {
  if (isRecord(value)) {
    for (const field of LABEL_FIELDS) {
      const v = value[field];
      if (typeof v === 'string' || typeof v === 'number') return String(v);
    }
  }
  const label = keyField && isRecord(value) && value[keyField] !== undefined ? `${keyField} ${key}` : key;
  return label.length > 80 ? `${label.slice(0, 79)}…` : label;
}
