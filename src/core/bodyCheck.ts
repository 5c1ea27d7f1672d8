// Honest bodies: a response whose Content-Type says JSON but whose body does not parse is said to be so, with
// where it breaks, instead of being shown as if nothing were wrong. Vendor-neutral.

import { parse, type ParseError } from 'jsonc-parser';
import { jsonSyntaxMessage, LineIndex } from './jsonText';
import { findHeader } from './transport';

/** application/json, application/problem+json, application/vnd.x+json; charset=… */
const JSON_MEDIA_TYPE = /^\s*application\/(?:[\w.+-]*\+)?json\s*(?:;|$)/i;

/**
 * A note when the body claims to be JSON and is not: "The body says application/json but is not valid JSON:
 * line 1, column 41 (expected "," between entries)." Undefined for valid JSON, an empty body, or another type.
 */
export function jsonBodyNote(headers: Record<string, string>, body: Buffer | string): string | undefined {
  const contentType = findHeader(headers, 'content-type');
  if (!contentType || !JSON_MEDIA_TYPE.test(contentType) || body.length === 0) return undefined;
  // The engine passes the text it decoded for the record: a 100 KB body is decoded once, not twice.
  const text = typeof body === 'string' ? body : body.toString('utf8');
  try {
    JSON.parse(text);
    return undefined;
  } catch {
    // Where and why: jsonc-parser, strict (no comments, no trailing commas), gives an offset JSON.parse does not.
  }
  const errors: ParseError[] = [];
  parse(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
  const mediaType = contentType.split(';')[0].trim();
  const first = errors[0];
  if (!first) return `The body says ${mediaType} but is not valid JSON.`;
  const at = new LineIndex(text, '').at(first.offset);
  return `The body says ${mediaType} but is not valid JSON: line ${at.line}, column ${at.column} (${jsonSyntaxMessage(first, text)}).`;
}
