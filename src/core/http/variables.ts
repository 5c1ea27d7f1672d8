// Variable resolution for parsed .http requests: {{name}} from file variables, the selected environment and
// $shared (in that order), and the {{$system}} variables REST Client and httpYac share. Runs per request, so it
// allocates only when a text actually holds a reference.

import type * as Crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { StringDecoder } from 'string_decoder';
import { BehalfError } from '../errors';
import type { RequestSpec, SourcePosition } from '../model';
import { applyOffset, formatDate } from './datetime';
import { loadDotenv } from './environments';
import { splitLines, type HttpBodyFileReference, type HttpFileRequest, type HttpFileVariable, type ParsedHttpFile } from './parser';
import { isSensitiveHeader } from '../redact';
import { editDistance } from '../editDistance';
import { behalfSecretMessage, isBehalfSecretName } from './syntax';
import { looksSecret, readRequestVariable, UnsentRequestError, type RequestVariableSource } from './requestVariables';
import { classifyRef, nextRef, type ParsedRef, type RequestRef, type SystemCall } from './template';

export interface VariableContext {
  /** `behalf send --var name=value`: above file variables and the environment (as httpYac's CLI does); taken as written. */
  overrides?: Record<string, string>;
  /**
   * Values given for the request's `# @prompt` names (an input box, a terminal prompt): used as `overrides` are,
   * for this request. A prompt with a value in neither is an error that names it.
   */
  prompted?: Record<string, string>;
  /** The selected environment's variables, `$shared` already merged under them (HttpEnvironments.get). */
  environment?: Record<string, string>;
  /** `$shared` on its own: lowest precedence, and the source of {{$shared name}}. */
  shared?: Record<string, string>;
  /** For {{$processEnv NAME}}; default process.env. */
  processEnv?: Record<string, string | undefined>;
  /** For {{$dotenv NAME}}; default: the .env file in the .http file's directory. */
  dotenv?: (name: string) => string | undefined;
  /** Milliseconds since the epoch; read once per request. Default Date.now. */
  now?: () => number;
  /** [0, 1) like Math.random (the default); also drives $guid when given, for reproducible tests. */
  random?: () => number;
  /**
   * Reads a body file (a `< path` line) given its absolute path. Default readBodyFile (node:fs). Throw to
   * refuse: the error's errno code (ENOENT, EACCES, ...) or message becomes the reason in the BehalfError.
   */
  readFile?: (absolutePath: string) => Uint8Array;
  /**
   * Request variables ({{login.response.body.$.token}}): the latest exchange of each named request in this
   * session. Without it, every request variable is "not sent yet".
   */
  requestVariables?: RequestVariableSource;
  /**
   * Called with each value read through a request variable that is a credential (read from a secret-ish key
   * or header, shaped like a token, or put into an Authorization-like header): the caller registers it with
   * its redactor, so it never shows in logs, history or exports.
   */
  onSecret?: (value: string) => void;
}

/** The most a body file, and a body built from files, may hold: bigger uploads are not what a .http file is for. */
export const MAX_BODY_FILE_BYTES = 100 * 1024 * 1024;

/** The most a .http file may hold (the CLI reads it whole; a bigger one is not a file of requests). */
export const MAX_HTTP_FILE_BYTES = 64 * 1024 * 1024;

/** Reads a body file: regular files only (never a device or a pipe that could block), at most `maxBytes`. */
export function readBodyFile(file: string, maxBytes = MAX_BODY_FILE_BYTES): Buffer {
  return readRegularFile(file, maxBytes, 'a request body may hold', 'a body file');
}

/**
 * Reads a .http file as UTF-8 text: a regular file of at most `maxBytes`. Throws an Error whose message is the
 * reason in a sentence ("it is a character device (like /dev/zero), not a regular file ..."), with the errno
 * code (ENOENT, EACCES, EISDIR) when the system gave one.
 */
export function readHttpFile(file: string, maxBytes = MAX_HTTP_FILE_BYTES): string {
  return readRegularFile(file, maxBytes, 'a .http file may hold', 'a .http file').toString('utf8');
}

/**
 * How much of a .http file readHttpFileLines reads and decodes at a time. Strings this large go straight to V8's
 * large-object space; smaller ones are made young and copied again when they survive (64 KiB chunks: +40 %).
 */
const HTTP_FILE_CHUNK_BYTES = 1024 * 1024;

