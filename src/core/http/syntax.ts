// Line-level syntax of .http files: whitespace and token scanning, comment and `###` separator tests, the
// token patterns of request lines and headers, annotations in comments (`# @key value`) and body file
// references (`< ./file`). Pure functions of one line: they report nothing (parser.ts turns what they find,
// or do not find, into diagnostics).

import type { HttpBodyFileReference } from './parsedFile';

// ---- Whitespace and tokens ----

export function isWs(code: number): boolean {
  return code === 32 || code === 9 || code === 11 || code === 12 || code === 160 || code === 0xfeff;
}

/** The index of the first non-whitespace character of `line` (its length when the line is blank). */
export function firstNonWs(line: string): number {
  let i = 0;
  while (i < line.length && isWs(line.charCodeAt(i))) i++;
  return i;
}

/** The index of the first non-whitespace character at or after `from` (the line's length when none). */
export function firstNonWsFrom(line: string, from: number): number {
  let i = from;
  while (i < line.length && isWs(line.charCodeAt(i))) i++;
  return i;
}

/** The whitespace-delimited token that starts at or after `from` ('' when none). */
export function nextToken(line: string, from: number): string {
  const start = firstNonWsFrom(line, from);
  let end = start;
  while (end < line.length && !isWs(line.charCodeAt(end))) end++;
  return line.slice(start, end);
}

/** Whitespace in `s` outside its `{{...}}` references (an unclosed `{{` hides the rest). */
export function hasWhitespaceOutsideRefs(s: string): boolean {
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 123 && s.charCodeAt(i + 1) === 123) {
      const close = s.indexOf('}}', i + 2);
      if (close < 0) return false;
      i = close + 2;
      continue;
    }
    if (isWs(c)) return true;
    i++;
  }
  return false;
}

// ---- Line classification ----

/** A `#` or `//` comment starts at `i`. */
export function isCommentAt(line: string, i: number): boolean {
  const c = line.charCodeAt(i);
  return c === 35 /* # */ || (c === 47 /* / */ && line.charCodeAt(i + 1) === 47);
}

/** A `###` request separator starts at `i`. */
export function isSeparatorAt(line: string, i: number): boolean {
  return line.startsWith('###', i);
}

// ---- Request lines and headers ----

export const HTTP_METHODS: readonly string[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'TRACE', 'CONNECT'];
export const METHOD_SET: ReadonlySet<string> = new Set(HTTP_METHODS);

// RFC 9110 token characters.
export const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
export const HEADER_LIKE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+[ \t]*:/;
export const HTTP_VERSION = /^HTTP\/(\d+(?:\.\d+)?)$/i;
const HOST_WITH_DOT = /^[A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)+(?::\d+)?(?:[/?#]|$)/;
const HOST_WITH_PORT = /^[A-Za-z0-9][A-Za-z0-9-]*:\d+(?:[/?#]|$)/;
const LOCALHOST = /^localhost(?::\d+)?(?:[/?#]|$)/i;

/** `token` can start a request line without a method: a path, `{{host}}`, http(s)://, a host name or localhost. */
export function looksLikeUrl(token: string): boolean {
  const lower = token.slice(0, 8).toLowerCase();
  return (
    token[0] === '/' ||
    token.startsWith('{{') ||
    lower.startsWith('http://') ||
    lower.startsWith('https://') ||
    HOST_WITH_DOT.test(token) ||
    HOST_WITH_PORT.test(token) ||
    LOCALHOST.test(token)
  );
}

// ---- Annotations ----

/** An annotation in a comment line: `# @key value`, `// @key=value`. */
export interface Annotation {
  key: string;
  value: string;
  /** 1-based line; parseAnnotation leaves it 0 for the caller to set. */
  line: number;
  /** 1-based column of the `@`. */
  keyColumn: number;
  /** 1-based column where the value starts. */
  valueColumn: number;
}

/** The annotations that choose the identity a request is sent as (at most one of each per request). */
export const IDENTITY_KEYS: ReadonlySet<string> = new Set(['connection', 'as', 'mode']);

const ANNOTATION_KEY_CHAR = /[A-Za-z0-9_.-]/;

/** Parses an annotation in the comment line that starts at `i0` (`# @key value`, `// @key=value`), or undefined. */
export function parseAnnotation(line: string, i0: number): Annotation | undefined {
  let i = i0;
  if (line.charCodeAt(i) === 35) while (line.charCodeAt(i) === 35) i++;
  else while (line.charCodeAt(i) === 47) i++;
  while (i < line.length && isWs(line.charCodeAt(i))) i++;
  if (line[i] !== '@') return undefined;
  const keyStart = ++i;
  while (i < line.length && ANNOTATION_KEY_CHAR.test(line[i])) i++;
  if (i === keyStart) return undefined;
  const key = line.slice(keyStart, i);
  if (i < line.length && line[i] !== '=' && !isWs(line.charCodeAt(i))) return undefined;
  while (i < line.length && isWs(line.charCodeAt(i))) i++;
  if (line[i] === '=') {
    i++;
    while (i < line.length && isWs(line.charCodeAt(i))) i++;
  }
  return { key, value: line.slice(i).trimEnd(), line: 0, keyColumn: keyStart, valueColumn: i + 1 };
}

// ---- Body file references ----

/** The encodings Node's Buffer reads (Buffer.isEncoding), lower-case; `<@name` must use one of them. */
export const BODY_FILE_ENCODINGS: readonly string[] = [
  'utf8',
  'utf-8',
  'utf16le',
  'utf-16le',
  'ucs2',
  'ucs-2',
  'latin1',
  'binary',
  'ascii',
  'base64',
  'base64url',
  'hex',
];
export const ENCODING_SET: ReadonlySet<string> = new Set(BODY_FILE_ENCODINGS);

/**
 * Parses a body line `< path`, `<@ path` or `<@encoding path`, or undefined. The encoding is returned as
 * written (not checked against BODY_FILE_ENCODINGS); `line` is left 0 for the caller to set.
 */
export function fileReference(text: string): HttpBodyFileReference | undefined {
  if (text[0] !== '<') return undefined;
  let i = 1;
  let processVariables = false;
  let encoding: string | undefined;
  if (text[i] === '@') {
    processVariables = true;
    i++;
    const start = i;
    while (i < text.length && /[\w-]/.test(text[i])) i++;
    if (i > start) encoding = text.slice(start, i);
  }
  if (i >= text.length || !isWs(text.charCodeAt(i))) return undefined;
  const from = firstNonWsFrom(text, i);
  const path = text.slice(from).trimEnd();
  if (!path) return undefined;
  const ref: HttpBodyFileReference = { path, processVariables, line: 0, column: from + 1 };
  if (encoding) ref.encoding = encoding;
  return ref;
}
