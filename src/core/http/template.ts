// `{{...}}` references: finding them in a line and classifying what is inside. Shared by the parser (which
// reports malformed references as diagnostics) and the resolver (which substitutes them). Linear scans only.

import { OFFSET_UNITS, type DateFormat, type DateOffset, type OffsetUnit } from './datetime';

/** A `{{...}}` found in a text: offsets into that text. */
export interface RefSpan {
  /** Offset of the first `{`. */
  start: number;
  /** Offset just after the closing `}}`; -1 when the reference is unterminated. */
  end: number;
  /** The text between the braces (untrimmed). */
  inner: string;
}

/**
 * The next `{{` at or after `from`, or undefined. A run of braces (`{{{x}}}`) starts the reference at its last
 * two (`{` + `{{x}}` + `}`), which keeps JSON like `{"a":{{{b}}}}` working. A reference never spans lines.
 */
export function nextRef(text: string, from: number): RefSpan | undefined {
  let start = text.indexOf('{{', from);
  if (start < 0) return undefined;
  while (text.charCodeAt(start + 2) === 123 /* { */) start++;
  const close = text.indexOf('}}', start + 2);
  const newline = text.indexOf('\n', start + 2);
  if (close < 0 || (newline >= 0 && newline < close)) return { start, end: -1, inner: '' };
  return { start, end: close + 2, inner: text.slice(start + 2, close) };
}

export type SystemCall =
  | { kind: 'guid' }
  | { kind: 'timestamp'; offset?: DateOffset }
  | { kind: 'datetime'; local: boolean; format: DateFormat; offset?: DateOffset }
  | { kind: 'randomInt'; min: number; max: number }
  | { kind: 'isoTimestamp' }
  | { kind: 'randomFloat'; min: number; max: number }
  | { kind: 'randomString'; alphabet: string; length: number }
  | { kind: 'randomEmail' }
  | { kind: 'processEnv' | 'dotenv'; name: string; indirect: boolean }
  | { kind: 'shared'; name: string };

/** One step of a JSON path: a property (`.key`, `['key']`) or an array index (`[0]`, `[-1]` from the end). */
export type JsonPathStep = { key: string } | { index: number };

/**
 * A REST Client request variable: `{{login.response.body.$.token}}`, `{{login.response.body.*}}`,
 * `{{login.response.headers.X-Header}}`, `{{login.request.body.$.x}}`, `{{login.request.headers.Name}}`.
 */
export interface RequestRef {
  type: 'request';
  /** The whole reference, trimmed: also looked up as a plain variable when no request has this name. */
  name: string;
  /** The `# @name` of the request it reads from. */
  request: string;
  part: 'request' | 'response';
  /** headers: `header` is set; body: `path` is undefined for the whole body (`*`), else a JSON path. */
  what: 'body' | 'headers';
  header?: string;
  path?: JsonPathStep[];
  /** The JSON path as written (`$.data[0].token`), for messages; the XPath as written when `xpath` is set. */
  pathText?: string;
  /** REST Client's XPath on an XML body: `{{login.response.body.//token}}` (evaluated by xpath + @xmldom/xmldom). */
  xpath?: string;
  /** `{{%login.response.body.$.id}}`: the value is percent-encoded (REST Client). */
  encode?: boolean;
  raw: string;
}

export type ParsedRef =
  | { type: 'variable'; name: string; raw: string; encode?: boolean }
  | RequestRef
  | { type: 'system'; name: string; call: SystemCall; raw: string }
  | { type: 'invalid'; message: string; expected: string; raw: string };

export const SYSTEM_VARIABLES = [
  '$guid',
  '$uuid',
  '$timestamp',
  '$isoTimestamp',
  '$datetime',
  '$localDatetime',
  '$randomInt',
  '$processEnv',
  '$dotenv',
  '$random.uuid',
  '$random.integer(a, b)',
  '$random.float(a, b)',
  '$random.alphabetic(n)',
  '$random.alphanumeric(n)',
  '$random.hexadecimal(n)',
  '$random.email',
];
const EXPECTED_SYSTEM = `one of ${SYSTEM_VARIABLES.join(', ')}`;
const UNSUPPORTED_SYSTEM = new Set(['$aadToken', '$aadV2Token', '$oidcAccessToken']);

const OFFSET_HELP = '<integer> <unit> with unit y, Q, M, w, d, h, m, s or ms';
const INTEGER = /^-?\d{1,15}$/;

function isWhitespace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13 || code === 11 || code === 12 || code === 160 || code === 0xfeff;
}