/**
 * A .http file's lines (split at CRLF, CR or LF), read as readHttpFile reads it (the same checks and errors) but a
 * chunk at a time into one buffer: only the text is new memory, not the file's bytes as well. New memory is what
 * a big file costs; on a machine where a fresh page costs ~12 µs (a VM's), a 10 MB file took 90-100 ms read
 * whole and decoded, and 47-59 ms this way.
 */
export function readHttpFileLines(file: string, maxBytes = MAX_HTTP_FILE_BYTES): string[] {
  return withRegularFile(file, maxBytes, 'a .http file may hold', 'a .http file', (fd) => {
    const chunk = Buffer.allocUnsafe(HTTP_FILE_CHUNK_BYTES);
    const decoder = new StringDecoder('utf8');
    const lines: string[] = [];
    let unfinished = ''; // the last line so far, which the next chunk may continue
    let endedWithCr = false;
    const add = (text: string) => {
      // A CRLF across two chunks: its LF ends no other line.
      if (endedWithCr && text.charCodeAt(0) === 10) text = text.slice(1);
      if (!text) return;
      endedWithCr = text.charCodeAt(text.length - 1) === 13;
      const parts = splitLines(text);
      if (parts.length === 1) {
        unfinished += parts[0];
        return;
      }
      lines.push(unfinished + parts[0]);
      for (let i = 1; i < parts.length - 1; i++) lines.push(parts[i]);
      unfinished = parts[parts.length - 1];
    };
    let total = 0;
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw new Error(`it grew while being read to more than the ${mib(maxBytes)} a .http file may hold`);
      add(decoder.write(n === chunk.length ? chunk : chunk.subarray(0, n)));
    }
    add(decoder.end());
    lines.push(unfinished);
    return lines;
  });
}

/**
 * The bytes of a regular file of at most `maxBytes`. Opened without blocking (a FIFO with no writer must not
 * hang the read), checked on the open file (no race between the check and the read), and read with a bound (a
 * file that grows while it is read is refused, never read into a string Node cannot hold).
 */
function readRegularFile(file: string, maxBytes: number, holds: string, what: string): Buffer {
  return withRegularFile(file, maxBytes, holds, what, (fd, size) => {
    let buffer = Buffer.allocUnsafe(size + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > maxBytes) throw new Error(`it grew while being read to more than the ${mib(maxBytes)} ${holds}`);
        const bigger = Buffer.allocUnsafe(Math.min(buffer.length * 2, maxBytes + 1));
        buffer.copy(bigger, 0, 0, length);
        buffer = bigger;
      }
      const n = fs.readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    return buffer.subarray(0, length);
  });
}

/** Opens `file` for `read` (given the descriptor and the size) if it is a regular file of at most `maxBytes`. */
function withRegularFile<T>(file: string, maxBytes: number, holds: string, what: string, read: (fd: number, size: number) => T): T {
  const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  try {
    const stat = fs.fstatSync(fd);
    if (stat.isDirectory()) throw Object.assign(new Error('it is a folder'), { code: 'EISDIR' });
    if (!stat.isFile()) throw new Error(`it is ${fileKind(stat)}, not a regular file (expected ${what} to be a regular file)`);
    if (stat.size > maxBytes) throw new Error(tooLarge(stat.size, maxBytes, holds));
    return read(fd, Math.min(stat.size, maxBytes));
  } finally {
    fs.closeSync(fd);
  }
}

function fileKind(stat: fs.Stats): string {
  if (stat.isCharacterDevice()) return 'a character device (like /dev/zero)';
  if (stat.isBlockDevice()) return 'a block device (a disk)';
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isSocket()) return 'a socket';
  return 'something other than a file';
}

function mib(bytes: number): string {
  const n = bytes / 1024 / 1024;
  return `${Number.isInteger(n) ? n : n.toFixed(1)} MiB`;
}

function tooLarge(bytes: number, maxBytes: number, holds = 'a request body may hold'): string {
  const size = (bytes / 1024 / 1024).toFixed(1) === (maxBytes / 1024 / 1024).toFixed(1) ? `${bytes} bytes` : mib(bytes);
  return `it is ${size}, more than the ${mib(maxBytes)} ${holds}`;
}

function readFailure(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a folder';
  if (code === 'ENOTDIR') return 'a part of the path is a file, not a folder';
  return e instanceof Error ? e.message : String(e);
}

const EXPECTED_VARIABLE = 'a file variable, an environment variable or a $system variable';
const MAX_DEPTH = 64;
const MAX_LENGTH = 16 * 1024 * 1024;
const MAX_DATE_MS = 8.64e15;

const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

interface FileVariableIndex {
  source: HttpFileVariable[];
  length: number;
  byName: Map<string, HttpFileVariable[]>;
}

