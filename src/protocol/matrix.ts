// Messages between the access matrix panel's host (src/extension/matrixPanel.ts) and its page (media/matrix/main.ts).
// Both sides import this file; it must stay free of 'vscode' and of Node APIs.
//
// Flow as in the other panels: the page posts `ready`, the host answers `show` with the whole view (again after every
// `ready`). While a run is going, the host posts `cells` as answers arrive (batched) and a last `show` when it ends.
// The page only asks (open a cell's response, export, re-run, cancel): the host answers from its own records, never
// from the message's content — a cell is named by its request and identity, and the host looks it up.

import { isArrayOf, isFiniteNumber, isNonEmptyString, isOptionalBoolean, isOptionalNumber, isOptionalString, isRecord } from './guards';

export type MatrixCellOutcome = 'allowed' | 'denied' | 'error' | 'skipped';

export interface MatrixViewIdentity {
  id: string;
  /** Short, for the column header and screen-reader labels: "Jane Doe", "Service user". */
  label: string;
  /** The connection's label. */
  connection: string;
  /** In full: "Jane Doe <jane@acme.test> (6045) · full". */
  detail: string;
}

export interface MatrixViewRequest {
  name: string;
  method: string;
  /** As the records show it: redacted. */
  url: string;
  /** Why the matrix does not send it (a write). */
  skipped?: string;
}

/** One expectation or assertion judged against the cell's response. */
export interface MatrixViewVerdict {
  met: boolean;
  expected: string;
  actual: string;
  /** The `# @expect` / `??` line it came from (1-based). */
  line: number;
}

export interface MatrixViewCell {
  /** The request's name, as in `requests`. */
  request: string;
  /** The identity's id, as in `identities`. */
  identity: string;
  outcome: MatrixCellOutcome;
  status?: number;
  rows?: number;
  durationMs?: number;
  /** For denials: the adapter's explanation ("no proxy assignment"). */
  explanation?: string;
  /** No response: what went wrong. */
  error?: string;
  /** What the file's `# @expect` lines say about this cell. */
  expected?: string[];
  met?: boolean;
  verdicts: MatrixViewVerdict[];
  /** The host kept the response: the cell can open it in the response panel. */
  hasResponse: boolean;
}

export interface MatrixView {
  /** Identifies this run (a re-run gets a new one: the page keeps its focus per run). */
  id: string;
  /** The .http file's name. */
  file: string;
  identities: MatrixViewIdentity[];
  requests: MatrixViewRequest[];
  /** The cells that have an answer so far (all of them once `running` is false), in any order. */
  cells: MatrixViewCell[];
  running: boolean;
  /** Cells to send in all (skipped ones included). */
  total: number;
  /** The run was cancelled: cells without an answer stay pending. */
  cancelled?: boolean;
  /** What to run again (a panel revived after a window reload re-runs from this): the file, the request line, the identities. */
  source?: MatrixSource;
}

export interface MatrixSource {
  uri: string;
  /** The request's line when the run was for one request (its CodeLens). */
  line?: number;
  /** `<connection id>/<principal id | self>`. */
  identities: string[];
}

export type MatrixExportFormat = 'csv' | 'json' | 'markdown';

export type HostToMatrix =
  | { type: 'show'; view: MatrixView }
  /** Answers that arrived since the last message, for the view `viewId`. */
  | { type: 'cells'; viewId: string; cells: MatrixViewCell[] };

export type MatrixToHost =
  | { type: 'ready' }
  | { type: 'openCell'; request: string; identity: string }
  | { type: 'export'; format: MatrixExportFormat }
  | { type: 'rerun' }
  | { type: 'cancel' };

/** The keys the page and the host find a cell by. */
export function cellKey(request: string, identity: string): string {
  return JSON.stringify([request, identity]);
}

/** What the cell says, as a screen reader reads it after "<identity>, <request>:": "allowed, 200, 3 rows". */
export function cellSummary(cell: MatrixViewCell | undefined): string {
  if (!cell) return 'pending';
  const parts: string[] = [cell.outcome];
  if (cell.status !== undefined) parts.push(String(cell.status));
  if (cell.rows !== undefined) parts.push(`${cell.rows} ${cell.rows === 1 ? 'row' : 'rows'}`);
  if (cell.outcome === 'error' && cell.error) parts.push(cell.error);
  if (cell.met === false) parts.push(`expected ${(cell.expected ?? []).join(' and ') || 'otherwise'}: not met`);
  return parts.join(', ');
}

