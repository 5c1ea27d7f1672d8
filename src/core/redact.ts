// One redaction function for everything that leaves the engine: logs, history, cURL exports,
// error messages, webview HTML. Secrets are known two ways: by the header or parameter that carries
// them, and by value (every secret and token the engine handled is registered here).
//
// By value means in every form a value takes on its way through HTTP: as is, percent-encoded (URL, form,
// double-encoded), JSON-escaped, and in Base64 (plain, URL-safe, inside a longer Base64 run, and in a
// `Basic` credential). A vendor that quotes the request form in its error shows
// `client_secret=Qm4x9Lr2%2Fabc%2Bdef%3D%3D`: that is the secret too.

import { remembered } from './remembered';

export const REDACTED = '«redacted»';

const SENSITIVE_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'x-auth-token',
  'x-access-token',
  'x-amz-security-token',
]);

/**
 * Parameters whose values are credentials, in URLs (query and fragment) and form bodies. The last five are the
 * signatures of presigned URLs (S3 `X-Amz-*`, Azure SAS `sig`, and the generic `signature`): whoever has the
 * URL has the access, so they are credentials too.
 */
const SENSITIVE_PARAMS =
  /^(token|access_token|id_token|refresh_token|api_key|apikey|client_secret|subject_token|actor_token|password|secret|code|x-amz-signature|x-amz-credential|x-amz-security-token|sig|signature)$/i;

/**
 * The presigned-URL parameters in any text (a URL quoted in an error, a log line, a JSON body): the value runs to
 * the next `&`, `#`, quote, angle bracket, backslash (a JSON escape such as `\u0026`) or white space.
 */
const SIGNED_PARAM = /(?<![\w-])(x-amz-signature|x-amz-credential|x-amz-security-token|sig|signature)=[^&#\s"'<>\\]+/gi;

/**
 * Secrets shorter than this are weak, and redacted only as a whole word (see `Redactor.add`): replacing "abc"
 * inside every word that contains it would destroy the output and protect nothing.
 */
const SHORT_SECRET_LENGTH = 6;

/** Secrets at least this long are also found inside a longer Base64 run (at any of the 3 byte alignments). */
const BASE64_RUN_MIN_LENGTH = 16;

/**
 * A short secret is a whole word: no letter or digit before it (unless that is the end of an escape: %2C,
 * \u002C, \n) or after it. In Base64, a whole run: the Base64 alphabet does not stand next to it either.
 */
const WORD_START = String.raw`(?<![\p{L}\p{N}](?<!%[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}|\\[bfnrt]))`;
const WORD_END = String.raw`(?![\p{L}\p{N}])`;
const RUN_START = String.raw`(?<![\p{L}\p{N}+/_-](?<!%[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}|\\[bfnrt]))`;
const RUN_END = String.raw`(?![\p{L}\p{N}+/=_-])`;

/** `Basic <base64>` as is, JSON-escaped (`\/`) or percent-encoded (a header quoted in a URL or form). */
const BASIC = /\b(Basic)(\s+|%20|\+)((?:[A-Za-z0-9+/_-]|%2[BbFf]|\\\/)+(?:=|%3[Dd]){0,2})/gi;

export class Redactor {
  private readonly secrets = new Set<string>();
  private matchers: Matchers | undefined;

  /**
   * Remember a secret value so it is redacted wherever it appears, in any of its encoded forms, whatever its
   * length. A secret shorter than 6 characters is weak (guessable, and it cannot be told apart from ordinary
   * text): it is redacted only where it stands as a whole value or word — a header value, a query or form value,
   * a word bounded by non-alphanumerics — never inside a longer word. Use longer secrets.
   */
  add(value: string | undefined): void {
    if (!value || value.trim() === '' || this.secrets.has(value)) return;
    this.secrets.add(value);
    this.matchers = undefined;
    this.urls.clear();
  }

  /** URLs as `url` gave them, for the secrets known then (every request shows its URL; most runs send few distinct ones). */
  private readonly urls = new Map<string, string>();

  get size(): number {
    return this.secrets.size;
  }

  text(input: string): string {
    if (input.length === 0) return input;
    // The marker is left as it is, so redacting twice changes nothing (a secret "redacted" stays outside it).
    return input.includes(REDACTED)
      ? input
          .split(REDACTED)
          .map((part) => this.redactText(part))
          .join(REDACTED)
      : this.redactText(input);
  }

  headers(headers: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    // Indexed, not for-of over entries: this runs for every response's headers (see flattenHeaders in transport).
    const names = Object.keys(headers);
    for (let i = 0; i < names.length; i++) {
      const name = names[i];
      out[name] = isSensitiveHeader(name) ? redactHeaderValue(headers[name]) : this.text(headers[name]);
    }
    return out;
  }

  /**
   * Userinfo and credential parameters (query and fragment) by name, then values by `text`. The URL is rebuilt
   * from its parts as parsed with the marker written as is: `URL` would percent-encode it (`%C2%ABredacted%C2%BB`).
   */
  url(raw: string): string {
    return remembered(this.urls, raw, () => this.redactUrl(raw));
  }

  private redactUrl(raw: string): string {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      return this.text(raw);
    }
    const userinfo = parsed.username !== '' || parsed.password !== '';
    const query = parsed.search.slice(1);
    const fragment = parsed.hash.slice(1);
    const redactedQuery = redactParams(query);
    const redactedFragment = redactParams(fragment);
    if (!userinfo && redactedQuery === undefined && redactedFragment === undefined) return this.text(raw);
    if (userinfo) {
      parsed.username = parsed.username ? 'redacted' : '';
      parsed.password = '';
    }
    parsed.search = '';
    parsed.hash = '';
    const rebuilt = `${parsed.toString()}${query ? `?${redactedQuery ?? query}` : ''}${fragment ? `#${redactedFragment ?? fragment}` : ''}`;
    return this.text(rebuilt);
  }

  /** Form bodies carry client secrets and subject tokens: redact the sensitive fields by name too. */
  body(body: string, contentType: string | undefined): string {
    if (contentType && /application\/x-www-form-urlencoded/i.test(contentType)) body = redactParams(body) ?? body;
    return this.text(body);
  }

  private redactText(input: string): string {
    // Every signed parameter has an `=`: a text without one (most JSON bodies) skips the slower regex scan.
    const out = input.includes('=') ? input.replace(SIGNED_PARAM, (_whole, name: string) => `${name}=${REDACTED}`) : input;
    if (this.secrets.size === 0) return out;
    const matchers = (this.matchers ??= compile(this.secrets));
    // A Basic credential that decodes to something holding a secret goes whole: the user name with it.
    const withBasic = out.replace(BASIC, (whole, scheme: string, separator: string, credential: string) =>
      holdsSecret(matchers, decodeBasic(credential)) ? `${scheme}${separator}${REDACTED}` : whole,
    );
    // One pass per form that may match (see screen), longest secret first, each over the text between the markers
    // placed so far: a token that contains another secret is replaced whole, and no secret is looked for inside a marker.
    const candidates = screened(matchers, withBasic);
    if (candidates === undefined) return withBasic;
    let pieces = [withBasic];
    for (const matcher of matchers.list)
      if (candidates === ALL || candidates.has(matcher.index)) pieces = pieces.flatMap((piece) => splitAt(piece, matcher.pattern));
    return pieces.join(REDACTED);
  }
}