const indexCache = new WeakMap<ParsedHttpFile, FileVariableIndex>();
const dotenvCache = new WeakMap<ParsedHttpFile, (name: string) => string | undefined>();

function fileVariableIndex(parsed: ParsedHttpFile): Map<string, HttpFileVariable[]> {
  const vars = parsed.fileVariables ?? [];
  const cached = indexCache.get(parsed);
  if (cached && cached.source === vars && cached.length === vars.length) return cached.byName;
  const byName = new Map<string, HttpFileVariable[]>();
  for (const v of vars) {
    const list = byName.get(v.name);
    if (list) list.push(v);
    else byName.set(v.name, [v]);
  }
  for (const list of byName.values()) list.sort((a, b) => a.line - b.line);
  indexCache.set(parsed, { source: vars, length: vars.length, byName });
  return byName;
}

/** Which definition a reference is being expanded inside (a reference to its own name looks one layer down). */
interface Self {
  name: string;
  /** 0 file variable, 1 environment, 2 $shared. */
  layer: 0 | 1 | 2;
  def?: HttpFileVariable;
}

interface Origin {
  line: number;
  column: number;
  /** The file `line` is in, when it is not the .http file (a `<@` body file). */
  file?: string;
}

class Resolution {
  private memo: Map<HttpFileVariable | string, string> | undefined;
  private readonly active: Array<HttpFileVariable | string> = [];
  private readonly labels: string[] = [];
  private nowMs: number | undefined;
  private readonly byName: Map<string, HttpFileVariable[]>;
  /** Every value read through a request variable while resolving (to find those that land in a secret header). */
  readonly fromExchanges: string[] = [];

  constructor(
    private readonly parsed: ParsedHttpFile,
    /** The request's line: of a file variable's definitions, the nearest one above it wins. */
    private readonly limitLine: number,
    private readonly ctx: VariableContext,
  ) {
    this.byName = fileVariableIndex(parsed);
  }

  private pos(origin: Origin | undefined, offset: number, fallback: SourcePosition): SourcePosition {
    return origin ? { file: origin.file ?? this.parsed.file, line: origin.line, column: origin.column + offset } : fallback;
  }

  private fail(message: string, position: SourcePosition, hint?: string): never {
    throw new BehalfError('variable', message, hint ? { position, hint } : { position });
  }

  /**
   * `text` with every reference replaced. `origin` is where `text` starts in the .http file (one line);
   * without it (environment values) errors point at `fallback`, the reference that led here.
   */
  expand(text: string, origin: Origin | undefined, fallback: SourcePosition, self?: Self): string {
    let ref = nextRef(text, 0);
    if (!ref) return text;
    let out = '';
    let last = 0;
    while (ref) {
      const at = this.pos(origin, ref.start, fallback);
      if (ref.end < 0) this.fail('unterminated {{ (expected }})', at);
      out += text.slice(last, ref.start);
      out += this.reference(classifyRef(ref.inner), at, self);
      if (out.length > MAX_LENGTH) {
        this.fail(`resolved text is longer than ${MAX_LENGTH / 1024 / 1024} MiB (expected variables that do not multiply each other)`, at);
      }
      last = ref.end;
      ref = nextRef(text, last);
    }
    return out + text.slice(last);
  }

  private reference(ref: ParsedRef, at: SourcePosition, self: Self | undefined): string {
    if (ref.type === 'invalid') this.fail(`${ref.message} (expected ${ref.expected})`, at);
    if (ref.type === 'system') return this.system(ref.call, ref.raw, at, self);
    const value = ref.type === 'request' ? this.requestVariable(ref, at, self) : this.variable(ref.name, ref.raw, at, self);
    // REST Client's {{%name}}: the value percent-encoded, as encodeURIComponent does.
    return ref.encode ? encodeURIComponent(value) : value;
  }

