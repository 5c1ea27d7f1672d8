// What a .http file says a response must be: `# @expect <identity> …` lines (who may do what, judged by the access
// matrix) and httpYac's `?? …` assertion lines (judged after any send). Parsed with the file (core/http/parser),
// judged in core (core/judge). Types only.

/** Where a line came from, for diagnostics (editor squiggles) and JUnit failures. 1-based. */
export interface ExpectationSource {
  line: number;
  column: number;
  /** The line as written, trimmed. */
  text: string;
}

/**
 * `# @expect <identity> allowed | denied | status <code> | rows <n> | rows >= <n>`, above a request. `identity` is
 * as written: a principal id, email or vendor user id of the request's connection, or `self` (the service user).
 */
export type IdentityExpectation = ExpectationSource & { identity: string } & (
    { kind: 'allowed' } | { kind: 'denied' } | { kind: 'status'; status: number } | { kind: 'rows'; comparison: '==' | '>='; count: number }
  );

export const ASSERTION_OPERATORS = ['==', '!=', '<', '<=', '>', '>=', 'includes', 'startsWith', 'endsWith', 'exists', 'isFalse', 'isTrue'] as const;
export type AssertionOperator = (typeof ASSERTION_OPERATORS)[number];

/** Operators that take no value (`?? body $.done isTrue`). */
export const UNARY_OPERATORS: readonly AssertionOperator[] = ['exists', 'isFalse', 'isTrue'];

/**
 * `?? status == 200`, `?? header content-type includes json`, `?? body $.rows.length > 0`, `?? duration < 500`,
 * `?? body exists` (httpYac). `path` is the header name (header) or the JSON path / XPath after `body` (as in request
 * variables: `$.rows.length`, `//token`); absent for the whole body. `expected` is as written (variables not resolved).
 */
export type Assertion = ExpectationSource & {
  subject: 'status' | 'header' | 'body' | 'duration';
  path?: string;
  operator: AssertionOperator;
  expected?: string;
};

/** One expectation or assertion judged against one response. */
export interface Verdict {
  /** The line it came from. */
  source: ExpectationSource;
  met: boolean;
  /** What was expected, in words: `status 200`, `denied`, `body $.rows.length > 0`. */
  expected: string;
  /** What came back, in words: `status 403`, `allowed (200)`, `body $.rows.length was 0`. */
  actual: string;
}
