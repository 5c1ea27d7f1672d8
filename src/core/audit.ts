// Types of the audit-trail features: version diffs, attribution checks, compare-as-two-users and the
// impersonation log. Shared by the core (which computes them), the CLI, the extension and the webviews.
// Pure data: no functions here, so webview bundles can import it for free.

import type { ImpersonationMode } from './model';

/** A piece of a word-level text diff (the shape jsdiff's diffWordsWithSpace returns). */
export interface TextPart {
  value: string;
  added?: boolean;
  removed?: boolean;
}

/** One structural change inside a JSON value, addressed by a JSON path like `$.tags[2]` or `$.owner.name`. */
export interface JsonChange {
  path: string;
  kind: 'added' | 'removed' | 'changed';
  /** JSON text of the old / new value at that path (absent for added / removed). */
  oldValue?: string;
  newValue?: string;
}

/** How one field changed in one version. */
export interface FieldDiff {
  field: string;
  /** text: word-level parts; json: structural changes (both values parse as JSON objects/arrays); set/unset: one side empty. */
  kind: 'text' | 'json' | 'set' | 'unset';
  oldValue: string;
  newValue: string;
  /** For kind 'text' (and 'set'/'unset' as one part). */
  parts?: TextPart[];
  /** For kind 'json'. */
  changes?: JsonChange[];
}

/** One version of an asset with its field diffs. */
export interface VersionDiff {
  version: number;
  date: string;
  user: string;
  /** The version was recorded under the principal the user acted as (highlighted in the UI). */
  byPrincipal: boolean;
  fields: FieldDiff[];
}

/** How one field changed, as a version's collapsed row says it (no values: the diff comes when the version is opened). */
export interface FieldSummary {
  field: string;
  /** set / unset: one side empty (as FieldDiff); changed: both sides have a value (FieldDiff's text or json). */
  kind: 'set' | 'unset' | 'changed';
}

/** One version as a long history's first paint needs it: who, when and which fields; VersionDiff without the diffs. */
export interface VersionSummary {
  version: number;
  date: string;
  user: string;
  byPrincipal: boolean;
  fields: FieldSummary[];
}

/** The answer to "did the vendor record my write under the principal?" */
export interface AttributionResult {
  assetId: string;
  /** recorded-as-principal: the latest version names the principal; recorded-as-service: it names someone else (lite not enabled?); no-new-version: nothing was recorded. */
  outcome: 'recorded-as-principal' | 'recorded-as-other' | 'no-new-version';
  /** Who the vendor recorded, as it wrote it. */
  recordedUser?: string;
  expectedUser: string;
  version?: number;
  /** The sentence to show, e.g. "Recorded as jane@acme.test in version 4." */
  message: string;
  /** What to do when it was not the principal. */
  advice?: string;
}

/** A side of a comparison: who it was sent as and what came back. */
export interface CompareSide {
  who: string;
  mode: ImpersonationMode | 'self';
  status: number;
  durationMs: number;
  /** Rows found in the response (see CompareResult.rowsPath), or undefined when it has no list. */
  rowCount?: number;
}

export interface CompareRow {
  /** The row's key (its id field's value, else its JSON). */
  key: string;
  /** A short label for the row (a Name/Title field when there is one). */
  label: string;
  /** JSON text of the row. */
  json: string;
}

export interface CompareValueDiff {
  /** Row key it belongs to, or undefined for a top-level field. */
  rowKey?: string;
  path: string;
  left?: string;
  right?: string;
  kind: 'only-left' | 'only-right' | 'different';
}

/** What one user sees that the other does not: the point of comparing two identities. */
export interface CompareResult {
  left: CompareSide;
  right: CompareSide;
  sameStatus: boolean;
  /** Where the rows were found, e.g. `$.rows` or `$` (a top-level array); undefined when neither body has a list. */
  rowsPath?: string;
  /** The field rows are matched by (`EntryId`, `id`, `RecordID`…), undefined when matched by content. */
  rowKey?: string;
  onlyLeft: CompareRow[];
  onlyRight: CompareRow[];
  /** Fields and values that differ (in shared rows, or at the top level). */
  differences: CompareValueDiff[];
  /** True when both bodies are equal as JSON (or as text). */
  identical: boolean;
  /** One sentence: "Jane sees 3 rows, Raj sees 2: 1 only Jane, 0 only Raj, 1 value differs." */
  summary: string;
}

/** One request sent as someone else, as the impersonation log keeps it (never a secret). */
export interface ImpersonationLogEntry {
  /** ISO time the request was sent. */
  time: string;
  connectionId: string;
  vendor: string;
  principalId: string;
  /** Display form of the principal. */
  principal: string;
  mode: ImpersonationMode;
  method: string;
  /** Redacted URL. */
  url: string;
  status?: number;
  /** The error sentence when no response came back. */
  error?: string;
  durationMs?: number;
  /** Filled in when attribution was checked. */
  attribution?: AttributionResult['outcome'];
}
