// The .http file parser: the syntax REST Client (vscode-restclient) and httpYac share, plus Behalf's
// annotations (`# @connection`, `# @as`, `# @mode`; unknown and mistyped ones are diagnostics, errors for the
// identity ones). Pure: never reads files, never throws, linear in the input.
// The result types live in parsedFile.ts, the line-level syntax helpers in syntax.ts; this module walks the
// blocks of a file and turns what it finds into requests, file variables and diagnostics.

import type {
  HttpBodyFileReference,
  HttpDiagnostic,
  HttpFileRequest,
  HttpFileVariable,
  HttpHeaderLine,
  HttpPrompt,
  HttpUrlPart,
  ParsedHttpFile,
} from './parsedFile';
import {
  BODY_FILE_ENCODINGS,
  behalfSecretMessage,
  ENCODING_SET,
  EXTENSION_METHOD,
  HEADER_LIKE,
  HTTP_METHODS,
  HTTP_VERSION,
  IDENTITY_KEYS,
  KNOWN_ANNOTATIONS,
  METHOD_SET,
  TCHAR,
  fileReference,
  firstNonWs,
  firstNonWsFrom,
  hasWhitespaceOutsideRefs,
  isBehalfSecretName,
  isCommentAt,
  isSeparatorAt,
  isWs,
  looksLikeUrl,
  methodTypo,
  nearestAnnotation,
  nextToken,
  NON_HTTP_PROTOCOLS,
  GRAPHQL_BODY,
  POST_REQUEST_MESSAGE,
  PRE_REQUEST_SCRIPT,
  RESPONSE_STATUS,
  afterRequestConstruct,
  isPlainRequestLine,
  postRequestKind,
  scanAnnotation,
  scriptOpening,
  trailingHttpVersion,
  UNSUPPORTED_ANNOTATIONS,
  type Annotation,
  type AnnotationNearMiss,
} from './syntax';
import { isSecretName } from './requestVariables';
import type { Assertion } from '../expectations';
import { parseAssertion, parseExpectation } from './expectationSyntax';
import { classifyRef, nextRef } from './template';

// Importers take the result types and the syntax constants from here, as before the split.
export type {
  HttpBodyFileReference,
  HttpDiagnostic,
  HttpFileRequest,
  HttpFileVariable,
  HttpHeaderLine,
  HttpPrompt,
  HttpUrlPart,
  ParsedHttpFile,
} from './parsedFile';
export { BODY_FILE_ENCODINGS, HTTP_METHODS } from './syntax';

const REQUEST_LINE = 'a request line "METHOD URL [HTTP/1.1]"';

const MAX_DIAGNOSTICS = 500;

const SECRET_EXPECTED = "the connection's authentication, or a variable that is not named BEHALF_SECRET_*";

const KNOWN_SET: ReadonlySet<string> = new Set(KNOWN_ANNOTATIONS);
const UNSUPPORTED_SET: ReadonlySet<string> = new Set(UNSUPPORTED_ANNOTATIONS);
/** Keys that read as an annotation name (not `@example.com`, not `@a.b`): only these are checked. */
const ANNOTATION_WORD = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** What goes wrong when an identity annotation is ignored. */
const IGNORED_IDENTITY: Record<string, string> = {
  as: 'the request would be sent as the service user',
  mode: "the request would be sent in the connection's default mode",
  connection: 'the connection would be chosen by the URL instead',
};

const ANNOTATION_EXAMPLE: Record<string, string> = { as: '# @as 6045', mode: '# @mode full', connection: '# @connection dc-sandbox', name: '# @name login' };

/** What ignoring httpYac's references to other requests and files means, and what to do instead. */
const UNSUPPORTED_EFFECT: Record<string, string> = {
  ref: 'the request it names is not sent first (send the whole file: requests go in file order, so its response variables exist)',
  forceRef: 'the request it names is not sent first (send the whole file: requests go in file order, so its response variables exist)',
  import: "the other file's requests and variables are not read (copy them into this file, or use an environment for shared values)",
};

/** `@name = value` (REST Client's file variable line). */
const FILE_VARIABLE_LINE = /^\s*@[^\s=]+\s*=/;

/** foreignBeforeRequest: a request of another protocol, or a response: skip its lines too. */
const SKIP_REQUEST = -1;

/** A body Content-Type whose text may hold a line like "GET /x" (httpYac's rule does not split it); with `graphql`, also types a GraphQL query is not sent as. */
function isTextBody(headers: HttpHeaderLine[], graphql = false): boolean {
  let contentType = '';
  for (const h of headers) if (h.name.toLowerCase() === 'content-type') contentType = h.value.toLowerCase();
  if (graphql) return contentType !== '' && !contentType.includes('json');
  return contentType.startsWith('text/') || contentType.includes('markdown');
}

interface PendingBodyLine {
  text: string;
  line: number;
}

class Parser {
  readonly diagnostics: HttpDiagnostic[] = [];
  readonly requests: HttpFileRequest[] = [];
  readonly fileVariables: HttpFileVariable[] = [];
  private readonly namesSeen = new Map<string, number>();
  /** Each file variable's first definition: a second one is where REST Client and httpYac disagree. */
  private readonly variablesSeen = new Map<string, { value: string; line: number; warned: boolean }>();
  private readonly errorLines: number[] = [];
  private truncated = false;

  constructor(
    private readonly file: string,
    private readonly lines: string[],
  ) {}