/** Splits on whitespace; '...' and "..." stay one token (quotes kept). undefined on an unterminated quote. */
function tokenize(s: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  const n = s.length;
  while (i < n) {
    while (i < n && isWhitespace(s.charCodeAt(i))) i++;
    if (i >= n) break;
    const c = s[i];
    if (c === '"' || c === "'") {
      const close = s.indexOf(c, i + 1);
      if (close < 0) return undefined;
      out.push(s.slice(i, close + 1));
      i = close + 1;
    } else {
      const begin = i;
      while (i < n && !isWhitespace(s.charCodeAt(i))) i++;
      out.push(s.slice(begin, i));
    }
  }
  return out;
}

function parseOffset(args: string[], at: number): DateOffset | undefined | null {
  if (args.length === at) return undefined;
  if (args.length !== at + 2 || !INTEGER.test(args[at]) || !OFFSET_UNITS.has(args[at + 1])) return null;
  return { amount: Number(args[at]), unit: args[at + 1] as OffsetUnit };
}

function classifySystem(name: string, args: string[], raw: string): ParsedRef {
  const invalid = (message: string, expected: string): ParsedRef => ({ type: 'invalid', message, expected, raw });
  switch (name) {
    case '$guid':
    case '$uuid':
      if (args.length) return invalid(`${raw} takes no arguments`, `{{${name}}}`);
      return { type: 'system', name, call: { kind: 'guid' }, raw };
    case '$timestamp': {
      const offset = parseOffset(args, 0);
      if (offset === null) return invalid(`bad offset in ${raw}`, `{{$timestamp}} or {{$timestamp ${OFFSET_HELP}}}`);
      return { type: 'system', name, call: offset ? { kind: 'timestamp', offset } : { kind: 'timestamp' }, raw };
    }
    case '$datetime':
    case '$localDatetime': {
      const expected = `{{${name} rfc1123|iso8601|"format" [${OFFSET_HELP}]}}`;
      const f = args[0];
      if (f === undefined) return invalid(`missing format in ${raw}`, expected);
      let format: DateFormat;
      if (f === 'rfc1123' || f === 'iso8601') format = f;
      else if (f.length >= 2 && (f[0] === '"' || f[0] === "'") && f[f.length - 1] === f[0]) format = { custom: f.slice(1, -1) };
      else return invalid(`unknown date format "${f}" in ${raw}`, expected);
      const offset = parseOffset(args, 1);
      if (offset === null) return invalid(`bad offset in ${raw}`, expected);
      const call: SystemCall = { kind: 'datetime', local: name === '$localDatetime', format };
      if (offset) call.offset = offset;
      return { type: 'system', name, call, raw };
    }
    case '$isoTimestamp':
      // JetBrains: the current time in ISO 8601, UTC.
      if (args.length) return invalid(`${raw} takes no arguments`, '{{$isoTimestamp}}');
      return { type: 'system', name, call: { kind: 'isoTimestamp' }, raw };
    case '$randomInt': {
      const expected = '{{$randomInt}} (0 to 1000, JetBrains) or {{$randomInt min max}} with integers min < max (min included, max excluded)';
      // JetBrains: without arguments, an integer from 0 to 1000.
      if (args.length === 0) return { type: 'system', name, call: { kind: 'randomInt', min: 0, max: 1001 }, raw };
      if (args.length !== 2 || !INTEGER.test(args[0]) || !INTEGER.test(args[1])) return invalid(`bad arguments in ${raw}`, expected);
      const min = Number(args[0]);
      const max = Number(args[1]);
      if (!(min < max)) return invalid(`bad arguments in ${raw}: min must be less than max`, expected);
      return { type: 'system', name, call: { kind: 'randomInt', min, max }, raw };
    }
    case '$processEnv':
    case '$dotenv': {
      const expected = `{{${name} NAME}} or {{${name} %variableHoldingTheName}}`;
      if (args.length !== 1) return invalid(`${raw} needs exactly one variable name`, expected);
      const indirect = args[0][0] === '%';
      const varName = indirect ? args[0].slice(1) : args[0];
      if (!varName) return invalid(`${raw} needs a variable name`, expected);
      return { type: 'system', name, call: { kind: name === '$dotenv' ? 'dotenv' : 'processEnv', name: varName, indirect }, raw };
    }
    case '$shared':
      if (args.length !== 1) return invalid(`${raw} needs exactly one variable name`, '{{$shared NAME}}');
      return { type: 'system', name, call: { kind: 'shared', name: args[0] }, raw };
    default:
      if (UNSUPPORTED_SYSTEM.has(name)) return invalid(`${raw} is not supported by Behalf`, EXPECTED_SYSTEM);
      return invalid(`unknown system variable {{${name}}}`, EXPECTED_SYSTEM);
  }
}