  private requestVariable(ref: RequestRef, at: SourcePosition, self: Self | undefined): string {
    const target = this.parsed.requests.find((r) => r.name === ref.request);
    if (!target) {
      // Not a request of this file: maybe a variable whose name happens to look like one.
      const { environment, shared } = this.ctx;
      if (this.byName.has(ref.name) || (environment && hasOwn(environment, ref.name)) || (shared && hasOwn(shared, ref.name))) {
        return this.variable(ref.name, ref.raw, at, self);
      }
      const names = [...new Set(this.parsed.requests.map((r) => r.name).filter((n): n is string => !!n))];
      const close = names.find((n) => editDistance(n.toLowerCase(), ref.request.toLowerCase(), 2) <= 2);
      this.fail(
        `${ref.raw}: no request is named "${ref.request}" (expected a request with "# @name ${ref.request}" in this file)`,
        at,
        close
          ? `did you mean "${close}"?`
          : names.length
            ? `named requests: ${names.slice(0, 12).join(', ')}`
            : 'name a request with "# @name <name>" above its request line',
      );
    }
    const exchange = this.ctx.requestVariables?.get(ref.request);
    if (!exchange) {
      const below = target.requestLine > this.limitLine;
      throw new UnsentRequestError(
        `Send "${ref.request}" first (${ref.raw} reads its ${ref.part}, and "${ref.request}" has not been sent in this session)`,
        ref.request,
        target.requestLine,
        {
          position: at,
          hint: below
            ? `"${ref.request}" is at line ${target.requestLine}, below this request: a run of the whole file sends requests in file order`
            : `request variables read the latest response of "${ref.request}" sent in this session (the CLI: this run; VS Code: this window)`,
        },
      );
    }
    const { value, from } = readRequestVariable(exchange, ref, (message, hint) => this.fail(message, at, hint));
    if (looksSecret(value, from)) this.ctx.onSecret?.(value);
    this.fromExchanges.push(value);
    return value;
  }

  private variable(name: string, raw: string, at: SourcePosition, self: Self | undefined): string {
    const { overrides } = this.ctx;
    if (overrides && hasOwn(overrides, name)) return overrides[name];
    const own = self !== undefined && self.name === name;
    const startLayer = own ? (self.layer === 0 ? 0 : self.layer + 1) : 0;
    if (startLayer === 0) {
      const defs = this.byName.get(name);
      if (defs) {
        const limit = own && self.def ? self.def.line : this.limitLine;
        for (let k = defs.length - 1; k >= 0; k--) if (defs[k].line < limit) return this.fileVariable(defs[k], at);
        // REST Client: a file variable applies to the whole file, wherever it is defined; the definition
        // nearest above wins, else the first one below (a reference to its own name still looks only above).
        if (!own) return this.fileVariable(defs[0], at);
      }
    }
    const { environment, shared } = this.ctx;
    if (startLayer <= 1 && environment && hasOwn(environment, name)) return this.envVariable(name, environment[name], 1, at);
    if (startLayer <= 2 && shared && hasOwn(shared, name)) return this.envVariable(name, shared[name], 2, at);
    return this.unknown(name, raw, at, own);
  }

  private enter(key: HttpFileVariable | string, label: string, at: SourcePosition): void {
    const seen = this.active.indexOf(key);
    if (seen >= 0) {
      const chain = [...this.labels.slice(seen), label].join(' → ');
      this.fail(`variable cycle: ${chain} (expected variables that do not refer back to themselves)`, at);
    }
    if (this.active.length >= MAX_DEPTH) {
      this.fail(`variables nested more than ${MAX_DEPTH} deep (expected a shorter chain of variables)`, at);
    }
    this.active.push(key);
    this.labels.push(label);
  }

  private leave(): void {
    this.active.pop();
    this.labels.pop();
  }

  private fileVariable(def: HttpFileVariable, at: SourcePosition): string {
    const hit = this.memo?.get(def);
    if (hit !== undefined) return hit;
    if (def.value.indexOf('{{') < 0) return def.value;
    this.enter(def, `{{${def.name}}}`, at);
    const origin = { line: def.line, column: def.valueColumn };
    const value = this.expand(def.value, origin, this.pos(origin, 0, at), { name: def.name, layer: 0, def });
    this.leave();
    (this.memo ??= new Map()).set(def, value);
    return value;
  }

  private envVariable(name: string, raw: string, layer: 1 | 2, at: SourcePosition): string {
    const value = typeof raw === 'string' ? raw : raw === undefined || raw === null ? '' : String(raw);
    if (value.indexOf('{{') < 0) return value;
    const key = `${layer}:${name}`;
    const hit = this.memo?.get(key);
    if (hit !== undefined) return hit;
    this.enter(key, `{{${name}}}`, at);
    let resolved: string;
    try {
      resolved = this.expand(value, undefined, at, { name, layer });
    } catch (e) {
      if (e instanceof BehalfError && e.code === 'variable' && !(e.hint ?? '').includes('environment variable')) {
        const where = `in the value of ${layer === 1 ? 'environment' : '$shared'} variable "${name}"`;
        throw new BehalfError('variable', e.message, { position: e.position ?? at, hint: e.hint ? `${e.hint}; ${where}` : where });
      }
      throw e;
    }
    this.leave();
    (this.memo ??= new Map()).set(key, resolved);
    return resolved;
  }

