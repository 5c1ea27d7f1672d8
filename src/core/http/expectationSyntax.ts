// The syntax of `# @expect <identity> …` (Behalf) and `?? …` assertion lines (httpYac): one line in, an
// IdentityExpectation / Assertion out, or what is wrong with it and where. Pure; the parser places them.

import { ASSERTION_OPERATORS, UNARY_OPERATORS, type Assertion, type AssertionOperator, type IdentityExpectation } from '../expectations';
import { xpathSyntaxProblem } from './requestVariables';
import { isXPath } from './template';

/** What is wrong with a line: a sentence naming what was expected, and the 1-based column it starts at. */
export interface LineProblem {
  column: number;
  message: string;
  expected: string;
}

export const EXPECT_SYNTAX = '# @expect <identity> allowed | denied | status <code> | rows <n> | rows >= <n>';
export const ASSERTION_SUBJECTS = ['status', 'header', 'body', 'duration'] as const;
const OPERATOR_SET: ReadonlySet<string> = new Set(ASSERTION_OPERATORS);
const OPERATOR_LIST = ASSERTION_OPERATORS.join(', ');

interface Token {
  text: string;
  /** 1-based column. */
  column: number;
}

/** Whitespace-separated tokens of `text`, which starts at 1-based column `column`. */
function tokens(text: string, column: number): Token[] {
  return [...text.matchAll(/\S+/g)].map((m) => ({ text: m[0], column: column + (m.index ?? 0) }));
}

/**
 * Where an XPath that starts at 0-based `start` of `text` ends: at the first whitespace outside [], () and quotes,
 * so `//Item[@Type = 'a b'] exists` keeps its predicate. An unclosed bracket or quote runs to the end of the line.
 */
function xpathEnd(text: string, start: number): number {
  let depth = 0;
  let quote: string | undefined;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '(') depth++;
    else if ((c === ']' || c === ')') && depth > 0) depth--;
    else if (depth === 0 && /\s/.test(c)) return i;
  }
  return text.length;
}

/** `value` is what follows `@expect` (starting at column `valueColumn`), `lineText` the whole line. */
export function parseExpectation(value: string, valueColumn: number, line: number, lineText: string): IdentityExpectation | LineProblem {
  const words = tokens(value, valueColumn);
  const source = { line, column: valueColumn, text: lineText.trim() };
  const end = valueColumn + value.trimEnd().length;
  if (words.length === 0)
    return { column: valueColumn, message: `@expect needs an identity and what it may do (expected ${EXPECT_SYNTAX})`, expected: EXPECT_SYNTAX };
  const [identity, kind, ...rest] = words;
  const outcomes = 'allowed, denied, status <code>, rows <n> or rows >= <n>';
  if (!kind) return { column: end, message: `@expect ${identity.text} needs what it may do (expected ${outcomes} after the identity)`, expected: outcomes };
  const extra = (from: Token | undefined, what: string): LineProblem | undefined =>
    from
      ? { column: from.column, message: `unexpected "${from.text}" after @expect ${what} (expected the end of the line)`, expected: 'the end of the line' }
      : undefined;
  const word = kind.text.toLowerCase();
  if (word === 'allowed' || word === 'denied') {
    return extra(rest[0], `${identity.text} ${word}`) ?? { ...source, identity: identity.text, kind: word };
  }
  if (word === 'status') {
    const code = rest[0];
    if (!code || !/^[1-5]\d\d$/.test(code.text))
      return {
        column: code?.column ?? end,
        message: `@expect ${identity.text} status needs an HTTP status code${code ? `, not "${code.text}"` : ''} (expected a number from 100 to 599)`,
        expected: 'a status code from 100 to 599',
      };
    return extra(rest[1], `${identity.text} status ${code.text}`) ?? { ...source, identity: identity.text, kind: 'status', status: Number(code.text) };
  }
  if (word === 'rows') {
    const compared = rest[0]?.text === '>=' || rest[0]?.text === '==';
    const count = compared ? rest[1] : rest[0];
    if (!count || !/^\d{1,9}$/.test(count.text))
      return {
        column: count?.column ?? end,
        message: `@expect ${identity.text} rows needs a count${count ? `, not "${count.text}"` : ''} (expected rows <n> or rows >= <n>, n a whole number)`,
        expected: 'rows <n> or rows >= <n>',
      };
    const tail = compared ? rest[2] : rest[1];
    return (
      extra(tail, `${identity.text} rows`) ?? {
        ...source,
        identity: identity.text,
        kind: 'rows',
        comparison: compared && rest[0].text === '>=' ? '>=' : '==',
        count: Number(count.text),
      }
    );
  }
  return { column: kind.column, message: `@expect ${identity.text}: unknown outcome "${kind.text}" (expected ${outcomes})`, expected: outcomes };
}

