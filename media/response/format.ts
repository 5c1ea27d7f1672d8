// Small display helpers for the response panel. No DOM here (unit-tested in Node). The generic ones live in
// media/shared/format.ts (the other pages use them too) and are re-exported here.

import type { ResponseView } from '../../src/protocol/response';

export { formatBytes, formatCount, formatDuration, statusClass, type StatusClass } from '../shared/format';

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

/** Bodies that are not text: decoded as UTF-8 they are noise, so the panel offers to save them instead. */
export { isBinaryContentType } from '../../src/protocol/response';

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
