// Small display helpers for the response panel. No DOM here (unit-tested in Node).

import type { ResponseView } from '../../src/protocol/response';

export type StatusClass = 'info' | 'success' | 'redirect' | 'client-error' | 'server-error';

export function statusClass(status: number): StatusClass {
  if (status >= 500) return 'server-error';
  if (status >= 400) return 'client-error';
  if (status >= 300) return 'redirect';
  if (status >= 200) return 'success';
  return 'info';
}

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '? B';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value).toString()} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '? ms';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function formatCount(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** "Sent as …" parts, in display order; the banner joins them with " · ". */
export function bannerParts(sentAs: ResponseView['sentAs']): { who: string; mode?: string; connection: string } {
  const parts: { who: string; mode?: string; connection: string } = { who: sentAs.who, connection: sentAs.connectionLabel };
  if (sentAs.mode !== 'self') parts.mode = sentAs.mode;
  return parts;
}

/** JSON by declaration (application/json, application/problem+json, …) or, when undeclared, by its look. */
export function looksLikeJson(contentType: string, body: string): boolean {
  if (/[/+]json\b/i.test(contentType)) return true;
  if (contentType !== '' && !/^text\/plain\b/i.test(contentType)) return false;
  const first = body.trimStart().charAt(0);
  return first === '{' || first === '[';
}

/** Bodies that are not text: decoded as UTF-8 they are noise, so the panel asks before showing them. */
export function isBinaryContentType(contentType: string): boolean {
  return /^(image|audio|video|font)\/|^application\/(octet-stream|pdf|zip|gzip|x-tar|x-7z-compressed|vnd\.ms-excel|vnd\.openxmlformats)/i.test(contentType);
}

/**
 * A stable key for a view: the host's id, or (for a view built without one) everything it shows, with the
 * body reduced to its length and ends so a large body costs nothing to key.
 */
export function viewKey(view: ResponseView): string {
  if (view.id) return `id:${view.id}`;
  const { body, ...rest } = view;
  const ends = body.length > 2048 ? `${body.slice(0, 1024)}…${body.slice(-1024)}` : body;
  return `k:${body.length}:${JSON.stringify(rest)}:${ends}`;
}