  diag(severity: 'error' | 'warning', line: number, column: number, message: string, expected?: string): void {
    // Errors always mark their request, even past the cap on listed diagnostics.
    if (severity === 'error') this.errorLines.push(line);
    if (this.diagnostics.length >= MAX_DIAGNOSTICS) {
      if (!this.truncated) {
        this.truncated = true;
        this.diagnostics.push({
          severity: 'warning',
          message: `more than ${MAX_DIAGNOSTICS} problems; the rest are not listed`,
          position: { file: this.file, line, column: Math.max(1, column) },
        });
      }
      return;
    }
    const d: HttpDiagnostic = { severity, message, position: { file: this.file, line, column: Math.max(1, column) } };
    if (expected !== undefined) d.expected = expected;
    this.diagnostics.push(d);
  }

  /** Reports malformed `{{...}}` in `text`, which starts at (line, column). */
  checkTemplate(text: string, line: number, column: number): void {
    let from = 0;
    for (;;) {
      const ref = nextRef(text, from);
      if (!ref) return;
      if (ref.end < 0) {
        this.diag('error', line, column + ref.start, 'unterminated {{ (expected }})', '}}');
        return;
      }
      const parsed = classifyRef(ref.inner);
      if (parsed.type === 'invalid') {
        this.diag('error', line, column + ref.start, `${parsed.message} (expected ${parsed.expected})`, parsed.expected);
      } else if (parsed.type === 'system' && (parsed.call.kind === 'processEnv' || parsed.call.kind === 'dotenv') && !parsed.call.indirect) {
        if (isBehalfSecretName(parsed.call.name))
          this.diag('error', line, column + ref.start, behalfSecretMessage(parsed.raw, parsed.call.name), SECRET_EXPECTED);
      }
      from = ref.end;
    }
  }

