// Shared plumbing of the vendor sandbox: one HTTP listener routing by vendor prefix, a second "foreign"
// listener (another origin), the request log, fault injection, the /__sandbox control endpoints, and the
// small helpers every vendor double uses (replies, body parsing, tokens, rate windows, a router).
// Vendor doubles never touch Node's http objects: they get a SandboxRequest and return a Reply.

import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { Connection } from '../core/model';

export type VendorName = 'dealcloud' | 'orangelogic' | 'creativeforce' | 'generic';
export type LogVendor = VendorName | 'control' | 'foreign' | 'unknown';
export type AsUserDenialStatus = 400 | 401 | 403;

export interface SandboxLogEntry {
  /** Increases with every request; not restarted by reset(). */
  seq: number;
  time: number;
  listener: 'main' | 'foreign';
  vendor: LogVendor;
  method: string;
  /** Path without query, as received. */
  path: string;
  query: Record<string, string>;
  /** Lower-case names, values as received (repeated headers joined with ", "). */
  headers: Record<string, string>;
  /** utf8, first 64 KiB. */
  body: string;
  /** What the sandbox answered; 0 while unanswered, and for reset/timeout faults. */
  status: number;
  /** Email of the identity the double acted as, when it decided one. */
  effectiveUser?: string;
}

export type FaultKind = 'status' | 'timeout' | 'reset' | 'malformed-json' | 'big-body' | 'redirect' | 'json';

export interface FaultSpec {
  match?: { vendor?: string; method?: string; pathIncludes?: string };
  kind: FaultKind;
  /** kind=status (default 500); kind=redirect (default 302); kind=malformed-json (default 200). */
  status?: number;
  /** Adds Retry-After to whatever the fault answers. */
  retryAfterSeconds?: number;
  /** kind=big-body: exact size of a valid JSON body (default 6 MiB). */
  bytes?: number;
  /** kind=redirect (default: the same path on the foreign listener). */
  location?: string;
  /** kind=timeout: answer 200 after this long (default: never answer). */
  delayMs?: number;
  /** How many matching requests it applies to (default 1). */
  times?: number;
  /** kind=json: a valid JSON body of the wrong shape (status default 200), to test tolerant parsing. */
  body?: unknown;
}

/** Settings every double reads at request time; reset() restores the ones given at start. */
export interface SandboxConfig {
  tokenLifetimeSeconds?: number;
  asUserDenialStatus: AsUserDenialStatus;
  cfRequestsPerSecond: number;
}

/** A connection of the generated connections file, without the loader's bookkeeping. */
export type ConnectionJson = Omit<Connection, 'position'>;

/** A connection the sandbox can serve, with the secrets that belong in the environment, not in the file. */
export interface SandboxConnection {
  connection: ConnectionJson;
  secret: string;
  /** Principal id → that principal's own secret (Creative Force: each principal is a registered app). */
  principalSecrets?: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------------
// Replies

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
  /** Becomes `x-sandbox-effective-user` and the log entry's effectiveUser. */
  effectiveUser?: string;
}

export interface ReplyOptions {
  headers?: Record<string, string>;
  effectiveUser?: string;
}

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export function json(status: number, value: unknown, options: ReplyOptions = {}): Reply {
  return {
    status,
    headers: { 'content-type': JSON_CONTENT_TYPE, ...options.headers },
    body: JSON.stringify(value),
    effectiveUser: options.effectiveUser,
  };
}

/** The `{"message": "..."}` error body DealCloud, Creative Force's gateway and the generic API share. */
export function messageReply(status: number, message: string, options: ReplyOptions = {}): Reply {
  return json(status, { message }, options);
}

export function notFound(): Reply {
  return messageReply(404, 'Not found');
}

/** Thrown by a double to answer with `reply` from deep inside a handler (auth, permission checks). */
export class Refusal extends Error {
  constructor(readonly reply: Reply) {
    super(`refused with ${reply.status}`);
  }
}

export function refuse(status: number, message: string, options: ReplyOptions = {}): Refusal {
  return new Refusal(messageReply(status, message, options));
}

/** A body or query the sandbox cannot read; answered 400 in the vendor's error shape. */
export class MalformedRequest extends Error {}

// ---------------------------------------------------------------------------------------------------
// Requests as the doubles see them

