// Messages between the asset history panel's host (src/extension/historyPanel.ts) and its page
// (media/history/main.ts). Both sides import this file; it must stay free of 'vscode' and of Node APIs.
//
// Flow: the page loads and posts `ready`; the host answers with `show` (again after every `ready`): each version's
// summary (who, when, which fields), no values, so a long history's first paint is cheap to compute and to send.
// When the user opens a version the page asks for its diffs (`diff`), computed by the host (src/core/versionDiff.ts
// diffVersion) and answered with `diff` or, when the host has none to give, `diffError`: the page only lays them
// out, so it needs no diff library. The page only asks (refresh, diff of a version number); the host decides,
// from its own state, never from the message's content.

import type { FieldDiff, FieldSummary, JsonChange, TextPart, VersionDiff, VersionSummary } from '../core/audit';

// The page (media/history) takes the diff types from here: it sees the protocol, never the core.
export type { FieldDiff, FieldSummary, JsonChange, TextPart, VersionDiff, VersionSummary };
import { isArrayOf, isFiniteNumber, isNonEmptyString, isOptionalBoolean, isOptionalString, isRecord } from './guards';

export interface HistoryPrincipal {
  /** Display form: "Jane Doe <jane@acme.test> (jane.api)". */
  who: string;
  /** What the vendor records for them (versions by this user are highlighted). */
  email: string;
}

/** Everything the page shows. */
export interface HistoryView {
  /** Identifies this reading of the history; a refresh gets a new one (the page keeps filter and folding per asset). */
  id: string;
  assetId: string;
  connectionId: string;
  connectionLabel: string;
  vendor: string;
  /** The principal the user acts as on this connection: versions recorded under them are highlighted. */
  principal?: HistoryPrincipal;
  /** Oldest first (as the vendor numbers them); the page lists them newest first. A version's diffs come on request. */
  versions: VersionSummary[];
  /** The distinct users of the history, for the filter (src/core/versionDiff.ts usersOf). */
  users: string[];
  /** When the host read the history (ISO). */
  readAt: string;
}

export type HostToHistory =
  | { type: 'show'; view: HistoryView }
  /** The diffs of one version of the view `viewId` (the page drops answers for a view it no longer shows). */
  | { type: 'diff'; viewId: string; diff: VersionDiff }
  /** The host has no diffs of that version to give: why, and what to do. */
  | { type: 'diffError'; viewId: string; version: number; message: string };

export type HistoryToHost = { type: 'ready' } | { type: 'refresh' } | { type: 'diff'; version: number };

// --- guards ---------------------------------------------------------------------------------------------

const FIELD_KINDS: ReadonlySet<unknown> = new Set<FieldDiff['kind']>(['text', 'json', 'set', 'unset']);
const CHANGE_KINDS: ReadonlySet<unknown> = new Set<JsonChange['kind']>(['added', 'removed', 'changed']);

export function isHistoryToHost(x: unknown): x is HistoryToHost {
  if (!isRecord(x)) return false;
  if (x.type === 'diff') return Number.isSafeInteger(x.version) && Object.keys(x).length === 2;
  return (x.type === 'ready' || x.type === 'refresh') && Object.keys(x).length === 1;
}

function isTextPart(x: unknown): x is TextPart {
  return isRecord(x) && typeof x.value === 'string' && isOptionalBoolean(x.added) && isOptionalBoolean(x.removed);
}

function isJsonChange(x: unknown): x is JsonChange {
  return isRecord(x) && typeof x.path === 'string' && CHANGE_KINDS.has(x.kind) && isOptionalString(x.oldValue) && isOptionalString(x.newValue);
}

function isFieldDiff(x: unknown): x is FieldDiff {
  if (!isRecord(x) || typeof x.field !== 'string' || !FIELD_KINDS.has(x.kind)) return false;
  if (typeof x.oldValue !== 'string' || typeof x.newValue !== 'string') return false;
  if (x.parts !== undefined && !isArrayOf(x.parts, isTextPart)) return false;
  if (x.changes !== undefined && !isArrayOf(x.changes, isJsonChange)) return false;
  return true;
}

/** What a version's diff and its summary share: which version, when, by whom, and its fields (each checked by `isField`). */
function isVersionOf<F>(x: unknown, isField: (field: unknown) => field is F): x is Record<string, unknown> {
  return (
    isRecord(x) &&
    isFiniteNumber(x.version) &&
    typeof x.date === 'string' &&
    typeof x.user === 'string' &&
    typeof x.byPrincipal === 'boolean' &&
    isArrayOf(x.fields, isField)
  );
}

export function isVersionDiff(x: unknown): x is VersionDiff {
  return isVersionOf(x, isFieldDiff);
}

const SUMMARY_KINDS: ReadonlySet<unknown> = new Set<FieldSummary['kind']>(['set', 'unset', 'changed']);

function isFieldSummary(x: unknown): x is FieldSummary {
  return isRecord(x) && typeof x.field === 'string' && SUMMARY_KINDS.has(x.kind);
}

export function isVersionSummary(x: unknown): x is VersionSummary {
  return isVersionOf(x, isFieldSummary);
}

export function isHistoryView(x: unknown): x is HistoryView {
  if (!isRecord(x)) return false;
  if (!isNonEmptyString(x.id, 200) || typeof x.assetId !== 'string' || typeof x.connectionId !== 'string') return false;
  if (typeof x.connectionLabel !== 'string' || typeof x.vendor !== 'string' || typeof x.readAt !== 'string') return false;
  const p = x.principal;
  if (p !== undefined && !(isRecord(p) && typeof p.who === 'string' && typeof p.email === 'string')) return false;
  return isArrayOf(x.users, (u): u is string => typeof u === 'string') && isArrayOf(x.versions, isVersionSummary);
}

export function isHostToHistory(x: unknown): x is HostToHistory {
  if (!isRecord(x)) return false;
  if (x.type === 'show') return isHistoryView(x.view);
  if (x.type === 'diff') return typeof x.viewId === 'string' && isVersionDiff(x.diff);
  if (x.type === 'diffError') return typeof x.viewId === 'string' && isFiniteNumber(x.version) && typeof x.message === 'string';
  return false;
}