  run(): void {
    const { lines } = this;
    let blockStart = 0;
    let separator: { line: number; title: string } | undefined;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      const i0 = firstNonWs(line);
      if (isSeparatorAt(line, i0)) {
        this.block(blockStart, i, separator);
        let t = i0;
        while (line.charCodeAt(t) === 35) t++;
        separator = { line: i + 1, title: line.slice(t).trim() };
        blockStart = i + 1;
      }
    }
    this.block(blockStart, lines.length, separator);
    this.markErrors();
  }

  private block(start: number, end: number, separator: { line: number; title: string } | undefined): void {
    // httpYac's rule: a request line after a blank line starts a new request, even without ###.
    let from = start;
    let sep = separator;
    do {
      from = this.region(from, end, sep);
      sep = undefined;
    } while (from < end);
  }

  /** Parses the lines [start, end) up to the first request of their own (httpYac's rule); returns where the next one starts, or `end`. */
  private region(start: number, end: number, separator: { line: number; title: string } | undefined): number {
    const { lines } = this;
    const annotations: Annotation[] = [];
    let state: 'pre' | 'query' | 'headers' | 'body' | 'skip' = 'pre';
    let firstContent = separator ? separator.line : 0;
    let lastContent = separator ? separator.line : 0;
    let requestLineNo = 0;
    let method = '';
    let httpVersion: string | undefined;
    const urlParts: HttpUrlPart[] = [];
    const headers: HttpHeaderLine[] = [];
    const body: PendingBodyLine[] = [];
    // For httpYac's rule in the body and in skipped lines: whether the line follows a blank line (comments
    // between do not count), the first comment line after that blank, and the script the line is inside.
    let afterBlank = false;
    let splitCandidate = -1;
    let insideScript: string | undefined;
    let bodyIsText = false;
    let next = end;
    let graphqlLine = false;

    for (let idx = start; idx < end; idx++) {
      const line = lines[idx];
      const lineNo = idx + 1;
      const i0 = firstNonWs(line);
      const blank = i0 >= line.length;
      if (state === 'body' || state === 'skip') {
        if (insideScript !== undefined) {
          if (line.trimEnd().endsWith(insideScript)) insideScript = undefined;
        } else if (blank) {
          afterBlank = true;
          splitCandidate = -1;
        } else if (isCommentAt(line, i0)) {
          if (afterBlank && splitCandidate < 0) splitCandidate = idx;
        } else {
          if (afterBlank && requestLineNo && isPlainRequestLine(line, i0) && !bodyIsText) {
            next = splitCandidate >= 0 ? splitCandidate : idx;
            break;
          }
          if (afterBlank && !requestLineNo && state === 'skip' && isPlainRequestLine(line, i0)) {
            next = splitCandidate >= 0 ? splitCandidate : idx;
            break;
          }
          if (state === 'skip' && isPlainRequestLine(line, i0)) {
            this.diag(
              'warning',
              lineNo,
              i0 + 1,
              'this request line is skipped with the lines above it, which Behalf does not send (expected a blank line or ### above it to make it a request of its own)',
              'a blank line or ### above the request line',
            );
          }
          afterBlank = false;
          splitCandidate = -1;
          const script = scriptOpening(line, i0);
          if (script) insideScript = script;
        }
      }
      if (!blank) {
        if (!firstContent) firstContent = lineNo;
        lastContent = lineNo;
      }
      if (state === 'skip') continue;
      if (state === 'body') {
        if (!blank && RESPONSE_STATUS.test(line.slice(i0)) && insideScript === undefined) {
          this.diag(
            'warning',
            lineNo,
            i0 + 1,
            'an example response (HTTP/... status line, as JetBrains and httpYac files show one) is not part of the request: it and the lines below it up to ### are not sent',
          );
          state = 'skip';
          continue;
        }
        body.push({ text: line, line: lineNo });
        continue;
      }
      if (state === 'pre') {
        if (blank) continue;
        if (isCommentAt(line, i0)) {
          const scan = scanAnnotation(line, i0);
          if (scan && 'annotation' in scan) {
            const a = scan.annotation;
            a.line = lineNo;
            annotations.push(a);
            this.checkAnnotationKey(a.key, a.keyColumn, lineNo);
          } else if (scan) this.nearMissAnnotation(scan.nearMiss, lineNo);
          continue;
        }
        if (line[i0] === '@') {
          this.fileVariable(line, i0, lineNo);
          continue;
        }
        const skipTo = this.foreignBeforeRequest(line, i0, idx, end);
        if (skipTo !== undefined) {
          if (skipTo === SKIP_REQUEST) {
            state = 'skip';
            afterBlank = false;
            continue;
          }
          for (let k = idx + 1; k <= Math.min(skipTo, end - 1); k++) if (lines[k].trim()) lastContent = k + 1;
          idx = skipTo;
          continue;
        }
        const parsed = this.requestLine(line, i0, lineNo);
        if (!parsed) {
          state = 'skip';
          afterBlank = false;
          continue;
        }
        requestLineNo = lineNo;
        method = parsed.method;
        // JetBrains: `GRAPHQL url` is a GraphQL request, sent as a POST.
        if (method === 'GRAPHQL') {
          method = 'POST';
          graphqlLine = true;
        }
        httpVersion = parsed.httpVersion;
        urlParts.push({ text: parsed.url, line: lineNo, column: parsed.urlColumn });
        state = 'query';
        continue;
      }
      if (state === 'query') {
        if (blank) {
          state = 'body';
          afterBlank = true;
          bodyIsText = isTextBody(headers);
          continue;
        }
        const c = line[i0];
        if (isCommentAt(line, i0)) {
          this.misplacedAnnotation(line, i0, lineNo, 'below the request line');
          continue;
        }
        if ((c === '?' && line[i0 + 1] !== '?') || c === '&') {
          let text = line.slice(i0).trimEnd();
          // `&b=2 HTTP/1.1`: the version at the end of the last continuation line belongs to the request line.
          const version = trailingHttpVersion(text);
          if (version) {
            text = version.rest;
            if (httpVersion === undefined) httpVersion = version.httpVersion;
          }
          urlParts.push({ text, line: lineNo, column: i0 + 1 });
          this.checkTemplate(text, lineNo, i0 + 1);
          continue;
        }
        state = 'headers';
      }
      // headers
      if (blank) {
        state = 'body';
        afterBlank = true;
        bodyIsText = isTextBody(headers);
        continue;
      }
      if (isCommentAt(line, i0)) {
        this.misplacedAnnotation(line, i0, lineNo, 'between headers');
        continue;
      }
      if (line[i0] === '@') {
        this.diag(
          'error',
          lineNo,
          i0 + 1,
          'file variable between headers (expected file variables above the request line or in their own ### block)',
          'file variables above the request line or in their own ### block',
        );
        continue;
      }
      if (afterRequestConstruct(line, i0)) {
        // `> {% … %}`, `>> file`, `?? status == 200` right below the headers: no body, the body's rules apply.
        state = 'body';
        bodyIsText = isTextBody(headers);
        body.push({ text: line, line: lineNo });
        const script = scriptOpening(line, i0);
        if (script) insideScript = script;
        continue;
      }
      if (!this.header(line, i0, lineNo, headers)) {
        // Most likely a body without the blank line before it: report once, keep the rest as body.
        state = 'body';
        bodyIsText = isTextBody(headers);
        body.push({ text: line, line: lineNo });
      }
    }

    if (next < end) {
      // The lines from `next` on are the next request's: comments after the blank line included.
      while (body.length && body[body.length - 1].line > next) body.pop();
      let k = next - 1;
      while (k >= start && firstNonWs(lines[k]) >= lines[k].length) k--;
      lastContent = k >= start ? k + 1 : separator ? separator.line : 0;
    }

    if (!requestLineNo) {
      if (annotations.length && state !== 'skip') {
        const a = annotations[0];
        this.diag(
          'warning',
          a.line,
          a.keyColumn,
          `@${a.key} applies to no request (expected a request line "METHOD URL" below it)`,
          'a request line below the annotations',
        );
      }
      return next;
    }

    const request: HttpFileRequest = {
      index: this.requests.length,
      method,
      url: urlParts.map((p) => p.text).join(''),
      headers,
      annotations: {},
      expectations: [],
      assertions: [],
      requestLine: requestLineNo,
      range: { startLine: firstContent || requestLineNo, endLine: Math.max(lastContent, requestLineNo) },
      urlParts,
      hasErrors: false,
    };
    if (httpVersion) request.httpVersion = httpVersion;
    if (separator && /[\p{L}\p{N}]/u.test(separator.title)) request.title = separator.title;
    this.applyAnnotations(request, annotations);
    if (request.name === undefined && request.title !== undefined) request.name = request.title;
    this.body(request, body);
    this.graphql(request, graphqlLine);
    this.requests.push(request);
    return next;
  }

  /**
   * A line above the request line that belongs to another tool (scripts, kulala's import/run, gRPC and other
   * protocols, `/* … *\/` comments, a response): reported, and the index of the last line it spans (to skip
   * to), SKIP_REQUEST for a request Behalf cannot send (its headers and body are skipped too), or undefined
   * when the line is none of these.
   */
  private foreignBeforeRequest(line: string, i0: number, idx: number, end: number): number | undefined {
    const { lines } = this;
    const lineNo = idx + 1;
    const rest = line.slice(i0);
    const until = (closing: string, from: number): number => {
      let j = from;
      while (j < end && !lines[j].trimEnd().endsWith(closing)) j++;
      return j;
    };
    if (rest.startsWith('/*')) {
      // httpYac's multi-line comment: a comment, as in httpYac.
      const closeSameLine = rest.indexOf('*/', 2);
      if (closeSameLine >= 0) return idx;
      let j = idx + 1;
      while (j < end && !lines[j].includes('*/')) j++;
      if (j >= end) this.diag('error', lineNo, i0 + 1, 'unterminated /* comment (expected */ to close it)', '*/');
      return j;
    }
    const script = scriptOpening(line, i0);
    if (script === '}}') {
      const after = /^\{\{[@+](response|after|streaming|responseLogging)\b/.test(rest.trim());
      const j = until('}}', idx + 1);
      if (after) {
        this.diag(
          'warning',
          lineNo,
          i0 + 1,
          `httpYac script block (${rest.trim()} … }}) is not run: Behalf does not run JavaScript (the request is sent; what the script checks or sets is not done)`,
        );
      } else {
        this.diag(
          'error',
          lineNo,
          i0 + 1,
          'httpYac script block ({{ … }}) is not run: Behalf does not run JavaScript, and the script may set variables or change the request, so it is not sent (expected plain .http syntax: file variables, environments)',
          'plain .http syntax: file variables, environments',
        );
      }
      return j;
    }
    if (rest.startsWith('<') && PRE_REQUEST_SCRIPT.test(rest)) {
      const inline = /^<\s*\{%/.test(rest);
      this.diag(
        'error',
        lineNo,
        i0 + 1,
        `pre-request script (${inline ? '< {% … %}' : rest.trim()}, JetBrains HTTP Client) is not run: Behalf does not run JavaScript, and the script may set variables or headers of this request, so it is not sent (expected plain .http syntax)`,
        'plain .http syntax',
      );
      return inline && !rest.trimEnd().endsWith('%}') ? until('%}', idx + 1) : idx;
    }
    if (rest.startsWith('>') || rest.startsWith('<>')) {
      const kind = postRequestKind(rest);
      if (kind) {
        this.diag('warning', lineNo, i0 + 1, `${POST_REQUEST_MESSAGE[kind]} (and here it is above the request line)`);
        return kind === 'handler' && !rest.trimEnd().endsWith('%}') && /^>\s*\{%/.test(rest) ? until('%}', idx + 1) : idx;
      }
    }
    if (rest.startsWith('??')) {
      this.assertionLine(lineNo, i0, line, undefined);
      return idx;
    }
    if (RESPONSE_STATUS.test(rest) || /^HTTP\/\d/i.test(rest)) {
      this.diag(
        'warning',
        lineNo,
        i0 + 1,
        'a response (HTTP/... status line) is not a request; it is ignored up to ### or the next request line after a blank line',
      );
      return SKIP_REQUEST;
    }
    const token = nextToken(line, i0);
    const upper = token.toUpperCase();
    if (NON_HTTP_PROTOCOLS[upper] && nextToken(line, i0 + token.length)) {
      this.diag(
        'error',
        lineNo,
        i0 + 1,
        `${upper} requests (${NON_HTTP_PROTOCOLS[upper]}) are not supported: Behalf sends HTTP requests only, so this one is not sent (expected "METHOD URL" with an HTTP method)`,
        '"METHOD URL" with an HTTP method',
      );
      return SKIP_REQUEST;
    }
    if (/^proto\s*</.test(rest)) {
      this.diag('warning', lineNo, i0 + 1, 'proto imports (proto < file, httpYac gRPC) are not supported yet; this line is ignored');
      return idx;
    }
    if (/^gql\s+\S+\s*</.test(rest)) {
      this.diag('warning', lineNo, i0 + 1, 'GraphQL fragment imports (gql Name < file, httpYac) are not supported yet; this line is ignored');
      return idx;
    }
    if (/^import\s+\S/.test(rest)) {
      this.diag(
        'warning',
        lineNo,
        i0 + 1,
        'import (kulala.nvim) is not supported yet: the requests and variables of that file are not read; this line is ignored',
      );
      return idx;
    }
    if (/^run\s+\S/.test(rest)) {
      this.diag(
        'error',
        lineNo,
        i0 + 1,
        'run (kulala.nvim) is not supported yet: the requests it names would not be sent (expected the requests themselves in this file, or sent by --name)',
        'the requests themselves in this file',
      );
      return idx;
    }
    return undefined;
  }

  /**
   * `?? status == 200` (httpYac): an assertion of the request it follows, never body text. Malformed, or above a
   * request line (`into` undefined), it is an error: the check would not run.
   */
  private assertionLine(lineNo: number, i0: number, text: string, into: Assertion[] | undefined): void {
    const parsed = parseAssertion(text, i0, lineNo);
    if ('message' in parsed) return this.diag('error', lineNo, parsed.column, parsed.message, parsed.expected);
    if (!into) {
      const where = 'below the request it checks (after its headers and body)';
      return this.diag('error', lineNo, i0 + 1, `?? assertion above a request line: it checks a response, so it goes ${where} (expected it ${where})`, where);
    }
    into.push(parsed);
  }

  /** httpYac's GraphQL body (query, mutation, subscription, fragment) or REST Client's X-Request-Type: GraphQL header. */
  private graphql(request: HttpFileRequest, byMethod: boolean): void {
    const header = request.headers.findIndex((h) => h.name.toLowerCase() === 'x-request-type');
    const byHeader = header >= 0 && request.headers[header].value.trim().toLowerCase() === 'graphql';
    const byBody = request.body !== undefined && !request.bodyFiles?.length && GRAPHQL_BODY.test(request.body) && !isTextBody(request.headers, true);
    if (!byHeader && !byBody && !byMethod) return;
    request.graphql = true;
    // REST Client: the header only says what the body is; it is not sent.
    if (byHeader) request.headers.splice(header, 1);
  }

  private requestLine(line: string, i0: number, lineNo: number): { method: string; url: string; urlColumn: number; httpVersion?: string } | undefined {
    let tokenEnd = i0;
    while (tokenEnd < line.length && !isWs(line.charCodeAt(tokenEnd))) tokenEnd++;
    const token = line.slice(i0, tokenEnd);
    const upper = token.toUpperCase();
    let method: string;
    let urlStart: number;
    if (METHOD_SET.has(upper)) {
      method = upper;
      urlStart = firstNonWsFrom(line, tokenEnd);
      if (urlStart >= line.length || HTTP_VERSION.test(line.slice(urlStart).trim())) {
        this.diag('error', lineNo, tokenEnd + 1, `expected a URL after ${upper} (expected ${REQUEST_LINE})`, REQUEST_LINE);
        return undefined;
      }
    } else if (looksLikeUrl(token)) {
      method = 'GET';
      urlStart = i0;
    } else if (HEADER_LIKE.test(line.slice(i0, i0 + 512))) {
      this.diag('error', lineNo, i0 + 1, `header without a request line (expected ${REQUEST_LINE} before the headers)`, `${REQUEST_LINE} before the headers`);
      return undefined;
    } else if (EXTENSION_METHOD.test(token) && looksLikeUrl(nextToken(line, tokenEnd))) {
      // Any token is a method (RFC 9110): WebDAV's PROPFIND, MERGE, ... are sent as written, and as writes.
      method = token;
      urlStart = firstNonWsFrom(line, tokenEnd);
      const typo = methodTypo(token);
      if (typo) {
        this.diag(
          'warning',
          lineNo,
          i0 + 1,
          `unknown method "${token}": did you mean ${typo}? (it is sent as ${token}, and as a write: every method but GET, HEAD, OPTIONS and TRACE is)`,
          typo,
        );
      }
    } else if (/^[A-Za-z]{2,20}$/.test(token) && (token === upper || looksLikeUrl(nextToken(line, tokenEnd)))) {
      const typo = methodTypo(upper);
      const expected =
        token === upper
          ? `${REQUEST_LINE}: a method followed by a URL`
          : `${REQUEST_LINE} with METHOD one of ${HTTP_METHODS.join(', ')}, or another method written in upper case (${upper})`;
      this.diag('error', lineNo, i0 + 1, `unknown method "${token}"${typo ? `, did you mean ${typo}?` : ''} (expected ${expected})`, expected);
      return undefined;
    } else {
      const shown = line.length - i0 > 40 ? `${line.slice(i0, i0 + 37)}...` : line.slice(i0);
      this.diag('error', lineNo, i0 + 1, `expected ${REQUEST_LINE}, found "${shown}"`, REQUEST_LINE);
      return undefined;
    }
    let url = line.slice(urlStart).trimEnd();
    let httpVersion: string | undefined;
    let lastWs = url.length - 1;
    while (lastWs >= 0 && !isWs(url.charCodeAt(lastWs))) lastWs--;
    if (lastWs > 0) {
      const m = HTTP_VERSION.exec(url.slice(lastWs + 1));
      if (m) {
        httpVersion = `HTTP/${m[1]}`;
        url = url.slice(0, lastWs).trimEnd();
      }
    }
    if (hasWhitespaceOutsideRefs(url)) {
      this.diag(
        'warning',
        lineNo,
        urlStart + 1,
        'the URL contains spaces (expected "METHOD URL [HTTP/1.1]" with spaces in the URL written as %20)',
        'spaces in the URL written as %20',
      );
    }
    this.checkTemplate(url, lineNo, urlStart + 1);
    return httpVersion ? { method, url, urlColumn: urlStart + 1, httpVersion } : { method, url, urlColumn: urlStart + 1 };
  }

  private header(line: string, i0: number, lineNo: number, headers: HttpHeaderLine[]): boolean {
    const colon = line.indexOf(':', i0);
    if (colon < 0) {
      this.diag(
        'error',
        lineNo,
        i0 + 1,
        'expected "Name: value" header or a blank line before the body',
        '"Name: value" header or a blank line before the body',
      );
      return false;
    }
    const name = line.slice(i0, colon).trimEnd();
    if (!name || !TCHAR.test(name)) {
      if ('{["<'.includes(line[i0])) {
        this.diag(
          'error',
          lineNo,
          i0 + 1,
          'expected "Name: value" header or a blank line before the body',
          '"Name: value" header or a blank line before the body',
        );
        return false;
      }
      const expected = "a header name of letters, digits and !#$%&'*+-.^_`|~";
      this.diag(
        'error',
        lineNo,
        i0 + 1,
        name
          ? `invalid characters in header name "${name.length > 40 ? `${name.slice(0, 37)}...` : name}" (expected ${expected})`
          : `missing header name (expected ${expected})`,
        expected,
      );
      return true;
    }
    const valueStart = firstNonWsFrom(line, colon + 1);
    const value = line.slice(valueStart).trimEnd();
    headers.push({ name, value, line: lineNo, column: i0 + 1, valueColumn: valueStart + 1 });
    this.checkTemplate(value, lineNo, valueStart + 1);
    return true;
  }

  private fileVariable(line: string, i0: number, lineNo: number): void {
    let j = i0 + 1;
    while (j < line.length && line[j] !== '=' && !isWs(line.charCodeAt(j))) j++;
    const name = line.slice(i0 + 1, j);
    const k = firstNonWsFrom(line, j);
    const expected = '"@name = value"';
    if (!name) {
      this.diag('error', lineNo, i0 + 1, `file variable without a name (expected ${expected})`, expected);
      return;
    }
    if (line[k] !== '=') {
      this.diag('error', lineNo, k + 1, `file variable @${name} has no "=" (expected ${expected})`, expected);
      return;
    }
    if (name[0] === '$' || name.includes('{') || name.includes('}')) {
      const what = name[0] === '$' ? 'names starting with $ are reserved for system variables' : 'braces are not allowed in a name';
      this.diag('error', lineNo, i0 + 2, `invalid file variable name "${name}": ${what} (expected ${expected})`, expected);
      return;
    }
    const valueStart = firstNonWsFrom(line, k + 1);
    const value = line.slice(valueStart).trimEnd();
    const variable: HttpFileVariable = { name, value, line: lineNo, column: i0 + 1, valueColumn: valueStart + 1 };
    this.fileVariables.push(variable);
    this.checkTemplate(value, lineNo, valueStart + 1);
    const first = this.variablesSeen.get(name);
    if (!first) this.variablesSeen.set(name, { value, line: lineNo, warned: false });
    else if (first.value !== value && !first.warned) {
      first.warned = true;
      this.diag(
        'warning',
        lineNo,
        i0 + 1,
        `@${name} is defined again (first at line ${first.line}): Behalf uses the definition nearest above each request, as httpYac does; REST Client uses the first one in the whole file (expected one definition per name, or environments for values that change)`,
        'one definition per name',
      );
    }
  }

  /**
   * `@name = value` lines at the end of a body, after a blank line: file variables (REST Client sends them as
   * body text since its 0.24, which is rarely what the file means; said so). Returns the body lines before them.
   */
  private trailingVariables(pending: PendingBodyLine[]): PendingBodyLine[] {
    let k = pending.length - 1;
    let firstVariable = -1;
    for (; k >= 0; k--) {
      const text = pending[k].text;
      const i0 = firstNonWs(text);
      if (i0 >= text.length || isCommentAt(text, i0)) continue;
      if (text[i0] !== '@' || !FILE_VARIABLE_LINE.test(text)) break;
      firstVariable = k;
    }
    if (firstVariable < 0) return pending;
    // Only after a blank line (comments between do not count), or with no body at all.
    let before = firstVariable - 1;
    while (before >= 0 && isCommentAt(pending[before].text, firstNonWs(pending[before].text))) before--;
    if (before >= 0 && firstNonWs(pending[before].text) < pending[before].text.length) return pending;
    for (let v = firstVariable; v < pending.length; v++) {
      const { text, line } = pending[v];
      const i0 = firstNonWs(text);
      if (text[i0] !== '@') continue;
      if (v === firstVariable) {
        this.diag(
          'warning',
          line,
          i0 + 1,
          'a file variable after the body is read as a file variable, not sent: REST Client sends it as part of the body (expected ### above it, which every tool reads the same)',
          '### above the file variable',
        );
      }
      this.fileVariable(text, i0, line);
    }
    return pending.slice(0, firstVariable);
  }

  private misplacedAnnotation(line: string, i0: number, lineNo: number, where: string): void {
    const scan = scanAnnotation(line, i0);
    if (!scan) return;
    if ('nearMiss' in scan) {
      this.nearMissAnnotation(scan.nearMiss, lineNo);
      return;
    }
    const a = scan.annotation;
    const identity = IDENTITY_KEYS.has(a.key) || nearestAnnotation(a.key)?.identity === true;
    this.diag(
      identity ? 'error' : 'warning',
      lineNo,
      a.keyColumn,
      `@${a.key} ${where} is ignored (expected annotations above the request line)`,
      'annotations above the request line',
    );
  }

  /** `# @key`: a known annotation, one Behalf does not support yet (warning), or a typo (error when it is an identity one). */
  private checkAnnotationKey(key: string, column: number, lineNo: number): void {
    if (KNOWN_SET.has(key) || !ANNOTATION_WORD.test(key)) return;
    if (UNSUPPORTED_SET.has(key)) {
      const effect = UNSUPPORTED_EFFECT[key];
      if (effect) this.diag('warning', lineNo, column, `@${key} (httpYac) is not supported by Behalf yet; it is ignored: ${effect}`);
      else this.diag('warning', lineNo, column, `@${key} is not supported by Behalf yet; it is ignored (Behalf reads ${listKnown()})`, listKnown());
      return;
    }
    const near = nearestAnnotation(key);
    if (near?.identity) {
      const what = near.exact
        ? `annotation names are lower-case: Behalf does not read @${key} as @${near.name}`
        : `unknown annotation @${key}: did you mean @${near.name}? Behalf does not read @${key}`;
      const expected = `"${ANNOTATION_EXAMPLE[near.name]}"`;
      this.diag('error', lineNo, column, `${what}, so ${IGNORED_IDENTITY[near.name]} (expected ${expected})`, expected);
      return;
    }
    if (near) {
      const suffix = near.known ? '' : ' (which Behalf does not support yet)';
      this.diag('warning', lineNo, column, `unknown annotation @${key} is ignored: did you mean @${near.name}${suffix}?`, `@${near.name}`);
      return;
    }
    this.diag('warning', lineNo, column, `unknown annotation @${key} is ignored (expected one of ${listKnown()})`, listKnown());
  }

  /** `# @as: 6045`, `# @ as 6045`: reported when the name is (near) an annotation's, else it is taken for prose. */
  private nearMissAnnotation(m: AnnotationNearMiss, lineNo: number): void {
    if (!ANNOTATION_WORD.test(m.key)) return;
    const near = KNOWN_SET.has(m.key) ? { name: m.key, identity: IDENTITY_KEYS.has(m.key), known: true } : nearestAnnotation(m.key);
    if (!near) return;
    const why = m.kind === 'colon' ? `a colon after @${m.key} is not annotation syntax` : `a space after @ is not annotation syntax`;
    const example = ANNOTATION_EXAMPLE[near.name] ?? `# @${near.name}`;
    const expected = `"${example}"`;
    if (near.identity) {
      this.diag('error', lineNo, m.atColumn, `${why}: this @${near.name} is ignored, so ${IGNORED_IDENTITY[near.name]} (expected ${expected})`, expected);
    } else {
      this.diag('warning', lineNo, m.atColumn, `${why}: this @${near.name} is ignored (expected ${expected})`, expected);
    }
  }

  private applyAnnotations(request: HttpFileRequest, annotations: Annotation[]): void {
    const seen = new Map<string, number>();
    for (const a of annotations) {
      const { key, value } = a;
      if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
      if (key === 'expect') {
        // `# @expect <identity> denied` (several allowed): judged by the access matrix.
        const parsed = parseExpectation(value, a.valueColumn, a.line, this.lines[a.line - 1] ?? '');
        if ('message' in parsed) this.diag('error', a.line, parsed.column, parsed.message, parsed.expected);
        else request.expectations.push(parsed);
        continue;
      }
      if (IDENTITY_KEYS.has(key) || key === 'name') {
        const previous = seen.get(key);
        if (previous !== undefined && key !== 'name') {
          this.diag(
            'error',
            a.line,
            a.keyColumn,
            `@${key} is given twice (first at line ${previous}; expected one @${key} per request)`,
            `one @${key} per request`,
          );
          continue;
        }
        seen.set(key, a.line);
        if (!value) {
          const what = key === 'mode' ? 'lite or full' : key === 'as' ? 'a principal id or email' : key === 'connection' ? 'a connection id' : 'a request name';
          this.diag('error', a.line, a.keyColumn, `@${key} needs a value (expected ${what})`, what);
          continue;
        }
        if (key === 'mode') {
          const mode = value.toLowerCase();
          if (mode !== 'lite' && mode !== 'full') {
            this.diag('error', a.line, a.valueColumn, `invalid @mode "${value}" (expected lite or full)`, 'lite or full');
            continue;
          }
          request.mode = mode;
          request.annotations.mode = mode;
          continue;
        }
        if (key !== 'name' && hasWhitespaceOutsideRefs(value)) {
          const what = key === 'as' ? 'a single principal id or email' : 'a single connection id';
          this.diag('error', a.line, a.valueColumn, `invalid @${key} "${value}" (expected ${what})`, what);
          continue;
        }
        if (key === 'name') {
          const first = this.namesSeen.get(value);
          if (first !== undefined) {
            this.diag(
              'warning',
              a.line,
              a.valueColumn,
              `request name "${value}" is also used at line ${first} (expected unique names)`,
              'unique request names',
            );
          } else this.namesSeen.set(value, a.line);
          request.name = value;
        } else if (key === 'as') request.as = value;
        else request.connection = value;
        request.annotations[key] = value;
        continue;
      }
      if (key === 'disabled' || key === 'no-redirect' || key === 'prompt' || key === 'note') this.sendingAnnotation(request, a);
      request.annotations[key] = value;
    }
  }

  /** `# @disabled`, `# @no-redirect`, `# @prompt name [description]`, `# @note [text]`: they change what is sent. */
  private sendingAnnotation(request: HttpFileRequest, a: Annotation): void {
    const { key, value } = a;
    if (key === 'note') {
      request.note = value;
      return;
    }
    if (key === 'no-redirect') {
      if (value) this.diag('warning', a.line, a.valueColumn, `@no-redirect takes no value; "${value}" is ignored`);
      request.noRedirect = true;
      return;
    }
    if (key === 'disabled') {
      const v = value.toLowerCase();
      if (v === '' || v === 'true') request.disabled = true;
      else if (v !== 'false') {
        // httpYac evaluates the value as JavaScript: Behalf cannot tell whether it is true, so it does not send.
        this.diag(
          'error',
          a.line,
          a.valueColumn,
          `@disabled ${value}: a condition (httpYac evaluates it as JavaScript) is not supported, so the request is not sent (expected "# @disabled" alone, true or false)`,
          '"# @disabled" alone, true or false',
        );
      }
      return;
    }
    // @prompt name [description]
    const expected = '"# @prompt name [description]"';
    let end = 0;
    while (end < value.length && !isWs(value.charCodeAt(end))) end++;
    const name = value.slice(0, end);
    if (!name) {
      this.diag('error', a.line, a.keyColumn, `@prompt needs a variable name (expected ${expected})`, expected);
      return;
    }
    if (name[0] === '$' || name.includes('{') || name.includes('}') || name.includes('.')) {
      this.diag('error', a.line, a.valueColumn, `invalid @prompt name "${name}": a variable name holds no $, braces or dots (expected ${expected})`, expected);
      return;
    }
    const prompts = (request.prompts ??= []);
    if (prompts.some((p) => p.name === name)) {
      this.diag('warning', a.line, a.valueColumn, `@prompt ${name} is given twice for this request; it is asked once`);
      return;
    }
    const description = value.slice(end).trim();
    const prompt: HttpPrompt = { name, secret: isSecretName(name), line: a.line, column: a.valueColumn };
    if (description) prompt.description = description;
    prompts.push(prompt);
  }

  private body(request: HttpFileRequest, all: PendingBodyLine[]): void {
    const pending = this.trailingVariables(all);
    if (!pending.length) return;
    let contentType = '';
    for (const h of request.headers) if (h.name.toLowerCase() === 'content-type') contentType = h.value.toLowerCase();
    const markdown = contentType.includes('markdown');
    const kept: PendingBodyLine[] = [];
    let unclosedScript = false;
    for (let i = 0; i < pending.length; i++) {
      const { text, line } = pending[i];
      const i0 = firstNonWs(text);
      if (!markdown && isCommentAt(text, i0)) {
        this.misplacedAnnotation(text, i0, line, 'in a body');
        continue;
      }
      const rest = text.slice(i0);
      const kind = markdown ? undefined : postRequestKind(rest);
      if (kind) {
        this.diag('warning', line, i0 + 1, POST_REQUEST_MESSAGE[kind]);
        // A JetBrains / httpYac handler script runs to its %}.
        if (kind === 'handler' && /^>[ \t]*\{%/.test(rest)) {
          let j = i;
          while (j < pending.length && !pending[j].text.trimEnd().endsWith('%}')) j++;
          i = j;
        }
        continue;
      }
      if (!markdown && rest.startsWith('??')) {
        this.assertionLine(line, i0, text, request.assertions);
        continue;
      }
      if (!unclosedScript && i0 === 0 && scriptOpening(text, i0) === '}}') {
        // httpYac: a script block below the request runs after the response.
        let j = i + 1;
        while (j < pending.length && pending[j].text.trim() !== '}}') j++;
        // No `}}` line below this one: none below a later `{{` either (the scan is not repeated: linear).
        if (j >= pending.length) unclosedScript = true;
        if (j < pending.length) {
          this.diag(
            'warning',
            line,
            1,
            'httpYac script block ({{ … }}) after the request is not run: Behalf does not run JavaScript (the request is sent; what the script checks or sets is not done)',
          );
          i = j;
          continue;
        }
      }
      kept.push(pending[i]);
    }
    let first = 0;
    while (first < kept.length && firstNonWs(kept[first].text) >= kept[first].text.length) first++;
    let last = kept.length - 1;
    while (last >= first && firstNonWs(kept[last].text) >= kept[last].text.length) last--;
    if (last < first) return;
    const texts: string[] = [];
    const lineNos: number[] = [];
    const files: HttpBodyFileReference[] = [];
    for (let i = first; i <= last; i++) {
      const { text, line } = kept[i];
      texts.push(text);
      lineNos.push(line);
      const ref = fileReference(text);
      if (ref) {
        ref.line = line;
        files.push(ref);
        if (ref.encoding !== undefined && !ENCODING_SET.has(ref.encoding.toLowerCase())) {
          const expected = `one of ${BODY_FILE_ENCODINGS.filter((e) => !e.includes('-')).join(', ')}`;
          this.diag('error', line, 3, `unknown encoding "${ref.encoding}" in <@${ref.encoding} (expected ${expected})`, expected);
        }
        this.checkTemplate(ref.path, line, ref.column);
      } else {
        this.checkTemplate(text, line, 1);
      }
    }
    // Request lines httpYac's rule did not split on (a text body, a lower-case method, no blank line before):
    // sent as body text, as REST Client does; said so.
    for (let i = 0; i < texts.length; i++) {
      const t = texts[i];
      const f0 = firstNonWs(t);
      const afterBlank = i === 0 || firstNonWs(texts[i - 1]) >= texts[i - 1].length;
      if (!afterBlank && !isPlainRequestLine(t, f0)) continue;
      let tokenEnd = f0;
      while (tokenEnd < t.length && !isWs(t.charCodeAt(tokenEnd))) tokenEnd++;
      if (METHOD_SET.has(t.slice(f0, tokenEnd).toUpperCase()) && looksLikeUrl(nextToken(t, tokenEnd))) {
        this.diag(
          'warning',
          lineNos[i],
          f0 + 1,
          `line ${lineNos[i]} looks like a second request line but is sent as the body of the request above (expected ### between requests: httpYac reads a new request here, REST Client and JetBrains read body text)`,
          '### between requests',
        );
        break;
      }
    }
    request.body = texts.join('\n');
    request.bodyLines = lineNos;
    if (files.length) request.bodyFiles = files;
  }

  private markErrors(): void {
    const { errorLines, requests } = this;
    if (!errorLines.length || !requests.length) return;
    // Both lists are in line order (blocks are parsed top to bottom, ranges do not overlap).
    errorLines.sort((a, b) => a - b);
    let e = 0;
    for (const r of requests) {
      while (e < errorLines.length && errorLines[e] < r.range.startLine) e++;
      if (e < errorLines.length && errorLines[e] <= r.range.endLine) r.hasErrors = true;
    }
  }
}

function listKnown(): string {
  return KNOWN_ANNOTATIONS.map((k) => `@${k}`).join(', ');
}

/**
 * Parses a .http / .rest file. Never throws: every problem becomes a diagnostic with a 1-based position.
 * Requests with an error diagnostic in their range have `hasErrors: true`.
 */
export function parseHttpFile(text: string, file: string): ParsedHttpFile {
  return parseHttpLines(typeof text === 'string' ? splitLines(text) : [''], file);
}

/** parseHttpFile of a file already split into lines (readHttpFileLines). */
export function parseHttpLines(lines: string[], file: string): ParsedHttpFile {
  const fileName = typeof file === 'string' ? file : String(file);
  try {
    if (lines[0]?.charCodeAt(0) === 0xfeff) lines = [lines[0].slice(1), ...lines.slice(1)];
    const parser = new Parser(fileName, lines);
    parser.run();
    return { file: fileName, requests: parser.requests, fileVariables: parser.fileVariables, diagnostics: parser.diagnostics };
  } catch (e) {
    // Defensive: a bug here must not take the editor down. Report it like any other problem.
    return {
      file: fileName,
      requests: [],
      fileVariables: [],
      diagnostics: [
        {
          severity: 'error',
          message: `internal parser error: ${e instanceof Error ? e.message : String(e)} (expected a parsable .http file; please report this)`,
          position: { file: fileName, line: 1, column: 1 },
        },
      ],
    };
  }
}

/** Lines at CRLF, CR or LF; text without CR is split at LF alone (several times faster on a 10 MB file than the regex). */
export function splitLines(text: string): string[] {
  return text.includes('\r') ? text.split(/\r\n|\r|\n/) : text.split('\n');
}

/** The request whose range contains the 1-based `line`, if any (for "send the request under the cursor"). */
export function requestAtLine(parsed: ParsedHttpFile, line: number): HttpFileRequest | undefined {
  for (const r of parsed.requests) if (line >= r.range.startLine && line <= r.range.endLine) return r;
  return undefined;
}