/** A `?? …` line; `i0` is the 0-based index of the `??` in `lineText`. */
export function parseAssertion(lineText: string, i0: number, line: number): Assertion | LineProblem {
  const body = lineText.slice(i0 + 2);
  let words = tokens(body, i0 + 3);
  const source = { line, column: i0 + 1, text: lineText.trim() };
  const end = i0 + 3 + body.trimEnd().length;
  const subjects = 'status, header <name>, body [<$.json.path> | <//xpath>] or duration';
  const [subjectToken] = words;
  if (!subjectToken) return { column: end, message: `?? needs an assertion (expected ?? ${subjects} followed by an operator and a value)`, expected: subjects };
  const subject = subjectToken.text as Assertion['subject'];
  if (!(ASSERTION_SUBJECTS as readonly string[]).includes(subject)) {
    return {
      column: subjectToken.column,
      message: `?? ${subjectToken.text}: unknown assertion subject, so the check would not run and the request is not sent (expected ${subjects}; httpYac's js, xpath and hash subjects are not supported: an XPath goes after body, ?? body //token exists)`,
      expected: subjects,
    };
  }
  let next = 1;
  let path: string | undefined;
  if (subject === 'header') {
    const name = words[1];
    if (!name || OPERATOR_SET.has(name.text))
      return {
        column: name?.column ?? end,
        message: '?? header needs a header name (expected ?? header <name> <operator> [value])',
        expected: 'a header name',
      };
    path = name.text;
    next = 2;
  } else if (subject === 'body' && words[1] && !OPERATOR_SET.has(words[1].text)) {
    const pathToken = words[1];
    if (isXPath(pathToken.text)) {
      // An XPath may hold spaces (`//Item[@Type = 'a']`): it runs past this token, and the words after it are re-read.
      const end0 = xpathEnd(lineText, pathToken.column - 1);
      const xpath = lineText.slice(pathToken.column - 1, end0);
      const problem = xpathSyntaxProblem(xpath);
      if (problem !== undefined)
        return {
          column: pathToken.column,
          message: `?? body ${xpath}: not a valid XPath (${problem}), so the check would not run and the request is not sent (expected an XPath such as //token, //item/@id or count(//item))`,
          expected: 'an XPath',
        };
      words = [subjectToken, { text: xpath, column: pathToken.column }, ...tokens(lineText.slice(end0), end0 + 1)];
    } else if (!pathToken.text.startsWith('$'))
      return {
        column: pathToken.column,
        message: `?? body ${pathToken.text}: a body path must be a JSON path starting with $ or an XPath starting with / (expected ?? body $.path <operator> [value], ?? body //xpath <operator> [value], or ?? body <operator> for the whole body)`,
        expected: 'a JSON path starting with $ or an XPath starting with /',
      };
    path = words[1].text;
    next = 2;
  }
  const operatorToken = words[next];
  const at = [subject, path].filter(Boolean).join(' ');
  if (!operatorToken) return { column: end, message: `?? ${at} needs an operator (expected one of ${OPERATOR_LIST})`, expected: `one of ${OPERATOR_LIST}` };
  if (!OPERATOR_SET.has(operatorToken.text)) {
    return {
      column: operatorToken.column,
      message: `?? ${at}: unknown operator "${operatorToken.text}", so the check would not run and the request is not sent (expected one of ${OPERATOR_LIST})`,
      expected: `one of ${OPERATOR_LIST}`,
    };
  }
  const operator = operatorToken.text as AssertionOperator;
  const valueStart = operatorToken.column - 1 + operatorToken.text.length;
  const value = lineText.slice(valueStart).trim();
  if (UNARY_OPERATORS.includes(operator)) {
    if (value)
      return {
        column: words[next + 1].column,
        message: `?? ${at} ${operator} takes no value (got "${value}"; expected the end of the line)`,
        expected: 'the end of the line',
      };
    return { ...source, subject, ...(path !== undefined ? { path } : {}), operator };
  }
  if (!value)
    return { column: end, message: `?? ${at} ${operator} needs a value to compare with (expected ?? ${at} ${operator} <value>)`, expected: 'a value' };
  if (
    (subject === 'status' || subject === 'duration') &&
    ['includes', 'startsWith', 'endsWith'].includes(operator) === false &&
    !/^-?\d+(\.\d+)?$/.test(value) &&
    !/\{\{/.test(value)
  ) {
    return {
      column: words[next + 1].column,
      message: `?? ${subject} ${operator} "${value}": ${subject} is a number (expected a number${subject === 'duration' ? ' of milliseconds' : ''})`,
      expected: 'a number',
    };
  }
  return { ...source, subject, ...(path !== undefined ? { path } : {}), operator, expected: value };
}
