// Line-level syntax of .http files: whitespace and token scanning, comment and `###` separator tests, the
// token patterns of request lines and headers, annotations in comments (`# @key value`) and body file
// references (`< ./file`). Pure functions of one line: they report nothing (parser.ts turns what they find,
// or do not find, into diagnostics).

import { editDistance } from '../editDistance';
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

/**
 * Any other method (RFC 9110: a method is any token): WebDAV's PROPFIND, MKCOL, MERGE, QUERY, PURGE, M-SEARCH.
 * Behalf reads one only in upper case (methods are case-sensitive, and it keeps prose from reading as a request);
 * the methods of HTTP_METHODS are accepted in any case and upper-cased.
 */
export const EXTENSION_METHOD = /^[A-Z][A-Z0-9!#$%&'*+\-.^_`|~]{0,63}$/;

/** The method of HTTP_METHODS that `method` (not one of them) is most likely a typo of (one edit or swap away), or undefined. */
export function methodTypo(method: string): string | undefined {
  for (const m of HTTP_METHODS) if (editDistance(method, m, 1) <= 1) return m;
  return undefined;
}

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

// ---- Secrets ----

/** Behalf's own secrets live in BEHALF_SECRET_* variables (any case): no `{{$processEnv}}`/`{{$dotenv}}` may read one. */
export function isBehalfSecretName(name: string): boolean {
  return /^behalf_secret_/i.test(name.trim());
}

/** The error for a variable that reads a Behalf secret (the parser's diagnostic and the resolver's error say the same). */
export function behalfSecretMessage(raw: string, name: string): string {
  return `${raw} reads ${name}, a Behalf secret: secrets are added by the connection, never through variables (expected the connection's authentication, or a variable that is not named BEHALF_SECRET_*)`;
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

/** The annotations Behalf implements (names are case-sensitive, lower-case). */
export const KNOWN_ANNOTATIONS: readonly string[] = ['name', 'connection', 'as', 'mode', 'expect', 'disabled', 'no-redirect', 'prompt', 'note'];

/**
 * Annotations of REST Client, httpYac and the JetBrains HTTP client that Behalf does not implement yet: they
 * are kept in `annotations` and a warning says they have no effect.
 */
export const UNSUPPORTED_ANNOTATIONS: readonly string[] = [
  'no-cookie-jar',
  'no-log',
  'no-auto-encoding',
  'no-reject-unauthorized',
  'no-client-cert',
  'no-proxy',
  'no-chunked',
  'no-response-view',
  'ref',
  'forceRef',
  'import',
  'sleep',
  'loop',
  'jwt',
  'save',
  'openWith',
  'extension',
  'verbose',
  'debug',
  'title',
  'description',
  'timeout',
  'connection-timeout',
  'use-os-credentials',
  'keepStreaming',
  'ratelimit',
  'injectVariables',
  'responseRef',
  'proxy',
];

/** What an annotation that is not one of KNOWN_ANNOTATIONS would be: the key it is nearest to, if any. */
export function nearestAnnotation(key: string): { name: string; known: boolean; identity: boolean; exact: boolean } | undefined {
  const lower = key.toLowerCase();
  let best: { name: string; known: boolean; distance: number } | undefined;
  // Short names are a letter or a swap away (`@sa`, `@nmae`); longer ones two (`@conection`, `@no-redirct`).
  const max = lower.length <= 4 ? 1 : 2;
  const consider = (name: string, known: boolean): void => {
    const d = editDistance(lower, name.toLowerCase(), max);
    // Ties go to the known (identity) annotation: the one whose typo changes whom a request acts as.
    if (d <= max && (!best || d < best.distance || (d === best.distance && known && !best.known))) best = { name, known, distance: d };
  };
  for (const name of KNOWN_ANNOTATIONS) consider(name, true);
  for (const name of UNSUPPORTED_ANNOTATIONS) consider(name, false);
  if (!best) return undefined;
  return { name: best.name, known: best.known, identity: best.known && IDENTITY_KEYS.has(best.name), exact: best.distance === 0 };
}

/**
 * A comment that is almost an annotation: `# @as: 6045` (a colon after the name) or `# @ as 6045` (a space
 * after the @). `keyColumn` is the 1-based column of the name, `atColumn` of the @.
 */
export interface AnnotationNearMiss {
  kind: 'colon' | 'space';
  key: string;
  atColumn: number;
  keyColumn: number;
}

/**
 * `parseAnnotation`, or the near miss the comment line at `i0` is (`# @as: x`, `# @ as x`), or undefined for
 * a comment that has no @ right after its `#`/`//` (an @ later in the text, an email address, ...).
 */
export function scanAnnotation(line: string, i0: number): { annotation: Annotation } | { nearMiss: AnnotationNearMiss } | undefined {
  const annotation = parseAnnotation(line, i0);
  if (annotation) return { annotation };
  let i = i0;
  if (line.charCodeAt(i) === 35) while (line.charCodeAt(i) === 35) i++;
  else while (line.charCodeAt(i) === 47) i++;
  while (i < line.length && isWs(line.charCodeAt(i))) i++;
  if (line[i] !== '@') return undefined;
  const atColumn = i + 1;
  i++;
  let kind: 'colon' | 'space' = 'colon';
  if (isWs(line.charCodeAt(i))) {
    kind = 'space';
    i = firstNonWsFrom(line, i);
  }
  const keyStart = i;
  while (i < line.length && ANNOTATION_KEY_CHAR.test(line[i])) i++;
  if (i === keyStart) return undefined;
  const after = line[i];
  if (kind === 'colon' ? after !== ':' : after !== undefined && after !== ':' && after !== '=' && !isWs(line.charCodeAt(i))) return undefined;
  return { nearMiss: { kind, key: line.slice(keyStart, i), atColumn, keyColumn: keyStart + 1 } };
}

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

// ---- Other tools' constructs (flagged, never sent as text) ----

/** `GET /b` on its own: an upper-case method of HTTP_METHODS, a URL, maybe a version; nothing else (httpYac's rule splits on it). */
export function isPlainRequestLine(line: string, i0: number): boolean {
  const m = PLAIN_REQUEST_LINE.exec(line.slice(i0));
  return m !== null && METHOD_SET.has(m[1]) && looksLikeUrl(m[2]);
}
const PLAIN_REQUEST_LINE = /^([A-Z]+)[ \t]+(\S+)(?:[ \t]+HTTP\/\d+(?:\.\d+)?)?[ \t]*$/;

/** `HTTP/1.1 200 OK`: the status line of a response (an example response in a JetBrains or httpYac file). */
export const RESPONSE_STATUS = /^HTTP\/\d+(?:\.\d+)?[ \t]+\d{3}(?:\s|$)/i;

/**
 * The text that closes a multi-line script opened on this line (`}}` for an httpYac `{{` block, `%}` for a
 * JetBrains `> {%` / `< {%` one), or undefined when the line opens none (or closes it itself).
 */
export function scriptOpening(line: string, i0: number): string | undefined {
  const rest = line.slice(i0).trimEnd();
  if (/^\{\{(?:[+@][A-Za-z]*)?$/.test(rest)) return '}}';
  if (/^[<>][ \t]*\{%/.test(rest) && !rest.endsWith('%}')) return '%}';
  return undefined;
}

/** `< {% … %}` or `< ./script.js` above a request line: a JetBrains pre-request script. */
export const PRE_REQUEST_SCRIPT = /^<[ \t]*\{%|^<[ \t]+\S/;

export type PostRequestKind = 'handler' | 'redirect' | 'reference';

/** What a line after a request is, when it is one of the JetBrains / httpYac response constructs. */
export function postRequestKind(rest: string): PostRequestKind | undefined {
  if (/^>>!?[ \t]*\S/.test(rest)) return 'redirect';
  if (/^<>[ \t]*\S/.test(rest)) return 'reference';
  if (/^>[ \t]*\{%/.test(rest) || /^>[ \t]+(?:\S+\.(?:m?js|cjs|ts)|\.{0,2}\/\S+)[ \t]*$/.test(rest)) return 'handler';
  return undefined;
}

export const POST_REQUEST_MESSAGE: Record<PostRequestKind, string> = {
  handler:
    'response handler (> {% … %} or > ./handler.js, JetBrains HTTP Client and httpYac) is not run: Behalf does not run JavaScript (the request is sent; what the handler checks or sets is not done)',
  redirect: 'output redirection (>> file or >>! file, JetBrains HTTP Client and httpYac) is not supported: the response is not saved to a file',
  reference: 'response reference (<> file, JetBrains HTTP Client) is not supported: the response is not compared with that file',
};

/** A line right below a request's headers that starts the part after the request (so no header is expected). */
export function afterRequestConstruct(line: string, i0: number): boolean {
  const rest = line.slice(i0);
  return postRequestKind(rest) !== undefined || rest.startsWith('??') || scriptOpening(line, i0) === '}}';
}

/** `&b=2 HTTP/1.1`: the text without a trailing HTTP version, and the version; undefined when there is none. */
export function trailingHttpVersion(text: string): { rest: string; httpVersion: string } | undefined {
  let lastWs = text.length - 1;
  while (lastWs >= 0 && !isWs(text.charCodeAt(lastWs))) lastWs--;
  if (lastWs <= 0) return undefined;
  const m = HTTP_VERSION.exec(text.slice(lastWs + 1));
  if (!m) return undefined;
  return { rest: text.slice(0, lastWs).trimEnd(), httpVersion: `HTTP/${m[1]}` };
}

/** Request lines of other protocols, and the tools whose syntax they are. */
export const NON_HTTP_PROTOCOLS: Readonly<Record<string, string>> = {
  GRPC: 'gRPC, httpYac and JetBrains HTTP Client',
  WS: 'WebSocket, httpYac',
  WEBSOCKET: 'WebSocket, JetBrains HTTP Client',
  SSE: 'server-sent events, httpYac',
  EVENTSOURCE: 'server-sent events, httpYac',
  MQTT: 'MQTT, httpYac',
  AMQP: 'AMQP, httpYac',
};

/** httpYac's GraphQL body: it starts with an operation or a fragment. */
export const GRAPHQL_BODY = /^\s*(?:query|mutation|subscription|fragment)(?=[\s{(]|$)/;