  private unknown(name: string, raw: string, at: SourcePosition, own: boolean): never {
    let hint: string | undefined;
    if (own) hint = `{{${name}}} inside @${name} refers to an earlier @${name} or the environment's ${name}, and there is none`;
    else {
      let best: string | undefined;
      let bestDistance = 3;
      const consider = (candidate: string): void => {
        if (candidate === name) return;
        const d = editDistance(name.toLowerCase(), candidate.toLowerCase(), 2);
        if (d < bestDistance && d < Math.max(2, name.length / 2)) {
          bestDistance = d;
          best = candidate;
        }
      };
      for (const n of this.byName.keys()) consider(n);
      if (this.ctx.environment) for (const n of Object.keys(this.ctx.environment)) consider(n);
      if (this.ctx.shared) for (const n of Object.keys(this.ctx.shared)) consider(n);
      if (best !== undefined) hint = `did you mean {{${best}}}?`;
    }
    this.fail(`Unknown variable ${raw} (expected ${EXPECTED_VARIABLE})`, at, hint);
  }

  private now(): number {
    if (this.nowMs === undefined) this.nowMs = (this.ctx.now ?? Date.now)();
    return this.nowMs;
  }

  private random(): number {
    const r = (this.ctx.random ?? Math.random)();
    return Number.isFinite(r) ? Math.min(Math.max(r, 0), 1 - Number.EPSILON) : 0;
  }

