// REST Client / httpYac request variables: `{{login.response.body.$.token}}` reads the latest exchange of the
// request named `login` in this session. Exchanges live in memory only (a RequestVariableStore per CLI run, per
// .http file in a VS Code window), never on disk: responses hold tokens.

import { BehalfError } from '../errors';
import type { SourcePosition } from '../model';
import { isSensitiveHeader } from '../redact';
import type { JsonPathStep, RequestRef } from './template';
import type * as XPathQuery from './xpathQuery';

let xpathModule: typeof XPathQuery | undefined;

/**
 * The XPath evaluator, loaded on first use: a require that the bundles leave to a file of their own
 * (dist/xpathQuery.js, see scripts/build.mjs), so xpath and @xmldom/xmldom cost nothing until an XPath is read.
 */
function xpathQuery(): typeof XPathQuery {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (xpathModule ??= require('./xpathQuery') as typeof XPathQuery);
}

/** `expression` on an XML body (request variables and `?? body //path` assertions both read XPath this way). */
export function evaluateBodyXPath(body: Buffer | string | undefined, expression: string): XPathQuery.XPathResult {
  return xpathQuery().evaluateXPath(bodyText(body), expression);
}

/** Why `expression` is not an XPath, or undefined when it parses (to report it where it is written). */
export function xpathSyntaxProblem(expression: string): string | undefined {
  return xpathQuery().xpathSyntaxProblem(expression);
}

/** One request as sent (its variables resolved, before Behalf adds authentication) and the response it got. */
export interface RequestExchange {
  request: { headers: Record<string, string>; body?: string | Buffer };
  response: { status: number; headers: Record<string, string>; body: Buffer | string };
}

/** Where request variables come from: the latest exchange of each named request. */
export interface RequestVariableSource {
  get(name: string): RequestExchange | undefined;
}

/** The latest exchange per request name, in memory. */
export class RequestVariableStore implements RequestVariableSource {
  private readonly exchanges = new Map<string, RequestExchange>();

  get(name: string): RequestExchange | undefined {
    return this.exchanges.get(name);
  }

  set(name: string, exchange: RequestExchange): void {
    this.exchanges.set(name, exchange);
  }

  has(name: string): boolean {
    return this.exchanges.has(name);
  }

  clear(): void {
    this.exchanges.clear();
  }
}

/**
 * A request variable names a request that has not been sent in this session. `request` is its name and
 * `requestLine` the line of its request line in the .http file (the editor offers to send it first).
 */
export class UnsentRequestError extends BehalfError {
  constructor(
    message: string,
    readonly request: string,
    readonly requestLine: number,
    options: { position?: SourcePosition; hint?: string },
  ) {
    super('request-not-sent', message, options);
    this.name = 'UnsentRequestError';
  }
}

/** Names whose values are credentials: a value read from such a JSON key or header is treated as a secret. */
const SECRET_NAME = /token|secret|passw|pwd|session|cookie|jwt|api[-_]?key|credential|auth|bearer|signature|private|^sid$/i;
/** Whether a name (a JSON key, a header, a `# @prompt` variable) is one a credential goes by. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name) || /^pass$/i.test(name);
}
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether a value read from an exchange should be redacted wherever Behalf shows or logs it: read from a
 * secret-ish key or header, or shaped like a credential (a JWT, "Bearer …", a long opaque string).
 */
export function looksSecret(value: string, from: string | undefined): boolean {
  if (value.length < 6) return false;
  if (from !== undefined && (SECRET_NAME.test(from) || isSensitiveHeader(from))) return true;
  if (/^(Bearer|Basic|Token|Digest)\s+\S/i.test(value)) return true;
  if (/^eyJ[\w-]*\.[\w-]+\.[\w-]*$/.test(value)) return true;
  return value.length >= 24 && /^[A-Za-z0-9+/=_.~-]+$/.test(value) && /\d/.test(value) && /[A-Za-z]/.test(value) && !UUID.test(value);
}

const jsonCache = new WeakMap<object, { ok: true; value: unknown } | { ok: false }>();