/** The count line under the grid: "12 cells: 8 allowed, 3 denied, 1 error · 1 expectation not met". */
export function matrixSummary(view: MatrixView): string {
  const counts: Record<MatrixCellOutcome, number> = { allowed: 0, denied: 0, error: 0, skipped: 0 };
  let unmet = 0;
  for (const cell of view.cells) {
    counts[cell.outcome]++;
    unmet += cell.verdicts.filter((v) => !v.met).length;
  }
  const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
  const parts = [`${counts.allowed.toLocaleString('en-US')} allowed`, `${counts.denied.toLocaleString('en-US')} denied`, plural(counts.error, 'error')];
  if (counts.skipped) parts.push(`${counts.skipped.toLocaleString('en-US')} skipped`);
  const answered = view.cells.length;
  const head = view.running
    ? `${answered.toLocaleString('en-US')} of ${plural(view.total, 'cell')}`
    : view.cancelled
      ? `Cancelled: ${answered.toLocaleString('en-US')} of ${plural(view.total, 'cell')}`
      : plural(answered, 'cell');
  return `${head}: ${parts.join(', ')}${unmet ? ` · ${plural(unmet, 'expectation')} not met` : ''}`;
}

// --- guards ---------------------------------------------------------------------------------------------

const OUTCOMES: ReadonlySet<unknown> = new Set<MatrixCellOutcome>(['allowed', 'denied', 'error', 'skipped']);
const FORMATS: ReadonlySet<unknown> = new Set<MatrixExportFormat>(['csv', 'json', 'markdown']);
/** Names and ids the page may send back: as long as the host's own (it looks them up; anything else is not found). */
const MAX_KEY = 2000;

export function isMatrixToHost(x: unknown): x is MatrixToHost {
  if (!isRecord(x)) return false;
  const keys = Object.keys(x).length;
  switch (x.type) {
    case 'ready':
    case 'rerun':
    case 'cancel':
      return keys === 1;
    case 'openCell':
      return keys === 3 && isNonEmptyString(x.request, MAX_KEY) && isNonEmptyString(x.identity, MAX_KEY);
    case 'export':
      return keys === 2 && FORMATS.has(x.format);
    default:
      return false;
  }
}

function isVerdict(x: unknown): x is MatrixViewVerdict {
  return isRecord(x) && typeof x.met === 'boolean' && typeof x.expected === 'string' && typeof x.actual === 'string' && isFiniteNumber(x.line);
}

export function isMatrixViewCell(x: unknown): x is MatrixViewCell {
  return (
    isRecord(x) &&
    typeof x.request === 'string' &&
    typeof x.identity === 'string' &&
    OUTCOMES.has(x.outcome) &&
    isOptionalNumber(x.status) &&
    isOptionalNumber(x.rows) &&
    isOptionalNumber(x.durationMs) &&
    isOptionalString(x.explanation) &&
    isOptionalString(x.error) &&
    (x.expected === undefined || isArrayOf(x.expected, (e): e is string => typeof e === 'string')) &&
    isOptionalBoolean(x.met) &&
    isArrayOf(x.verdicts, isVerdict) &&
    typeof x.hasResponse === 'boolean'
  );
}

function isIdentity(x: unknown): x is MatrixViewIdentity {
  return isRecord(x) && typeof x.id === 'string' && typeof x.label === 'string' && typeof x.connection === 'string' && typeof x.detail === 'string';
}

function isRequest(x: unknown): x is MatrixViewRequest {
  return isRecord(x) && typeof x.name === 'string' && typeof x.method === 'string' && typeof x.url === 'string' && isOptionalString(x.skipped);
}

function isSource(x: unknown): x is MatrixSource {
  return isRecord(x) && typeof x.uri === 'string' && isOptionalNumber(x.line) && isArrayOf(x.identities, (i): i is string => typeof i === 'string');
}

export function isMatrixView(x: unknown): x is MatrixView {
  return (
    isRecord(x) &&
    isNonEmptyString(x.id, 200) &&
    typeof x.file === 'string' &&
    isArrayOf(x.identities, isIdentity) &&
    isArrayOf(x.requests, isRequest) &&
    isArrayOf(x.cells, isMatrixViewCell) &&
    typeof x.running === 'boolean' &&
    isFiniteNumber(x.total) &&
    isOptionalBoolean(x.cancelled) &&
    (x.source === undefined || isSource(x.source))
  );
}

export function isHostToMatrix(x: unknown): x is HostToMatrix {
  if (!isRecord(x)) return false;
  if (x.type === 'show') return isMatrixView(x.view);
  return x.type === 'cells' && isNonEmptyString(x.viewId, 200) && isArrayOf(x.cells, isMatrixViewCell);
}

/** The `show` message's guard alone (onHostViews takes one). */
export function isMatrixShow(x: unknown): x is { type: 'show'; view: MatrixView } {
  return isRecord(x) && x.type === 'show' && isMatrixView(x.view);
}
