// Messages between the compare panel's host (src/extension/comparePanel.ts) and its page
// (media/compare/main.ts). Both sides import this file; it must stay free of 'vscode' and of Node APIs.
//
// Flow as in the other panels: the page posts `ready`, the host answers `show` (again after every `ready`).
// The comparison is computed by the host (src/core/compare.ts); the page lays it out. The page may ask to open
// one side's full response: the host answers from its own records, never from the message's content.

import type { CompareResult, CompareRow, CompareSide, CompareValueDiff } from '../core/audit';

// The page (media/compare) takes the row types from here: it sees the protocol, never the core.
export type { CompareRow, CompareSide, CompareValueDiff };
import type { ResponseRecord } from '../core/model';
import { isArrayOf, isFiniteNumber, isNonEmptyString, isOptionalNumber, isOptionalString, isRecord } from './guards';

export type CompareSideName = 'left' | 'right';

/** What the panel shows of a side beyond the comparison's own summary of it. */
export interface CompareSideInfo {
  /** A short name for headings ("Jane Doe"), distinct from the other side's. */
  name: string;
  connectionLabel: string;
  vendor: string;
  statusText: string;
  bodyBytes: number;
}

export interface CompareView {
  /** Identifies this comparison (the page keeps its folding per id). */
  id: string;
  /** The request both sides sent; the URL is the redacted one from the records. */
  request: { name?: string; method: string; url: string };
  result: CompareResult;
  left: CompareSideInfo;
  right: CompareSideInfo;
}

export type HostToCompare = { type: 'show'; view: CompareView };

export type CompareToHost = { type: 'ready' } | { type: 'openResponse'; side: CompareSideName };

/** The view of a comparison, from the two (redacted) records it was computed from; `names` as the summary uses them. */
export function compareViewFrom(
  result: CompareResult,
  left: ResponseRecord,
  right: ResponseRecord,
  id: string,
  names: { left: string; right: string },
): CompareView {
  const info = (r: ResponseRecord, name: string): CompareSideInfo => ({
    name,
    connectionLabel: r.sentAs.connectionLabel,
    vendor: r.sentAs.vendor,
    statusText: r.statusText,
    bodyBytes: r.bodyBytes,
  });
  const request: CompareView['request'] = { method: left.request.method, url: left.request.url };
  if (left.name !== undefined) request.name = left.name;
  return { id, request, result, left: info(left, names.left), right: info(right, names.right) };
}

// --- guards ---------------------------------------------------------------------------------------------

const SIDE_MODES: ReadonlySet<unknown> = new Set<CompareSide['mode']>(['lite', 'full', 'self']);
const DIFF_KINDS: ReadonlySet<unknown> = new Set<CompareValueDiff['kind']>(['only-left', 'only-right', 'different']);

export function isCompareToHost(x: unknown): x is CompareToHost {
  if (!isRecord(x)) return false;
  if (x.type === 'ready') return Object.keys(x).length === 1;
  return x.type === 'openResponse' && (x.side === 'left' || x.side === 'right') && Object.keys(x).length === 2;
}

function isSide(x: unknown): x is CompareSide {
  return (
    isRecord(x) &&
    typeof x.who === 'string' &&
    SIDE_MODES.has(x.mode) &&
    isFiniteNumber(x.status) &&
    isFiniteNumber(x.durationMs) &&
    isOptionalNumber(x.rowCount)
  );
}

function isRow(x: unknown): x is CompareRow {
  return isRecord(x) && typeof x.key === 'string' && typeof x.label === 'string' && typeof x.json === 'string';
}

function isValueDiff(x: unknown): x is CompareValueDiff {
  return (
    isRecord(x) && isOptionalString(x.rowKey) && typeof x.path === 'string' && isOptionalString(x.left) && isOptionalString(x.right) && DIFF_KINDS.has(x.kind)
  );
}

export function isCompareResult(x: unknown): x is CompareResult {
  return (
    isRecord(x) &&
    isSide(x.left) &&
    isSide(x.right) &&
    typeof x.sameStatus === 'boolean' &&
    isOptionalString(x.rowsPath) &&
    isOptionalString(x.rowKey) &&
    isArrayOf(x.onlyLeft, isRow) &&
    isArrayOf(x.onlyRight, isRow) &&
    isArrayOf(x.differences, isValueDiff) &&
    typeof x.identical === 'boolean' &&
    typeof x.summary === 'string'
  );
}

function isSideInfo(x: unknown): x is CompareSideInfo {
  return (
    isRecord(x) &&
    typeof x.name === 'string' &&
    typeof x.connectionLabel === 'string' &&
    typeof x.vendor === 'string' &&
    typeof x.statusText === 'string' &&
    isFiniteNumber(x.bodyBytes)
  );
}

export function isCompareView(x: unknown): x is CompareView {
  if (!isRecord(x) || !isNonEmptyString(x.id, 200)) return false;
  const r = x.request;
  if (!isRecord(r) || typeof r.method !== 'string' || typeof r.url !== 'string' || !isOptionalString(r.name)) return false;
  return isCompareResult(x.result) && isSideInfo(x.left) && isSideInfo(x.right);
}

export function isHostToCompare(x: unknown): x is HostToCompare {
  return isRecord(x) && x.type === 'show' && isCompareView(x.view);
}
