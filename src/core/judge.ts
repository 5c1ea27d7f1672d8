// Judging what a .http file says a response must be: `# @expect <identity> …` against an access-matrix cell, and
// httpYac's `?? …` assertions against a response. Pure; the words it returns are what the CLI, JUnit and the editor show.

import type { Assertion, ExpectationSource, IdentityExpectation, Verdict } from './expectations';
import { evaluateBodyXPath, readRequestVariable } from './http/requestVariables';
import { isXPath, parseJsonPath } from './http/template';
import type { Principal, ResponseRecord } from './model';

/** What a matrix cell came to, as far as an expectation cares (MatrixCell has these fields). */
export interface CellAnswer {
  outcome: 'allowed' | 'denied' | 'error' | 'skipped';
  status?: number;
  rows?: number;
  error?: string;
  explanation?: string;
}

/** Whether an `@expect` identity (as written) names this principal (undefined = the service user, `self`). */
export function namesIdentity(ref: string, principal: Principal | undefined): boolean {
  const written = ref.trim();
  if (written.toLowerCase() === 'self') return principal === undefined;
  if (!principal) return false;
  const lower = written.toLowerCase();
  return (
    principal.id === written ||
    principal.userId === written ||
    principal.clientId === written ||
    principal.email?.toLowerCase() === lower ||
    principal.name?.toLowerCase() === lower
  );
}

/** An expectation in words: `allowed`, `denied`, `status 200`, `rows 3`, `rows >= 1`. */
export function expectationWords(expectation: IdentityExpectation): string {
  switch (expectation.kind) {
    case 'allowed':
    case 'denied':
      return expectation.kind;
    case 'status':
      return `status ${expectation.status}`;
    case 'rows':
      return expectation.comparison === '==' ? `rows ${expectation.count}` : `rows >= ${expectation.count}`;
  }
}

/** What a cell came to, in words: `allowed (200, 3 rows)`, `denied (403)`, `error: …`, `skipped: …`. */
export function answerWords(answer: CellAnswer): string {
  if (answer.outcome === 'skipped') return `skipped: ${answer.explanation ?? answer.error ?? 'not sent'}`;
  if (answer.status === undefined) return `error: ${answer.error ?? 'no response'}`;
  const rows = answer.rows === undefined ? '' : `, ${answer.rows} row${answer.rows === 1 ? '' : 's'}`;
  return `${answer.outcome} (${answer.status}${rows})`;
}

/** Judge one `# @expect` line against the cell of its identity. */
export function judgeExpectation(expectation: IdentityExpectation, answer: CellAnswer): Verdict {
  const source = sourceOf(expectation);
  const expected = expectationWords(expectation);
  const actual = answerWords(answer);
  let met: boolean;
  switch (expectation.kind) {
    case 'allowed':
    case 'denied':
      met = answer.outcome === expectation.kind;
      break;
    case 'status':
      met = answer.status === expectation.status;
      break;
    case 'rows':
      met =
        answer.outcome === 'allowed' &&
        answer.rows !== undefined &&
        (expectation.comparison === '==' ? answer.rows === expectation.count : answer.rows >= expectation.count);
      return {
        source,
        met,
        expected,
        actual: answer.outcome === 'allowed' && answer.rows === undefined ? `${actual}: the body holds no list of rows` : actual,
      };
  }
  return { source, met, expected, actual };
}

/** An assertion as written, without `??`: `status == 200`, `body $.rows.length > 0`. */
export function assertionWords(assertion: Assertion, expected = assertion.expected): string {
  return [assertion.subject, assertion.path, assertion.operator, expected].filter((part) => part !== undefined && part !== '').join(' ');
}

/**
 * Judge one `?? …` line against a response (its redacted record: what a verdict says is safe to show). `resolve`
 * expands `{{variables}}` in the expected value the way the rest of the request was (it may throw a BehalfError).
 */
export function judgeAssertion(assertion: Assertion, record: ResponseRecord, resolve?: (text: string) => string): Verdict {
  const source = sourceOf(assertion);
  const expectedValue = assertion.expected === undefined || !resolve ? assertion.expected : resolve(assertion.expected);
  const expected = assertionWords(assertion, expectedValue);
  const subject = [assertion.subject, assertion.path].filter(Boolean).join(' ');
  const found = actualOf(assertion, record);
  if ('problem' in found) return { source, met: false, expected, actual: `${subject}: ${found.problem}` };
  const { value } = found;
  const shown = (v: string | undefined) => (v === undefined ? 'absent' : `was ${quote(v)}`);
  const met = compare(assertion.operator, value, expectedValue);
  if (met === 'not a number') return { source, met: false, expected, actual: `${subject} ${shown(value)}, not a number` };
  return { source, met, expected, actual: `${subject} ${shown(value)}` };
}

function sourceOf(source: ExpectationSource): ExpectationSource {
  return { line: source.line, column: source.column, text: source.text };
}

const MAX_SHOWN = 200;

function quote(value: string): string {
  const cut = value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
  return /^-?\d+(\.\d+)?$/.test(cut) ? cut : JSON.stringify(cut);
}