  private guid(): string {
    // node:crypto is loaded only when a {{$guid}} needs it (a cost of every CLI start-up otherwise).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    if (!this.ctx.random) return (require('node:crypto') as typeof Crypto).randomUUID();
    const hex: string[] = [];
    for (let i = 0; i < 16; i++) {
      let byte = Math.floor(this.random() * 256);
      if (i === 6) byte = (byte & 0x0f) | 0x40;
      if (i === 8) byte = (byte & 0x3f) | 0x80;
      hex.push(byte.toString(16).padStart(2, '0'));
    }
    const h = hex.join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  private date(ms: number, raw: string, at: SourcePosition): number {
    if (!Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) this.fail(`${raw} is out of the range of dates (expected a smaller offset)`, at);
    return ms;
  }

  private system(call: SystemCall, raw: string, at: SourcePosition, self: Self | undefined): string {
    switch (call.kind) {
      case 'guid':
        return this.guid();
      case 'timestamp': {
        const ms = this.date(applyOffset(this.now(), call.offset, false), raw, at);
        return String(Math.floor(ms / 1000));
      }
      case 'datetime': {
        const ms = this.date(applyOffset(this.now(), call.offset, call.local), raw, at);
        return formatDate(ms, call.format, call.local);
      }
      case 'randomInt':
        return String(call.min + Math.floor(this.random() * (call.max - call.min)));
      case 'isoTimestamp':
        return new Date(this.date(this.now(), raw, at)).toISOString();
      case 'randomFloat':
        return String(call.min + this.random() * (call.max - call.min));
      case 'randomString': {
        let out = '';
        for (let i = 0; i < call.length; i++) out += call.alphabet[Math.floor(this.random() * call.alphabet.length)];
        return out;
      }
      case 'randomEmail': {
        let local = '';
        for (let i = 0; i < 10; i++) local += 'abcdefghijklmnopqrstuvwxyz0123456789'[Math.floor(this.random() * 36)];
        return `${local}@example.com`;
      }
      case 'processEnv': {
        const name = call.indirect ? this.variable(call.name, `{{${call.name}}}`, at, self) : call.name;
        if (isBehalfSecretName(name)) this.fail(behalfSecretMessage(raw, name), at);
        const env = this.ctx.processEnv ?? process.env;
        const value = hasOwn(env, name) ? env[name] : undefined;
        if (value === undefined) {
          this.fail(`Process environment variable ${name} is not set (expected it set where Behalf runs, for ${raw})`, at);
        }
        return value;
      }
      case 'dotenv': {
        const name = call.indirect ? this.variable(call.name, `{{${call.name}}}`, at, self) : call.name;
        if (isBehalfSecretName(name)) this.fail(behalfSecretMessage(raw, name), at);
        const lookup = this.ctx.dotenv ?? this.defaultDotenv();
        const value = lookup(name);
        if (value === undefined) {
          const where = path.join(path.dirname(this.parsed.file), '.env');
          this.fail(`${name} is not in the .env file (expected a ${name}=value line in ${where}, for ${raw})`, at);
        }
        return value;
      }
      case 'shared': {
        const { shared } = this.ctx;
        if (!shared || !hasOwn(shared, call.name)) this.fail(`${raw}: ${call.name} is not in $shared (expected it in the "$shared" environment)`, at);
        return this.envVariable(call.name, shared[call.name], 2, at);
      }
    }
  }

  private defaultDotenv(): (name: string) => string | undefined {
    let lookup = dotenvCache.get(this.parsed);
    if (!lookup) {
      lookup = loadDotenv(path.dirname(this.parsed.file));
      dotenvCache.set(this.parsed, lookup);
    }
    return lookup;
  }
}

function joinHeader(name: string, previous: string, next: string): string {
  return `${previous}${name.toLowerCase() === 'cookie' ? '; ' : ', '}${next}`;
}

/**
 * The request with every variable resolved, ready for the engine. A URL starting with `/` stays relative (the
 * engine joins it with the connection's base URL). Throws only BehalfError: code 'variable' with the position
 * of the bad reference, 'body-file' when a `< file` line's file cannot be read (at that line), or code 'parse'
 * when the request has error diagnostics (`hasErrors`). Body files are read with `ctx.readFile` (default
 * readBodyFile, synchronous like the .env lookup: at most MAX_BODY_FILE_BYTES).
 */
export function resolveRequest(parsed: ParsedHttpFile, request: HttpFileRequest, ctx: VariableContext = {}): RequestSpec {
  const file = parsed.file;
  const position: SourcePosition = { file, line: request.requestLine, column: 1 };
  if (request.hasErrors) {
    const first = parsed.diagnostics.find(
      (d) => d.severity === 'error' && d.position.line >= request.range.startLine && d.position.line <= request.range.endLine,
    );
    throw new BehalfError('parse', first ? first.message : 'the request has errors (expected a request without error diagnostics)', {
      position: first ? first.position : position,
      hint: 'fix the problems in the .http file before sending',
    });
  }
  if (request.prompts?.length) ctx = withPrompted(parsed, request, ctx);
  const r = new Resolution(parsed, request.requestLine, ctx);

  let url: string;
  if (request.urlParts && request.urlParts.length) {
    url = '';
    for (const part of request.urlParts) url += r.expand(part.text, part, { file, line: part.line, column: part.column });
  } else {
    url = r.expand(request.url, { line: request.requestLine, column: 1 }, position);
  }

  const headers: Record<string, string> = {};
  let lowerNames: Map<string, string> | undefined;
  for (const h of request.headers) {
    const value = r.expand(h.value, { line: h.line, column: h.valueColumn ?? 1 }, { file, line: h.line, column: h.valueColumn ?? 1 });
    const lower = h.name.toLowerCase();
    const existing = (lowerNames ??= new Map<string, string>()).get(lower);
    if (existing === undefined) {
      lowerNames.set(lower, h.name);
      headers[h.name] = value;
    } else {
      headers[existing] = joinHeader(existing, headers[existing], value);
    }
  }

  const spec: RequestSpec = { method: request.method, url, headers, position };
  if (request.name !== undefined) spec.name = request.name;
  if (request.body !== undefined) {
    const body = resolveBody(r, request, headers, parsed, ctx);
    spec.body = body.body;
    if (body.files) spec.bodyFiles = body.files;
  }
  if (request.graphql) graphqlRequest(spec, request, file);
  if (request.noRedirect) spec.followRedirects = false;
  if (request.note !== undefined) spec.note = request.note;
  // A value from an earlier exchange put into an Authorization-like header is a credential, whatever it looked like.
  if (r.fromExchanges.length && ctx.onSecret) {
    for (const name in headers) {
      if (!isSensitiveHeader(name)) continue;
      for (const v of r.fromExchanges) if (v && headers[name].includes(v)) ctx.onSecret(v);
    }
  }
  return spec;
}

/** `ctx` with the request's `# @prompt` values over its overrides; a prompt without a value is an error at its line. */
function withPrompted(parsed: ParsedHttpFile, request: HttpFileRequest, ctx: VariableContext): VariableContext {
  const { overrides, prompted } = ctx;
  const values: Record<string, string> = { ...overrides };
  for (const p of request.prompts ?? []) {
    if (overrides && hasOwn(overrides, p.name)) continue;
    if (prompted && hasOwn(prompted, p.name)) {
      values[p.name] = prompted[p.name];
      // A password or token typed at a prompt never shows in a log, a record or an error.
      if (p.secret && prompted[p.name]) ctx.onSecret?.(prompted[p.name]);
      continue;
    }
    throw new BehalfError('prompt', `This request asks for ${p.name} ("# @prompt ${p.name}"), and no value was given`, {
      position: { file: parsed.file, line: p.line, column: p.column },
      hint: `give it when asked, or (in the CLI) pass --var ${p.name}=…`,
    });
  }
  return { ...ctx, overrides: values };
}

/**
 * A GraphQL request as httpYac and REST Client send it: `{"query", "variables", "operationName"?}` JSON. The
 * variables are the JSON object after the query's last blank line; operationName is set when the query names
 * exactly one operation. Content-Type is application/json unless the request sets one.
 */
function graphqlRequest(spec: RequestSpec, request: HttpFileRequest, file: string): void {
  const text = spec.body === undefined ? '' : typeof spec.body === 'string' ? spec.body : spec.body.toString('utf8');
  const lines = text.split('\n');
  let query = text.trim();
  let variables: unknown = {};
  let blank = -1;
  for (let i = lines.length - 1; i > 0; i--) {
    if (!lines[i].trim()) {
      blank = i;
      break;
    }
  }
  if (blank > 0) {
    const block = lines
      .slice(blank + 1)
      .join('\n')
      .trim();
    if (block.startsWith('{')) {
      try {
        variables = JSON.parse(block);
        query = lines.slice(0, blank).join('\n').trim();
      } catch (e) {
        // `{ user { id } }` is an anonymous query, not variables; `{"id": }` is broken variables.
        if (/^\{\s*["}]/.test(block)) {
          const line = request.bodyLines?.[blank + 1] ?? request.requestLine;
          throw new BehalfError(
            'parse',
            `the GraphQL variables block is not valid JSON: ${e instanceof Error ? e.message : String(e)} (expected a JSON object after the query)`,
            {
              position: { file, line, column: 1 },
            },
          );
        }
      }
    }
  }
  const names = new Set<string>();
  for (const m of query.matchAll(/(?:^|[\s}])(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/g)) names.add(m[1]);
  const payload: { query: string; variables: unknown; operationName?: string } = { query, variables };
  if (names.size === 1) payload.operationName = [...names][0];
  spec.body = JSON.stringify(payload);
  delete spec.bodyFiles;
  if (!Object.keys(spec.headers).some((k) => k.toLowerCase() === 'content-type')) spec.headers['Content-Type'] = 'application/json';
}

function contentTypeOf(headers: Record<string, string>): string {
  for (const k in headers) if (k.toLowerCase() === 'content-type') return headers[k].toLowerCase();
  return '';
}

interface ResolvedBody {
  body: string | Buffer;
  files?: RequestSpec['bodyFiles'];
}

/**
 * The body with its variables substituted and its `< file` lines replaced by the files' content (REST Client
 * and httpYac): `<` the bytes as they are, `<@[encoding]` the text with its variables substituted. A body with
 * a `<` file is a Buffer, sent byte for byte; otherwise a string.
 */
function resolveBody(r: Resolution, request: HttpFileRequest, headers: Record<string, string>, parsed: ParsedHttpFile, ctx: VariableContext): ResolvedBody {
  const file = parsed.file;
  const body = request.body ?? '';
  const contentType = contentTypeOf(headers);
  const form = contentType.includes('application/x-www-form-urlencoded');
  const multipart = contentType.includes('multipart/');
  const ndjson = contentType.includes('ndjson') || contentType.includes('jsonlines') || contentType.includes('json-seq');
  const lineNos = request.bodyLines;
  let refs: Map<number, HttpBodyFileReference> | undefined;
  if (request.bodyFiles?.length && lineNos) for (const ref of request.bodyFiles) (refs ??= new Map()).set(ref.line, ref);
  if (!form && !multipart && !ndjson && !refs && body.indexOf('{{') < 0) return { body };
  const lines = body.split('\n');
  const eol = multipart ? '\r\n' : '\n';
  const reader = new BodyFiles(r, parsed, ctx);
  // Text so far, and the pieces before it when a `<` file put bytes in between.
  let out = '';
  let pieces: Array<string | Buffer> | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lineNos && lineNos[i] !== undefined ? lineNos[i] : request.requestLine;
    const ref = refs?.get(line);
    if (i > 0) {
      // Form bodies: a line starting with & continues the previous one (REST Client and httpYac).
      if (form && !ref && lines[i].trimStart().startsWith('&')) {
        out += r.expand(lines[i], { line, column: 1 }, { file, line, column: 1 }).trim();
        continue;
      }
      out += eol;
    }
    if (!ref) out += r.expand(lines[i], { line, column: 1 }, { file, line, column: 1 });
    else if (ref.processVariables) out += reader.text(ref);
    else {
      (pieces ??= []).push(out, reader.bytes(ref));
      out = '';
    }
  }
  if (ndjson) out += eol;
  if (!pieces) return { body: out };
  pieces.push(out);
  const buffers = pieces.filter((p) => p.length > 0).map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p));
  const files: NonNullable<RequestSpec['bodyFiles']> = [];
  let offset = 0;
  for (const b of buffers) {
    const from = reader.sources.get(b);
    if (from !== undefined) files.push({ path: from, offset, length: b.length });
    offset += b.length;
  }
  return { body: buffers.length === 1 ? buffers[0] : Buffer.concat(buffers, offset), files };
}