const ALPHABETS: Record<string, string> = {
  alphabetic: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
  alphanumeric: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_',
  hexadecimal: '0123456789abcdef',
};
const NUMBER = /^-?\d{1,15}(?:\.\d{1,15})?$/;

/** JetBrains' `$random.*` variables: uuid, integer(from, to), float(from, to), alphabetic(n), alphanumeric(n), hexadecimal(n), email. */
function classifyRandom(trimmed: string, raw: string): ParsedRef {
  const m = /^\$random\.([A-Za-z]+)\s*(?:\(([^()]*)\))?$/.exec(trimmed);
  const expected =
    'one of $random.uuid, $random.integer(from, to), $random.float(from, to), $random.alphabetic(n), $random.alphanumeric(n), $random.hexadecimal(n), $random.email';
  if (!m) return { type: 'invalid', message: `unsupported ${raw}`, expected, raw };
  const [, what, argText] = m;
  const name = `$random.${what}`;
  const args =
    argText === undefined
      ? []
      : argText
          .split(',')
          .map((a) => a.trim())
          .filter((a, i, all) => a !== '' || all.length > 1);
  const invalid = (message: string, exp: string): ParsedRef => ({ type: 'invalid', message, expected: exp, raw });
  switch (what) {
    case 'uuid':
    case 'email':
      if (args.length) return invalid(`${raw} takes no arguments`, `{{${name}}}`);
      return { type: 'system', name, call: what === 'uuid' ? { kind: 'guid' } : { kind: 'randomEmail' }, raw };
    case 'integer':
    case 'float': {
      const exp = `{{${name}(from, to)}} with ${what === 'integer' ? 'integers' : 'numbers'} from < to (from included, to excluded)`;
      if (args.length === 0 && argText === undefined) {
        return { type: 'system', name, call: what === 'integer' ? { kind: 'randomInt', min: 0, max: 1001 } : { kind: 'randomFloat', min: 0, max: 1000 }, raw };
      }
      const pattern = what === 'integer' ? INTEGER : NUMBER;
      if (args.length !== 2 || !pattern.test(args[0]) || !pattern.test(args[1])) return invalid(`bad arguments in ${raw}`, exp);
      const min = Number(args[0]);
      const max = Number(args[1]);
      if (!(min < max)) return invalid(`bad arguments in ${raw}: from must be less than to`, exp);
      return { type: 'system', name, call: what === 'integer' ? { kind: 'randomInt', min, max } : { kind: 'randomFloat', min, max }, raw };
    }
    case 'alphabetic':
    case 'alphanumeric':
    case 'hexadecimal': {
      const exp = `{{${name}(n)}} with a length n from 1 to 10000`;
      if (args.length !== 1 || !/^\d{1,5}$/.test(args[0]) || Number(args[0]) < 1 || Number(args[0]) > 10000) return invalid(`bad arguments in ${raw}`, exp);
      return { type: 'system', name, call: { kind: 'randomString', alphabet: ALPHABETS[what], length: Number(args[0]) }, raw };
    }
    default:
      return invalid(`${raw} is not supported by Behalf`, expected);
  }
}

const cache = new Map<string, ParsedRef>();
const CACHE_LIMIT = 4096;

/** What a `{{inner}}` means. Pure and memoised (the same few references recur on every request). */
export function classifyRef(inner: string): ParsedRef {
  const hit = cache.get(inner);
  if (hit) return hit;
  const result = classifyUncached(inner);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  if (inner.length <= 256) cache.set(inner, result);
  return result;
}

function classifyUncached(inner: string): ParsedRef {
  const trimmed = inner.trim();
  const raw = `{{${trimmed.length > 80 ? `${trimmed.slice(0, 77)}...` : trimmed}}}`;
  if (!trimmed) return { type: 'invalid', message: 'empty {{}}', expected: 'a variable name between {{ and }}', raw };
  if (trimmed[0] === '%') {
    // REST Client: {{%name}} is the value percent-encoded (encodeURIComponent).
    const inner = classifyUncached(trimmed.slice(1));
    if (inner.type === 'variable' || inner.type === 'request') return { ...inner, encode: true, raw };
    if (inner.type === 'invalid') return { ...inner, raw };
    return { type: 'invalid', message: `${raw}: % percent-encodes a variable's value, not a $system variable's`, expected: `{{${inner.name}}}`, raw };
  }
  const request = REQUEST_REF.exec(trimmed);
  if (request) return classifyRequestRef(trimmed, request, raw);
  if (trimmed.startsWith('$random.')) return classifyRandom(trimmed, raw);
  if (trimmed[0] === '$') {
    const tokens = tokenize(trimmed);
    if (!tokens) return { type: 'invalid', message: `unterminated quote in ${raw}`, expected: 'a closing quote', raw };
    return classifySystem(tokens[0], tokens.slice(1), raw);
  }
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed.charCodeAt(i);
    if (isWhitespace(c) || c === 123 || c === 125) {
      return {
        type: 'invalid',
        message: `unsupported expression ${raw} (scripts are not supported)`,
        expected: 'a variable name or a $system variable',
        raw,
      };
    }
  }
  return { type: 'variable', name: trimmed, raw };
}

