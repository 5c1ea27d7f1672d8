// The vendor sandbox's server: one HTTP listener routing by vendor prefix to each VendorDouble, a second
// "foreign" listener (another origin), the request log, applying injected faults, and the /__sandbox control
// endpoints. Vendor doubles never touch Node's http objects: they get a SandboxRequest and return a Reply.

import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pipeline } from 'node:stream/promises';
import type { VendorDouble } from './doubles';
import { DEFAULT_BIG_BODY_BYTES, type FaultSpec, bigJsonBody, faultMatches, parseFaultSpec } from './faults';
import { JSON_CONTENT_TYPE, type Reply, Refusal, json, messageReply, notFound } from './replies';
import { MAX_BODY_BYTES, MalformedRequest, SandboxRequest, firstValues } from './requests';
import type { LogVendor, SandboxLogEntry } from './requestLog';
import { type Route, createRouter } from './router';

/** What the control endpoints do that lives above the server (in index.ts). */
export interface ControlHooks {
  state(): Record<string, unknown>;
  expireTokens(): void;
  reset(): void;
  /** Applies `{"asUserDenialStatus": 403}`; throws TypeError on bad input. */
  configure(patch: unknown): void;
  connectionsFile(): unknown;
}

const CONTROL_PREFIX = '/__sandbox';
const LOGGED_BODY_BYTES = 64 * 1024;

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
  private readonly delayedWaits = new Set<() => void>();
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
      for (const resolve of this.delayedWaits) resolve();
      this.delayedWaits.clear();
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
    if (fault?.kind === 'delay') {
      if (!(await this.delay(fault.delayMs ?? 1000))) return; // closed meanwhile
    } else if (fault) return this.applyFault(fault, entry, res, extraHeaders);

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
    const headers: Record<string, string | number> = {
      ...extraHeaders,
      ...reply.headers,
      'content-length': reply.stream ? reply.stream.bytes : Buffer.byteLength(reply.body),
    };
    if (reply.effectiveUser) headers['x-sandbox-effective-user'] = reply.effectiveUser;
    res.writeHead(reply.status, headers);
    // A stream that fails (cutAfter) ends the connection mid-body, as a dying server would.
    if (reply.stream) pipeline(reply.stream.open(), res).catch(() => res.destroy());
    else res.end(reply.body);
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

  /** Wait (close() cuts it short: false). */
  private delay(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.delayedAnswers.delete(timer);
        this.delayedWaits.delete(resolveEarly);
        resolve(true);
      }, ms);
      const resolveEarly = () => resolve(false);
      this.delayedAnswers.add(timer);
      this.delayedWaits.add(resolveEarly);
    });
  }

  private applyFault(fault: FaultSpec, entry: SandboxLogEntry, res: http.ServerResponse, extraHeaders: Record<string, string>): void {
    const headers: Record<string, string> = { ...extraHeaders };
    if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
    const send = (reply: Reply) => this.send(res, entry, { ...reply, headers: { ...headers, ...reply.headers } });
    switch (fault.kind) {
      case 'delay':
        return; // handled in onRequest: the request is answered as usual, late
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