/** Reads the files of `< path` lines for one request, with errors that name the path as written and as resolved. */
class BodyFiles {
  /** Each Buffer read, to its absolute path (to say which bytes of the body came from which file). */
  readonly sources = new Map<Buffer, string>();
  private total = 0;

  constructor(
    private readonly r: Resolution,
    private readonly parsed: ParsedHttpFile,
    private readonly ctx: VariableContext,
  ) {}

  /** `< path`: the file's bytes. */
  bytes(ref: HttpBodyFileReference): Buffer {
    const { data, absolute } = this.read(ref);
    this.sources.set(data, absolute);
    return data;
  }

  /** `<@[encoding] path`: the file's text, its variables substituted (errors point into the file). */
  text(ref: HttpBodyFileReference): string {
    const { data, absolute } = this.read(ref);
    let text = data.toString((ref.encoding ?? 'utf8').toLowerCase() as BufferEncoding);
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.indexOf('{{') < 0) return text;
    const lines = text.split('\n');
    for (let k = 0; k < lines.length; k++) {
      if (lines[k].indexOf('{{') >= 0)
        lines[k] = this.r.expand(lines[k], { file: absolute, line: k + 1, column: 1 }, { file: absolute, line: k + 1, column: 1 });
    }
    return lines.join('\n');
  }

  private read(ref: HttpBodyFileReference): { data: Buffer; absolute: string } {
    const httpFile = this.parsed.file;
    const at: SourcePosition = { file: httpFile, line: ref.line, column: ref.column ?? 1 };
    const written = ref.path;
    const expanded = this.r.expand(written, { line: ref.line, column: ref.column ?? 1 }, at).trim();
    const fail = (message: string, hint?: string): never => {
      throw new BehalfError('body-file', message, hint ? { position: at, hint } : { position: at });
    };
    if (!expanded) fail(`The body file path ${written} is empty once its variables are substituted (expected a file path)`);
    if (!path.isAbsolute(expanded) && !path.isAbsolute(httpFile)) {
      fail(
        `Cannot read the body file ${written}: a relative path needs a saved .http file to be relative to (expected an absolute path, or the .http file saved)`,
      );
    }
    const absolute = path.resolve(path.dirname(httpFile), expanded);
    const cannot = (reason: string, hint?: string): never => fail(`Cannot read the body file ${written} (resolved to ${absolute}): ${reason}`, hint);
    let data: Buffer;
    try {
      const raw = (this.ctx.readFile ?? readBodyFile)(absolute);
      data = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    } catch (e) {
      const reason = readFailure(e);
      return cannot(
        reason,
        reason === 'no such file' && !path.isAbsolute(expanded)
          ? `relative paths are relative to the .http file's folder, ${path.dirname(httpFile)}`
          : undefined,
      );
    }
    if (data.length > MAX_BODY_FILE_BYTES) cannot(tooLarge(data.length, MAX_BODY_FILE_BYTES));
    this.total += data.length;
    if (this.total > MAX_BODY_FILE_BYTES) {
      cannot(`the body's files add up to ${mib(this.total)} with this one, more than the ${mib(MAX_BODY_FILE_BYTES)} a request body may hold`);
    }
    return { data, absolute };
  }
}

/**
 * Resolves one text as a request's header would be (e.g. an annotation value such as `# @as {{user}}`).
 * `request` picks, of a name defined twice, the definition nearest above it; without it, the last one in the file.
 */
export function resolveString(
  parsed: ParsedHttpFile,
  request: HttpFileRequest | undefined,
  text: string,
  ctx: VariableContext = {},
  position?: SourcePosition,
): string {
  const at = position ?? { file: parsed.file, line: request ? request.requestLine : 1, column: 1 };
  const r = new Resolution(parsed, request ? request.requestLine : Number.POSITIVE_INFINITY, ctx);
  return r.expand(text, position ? { line: position.line, column: position.column } : undefined, at);
}