/** The value an assertion's subject has in a response: text, undefined when absent, or why it cannot be read. */
function actualOf(assertion: Assertion, record: ResponseRecord): { value: string | undefined } | { problem: string } {
  switch (assertion.subject) {
    case 'status':
      return { value: String(record.status) };
    case 'duration':
      return { value: String(Math.round(record.durationMs)) };
    case 'header': {
      const name = (assertion.path ?? '').toLowerCase();
      const key = Object.keys(record.headers).find((k) => k.toLowerCase() === name);
      return { value: key === undefined ? undefined : record.headers[key] };
    }
    case 'body':
      return bodyValue(assertion.path, record);
  }
}

/**
 * A JSON path into the body, read as request variables read one (`$.rows[0].Name`), plus httpYac's `.length` at the
 * end (of an array, a string or an object's keys). A path that is not there is absent (for `exists`).
 */
function bodyValue(path: string | undefined, record: ResponseRecord): { value: string | undefined } | { problem: string } {
  if (path === undefined) return { value: record.body };
  if (isXPath(path)) return xpathValue(path, record);
  const steps = parseJsonPath(path);
  if (typeof steps === 'string') return { problem: `${path} is not a JSON path (${steps})` };
  const last = steps[steps.length - 1];
  const wantsLength = last !== undefined && 'key' in last && last.key === 'length';
  const exchange = { request: { headers: {} }, response: { status: record.status, headers: record.headers, body: record.body } };
  const read = (readSteps: typeof steps, pathText: string): { value: string } | { missing: string } => {
    let missing: string | undefined;
    try {
      return {
        value: readRequestVariable(
          exchange,
          { type: 'request', name: 'response', request: 'response', part: 'response', what: 'body', path: readSteps, pathText, raw: pathText },
          (message) => {
            missing = message;
            throw new Error(message);
          },
        ).value,
      };
    } catch (e) {
      if (missing === undefined) throw e;
      return { missing };
    }
  };
  const whole = read(steps, path);
  if ('value' in whole) return { value: whole.value };
  if (/body .* is (empty|not JSON)/.test(whole.missing)) return { problem: record.body.trim() === '' ? 'the body is empty' : 'the body is not JSON' };
  if (wantsLength) {
    const parent = read(steps.slice(0, -1), path.replace(/\.length$/, ''));
    if ('value' in parent) {
      let value: unknown = parent.value;
      try {
        value = JSON.parse(parent.value);
      } catch {
        // a string value: its length
      }
      if (Array.isArray(value) || typeof value === 'string') return { value: String(value.length) };
      if (value && typeof value === 'object') return { value: String(Object.keys(value).length) };
    }
  }
  return { value: undefined };
}

/**
 * An XPath into an XML body, evaluated as XPath request variables are (`//Token`, `count(//Item)`, `//Item/@id`).
 * One that selects nothing is absent (for `exists`); a body that is not XML, or an XPath the evaluator rejects
 * (an unknown function), is a problem the verdict names.
 */
function xpathValue(path: string, record: ResponseRecord): { value: string | undefined } | { problem: string } {
  if (record.body.trim() === '') return { problem: 'the body is empty, so the XPath cannot apply (expected an XML body)' };
  const result = evaluateBodyXPath(record.body, path);
  if (result.ok) return { value: result.value };
  if (result.reason === 'none') return { value: undefined };
  if (result.reason === 'xpath') return { problem: `not a valid XPath (${result.message})` };
  const typeKey = Object.keys(record.headers).find((k) => k.toLowerCase() === 'content-type');
  const type = typeKey === undefined ? '' : ` (Content-Type: ${record.headers[typeKey]})`;
  return { problem: `the body is not XML${type}: ${result.message}, so the XPath cannot apply (expected an XML body)` };
}

/** Whether `actual <operator> expected` holds; numbers compare as numbers when both sides are numbers. */
function compare(operator: Assertion['operator'], actual: string | undefined, expected: string | undefined): boolean | 'not a number' {
  if (operator === 'exists') return actual !== undefined;
  if (actual === undefined) return false;
  if (operator === 'isTrue') return actual.trim() === 'true';
  if (operator === 'isFalse') return actual.trim() === 'false';
  const want = expected ?? '';
  const a = numberOf(actual);
  const b = numberOf(want);
  switch (operator) {
    case '==':
      return a !== undefined && b !== undefined ? a === b : actual === unquote(want);
    case '!=':
      return a !== undefined && b !== undefined ? a !== b : actual !== unquote(want);
    case 'includes':
      return actual.includes(unquote(want));
    case 'startsWith':
      return actual.startsWith(unquote(want));
    case 'endsWith':
      return actual.endsWith(unquote(want));
    default: {
      if (a === undefined || b === undefined) return 'not a number';
      if (operator === '<') return a < b;
      if (operator === '<=') return a <= b;
      if (operator === '>') return a > b;
      return a >= b;
    }
  }
}

function numberOf(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(trimmed)) return undefined;
  return Number(trimmed);
}

/** `"json"` and `'json'` compare as json (httpYac accepts both). */
function unquote(text: string): string {
  const t = text.trim();
  return t.length >= 2 && (t[0] === '"' || t[0] === "'") && t[t.length - 1] === t[0] ? t.slice(1, -1) : t;
}
