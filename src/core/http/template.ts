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
  | { kind: 'processEnv' | 'dotenv'; name: string; indirect: boolean }
  | { kind: 'shared'; name: string };

export type ParsedRef =
  | { type: 'variable'; name: string; raw: string }
  | { type: 'system'; name: string; call: SystemCall; raw: string }
  | { type: 'invalid'; message: string; expected: string; raw: string };

export const SYSTEM_VARIABLES = ['$guid', '$uuid', '$timestamp', '$datetime', '$localDatetime', '$randomInt', '$processEnv', '$dotenv'];
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
    case '$randomInt': {
      const expected = '{{$randomInt min max}} with integers min < max (min included, max excluded)';
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
