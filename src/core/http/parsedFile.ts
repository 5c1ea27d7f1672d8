// The result of parsing a .http file: its requests (request line, headers, body, annotations), file
// variables and diagnostics. Types only; parser.ts builds them, variables.ts resolves them into a RequestSpec.

import type { Assertion, IdentityExpectation } from '../expectations';
import type { ImpersonationMode, SourcePosition } from '../model';

export interface HttpHeaderLine {
  name: string;
  /** The value as written (variables not resolved). */
  value: string;
  /** 1-based line of the header. */
  line: number;
  /** 1-based column of the header name. */
  column: number;
  /** 1-based column where the value starts (for positions of bad references in it). */
  valueColumn: number;
}

/** One source piece of the URL: the request line's URL, then each `?`/`&` continuation line. */
export interface HttpUrlPart {
  text: string;
  line: number;
  column: number;
}

/**
 * A `< ./file` / `<@ ./file` / `<@latin1 ./file` line in a body: the line is replaced by the file's content
 * when the request is resolved (resolveRequest reads it; the parser never does).
 */
export interface HttpBodyFileReference {
  /** As written, `{{variables}}` not resolved; relative paths are relative to the .http file's folder. */
  path: string;
  /** `<@`: the file is text and its `{{variables}}` are substituted. `<`: its bytes are sent as they are. */
  processVariables: boolean;
  /** `<@latin1`: the encoding the text is read in (any Node Buffer encoding; utf8 when absent). */
  encoding?: string;
  /** 1-based line of the reference. */
  line: number;
  /** 1-based column where the path starts. */
  column: number;
}

export interface HttpFileRequest {
  /** 0-based position among the file's requests. */
  index: number;
  /** `# @name`, else the text after `###`. */
  name?: string;
  /** Upper-case: one of HTTP_METHODS, or another token as written (PROPFIND, MERGE); GET when the request line is only a URL. */
  method: string;
  /** As written (variables not resolved): the request line's URL followed by its continuation lines. */
  url: string;
  /** "HTTP/1.1" when the request line ends with a version. */
  httpVersion?: string;
  headers: HttpHeaderLine[];
  /** As written: comment lines removed, leading/trailing blank lines trimmed, lines joined by "\n". */
  body?: string;
  /** The 1-based source line of each line of `body` (comment lines removed, so not always consecutive). */
  bodyLines?: number[];
  /** `< file` lines in the body, in order (each is also a line of `body`, as written). */
  bodyFiles?: HttpBodyFileReference[];
  /** connection, as, mode, name and any other `# @key value` above the request line (unknown keys also get a diagnostic). */
  annotations: Record<string, string>;
  connection?: string;
  as?: string;
  mode?: ImpersonationMode;
  /** 1-based line of the request line (for CodeLens). */
  requestLine: number;
  /** 1-based, the whole block including its `###` line, comments and annotations. */
  range: { startLine: number; endLine: number };
  urlParts: HttpUrlPart[];
  /** The text after the `###` that opened the block, when there was any. */
  title?: string;
  /**
   * A GraphQL request: the body starts with query, mutation, subscription or fragment (httpYac), or it had
   * `X-Request-Type: GraphQL` (REST Client; that header is removed from `headers`). Sent as
   * `{"query", "variables", "operationName"?}` JSON.
   */
  graphql?: boolean;
  /** `# @expect <identity> …` lines above the request line, in order (judged by the access matrix). */
  expectations: IdentityExpectation[];
  /** `?? …` lines (httpYac assertions) after the request, in order (judged after every send). */
  assertions: Assertion[];
  /** An error diagnostic lies within `range`: callers must refuse to send this request. */
  hasErrors: boolean;
  /** `# @disabled` (httpYac, JetBrains): the request is not sent; callers say so. */
  disabled?: boolean;
  /** `# @no-redirect` (httpYac, JetBrains): a 3xx answer is the response; its Location is not followed. */
  noRedirect?: boolean;
  /** `# @prompt name [description]` (REST Client): values the user gives before each send, in order. */
  prompts?: HttpPrompt[];
  /** `# @note [text]` (REST Client): the request is confirmed before it is sent; the text ('' when none) is shown. */
  note?: string;
}

/** One `# @prompt name [description]` line. */
export interface HttpPrompt {
  /** The variable it sets: `{{name}}` in the request is the value given. */
  name: string;
  description?: string;
  /** The name looks like a credential (password, token, secret, …): asked without echo, redacted everywhere. */
  secret: boolean;
  line: number;
  /** 1-based column of the name. */
  column: number;
}

export interface HttpDiagnostic {
  severity: 'error' | 'warning';
  /** A sentence that names the problem and what was expected instead. */
  message: string;
  expected?: string;
  position: SourcePosition;
}

export interface HttpFileVariable {
  name: string;
  /** As written (may reference other variables). */
  value: string;
  /** 1-based line of the definition. */
  line: number;
  /** 1-based column of the `@`. */
  column: number;
  /** 1-based column where the value starts. */
  valueColumn: number;
}

export interface ParsedHttpFile {
  file: string;
  requests: HttpFileRequest[];
  fileVariables: HttpFileVariable[];
  diagnostics: HttpDiagnostic[];
}