export class SandboxRequest {
  constructor(
    readonly method: string,
    /** Path after the vendor prefix, e.g. `/api/rest/v1/oauth/token`. */
    readonly path: string,
    readonly query: Record<string, string>,
    /** Lower-case names. */
    readonly headers: Record<string, string>,
    readonly body: Buffer,
    readonly remoteAddress: string,
  ) {}

  /** The same request under another path (a double routing a sub-prefix of its own). */
  withPath(path: string): SandboxRequest {
    return new SandboxRequest(this.method, path || '/', this.query, this.headers, this.body, this.remoteAddress);
  }

  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()];
  }

  text(): string {
    return this.body.toString('utf8');
  }

  hasBody(): boolean {
    return this.body.length > 0;
  }

  json(): unknown {
    if (!this.hasBody()) throw new MalformedRequest('Expected a JSON body.');
    try {
      return JSON.parse(this.text());
    } catch (e) {
      throw new MalformedRequest(`Malformed JSON body: ${(e as Error).message}`);
    }
  }

  /** The body as an application/x-www-form-urlencoded form (first value of each field). */
  form(): Record<string, string> {
    if (this.isJson()) throw new MalformedRequest('Expected a form-encoded body (application/x-www-form-urlencoded).');
    return firstValues(new URLSearchParams(this.text()));
  }

  /** Form fields, or the top-level string fields of a JSON object body (for endpoints that take either). */
  formOrJson(): Record<string, string> {
    if (!this.isJson()) return this.form();
    const value = this.json();
    if (!isPlainObject(value)) throw new MalformedRequest('Expected a JSON object.');
    const fields: Record<string, string> = {};
    for (const [key, field] of Object.entries(value)) {
      if (typeof field === 'string' || typeof field === 'number') fields[key] = String(field);
    }
    return fields;
  }

  bearerToken(): string | undefined {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(this.header('authorization') ?? '');
    return match?.[1];
  }

  basicCredentials(): { id: string; secret: string } | undefined {
    const match = /^Basic\s+(\S+)\s*$/i.exec(this.header('authorization') ?? '');
    if (!match) return undefined;
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    return { id: safeDecode(decoded.slice(0, colon)), secret: safeDecode(decoded.slice(colon + 1)) };
  }

  private isJson(): boolean {
    return /\bjson\b/i.test(this.header('content-type') ?? '');
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An integer query parameter within [min, max], or the default when absent. */
export function integerQuery(req: SandboxRequest, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = req.query[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
    throw new MalformedRequest(`${name} must be an integer ${range}.`);
  }
  return value;
}

/** "2026-01-05T10:00:00Z": ISO 8601 without milliseconds, as the vendors write dates. */
export function isoSeconds(time: number = Date.now()): string {
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function firstValues(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of params) if (!(key in out)) out[key] = value;
  return out;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

// ---------------------------------------------------------------------------------------------------
// Tokens and rate windows

/** An unguessable token whose prefix tells which double issued it (dc_, ol_, olimp_, cf_, gen_...). */
export function newToken(prefix: string): string {
  return `${prefix}_${randomBytes(24).toString('base64url')}`;
}

/** Bearer tokens of one kind, each with what it stands for and when it expires. */
export class TokenStore<T> {
  private readonly tokens = new Map<string, { info: T; expiresAt: number }>();

  constructor(
    private readonly prefix: string,
    private readonly lifetimeSeconds: () => number,
  ) {}

  issue(info: T): { token: string; expiresIn: number } {
    const expiresIn = this.lifetimeSeconds();
    const token = newToken(this.prefix);
    this.tokens.set(token, { info, expiresAt: Date.now() + expiresIn * 1000 });
    return { token, expiresIn };
  }

  /** What the token stands for; undefined when missing, unknown or expired. */
  lookup(token: string | undefined): T | undefined {
    if (token === undefined) return undefined;
    const entry = this.tokens.get(token);
    if (!entry) return undefined;
    if (Date.now() >= entry.expiresAt) {
      this.tokens.delete(token);
      return undefined;
    }
    return entry.info;
  }

  /** Every token issued so far becomes invalid. */
  expireAll(): void {
    this.tokens.clear();
  }
}

/** The token lifetime a double uses: the sandbox-wide override, else the vendor's own. */
export function tokenLifetime(config: SandboxConfig, vendorSeconds: number): () => number {
  return () => config.tokenLifetimeSeconds ?? vendorSeconds;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** At most `limit` hits per key in any sliding window of `windowMs`; refused hits are not counted. */
export class RateWindow {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  hit(key: string, now: number = Date.now()): RateDecision {
    const recent = (this.hits.get(key) ?? []).filter((time) => time > now - this.windowMs);
    if (recent.length >= this.limit) {
      this.hits.set(key, recent);
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((recent[0] + this.windowMs - now) / 1000)) };
    }
    recent.push(now);
    this.hits.set(key, recent);
    return { allowed: true };
  }

  clear(): void {
    this.hits.clear();
  }
}

// ---------------------------------------------------------------------------------------------------
// Routing inside a double

export type RouteParams = Record<string, string>;

export interface Route {
  /** HTTP method, or '*' for any. */
  method: string;
  /** Path under the vendor prefix; `{name}` segments are parameters, as in the vendors' docs. */
  path: string;
  handle(req: SandboxRequest, params: RouteParams): Reply | Promise<Reply>;
}

/** Dispatches to the first route matching method and path: 404 for unknown paths, 405 for wrong methods. */
export function createRouter(routes: Route[], options: { caseInsensitive?: boolean } = {}) {
  const fold = (s: string) => (options.caseInsensitive ? s.toLowerCase() : s);
  const compiled = routes.map((route) => ({ route, pattern: pathSegments(route.path).map(fold) }));
  return (req: SandboxRequest): Reply | Promise<Reply> => {
    const segments = pathSegments(req.path).map(safeDecode);
    let pathKnown = false;
    for (const { route, pattern } of compiled) {
      const params = matchSegments(pattern, segments, fold);
      if (!params) continue;
      pathKnown = true;
      if (route.method === '*' || route.method === req.method) return route.handle(req, params);
    }
    return pathKnown ? messageReply(405, 'Method not allowed') : notFound();
  };
}

function pathSegments(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

function matchSegments(pattern: string[], segments: string[], fold: (s: string) => string): RouteParams | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: RouteParams = {};
  for (let i = 0; i < pattern.length; i++) {
    const param = /^\{(\w+)\}$/.exec(pattern[i]);
    if (param) params[param[1]] = segments[i];
    else if (pattern[i] !== fold(segments[i])) return undefined;
  }
  return params;
}

// ---------------------------------------------------------------------------------------------------
// Vendor doubles as the server sees them

export interface VendorDouble {
  readonly vendor: VendorName;
  /** Path prefix on the main listener, e.g. `/dealcloud`. */
  readonly prefix: string;
  handle(req: SandboxRequest): Reply | Promise<Reply>;
  /** The vendor's wording of a 400 for a body or query it cannot read (default `{"message"}`). */
  badRequest?(message: string, req: SandboxRequest): Reply;
  /** Headers on every response of this vendor (Orange Logic's x-cortex-request-id). */
  responseHeaders?(): Record<string, string>;
  /** Seed data, sessions, tokens and rate windows back to the start. */
  reset(): void;
  expireTokens(): void;
  /** The connections (and their secrets) that reach this double at `sandboxUrl`. */
  connections(sandboxUrl: string): SandboxConnection[];
}

/** What the control endpoints do that lives above the server (in index.ts). */
export interface ControlHooks {
  state(): Record<string, unknown>;
  expireTokens(): void;
  reset(): void;
  /** Applies `{"asUserDenialStatus": 403}`; throws TypeError on bad input. */
  configure(patch: unknown): void;
  connectionsFile(): unknown;
}

// ---------------------------------------------------------------------------------------------------
// The server

const CONTROL_PREFIX = '/__sandbox';
const LOGGED_BODY_BYTES = 64 * 1024;
/** Bodies beyond this are drained and answered 413, so a runaway client cannot exhaust memory. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const DEFAULT_BIG_BODY_BYTES = 6 * 1024 * 1024;
const FAULT_KINDS: readonly FaultKind[] = ['status', 'timeout', 'reset', 'malformed-json', 'big-body', 'redirect', 'json'];

interface ActiveFault {
  spec: FaultSpec;
  remaining: number;
}

export class SandboxServer {
  /** Every request either listener received, oldest first. Mutated in place so references stay valid. */
  readonly log: SandboxLogEntry[] = [];
  private seq = 0;
  private faults: ActiveFault[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly delayedAnswers = new Set<NodeJS.Timeout>();
  private readonly main: http.Server;
  private readonly foreign: http.Server;
  private readonly routeControl: (req: SandboxRequest) => Reply | Promise<Reply>;
  private foreignOrigin = '';
  private closing?: Promise<void>;

  constructor(
    private readonly doubles: VendorDouble[],
    private readonly hooks: ControlHooks,
  ) {
    this.main = this.createListener('main');
    this.foreign = this.createListener('foreign');
    this.routeControl = createRouter(this.controlRoutes());
  }

  /** Starts both listeners; the foreign one always on a free port (another origin). */
  async listen(port: number, host: string): Promise<{ url: string; foreignUrl: string }> {
    const url = await listenOn(this.main, port, host);
    try {
      this.foreignOrigin = await listenOn(this.foreign, 0, host);
    } catch (error) {
      await closeServer(this.main);
      throw error;
    }
    return { url, foreignUrl: this.foreignOrigin };
  }

  injectFault(spec: unknown): void {
    const fault = parseFaultSpec(spec);
    this.faults.push({ spec: fault, remaining: fault.times ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  clearLog(): void {
    this.log.length = 0;
  }

  /** Closes both listeners and every open socket, including requests a timeout fault never answers. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const timer of this.delayedAnswers) clearTimeout(timer);
      this.delayedAnswers.clear();
      const closed = Promise.all([closeServer(this.main), closeServer(this.foreign)]);
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
      await closed;
    })();
    return this.closing;
  }

  private createListener(listener: 'main' | 'foreign'): http.Server {
    const server = http.createServer((req, res) => {
      this.onRequest(listener, req, res).catch((error: unknown) => {
        // Last resort: a bug in the sandbox must not take the process down.
        if (!res.headersSent && !res.destroyed) this.send(res, undefined, messageReply(500, `Sandbox error: ${String(error)}`));
      });
    });
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return server;
  }

  private async onRequest(listener: 'main' | 'foreign', req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const { path, query } = splitUrl(req.url ?? '/');
    const double = listener === 'main' ? this.doubles.find((d) => underPrefix(path, d.prefix)) : undefined;
    const vendor: LogVendor = listener === 'foreign' ? 'foreign' : double ? double.vendor : underPrefix(path, CONTROL_PREFIX) ? 'control' : 'unknown';
    const entry: SandboxLogEntry = {
      seq: ++this.seq,
      time: Date.now(),
      listener,
      vendor,
      method: req.method ?? 'GET',
      path,
      query,
      headers: headersAsReceived(req.rawHeaders),
      body: '',
      status: 0,
    };
    this.log.push(entry);

    const body = await readBody(req);
    entry.body = body.data.subarray(0, LOGGED_BODY_BYTES).toString('utf8');
    const extraHeaders = double?.responseHeaders?.() ?? {};

    // Control requests are never faulted, so a test can always clear what it injected.
    const fault = vendor === 'control' ? undefined : this.takeFault(entry);
    if (fault) return this.applyFault(fault, entry, res, extraHeaders);

    if (body.tooLarge) return this.send(res, entry, messageReply(413, `Body larger than ${MAX_BODY_BYTES} bytes.`), extraHeaders);

    const subPath = double ? path.slice(double.prefix.length) || '/' : path.slice(CONTROL_PREFIX.length) || '/';
    const request = new SandboxRequest(entry.method, subPath, query, entry.headers, body.data, req.socket.remoteAddress ?? '');
    let reply: Reply;
    if (vendor === 'foreign') reply = json(200, { ok: true });
    else if (vendor === 'control') reply = await this.answer(request, this.routeControl);
    else if (double) reply = await this.answer(request, (r) => double.handle(r), double);
    else reply = notFound();
    this.send(res, entry, reply, extraHeaders);
  }

  private async answer(req: SandboxRequest, handle: (req: SandboxRequest) => Reply | Promise<Reply>, double?: VendorDouble): Promise<Reply> {
    try {
      return await handle(req);
    } catch (error) {
      if (error instanceof Refusal) return error.reply;
      if (error instanceof MalformedRequest) return double?.badRequest?.(error.message, req) ?? messageReply(400, error.message);
      return messageReply(500, `Sandbox error: ${(error as Error).message ?? String(error)}`);
    }
  }

  private send(res: http.ServerResponse, entry: SandboxLogEntry | undefined, reply: Reply, extraHeaders: Record<string, string> = {}): void {
    if (res.destroyed || res.writableEnded) return;
    const headers: Record<string, string | number> = { ...extraHeaders, ...reply.headers, 'content-length': Buffer.byteLength(reply.body) };
    if (reply.effectiveUser) headers['x-sandbox-effective-user'] = reply.effectiveUser;
    res.writeHead(reply.status, headers);
    res.end(reply.body);
    if (entry) {
      entry.status = reply.status;
      if (reply.effectiveUser) entry.effectiveUser = reply.effectiveUser;
    }
  }

  // ---- faults

  private takeFault(entry: SandboxLogEntry): FaultSpec | undefined {
    const active = this.faults.find(({ spec }) => faultMatches(spec, entry));
    if (!active) return undefined;
    active.remaining -= 1;
    if (active.remaining <= 0) this.faults = this.faults.filter((f) => f !== active);
    return active.spec;
  }

  private applyFault(fault: FaultSpec, entry: SandboxLogEntry, res: http.ServerResponse, extraHeaders: Record<string, string>): void {
    const headers: Record<string, string> = { ...extraHeaders };
    if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
    const send = (reply: Reply) => this.send(res, entry, { ...reply, headers: { ...headers, ...reply.headers } });
    switch (fault.kind) {
      case 'status': {
        const status = fault.status ?? 500;
        return send(messageReply(status, `Injected fault: status ${status}.`));
      }
      case 'timeout': {
        if (fault.delayMs === undefined) return; // never answered; close() or the client ends it
        const timer = setTimeout(() => {
          this.delayedAnswers.delete(timer);
          send(json(200, { message: 'Injected fault: answered late.', delayMs: fault.delayMs }));
        }, fault.delayMs);
        this.delayedAnswers.add(timer);
        return;
      }
      case 'reset':
        // A TCP RST rather than a clean close, so clients see ECONNRESET.
        res.socket?.resetAndDestroy();
        return;
      case 'malformed-json':
        return send({ status: fault.status ?? 200, headers: { 'content-type': 'application/json' }, body: '{"rows": [{"EntryId": 1, "Name": "Trunc' });
      case 'json':
        return send(json(fault.status ?? 200, fault.body ?? null));
      case 'big-body':
        return send({ status: 200, headers: { 'content-type': JSON_CONTENT_TYPE }, body: bigJsonBody(fault.bytes ?? DEFAULT_BIG_BODY_BYTES) });
      case 'redirect': {
        const location = fault.location ?? `${this.foreignOrigin}${entry.path}`;
        return send({ status: fault.status ?? 302, headers: { location, 'content-type': JSON_CONTENT_TYPE }, body: JSON.stringify({ location }) });
      }
    }
  }

  // ---- control endpoints

  private controlRoutes(): Route[] {
    const ok = () => json(200, { ok: true });
    return [
      {
        method: 'GET',
        path: '/log',
        handle: () => {
          // This request is part of the log it returns; it is being answered 200 right now.
          const self = this.log[this.log.length - 1];
          if (self) self.status = 200;
          return json(200, this.log);
        },
      },
      { method: 'DELETE', path: '/log', handle: () => (this.clearLog(), ok()) },
      { method: 'GET', path: '/state', handle: () => json(200, this.hooks.state()) },
      {
        method: 'POST',
        path: '/faults',
        handle: (req) => (invalidInputIs400(() => this.injectFault(req.json())), ok()),
      },
      { method: 'DELETE', path: '/faults', handle: () => (this.clearFaults(), ok()) },
      { method: 'POST', path: '/expire-tokens', handle: () => (this.hooks.expireTokens(), ok()) },
      { method: 'POST', path: '/reset', handle: () => (this.hooks.reset(), ok()) },
      { method: 'POST', path: '/config', handle: (req) => (invalidInputIs400(() => this.hooks.configure(req.json())), ok()) },
      { method: 'GET', path: '/connections', handle: () => json(200, this.hooks.connectionsFile()) },
    ];
  }
}

/** Programmatic validation throws TypeError; over HTTP the same mistake is the client's: a 400. */
function invalidInputIs400(apply: () => void): void {
  try {
    apply();
  } catch (error) {
    if (error instanceof TypeError) throw new MalformedRequest(error.message);
    throw error;
  }
}

/** Validates a FaultSpec from code or from the control endpoint; throws TypeError naming the bad field. */
export function parseFaultSpec(value: unknown): FaultSpec {
  if (!isPlainObject(value)) throw new TypeError('A fault must be a JSON object.');
  const spec = value as Partial<FaultSpec> & Record<string, unknown>;
  if (!FAULT_KINDS.includes(spec.kind as FaultKind)) throw new TypeError(`fault.kind must be one of ${FAULT_KINDS.join(', ')}.`);
  const integer = (name: keyof FaultSpec, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const field = spec[name];
    if (field !== undefined && (typeof field !== 'number' || !Number.isInteger(field) || field < min || field > max)) {
      throw new TypeError(`fault.${name} must be an integer between ${min} and ${max}.`);
    }
  };
  integer('status', 100, 599);
  integer('retryAfterSeconds', 0);
  integer('bytes', 2, MAX_BODY_BYTES);
  integer('delayMs', 0);
  integer('times', 1);
  if (spec.location !== undefined && typeof spec.location !== 'string') throw new TypeError('fault.location must be a string.');
  if (spec.match !== undefined) {
    if (!isPlainObject(spec.match)) throw new TypeError('fault.match must be an object.');
    for (const key of ['vendor', 'method', 'pathIncludes'] as const) {
      if (spec.match[key] !== undefined && typeof spec.match[key] !== 'string') throw new TypeError(`fault.match.${key} must be a string.`);
    }
  }
  return { ...spec } as FaultSpec;
}

function faultMatches(spec: FaultSpec, entry: SandboxLogEntry): boolean {
  const match = spec.match ?? {};
  if (match.vendor !== undefined && match.vendor !== entry.vendor) return false;
  if (match.method !== undefined && match.method.toUpperCase() !== entry.method.toUpperCase()) return false;
  if (match.pathIncludes !== undefined && !entry.path.includes(match.pathIncludes)) return false;
  return true;
}

/** A valid JSON document of exactly `bytes` bytes (row objects, then padding), for size-cap tests. */
export function bigJsonBody(bytes: number): string {
  const head = '{"rows":[';
  const tail = '],"padding":""}';
  const rows: string[] = [];
  let size = head.length + tail.length;
  for (let id = 1; ; id++) {
    const row = JSON.stringify({ id, name: `Row ${id}`, note: 'Sandbox big-body fault' });
    const added = row.length + (rows.length > 0 ? 1 : 0);
    if (size + added > bytes) break;
    rows.push(row);
    size += added;
  }
  return `${head}${rows.join(',')}],"padding":"${'x'.repeat(Math.max(0, bytes - size))}"}`;
}

function underPrefix(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}/`);
}

function splitUrl(raw: string): { path: string; query: Record<string, string> } {
  let target = raw;
  // Absolute-form request targets (a client talking to us as a proxy) carry scheme and host.
  if (!target.startsWith('/')) {
    try {
      const url = new URL(target);
      target = `${url.pathname}${url.search}`;
    } catch {
      target = `/${target}`;
    }
  }
  const questionMark = target.indexOf('?');
  const path = questionMark < 0 ? target : target.slice(0, questionMark);
  const query = questionMark < 0 ? {} : firstValues(new URLSearchParams(target.slice(questionMark + 1)));
  return { path, query };
}

function headersAsReceived(rawHeaders: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    headers[name] = name in headers ? `${headers[name]}, ${rawHeaders[i + 1]}` : rawHeaders[i + 1];
  }
  return headers;
}

function readBody(req: http.IncomingMessage): Promise<{ data: Buffer; tooLarge: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    const done = () => resolve({ data: Buffer.concat(chunks), tooLarge });
    req.on('end', done);
    // An aborted upload still gets logged with what arrived.
    req.on('error', done);
    req.on('close', done);
  });
}

function listenOn(server: http.Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address() as AddressInfo;
      resolve(`http://${urlHost(host)}:${address.port}`);
    });
  });
}

/** The host to put in URLs: a wildcard bind address is reached through loopback. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}