/** `name.request|response.<what>[.<rest>]`; a name holds no dot, whitespace or brace. */
const REQUEST_REF = /^([^.\s{}$][^.\s{}]*)\.(request|response)\.([^.\s]*)(?:\.([\s\S]*))?$/;
const EXPECTED_REQUEST = (name: string, part: string) =>
  `{{${name}.${part}.body.$.path}} (a JSON path), {{${name}.${part}.body.*}} (the whole body) or {{${name}.${part}.headers.Name}}`;

/** REST Client: a body path starting with / (or an XPath function, count(//item)) is an XPath on an XML body. */
export function isXPath(selector: string): boolean {
  return selector[0] === '/' || /^[a-z][a-z-]*\(/.test(selector);
}

function classifyRequestRef(trimmed: string, m: RegExpExecArray, raw: string): ParsedRef {
  const [, request, part, what, rest] = m as unknown as [string, string, 'request' | 'response', string, string | undefined];
  const invalid = (message: string, expected = EXPECTED_REQUEST(request, part)): ParsedRef => ({ type: 'invalid', message, expected, raw });
  const base = { type: 'request' as const, name: trimmed, request, part, raw };
  if (what === 'headers') {
    const header = rest?.trim();
    if (!header) return invalid(`${raw} needs a header name`, `{{${request}.${part}.headers.Name}}`);
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(header)) return invalid(`invalid header name "${header}" in ${raw}`, `{{${request}.${part}.headers.Name}}`);
    return { ...base, what: 'headers', header };
  }
  if (what !== 'body') return invalid(`${raw}: a request variable reads "body" or "headers", not "${what}"`);
  const selector = rest?.trim();
  if (selector === undefined || selector === '' || selector === '*') return { ...base, what: 'body' };
  // Checked when it is evaluated.
  if (isXPath(selector)) return { ...base, what: 'body', xpath: selector, pathText: selector };
  if (selector[0] !== '$') return invalid(`${raw}: the body path must start with $ (a JSON path), / (an XPath: //token) or be * (the whole body)`);
  const path = parseJsonPath(selector);
  if (typeof path === 'string') return invalid(`${raw}: ${path}`, "a JSON path of $, .key, [n] and ['key'] steps");
  return { ...base, what: 'body', path, pathText: selector };
}

/** `$`, `.key`, `[n]`, `['key']`/`["key"]`; the steps, or a sentence saying what is wrong. */
export function parseJsonPath(text: string): JsonPathStep[] | string {
  if (text[0] !== '$') return 'a JSON path starts with $';
  const steps: JsonPathStep[] = [];
  let i = 1;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '.') {
      if (text[i + 1] === '.') return 'recursive descent (..) is not supported';
      let j = i + 1;
      while (j < n && text[j] !== '.' && text[j] !== '[') j++;
      const key = text.slice(i + 1, j);
      if (!key) return `a name is missing after the "." at offset ${i}`;
      if (key === '*') return 'wildcards (*) are not supported';
      if (/\s/.test(key)) return `"${key}" holds whitespace (write ['${key}'])`;
      steps.push({ key });
      i = j;
    } else if (c === '[') {
      const q = text[i + 1];
      if (q === "'" || q === '"') {
        let key = '';
        let j = i + 2;
        for (; j < n && text[j] !== q; j++) {
          if (text[j] === '\\' && j + 1 < n) j++;
          key += text[j];
        }
        if (j >= n || text[j + 1] !== ']') return `unterminated [${q}...${q}] at offset ${i}`;
        steps.push({ key });
        i = j + 2;
      } else {
        const close = text.indexOf(']', i);
        if (close < 0) return `unterminated [ at offset ${i}`;
        const inner = text.slice(i + 1, close).trim();
        if (inner === '*') return 'wildcards ([*]) are not supported';
        if (!/^-?\d{1,9}$/.test(inner)) return `[${inner}] is not an array index (expected [n] or ['key']; filters and slices are not supported)`;
        steps.push({ index: Number(inner) });
        i = close + 1;
      }
    } else return `unexpected "${c}" at offset ${i} (expected .key, [n] or ['key'])`;
  }
  return steps;
}