function bodyText(body: Buffer | string | undefined): string {
  if (body === undefined) return '';
  const text = typeof body === 'string' ? body : body.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function parseJson(holder: object, body: Buffer | string | undefined): { ok: true; value: unknown } | { ok: false } {
  const hit = jsonCache.get(holder);
  if (hit) return hit;
  let result: { ok: true; value: unknown } | { ok: false };
  try {
    result = { ok: true, value: JSON.parse(bodyText(body)) };
  } catch {
    result = { ok: false };
  }
  jsonCache.set(holder, result);
  return result;
}

function findHeader(headers: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const k in headers) if (k.toLowerCase() === lower) return headers[k];
  return undefined;
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

function pathText(steps: JsonPathStep[], count: number): string {
  let out = '$';
  for (let k = 0; k < count; k++) {
    const s = steps[k];
    out += 'index' in s ? `[${s.index}]` : /^[A-Za-z_$][\w$-]*$/.test(s.key) ? `.${s.key}` : `['${s.key.replace(/'/g, "\\'")}']`;
  }
  return out;
}

/** The last name an XPath steps to (`//session/token` → token, `//user/@api-key` → api-key), to tell whether its value is a credential. */
function xpathName(expression: string): string | undefined {
  let name: string | undefined;
  for (const m of expression.matchAll(/[A-Za-z_][\w.-]*/g)) {
    // Function names (text(), string(...)) and axes (child::) are not what a value is named.
    const after = expression.slice(m.index + m[0].length).trimStart();
    if (!after.startsWith('(') && !after.startsWith('::')) name = m[0];
  }
  return name;
}

/** The value a request variable reads, and the name it was read under (a header or the last JSON key). */
export function readRequestVariable(
  exchange: RequestExchange,
  ref: RequestRef,
  fail: (message: string, hint?: string) => never,
): { value: string; from?: string } {
  const side = ref.part === 'response' ? exchange.response : exchange.request;
  const whose = `the ${ref.part} of "${ref.request}"`;
  if (ref.what === 'headers') {
    const header = ref.header!;
    const value = findHeader(side.headers, header);
    if (value === undefined) {
      const names = Object.keys(side.headers);
      fail(
        `${ref.raw}: ${whose} has no ${header} header (expected one of its headers${names.length ? `: ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', …' : ''}` : '; it has none'})`,
      );
    }
    return { value, from: header };
  }
  if (ref.xpath !== undefined) {
    const result = evaluateBodyXPath(side.body, ref.xpath);
    if (result.ok) return { value: result.value, from: xpathName(ref.xpath) };
    const type = findHeader(side.headers, 'content-type');
    if (result.reason === 'xml')
      fail(
        `${ref.raw}: the ${ref.part} body of "${ref.request}" is not XML${type ? ` (Content-Type: ${type})` : ''}: ${result.message}, so the XPath ${ref.xpath} cannot apply (expected an XML body)`,
        `{{${ref.request}.${ref.part}.body.*}} reads the whole body`,
      );
    if (result.reason === 'xpath')
      fail(`${ref.raw}: ${ref.xpath} is not a valid XPath (${result.message})`, 'for example //token, //user/@id or //items/item[1]/name');
    fail(`${ref.raw}: ${ref.xpath} is not in the ${ref.part} body of "${ref.request}" (${result.message})`);
  }
  if (!ref.path) return { value: bodyText(side.body) };
  const json = parseJson(side, side.body);
  if (!json.ok) {
    const type = findHeader(side.headers, 'content-type');
    const empty = bodyText(side.body).trim() === '';
    fail(
      `${ref.raw}: the ${ref.part} body of "${ref.request}" is ${empty ? 'empty' : 'not JSON'}${type ? ` (Content-Type: ${type})` : ''}, so the JSON path ${ref.pathText} cannot apply (expected a JSON body)`,
      `{{${ref.request}.${ref.part}.body.*}} reads the whole body`,
    );
  }
  let cur: unknown = json.value;
  const steps = ref.path;
  for (let k = 0; k < steps.length; k++) {
    const step = steps[k];
    const at = pathText(steps, k);
    const miss = (why: string): never => fail(`${ref.raw}: ${ref.pathText} is not in the ${ref.part} body of "${ref.request}" (${why})`);
    if ('index' in step) {
      if (!Array.isArray(cur)) miss(`${at} is ${describeType(cur)}, not an array`);
      const arr = cur as unknown[];
      const i = step.index < 0 ? arr.length + step.index : step.index;
      if (i < 0 || i >= arr.length) miss(`${at} has ${arr.length} item${arr.length === 1 ? '' : 's'}, no [${step.index}]`);
      cur = arr[i];
    } else {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) miss(`${at} is ${describeType(cur)}, not an object`);
      const obj = cur as Record<string, unknown>;
      if (!Object.prototype.hasOwnProperty.call(obj, step.key)) {
        const keys = Object.keys(obj);
        miss(`${at} has no "${step.key}"; its keys: ${keys.length ? `${keys.slice(0, 12).join(', ')}${keys.length > 12 ? ', …' : ''}` : 'none'}`);
      }
      cur = obj[step.key];
    }
  }
  const last = steps.length ? steps[steps.length - 1] : undefined;
  const from = last && 'key' in last ? last.key : undefined;
  return { value: typeof cur === 'string' ? cur : (JSON.stringify(cur) ?? ''), from };
}