export function isSensitiveHeader(name: string): boolean {
  return SENSITIVE_HEADERS.has(name.toLowerCase());
}

/** Keep the scheme ("Bearer") so a reader still sees what kind of credential was sent. */
function redactHeaderValue(value: string): string {
  const scheme = /^(Bearer|Basic|Digest|Token)\s+/i.exec(value);
  return scheme ? `${scheme[1]} ${REDACTED}` : REDACTED;
}

/**
 * `a=1&token=x` with the values of sensitive names replaced by the marker, everything else byte for byte as it
 * was (no re-encoding); undefined when there is nothing to redact.
 */
function redactParams(params: string): string | undefined {
  if (params === '') return undefined;
  let changed = false;
  const parts = params.split('&').map((part) => {
    const eq = part.indexOf('=');
    if (eq < 0 || !SENSITIVE_PARAMS.test(formDecode(part.slice(0, eq)))) return part;
    changed = true;
    return `${part.slice(0, eq + 1)}${REDACTED}`;
  });
  return changed ? parts.join('&') : undefined;
}

function formDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

function decodeBasic(credential: string): string {
  const base64 = credential.replace(/\\\//g, '/').replace(/%2[Bb]|%2[Ff]|%3[Dd]/g, (e) => decodeURIComponent(e));
  return Buffer.from(base64, 'base64').toString('utf8');
}

/** `text` cut where `pattern` (global) matches, the matches left out. */
function splitAt(text: string, pattern: RegExp): string[] {
  if (text.length === 0) return [text];
  const parts: string[] = [];
  let last = 0;
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
    if (match[0] === '') {
      pattern.lastIndex++;
      continue;
    }
    parts.push(text.slice(last, match.index));
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

function holdsSecret(matchers: Matchers, text: string): boolean {
  const candidates = screened(matchers, text);
  return matchers.list.some(({ pattern, index }) => {
    if (candidates === undefined || (candidates !== ALL && !candidates.has(index))) return false;
    pattern.lastIndex = 0;
    return pattern.test(text);
  });
}

/**
 * One form of one secret: its regular expression, and the longest run of characters that every match holds
 * as is (encodedForms writes letters, digits, `.`, `_` and `-` only literally), for a quick check first.
 */
interface Matcher {
  pattern: RegExp;
  literal: string | undefined;
  index: number;
}

/**
 * Every form of every secret, and the screen that says which of them a text may hold: each form's literal run
 * starts with a 4-character anchor (ASCII, 7 bits a character: a 28-bit key), and one pass over the text looks up
 * every 4 characters it holds. Tens of forms then cost one scan, not one regular expression scan each (each about
 * as slow as the scan here); only the forms whose anchor is in the text are searched for.
 */
interface Matchers {
  list: Matcher[];
  /** Forms without a 4-character anchor: always searched. */
  always: number[];
  /** anchor key → the forms it starts. */
  byAnchor: Map<number, number[]>;
  /** One bit per anchor key's low 20 bits: a quick "no" for most positions. */
  maybe: Uint8Array;
}

const ANCHOR_CHARS = 4;
const KEY_MASK = (1 << (7 * ANCHOR_CHARS)) - 1;
const MAYBE_MASK = (1 << 20) - 1;

function anchorKey(text: string, from: number): number {
  let key = 0;
  for (let i = from; i < from + ANCHOR_CHARS; i++) key = (key << 7) | text.charCodeAt(i);
  return key;
}

/** Every form: searching them all costs less than screening this text. */
const ALL = 'all';

/**
 * Costs measured on a 2-core EPYC (Node 20, best of 30 rounds): a regular expression search ~300 ns a call plus
 * ~0.12 ns a character; the screen ~2.5 ns a character. Short texts (header values, log lines, small bodies) are
 * screened whatever the number of forms; a 100 KB body only from about 20 forms (5 secrets) on.
 */
function screened(matchers: Matchers, text: string): Set<number> | typeof ALL | undefined {
  const regexNs = matchers.list.length * (300 + 0.12 * text.length);
  return 2.5 * text.length < regexNs ? screen(matchers, text) : ALL;
}

/** The indexes of the forms `text` may hold (undefined: none). */
function screen(matchers: Matchers, text: string): Set<number> | undefined {
  let found: Set<number> | undefined = matchers.always.length ? new Set(matchers.always) : undefined;
  if (matchers.byAnchor.size === 0) return found;
  const { maybe, byAnchor } = matchers;
  // A key of fewer than 4 characters (at the start, after a non-ASCII one) has its top 7 bits 0: no anchor's
  // (which starts with a printable character), so it needs no counting.
  let key = 0;
  for (let i = 0, n = text.length; i < n; i++) {
    const c = text.charCodeAt(i);
    key = c < 128 ? ((key << 7) | c) & KEY_MASK : 0;
    const bit = key & MAYBE_MASK;
    if ((maybe[bit >>> 3] & (1 << (bit & 7))) === 0) continue;
    const forms = byAnchor.get(key);
    if (forms) for (const form of forms) (found ??= new Set()).add(form);
  }
  return found;
}

/** The longest run of characters encodedForms writes only literally. */
function literalRun(value: string): string | undefined {
  let longest = '';
  for (const run of value.split(/[^A-Za-z0-9._-]+/)) if (run.length > longest.length) longest = run;
  return longest || undefined;
}

/**
 * The regular expressions, one per form of each secret (one pass each, with a literal start the engine
 * searches for quickly; a single alternation of them all grows too large to be optimised), longest secret first.
 */
function compile(secrets: ReadonlySet<string>): Matchers {
  const list = [...secrets]
    .sort((a, b) => b.length - a.length)
    .flatMap((secret) => {
      const raw = { source: encodedForms(secret), literal: literalRun(secret) };
      const base64 = base64Forms(secret);
      if (secret.length >= SHORT_SECRET_LENGTH) return [raw, ...base64].map(({ source, literal }) => ({ pattern: new RegExp(source, 'g'), literal }));
      return [
        { pattern: new RegExp(`${WORD_START}(?:${raw.source})${WORD_END}`, 'gu'), literal: raw.literal },
        ...base64.map(({ source, literal }) => ({ pattern: new RegExp(`${RUN_START}(?:${source})${RUN_END}`, 'gu'), literal })),
      ];
    })
    .map((form, index): Matcher => ({ ...form, index }));
  const matchers: Matchers = { list, always: [], byAnchor: new Map(), maybe: new Uint8Array((MAYBE_MASK + 1) / 8) };
  for (const { literal, index } of list) {
    if (literal === undefined || literal.length < ANCHOR_CHARS) {
      matchers.always.push(index);
      continue;
    }
    const key = anchorKey(literal, 0);
    const forms = matchers.byAnchor.get(key);
    if (forms) forms.push(index);
    else matchers.byAnchor.set(key, [index]);
    const bit = key & MAYBE_MASK;
    matchers.maybe[bit >>> 3] |= 1 << (bit & 7);
  }
  return matchers;
}

/**
 * The secret's Base64 forms, as regular expression sources: standard or URL-safe, padded or not, and for a long
 * secret also the part of a longer Base64 run that only the secret's bytes determine, at the two other byte
 * alignments (a secret in `base64("user:" + secret)`, or in an encoded JSON document).
 */
function base64Forms(secret: string): Array<{ source: string; literal: string | undefined }> {
  const bytes = Buffer.from(secret, 'utf8');
  const aligned = bytes.toString('base64');
  const full = Math.floor(bytes.length / 3) * 4;
  const core = encodedForms(aligned.slice(0, full), BASE64_ALPHABET);
  const tail = aligned.slice(full).replace(/=+$/, '');
  // The last group depends on what follows when the secret is inside a longer run: optional for a long secret
  // (whose whole groups are telling enough on their own), required for a short one.
  const last = tail ? `${encodedForms(tail, BASE64_ALPHABET)}${PADDING}` : '';
  const optionalLast = secret.length >= SHORT_SECRET_LENGTH && core !== '' && last !== '';
  const forms = [
    {
      source: optionalLast ? `${core}(?:${last})?` : `${core}${last}`,
      // The literal run comes from what every match holds: the whole groups, and the last one when it is required.
      literal: literalRun(optionalLast ? aligned.slice(0, full) : aligned.slice(0, full) + tail),
    },
  ];
  if (secret.length >= BASE64_RUN_MIN_LENGTH) {
    for (const shift of [1, 2]) {
      const run = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
      const inner = run.slice(4, Math.floor((shift + bytes.length) / 3) * 4);
      forms.push({ source: encodedForms(inner, BASE64_ALPHABET), literal: literalRun(inner) });
    }
  }
  return forms;
}

/** URL-safe Base64 writes `-` and `_` for `+` and `/`. */
const BASE64_ALPHABET: Record<string, string> = { '+': '-', '/': '_' };
const PADDING = String.raw`(?:=|%(?:25)?3[Dd]|\\u003[Dd])*`;

/**
 * A regular expression source matching `value` with each character that is not a letter, a digit, `-`, `.` or
 * `_` either as is or in any of its encoded forms: percent-encoded (upper or lower case hex, once or twice:
 * encodeURIComponent, form encoding, URL normalisation), `+` for a space (form encoding), and JSON-escaped
 * (`\"`, `\\`, `\/`, `\n`…, `\u00XX`). Mixed forms match too; they decode to the secret all the same.
 */
function encodedForms(value: string, alternatives: Record<string, string> = {}): string {
  let source = '';
  for (const char of value) {
    if (/[A-Za-z0-9._-]/.test(char)) {
      source += escapeRegExp(char);
      continue;
    }
    const forms = [escapeRegExp(char)];
    forms.push([...Buffer.from(char, 'utf8')].map((byte) => `%(?:25)?${hexPattern(byte, 2)}`).join(''));
    if (char === ' ') forms.push(String.raw`\+`);
    let utf16 = '';
    for (let i = 0; i < char.length; i++) utf16 += String.raw`\\u${hexPattern(char.charCodeAt(i), 4)}`;
    forms.push(utf16);
    const json = JSON_ESCAPES[char];
    if (json) forms.push(json);
    const alternative = alternatives[char];
    if (alternative) forms.push(escapeRegExp(alternative));
    source += `(?:${forms.join('|')})`;
  }
  return source;
}

/** Short JSON escapes, as regular expression sources: backslashes may be doubled (JSON inside a JSON string). */
const JSON_ESCAPES: Record<string, string> = {
  '"': String.raw`\\+"`,
  '\\': String.raw`\\+`,
  '/': String.raw`\\+\/`,
  '\b': String.raw`\\b`,
  '\f': String.raw`\\f`,
  '\n': String.raw`\\n`,
  '\r': String.raw`\\r`,
  '\t': String.raw`\\t`,
};

/** `n` in hex on `digits` digits, each letter digit in either case: 0x2f → `2[Ff]`. */
function hexPattern(n: number, digits: number): string {
  return [...n.toString(16).toUpperCase().padStart(digits, '0')].map((d) => (/[A-F]/.test(d) ? `[${d}${d.toLowerCase()}]` : d)).join('');
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
