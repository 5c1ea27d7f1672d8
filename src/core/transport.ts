import type * as Crypto from 'node:crypto';
import { createWriteStream, promises as fsp } from 'node:fs';
import * as http from 'node:http';
import type * as Https from 'node:https';
import { isIP } from 'node:net';
import { urlToHttpOptions } from 'node:url';
import { Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type * as Tls from 'node:tls';
import { watchDeadline, type Deadline } from './deadlines';
import { BehalfError, isBehalfError } from './errors';
import type { HttpResponse, PreparedRequest } from './model';
import type { Clock } from './ports';
import type { HttpsProxyAgent as HttpsProxyAgentClass, HttpsProxyAgentOptions } from 'https-proxy-agent';
import { describeRoute, routeFor, type ProxyConfig, type ProxyRoute } from './proxy';
import type * as ProxyAgents from './proxyAgents';
import { remembered } from './remembered';

/**
 * The network a request goes out on: the proxy rules and the extra CAs of the run (the environment, the host's
 * flags or settings), chosen per request, and per redirect hop, in sendOnce.
 */
export interface NetworkOptions {
  /** Proxy rules (core/proxy.ts). Undefined: direct. */
  proxy?: ProxyConfig;
  /**
   * CA certificates (PEM text) trusted in addition to Node's: its bundled roots, plus NODE_EXTRA_CA_CERTS, which
   * Node reads at start and which a host passes here too when it adds CAs (Node replaces, not extends, the roots
   * of an agent given `ca`).
   */
  ca?: readonly string[];
  /** What to do about a certificate signed by an unknown CA, in the host's words (the CLI names --cacert). */
  untrustedCaHint?: string;
  /** A client certificate presented to https origins (a connection's "tls"); `passphrase` is a secret. */
  clientCertificate?: ClientCertificate;
  /** Proxy-Authorization for a proxy whose URL has no credentials (VS Code's http.proxyAuthorization); a secret. */
  proxyAuthorization?: string;
  /** false: an https:// proxy's own certificate is not verified (VS Code's http.proxyStrictSSL); origins still are. */
  proxyStrictSsl?: boolean;
  /**
   * The functions requests are made with; default node:http's and node:https's own. In VS Code those are patched by
   * its proxy support, which replaces the agent of a request: the extension passes the unpatched ones when Behalf
   * routes requests itself (an explicit proxy), so its agents, keep-alive and TLS options stay.
   */
  request?: { http: typeof http.request; https: typeof Https.request };
  /**
   * The host routes direct requests (VS Code resolving the OS / PAC proxy): they are made without Behalf's agent, so
   * the host's proxy support picks the proxy; how it went is read from the request's 'proxy' event.
   */
  hostRouting?: boolean;
}

export interface ClientCertificate {
  cert?: string;
  key?: string;
  pfx?: Buffer;
  passphrase?: string;
  /** Where it was configured, for messages ("the connection's tls.keyFile"). */
  from: string;
  /** Where the passphrase is set, in the host's words ("set the environment variable BEHALF_SECRET_…"). */
  passphraseHint?: string;
}

/**
 * Where the final response's body goes as it arrives (behalf send --save, Save body… of a response too large to show):
 * a file, written chunk by chunk with backpressure, never the whole body in memory. Written to a temporary file next
 * to it and renamed when complete, so a broken download never leaves a half file under the name asked for.
 */
export interface BodyFile {
  path: string;
  /** How much of the body to keep in memory for display (default, and at most: maxBodyBytes). */
  keepBytes?: number;
  /** Told as decoded bytes are written (`total`: the Content-Length, when the server sent one and did not compress). */
  onProgress?: (written: number, total: number | undefined) => void;
}

export interface TransportOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Responses larger than this fail with a clear message instead of filling memory; with saveBody, what is kept for display. */
  maxBodyBytes?: number;
  /** Stream the final response's body (not a redirect or a retried 429) into this file; only its first maxBodyBytes stay in memory. */
  saveBody?: BodyFile;
  maxRedirects?: number;
  /**
   * Refuse a redirect to another origin instead of following it without identity headers. Behalf's own calls
   * (token, session, listing) set it: their bodies carry client secrets and their headers service tokens.
   */
  sameOriginRedirectsOnly?: boolean;
  verifyTls?: boolean;
  /** 429 handling: how many times to wait and retry, and the longest single wait honoured. */
  max429Retries?: number;
  maxRetryWaitMs?: number;
  clock: Clock;
  /** Told about waits and dropped headers as they happen (progress UI, log). */
  onNote?: (note: string) => void;
  network?: NetworkOptions;
  /** Told how each exchange goes out ("direct", "via proxy host:port"), for --verbose and logs. */
  onRoute?: (url: string, via: string) => void;
}

/* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, see below */
// node:https, node:tls and node:crypto are loaded when first needed: a plain-http run (the CLI against a local
// server, the sandbox) never uses them, and loading them is a good part of a CLI run's start-up.
let httpsModule: typeof Https | undefined;
let tlsModule: typeof Tls | undefined;
let cryptoModule: typeof Crypto | undefined;
const https = (): typeof Https => (httpsModule ??= require('node:https') as typeof Https);
const tls = (): typeof Tls => (tlsModule ??= require('node:tls') as typeof Tls);
const crypto = (): typeof Crypto => (cryptoModule ??= require('node:crypto') as typeof Crypto);
/* eslint-enable @typescript-eslint/no-require-imports */

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_BODY_BYTES = 50 * 1024 * 1024;

// Keep-alive agents shared by every request: the cost of a request is then one round trip, not a
// TCP handshake (this is most of the difference to curl-per-request tools).
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 32 });
let httpsAgents: { verified: Https.Agent; insecure: Https.Agent } | undefined;
const sharedHttpsAgent = (insecure: boolean): Https.Agent => {
  httpsAgents ??= {
    verified: new (https().Agent)({ keepAlive: true, maxSockets: 32 }),
    insecure: new (https().Agent)({ keepAlive: true, maxSockets: 32, rejectUnauthorized: false }),
  };
  return insecure ? httpsAgents.insecure : httpsAgents.verified;
};

/**
 * Agents for other networks (a proxy, extra CAs), one per proxy and TLS options, kept like the ones above so that
 * keep-alive holds through a proxy too: HttpsProxyAgent pools its CONNECT tunnels, HttpProxyAgent its sockets.
 */
const networkAgents = new Map<string, http.Agent>();
const KEEP_ALIVE = { keepAlive: true, maxSockets: 32 } as const;
type TlsRequestOptions = {
  rejectUnauthorized?: boolean;
  ca?: string[];
  secureContext?: Tls.SecureContext;
  cert?: string;
  key?: string;
  pfx?: Buffer;
  passphrase?: string;
};

/**
 * One TLS context per set of extra CAs: a context with Node's roots and a system store (~170 CAs) costs ~16 ms to
 * build, which `ca` on a request would pay on every new connection.
 */
const caContexts = new Map<string, Tls.SecureContext>();
function caContext(extraCa: readonly string[]): Tls.SecureContext {
  const key = caDigest(extraCa);
  let context = caContexts.get(key);
  if (!context) caContexts.set(key, (context = tls().createSecureContext({ ca: [...tls().rootCertificates, ...extraCa] })));
  return context;
}

/** A set of CAs as a key, computed once per set (a system store is ~200 KB of PEM: not hashed per request). */
const caDigests = new WeakMap<readonly string[], string>();
function caDigest(extraCa: readonly string[]): string {
  let digest = caDigests.get(extraCa);
  if (digest === undefined) caDigests.set(extraCa, (digest = crypto().createHash('sha256').update(extraCa.join('\0')).digest('hex')));
  return digest;
}

/**
 * The agent of a request, and the TLS options it also passes on the request itself: HttpsProxyAgent drops the
 * agent's own options, so the CA and verifyTls reach the origin's TLS handshake inside the tunnel only that way.
 */
function agentFor(isHttps: boolean, route: ProxyRoute, options: TransportOptions): { agent: http.Agent; tlsOptions: TlsRequestOptions } {
  const insecure = options.verifyTls === false;
  // Only a TLS connection to the origin uses them (reading `ca` may read the system's store: only then).
  const extraCa = isHttps && options.network?.ca?.length ? options.network.ca : undefined;
  const client = isHttps ? options.network?.clientCertificate : undefined;
  const tlsOptions: TlsRequestOptions = {};
  if (isHttps) {
    if (insecure) tlsOptions.rejectUnauthorized = false;
    // With a client certificate the context is made per connection: a wrong passphrase then fails the request, explained.
    if (extraCa && client) tlsOptions.ca = [...tls().rootCertificates, ...extraCa];
    else if (extraCa) tlsOptions.secureContext = caContext(extraCa);
    if (client) for (const k of ['cert', 'key', 'pfx', 'passphrase'] as const) if (client[k] !== undefined) Object.assign(tlsOptions, { [k]: client[k] });
  }
  if (route.kind === 'direct' && !extraCa && !client) return { agent: isHttps ? sharedHttpsAgent(insecure) : httpAgent, tlsOptions };
  const material = crypto()
    .createHash('sha256')
    .update(extraCa ? caDigest(extraCa) : '');
  for (const part of [client?.cert, client?.key, client?.pfx, client?.passphrase]) material.update(part ?? '').update('\0');
  const caKey = extraCa || client ? material.digest('hex') : '';
  const proxyAuthorization = route.kind === 'proxy' && !route.hasCredentials ? options.network?.proxyAuthorization : undefined;
  const laxProxy = route.kind === 'proxy' && route.url.protocol === 'https:' && options.network?.proxyStrictSsl === false;
  const proxyKey = proxyAuthorization ? crypto().createHash('sha256').update(proxyAuthorization).digest('hex') : '';
  const key = JSON.stringify([isHttps, route.kind === 'proxy' ? route.url.href : '', insecure, caKey, proxyKey, laxProxy]);
  let agent = networkAgents.get(key);
  if (!agent) {
    if (route.kind === 'direct') agent = isHttps ? new (https().Agent)({ ...KEEP_ALIVE, ...tlsOptions }) : new http.Agent(KEEP_ALIVE);
    else if (isHttps) {
      // https through a proxy: a CONNECT tunnel, TLS to the origin inside it. The proxy sees the host and port only.
      // Loaded on first use: a run without a proxy never loads it.
      const proxyAgent = new (tunnelAgentClass())(route.url, { ...KEEP_ALIVE, ...tlsOptions, headers: proxyHeaders(proxyAuthorization) });
      // The proxy's own TLS connection only: the origin's handshake takes the request's options.
      if (laxProxy) Object.assign(proxyAgent.connectOpts, { rejectUnauthorized: false });
      agent = proxyAgent;
    } else {
      // Plain http through a proxy: the proxy receives the whole request (absolute-form), headers and body.
      const { HttpProxyAgent } = proxyAgents();
      agent = new HttpProxyAgent(route.url, { ...KEEP_ALIVE, headers: proxyHeaders(proxyAuthorization) });
    }
    networkAgents.set(key, agent);
  }
  return { agent, tlsOptions };
}

/**
 * The proxy agents, loaded on the first request through a proxy: a require that the bundles leave to a file of its
 * own (dist/proxyAgents.js, see scripts/build.mjs), so a run without a proxy never reads them.
 */
function proxyAgents(): typeof ProxyAgents {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./proxyAgents') as typeof ProxyAgents;
}

type TunnelAgentClass = new (proxy: URL, options: HttpsProxyAgentOptions<string>) => HttpsProxyAgentClass<string>;
let tunnelAgent: TunnelAgentClass | undefined;
/**
 * HttpsProxyAgent, checking the certificate of an origin addressed by IP against that address. It starts the TLS
 * session inside the tunnel without `host`, and an IP address is no servername (SNI takes names only), so Node
 * checks an IP origin's certificate against "localhost": a right certificate is refused, and one for localhost
 * would pass. The check is set per tunnel, where the origin is known, not on the request: Node 24 gives each
 * request with a checkServerIdentity of its own a socket pool of its own, which would end keep-alive.
 */
function tunnelAgentClass(): TunnelAgentClass {
  if (tunnelAgent) return tunnelAgent;
  const { HttpsProxyAgent } = proxyAgents();
  return (tunnelAgent = class extends HttpsProxyAgent<string> {
    override connect(req: http.ClientRequest, opts: Parameters<HttpsProxyAgentClass<string>['connect']>[1]) {
      if (!opts.secureEndpoint || !opts.host || !isIP(opts.host)) return super.connect(req, opts);
      const address = opts.host;
      const check = opts.checkServerIdentity ?? tls().checkServerIdentity;
      return super.connect(req, { ...opts, checkServerIdentity: (_name: string, cert: Tls.PeerCertificate) => check(address, cert) });
    }
  });
}

function proxyHeaders(authorization: string | undefined): Record<string, string> {
  return authorization ? { 'Proxy-Authorization': authorization } : {};
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * What to call when `signal` aborts; returns the undo. One listener per signal, not one per request: a run's
 * signal (the CLI's Ctrl+C) outlives hundreds of requests, and adding and removing an EventTarget listener for each
 * was a measurable part of a request's own cost.
 */
function whenAborted(signal: AbortSignal, fn: () => void): () => void {
  const waiting = abortWaiters.get(signal) ?? watchAbort(signal);
  waiting.add(fn);
  return () => void waiting.delete(fn);
}
function watchAbort(signal: AbortSignal): Set<() => void> {
  const waiting = new Set<() => void>();
  abortWaiters.set(signal, waiting);
  signal.addEventListener('abort', () => [...waiting].forEach((f) => f()), { once: true });
  return waiting;
}
const abortWaiters = new WeakMap<AbortSignal, Set<() => void>>();

export function originOf(url: string): string {
  return remembered(origins, url, () => {
    try {
      return new URL(url).origin;
    } catch {
      return '';
    }
  });
}

const origins = new Map<string, string>();

/** A request URL in the parts http.request takes (what it makes of a URL itself: urlToHttpOptions), and its href. */
interface Target {
  href: string;
  protocol: string;
  hostname: string;
  port: number | undefined;
  path: string;
  auth: string | undefined;
}

/**
 * A request URL parsed once, not once per request (undefined when it is no URL): a run sends the same few URLs
 * many times, and parsing each again (here, in the proxy route and in http.request) was a tenth of a request's own
 * work in the CLI. The parts are copied out of urlToHttpOptions' answer, a prototype-less object that is slow to
 * copy from, into an options object of a fixed shape for each request.
 */
function targetOf(href: string): Target | undefined {
  return (
    remembered(targets, href, () => {
      try {
        const url = new URL(href);
        const { hostname, port, path, auth } = urlToHttpOptions(url);
        return {
          href: url.href,
          protocol: url.protocol,
          hostname: hostname ?? '',
          port: port === undefined ? undefined : Number(port),
          path: path ?? '/',
          auth: auth ?? undefined,
        };
      } catch {
        return null;
      }
    }) ?? undefined
  );
}
const targets = new Map<string, Target | null>();

const DIRECT: ProxyRoute = { kind: 'direct' };
/** The proxy route of a URL under one proxy configuration, worked out once per URL (a pure answer). */
function routeOf(href: string, config: ProxyConfig): ProxyRoute {
  let memo = routes.get(config);
  if (!memo) routes.set(config, (memo = new Map<string, ProxyRoute>()));
  return remembered(memo, href, () => routeFor(href, config));
}
const routes = new WeakMap<ProxyConfig, Map<string, ProxyRoute>>();

/**
 * Sends one request over real sockets. Follows redirects itself so that identity headers (auth and
 * impersonation) are dropped the moment the origin changes, retries 429 honouring Retry-After a bounded
 * number of times, and turns every failure into a BehalfError with a sentence a user can act on.
 */
export async function sendHttp(request: PreparedRequest, options: TransportOptions): Promise<HttpResponse> {
  // process.hrtime, not performance.now(): the `performance` global loads perf_hooks, a start-up cost of each CLI run.
  const started = process.hrtime.bigint();
  const notes: string[] = [];
  const note = (text: string) => {
    notes.push(text);
    options.onNote?.(text);
  };
  const maxRedirects = options.maxRedirects ?? 5;
  const max429 = options.max429Retries ?? 3;
  // Never changed in place: a redirect makes a new request (and headers) from it.
  let current = request;
  let redirects = 0;
  let retries429 = 0;
  // Only the answer that is returned is saved: not a redirect that is followed, not a 429 that is retried.
  const saveFor = (status: number, headers: http.IncomingHttpHeaders): BodyFile | undefined => {
    if (!options.saveBody) return undefined;
    if (REDIRECT_STATUSES.has(status) && headers.location && maxRedirects > 0) return undefined;
    if (status === 429 && retries429 < max429) {
      const waitMs = retryAfterMs(headers['retry-after'], options.clock.now());
      if (waitMs !== undefined && waitMs <= (options.maxRetryWaitMs ?? 60_000)) return undefined;
    }
    return options.saveBody;
  };
  for (;;) {
    const res = await sendOnce(current, options, saveFor);
    if (REDIRECT_STATUSES.has(res.status) && res.headers['location'] && maxRedirects > 0) {
      if (redirects >= maxRedirects) {
        throw new BehalfError('redirects', `Stopped after ${maxRedirects} redirects (last to ${safeUrl(res.headers['location'], current.url)}).`);
      }
      redirects++;
      const next = resolveLocation(res.headers['location'], current.url);
      const headers = { ...current.headers };
      if (options.sameOriginRedirectsOnly && originOf(next) !== originOf(request.url)) {
        throw new BehalfError(
          'redirect-origin',
          `Not followed: ${safeUrl(current.url)} answered ${res.status} redirecting to ${originOf(next) || 'an invalid location'}, another origin. Behalf's own calls (token, session, listing) stay on ${originOf(request.url)}: their client secret and service token are never sent elsewhere.`,
          { hint: "check the connection's baseUrl and tokenUrl: they should name the server that answers, not one that redirects elsewhere" },
        );
      }
      if (originOf(next) !== request.trustedOrigin) {
        const dropped = request.identityHeaders.filter((h) => h in headers || findHeader(headers, h) !== undefined);
        for (const h of request.identityHeaders) deleteHeader(headers, h);
        if (dropped.length) note(`Redirected to ${originOf(next)}, another origin: sent without ${dropped.join(', ')}.`);
      }
      const toGet = res.status === 303 || ((res.status === 301 || res.status === 302) && current.method === 'POST');
      if (toGet) {
        deleteHeader(headers, 'content-type');
        deleteHeader(headers, 'content-length');
      }
      current = { ...current, url: next, headers, method: toGet ? 'GET' : current.method, body: toGet ? undefined : current.body };
      continue;
    }
    if (res.status === 429 && retries429 < max429) {
      const waitMs = retryAfterMs(res.headers['retry-after'], options.clock.now());
      const maxWait = options.maxRetryWaitMs ?? 60_000;
      if (waitMs !== undefined && waitMs <= maxWait) {
        retries429++;
        note(`Rate limited (429): waiting ${(waitMs / 1000).toFixed(1)} s as Retry-After asks (retry ${retries429} of ${max429}).`);
        await options.clock.sleep(waitMs, options.signal).catch(() => {
          throw cancelled();
        });
        continue;
      }
    }
    return { ...res, url: current.url, durationMs: Number(process.hrtime.bigint() - started) / 1e6, notes };
  }
}

type RawResponse = Omit<HttpResponse, 'url' | 'durationMs' | 'notes'>;
type SaveFor = (status: number, headers: http.IncomingHttpHeaders) => BodyFile | undefined;

/**
 * One exchange on node:http / node:https. Not axios: the pipeline sends bodies as bytes both ways and follows
 * redirects itself, so axios only added work per request (header objects, config merging, stream wrappers)
 * and 80 KB to every bundle, with undici loaded at start. `npm run bench` measures the difference.
 */
function sendOnce(request: PreparedRequest, options: TransportOptions, saveFor?: SaveFor): Promise<RawResponse> {
  if (options.signal?.aborted) return Promise.reject(cancelled());
  const url = targetOf(request.url);
  if (!url) {
    return Promise.reject(
      new BehalfError('url', 'The request URL is not a valid absolute URL.', {
        hint: "use an absolute http:// or https:// URL, or set the connection's baseUrl",
      }),
    );
  }
  const isHttps = url.protocol === 'https:';
  if (!isHttps && url.protocol !== 'http:') {
    return Promise.reject(new BehalfError('url', `Only http and https URLs can be sent (got ${url.protocol.replace(/:$/, '')}).`));
  }
  // A text body is written as text (UTF-8, as Buffer.from would make it): copied into a Buffer first, each 100 KB
  // body was memory outside the JS heap, which the collector frees only late, so that a run's peak memory rose.
  const body = request.body;
  const headers: Record<string, string> = { 'User-Agent': 'behalf/0.1', ...request.headers };
  if (findHeader(headers, 'accept-encoding') === undefined) headers['Accept-Encoding'] = 'gzip, deflate, br';
  if (body !== undefined && findHeader(headers, 'content-length') === undefined)
    headers['Content-Length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.length);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const cap = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const route: ProxyRoute = options.network?.proxy ? routeOf(url.href, options.network.proxy) : DIRECT;
  let via = describeRoute(route);
  const unusable = isHttps ? checkClientCertificate(request, options) : undefined;
  if (unusable) return Promise.reject(unusable);
  const { agent, tlsOptions } = agentFor(isHttps, route, options);
  options.onRoute?.(url.href, via);

  return new Promise<RawResponse>((resolve, reject) => {
    let settled = false;
    let deadline: Deadline | undefined;
    let stopWatching: (() => void) | undefined;
    let req: http.ClientRequest;
    // While a body is being saved, a timeout or cancel stops the download, which then removes its file and settles.
    let stopDownload: ((error: BehalfError) => void) | undefined;
    const fail = (error: BehalfError) => (stopDownload ? stopDownload(error) : settle(error));
    const settle = (error: BehalfError | undefined, value?: RawResponse) => {
      if (settled) return;
      settled = true;
      deadline?.clear();
      stopWatching?.();
      if (error) {
        req?.destroy();
        reject(error);
      } else resolve(value!);
    };
    // Until the headers arrive: no response in time. While the body arrives: the deadline moves with every chunk.
    let receiving = false;
    // Re-armed with every chunk (thousands for a big download): refresh() moves the deadline (a number) on.
    const arm = () => {
      if (settled) return;
      if (deadline) deadline.refresh();
      else deadline = watchDeadline(timeoutMs, () => fail(receiving ? stalled(request, timeoutMs) : timedOut(request, timeoutMs)));
    };
    const onAbort = () => fail(cancelled());

    try {
      const requestFn = options.network?.request?.[isHttps ? 'https' : 'http'] ?? (isHttps ? https().request : http.request);
      // Host routing: no agent of Behalf's, so the host's proxy support picks the route (and its agent).
      const hostAgent = options.network?.hostRouting && route.kind === 'direct';
      const { protocol, hostname, port, path, auth } = url;
      req = requestFn({ protocol, hostname, port, path, auth, method: request.method, headers, agent: hostAgent ? undefined : agent, ...tlsOptions });
    } catch (e) {
      // Node checks header names and values before anything is sent (ERR_INVALID_CHAR, ERR_INVALID_HTTP_TOKEN);
      // a client key that cannot be opened (wrong passphrase) fails here too.
      reject(clientCertificateError(e as NodeJS.ErrnoException, request, options) ?? invalidRequest(e, request));
      return;
    }
    if (options.signal) stopWatching = whenAborted(options.signal, onAbort);
    arm();
    // https through a proxy: what the proxy answered to CONNECT (a refusal is replayed as the response below).
    let tunnel: { status: number } | undefined;
    req.on('error', (e: NodeJS.ErrnoException) => fail(describeTransportError(e, request, options, route)));
    req.on('proxyConnect', (connect: { statusCode?: number }) => (tunnel = { status: connect.statusCode ?? 0 }));
    // VS Code's proxy agent says which proxy it chose ("PROXY host:port", "DIRECT"); credentials are cut off.
    req.on('proxy', (chosen: { proxy?: unknown }) => {
      const target = typeof chosen?.proxy === 'string' ? /^(?:PROXY|HTTPS?|SOCKS[45]?)\s+(?:[^\s@]*@)?(\S+)/i.exec(chosen.proxy)?.[1] : undefined;
      if (route.kind === 'direct' && target) via = `via proxy ${target}`;
    });
    req.on('response', (res) => {
      receiving = true;
      arm();
      // The proxy's answer, not the origin's: a refused CONNECT (https), a 407 to the request itself (plain http).
      if (route.kind === 'proxy' && (isHttps ? tunnel !== undefined && tunnel.status !== 200 : res.statusCode === 407)) {
        res.resume();
        const credentials = route.hasCredentials || !!options.network?.proxyAuthorization;
        settle(proxyRefused({ ...route, hasCredentials: credentials }, res.statusCode ?? 0, res.statusMessage ?? '', request));
        return;
      }
      const target = saveFor?.(res.statusCode ?? 0, res.headers);
      if (target) {
        stopDownload = (error) => {
          stopDownload = undefined;
          res.destroy(error);
        };
        saveResponse(res, target, { cap: Math.min(cap, target.keepBytes ?? cap), request, onChunk: arm }).then(
          ({ body, headers, saved }) => settle(undefined, { status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers, body, via, saved }),
          (e: BehalfError) => settle(e),
        );
        return;
      }
      const declared = Number(res.headers['content-length']);
      if (declared > cap) {
        res.destroy();
        settle(tooLarge(request, cap));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > cap) {
          res.destroy();
          settle(tooLarge(request, cap));
          return;
        }
        chunks.push(chunk);
        arm();
      });
      res.on('end', () => {
        deadline?.clear();
        const raw = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
        const headers = flattenHeaders(res.headers);
        decode(raw, headers, cap, request).then(
          (decoded) => settle(undefined, { status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers, body: decoded, via }),
          (e: BehalfError) => settle(e),
        );
      });
      // The connection ended before the whole body came.
      res.on('close', () => {
        if (!res.complete)
          settle(
            new BehalfError('reset', `${originOf(request.url)} closed the connection in the middle of the response.`, {
              hint: 'retry; if it persists the server is failing',
            }),
          );
      });
    });
    req.end(body);
  });
}

/** Undo Content-Encoding (we ask for gzip, deflate and br), bounded by the size cap so a small bomb cannot fill memory. */
async function decode(raw: Buffer, headers: Record<string, string>, cap: number, request: PreparedRequest): Promise<Buffer> {
  const encoding = (headers['content-encoding'] ?? '').trim().toLowerCase();
  if (!raw.length || !encoding || encoding === 'identity') return raw;
  const zlib = await import('node:zlib');
  const limits = { maxOutputLength: cap };
  const run = (fn: (buf: Buffer, opts: object, cb: (e: Error | null, out: Buffer) => void) => void) =>
    new Promise<Buffer>((resolve, reject) => fn(raw, limits, (e, out) => (e ? reject(e) : resolve(out))));
  try {
    let out: Buffer;
    if (encoding === 'gzip' || encoding === 'x-gzip') out = await run(zlib.gunzip);
    else if (encoding === 'br') out = await run(zlib.brotliDecompress);
    // Some servers send raw deflate instead of zlib-wrapped deflate.
    else if (encoding === 'deflate') out = await run(raw[0] !== undefined && (raw[0] & 0x0f) === 8 ? zlib.inflate : zlib.inflateRaw);
    else return raw; // an encoding we did not ask for: leave the bytes as they came
    delete headers['content-encoding'];
    headers['content-length'] = String(out.length);
    return out;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw tooLarge(request, cap);
    throw new BehalfError(
      'decode',
      `The response from ${safeUrl(request.url)} says it is ${encoding}-compressed but could not be decompressed (${(e as Error).message}).`,
    );
  }
}

const FILE_SYSCALLS = new Set(['open', 'write', 'close', 'rename', 'fsync']);

/**
 * The body of `res` into `target` as it arrives: decoded (gzip, deflate, br), through a temporary file renamed when
 * complete; the first `cap` bytes are kept for display. A download that breaks off, a cancel or timeout (which destroy
 * `res` with their error), or a file that cannot be written fails with what was received, after removing the
 * temporary file (and saying so if even that failed).
 */
async function saveResponse(
  res: http.IncomingMessage,
  target: BodyFile,
  { cap, request, onChunk }: { cap: number; request: PreparedRequest; onChunk: () => void },
): Promise<{ body: Buffer; headers: Record<string, string>; saved: { path: string; bytes: number } }> {
  const headers = flattenHeaders(res.headers);
  const encoding = (headers['content-encoding'] ?? '').trim().toLowerCase();
  const zlib = encoding && encoding !== 'identity' ? await import('node:zlib') : undefined;
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? zlib?.createGunzip()
      : encoding === 'br'
        ? zlib?.createBrotliDecompress()
        : encoding === 'deflate'
          ? zlib?.createInflate()
          : undefined;
  const declared = headers['content-length'] === undefined ? undefined : Number(headers['content-length']);
  const total = decoder ? undefined : declared;
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let written = 0;
  let received = 0;
  res.on('data', (chunk: Buffer) => {
    received += chunk.length;
    onChunk();
  });
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      written += chunk.length;
      if (keptBytes < cap) {
        const part = keptBytes + chunk.length <= cap ? chunk : chunk.subarray(0, cap - keptBytes);
        kept.push(part);
        keptBytes += part.length;
      }
      target.onProgress?.(written, total);
      done(null, chunk);
    },
  });
  const part = `${target.path}.${crypto().randomBytes(4).toString('hex')}.part`;
  const file: Writable = createWriteStream(part, { flags: 'wx' });
  try {
    await pipeline(decoder ? [res, decoder, tap, file] : [res, tap, file]);
    if (!res.complete) throw new Error('incomplete');
    await fsp.rename(part, target.path);
  } catch (e) {
    const removed = await fsp.rm(part, { force: true }).then(
      () => 'the partial file was removed',
      (rmError: NodeJS.ErrnoException) => `the partial file ${part} could not be removed (${rmError.code ?? rmError.message}): delete it`,
    );
    const err = e as NodeJS.ErrnoException;
    const got = `${formatBytes(received)}${declared !== undefined ? ` of ${formatBytes(declared)}` : ''}`;
    if (isBehalfError(err)) throw new BehalfError(err.code, `${err.message} Stopped saving ${target.path} after ${got}; ${removed}.`, { hint: err.hint });
    // The file's own failures (pipeline passes the others on to it too, so they are told apart by the system call).
    const writeError = err.syscall && FILE_SYSCALLS.has(err.syscall) ? err : undefined;
    if (writeError)
      throw new BehalfError('save', `Could not write the body to ${target.path} (${writeError.code ?? writeError.message}); ${removed}.`, {
        hint: 'check that the folder exists, is writable and has room',
      });
    if (decoder && !(err.code === 'ECONNRESET' || err.code === 'ERR_STREAM_PREMATURE_CLOSE' || err.message === 'incomplete' || !res.complete))
      throw new BehalfError(
        'decode',
        `The response from ${safeUrl(request.url)} says it is ${encoding}-compressed but could not be decompressed (${err.message}); ${removed}.`,
      );
    throw new BehalfError('reset', `${originOf(request.url)} closed the connection after ${got} of the body: the download is incomplete and ${removed}.`, {
      hint: 'retry; if it persists the server is failing',
    });
  }
  if (decoder) {
    delete headers['content-encoding'];
    headers['content-length'] = String(written);
  }
  return { body: kept.length === 1 ? kept[0] : Buffer.concat(kept, keptBytes), headers, saved: { path: target.path, bytes: written } };
}

/**
 * The proxy answered instead of the origin: 407 (it wants credentials, or refused the ones in the proxy URL), or,
 * for a CONNECT, any status but 200 (it would not open the tunnel). Never the proxy URL: it may hold the password.
 */
function proxyRefused(route: ProxyRoute & { kind: 'proxy' }, status: number, statusText: string, request: PreparedRequest): BehalfError {
  const where = `the proxy at ${route.display} (from ${route.from})`;
  if (status === 407) {
    return route.hasCredentials
      ? new BehalfError('proxy-auth', `Not sent: ${where} refused the proxy credentials (407 Proxy Authentication Required).`, {
          hint: 'check the user name and password in the proxy URL (http://user:password@host:port; percent-encode special characters)',
        })
      : new BehalfError('proxy-auth', `Not sent: ${where} asked for authentication (407 Proxy Authentication Required).`, {
          hint: 'put the proxy credentials in the proxy URL: http://user:password@host:port',
        });
  }
  const target = (() => {
    try {
      return new URL(request.url).host;
    } catch {
      return '(invalid URL)';
    }
  })();
  return new BehalfError('proxy', `Not sent: ${where} would not open a tunnel to ${target} (${status}${statusText ? ` ${statusText}` : ''}).`, {
    hint: `the proxy may not allow ${target}; if it should be reached directly, add it to NO_PROXY`,
  });
}

function tooLarge(request: PreparedRequest, cap: number): BehalfError {
  return new BehalfError('too-large', `The response from ${safeUrl(request.url)} is larger than the ${formatBytes(cap)} limit; it was not kept.`, {
    hint: 'raise the response size limit if you really need it',
  });
}

function timedOut(request: PreparedRequest, timeoutMs: number): BehalfError {
  return new BehalfError('timeout', `No response from ${safeUrl(request.url)} within ${formatMs(timeoutMs)}.`, {
    hint: 'the server may be slow or unreachable; retry, or raise the connection timeout',
  });
}

function stalled(request: PreparedRequest, timeoutMs: number): BehalfError {
  return new BehalfError('timeout', `${safeUrl(request.url)} stopped sending its response for ${formatMs(timeoutMs)}.`, {
    hint: 'the server may be slow or unreachable; retry, or raise the connection timeout',
  });
}

function invalidRequest(e: unknown, request: PreparedRequest): BehalfError {
  const err = e as NodeJS.ErrnoException;
  // Node's message names the header but never prints its value (which could be a secret).
  const header = /header content \["([^"]+)"\]|Header name must be a valid HTTP token \["([^"]+)"\]/.exec(err.message ?? '');
  const name = header?.[1] ?? header?.[2];
  if (err.code === 'ERR_INVALID_CHAR')
    return new BehalfError('header', `The value of header ${name ?? '(unknown)'} has a character HTTP does not allow (a line break or control character).`, {
      hint: 'remove it from the request or variable',
    });
  if (err.code === 'ERR_INVALID_HTTP_TOKEN') return new BehalfError('header', `${name ? `"${name}"` : 'A header name'} is not a valid HTTP header name.`);
  return new BehalfError('network', `Request to ${safeUrl(request.url)} could not be made: ${err.code ?? err.message}.`);
}

function describeTransportError(e: NodeJS.ErrnoException, request: PreparedRequest, options: TransportOptions, route: ProxyRoute): BehalfError {
  const where = safeUrl(request.url);
  if (options.signal?.aborted) return cancelled();
  const code = e.code;
  const client = clientCertificateError(e, request, options);
  if (client) return client;
  if (route.kind === 'proxy' && !isTlsCode(code)) {
    // Every socket goes to the proxy: a refused, unresolved or reset connection is the proxy's.
    const proxy = `the proxy at ${route.display} (from ${route.from})`;
    switch (code) {
      case 'ECONNREFUSED':
        return new BehalfError('proxy', `Could not connect to ${proxy}: connection refused. Is the proxy running, and is that its port?`, {
          hint: 'check the proxy setting; a host that should be reached directly goes in NO_PROXY',
        });
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return new BehalfError('proxy', `Could not resolve the host of ${proxy}.`, { hint: 'check the proxy setting or your network' });
      case 'ETIMEDOUT':
        return timedOut(request, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
      default:
        return new BehalfError('proxy', `Request to ${where} through ${proxy} failed: ${code ?? e.message}.`);
    }
  }
  if (isTlsCode(code)) return tlsError(code!, e, request, options, route);
  switch (code) {
    case 'ETIMEDOUT':
      return timedOut(request, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    case 'ECONNREFUSED':
      return new BehalfError('refused', `Could not connect to ${originOf(request.url)}: connection refused. Is the server running?`);
    case 'ECONNRESET':
    case 'EPIPE':
      return new BehalfError('reset', `${originOf(request.url)} closed the connection before answering (connection reset).`, {
        hint: 'retry; if it persists the server is failing',
      });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new BehalfError('dns', `Could not resolve the host of ${where}.`, { hint: 'check the URL or your network' });
    default:
      if (code?.startsWith('HPE_'))
        return new BehalfError('bad-response', `${originOf(request.url)} answered with something that is not valid HTTP (${code}).`, {
          hint: 'is this the right port and protocol (http vs https)?',
        });
      return new BehalfError('network', `Request to ${where} failed: ${code ?? e.message}.`);
  }
}

/** A client certificate that could not be used, or a server that wanted one; undefined for other errors. */
/** Client certificates whose key opened (per network: a connection's). */
const usableCertificates = new WeakSet<ClientCertificate>();

/**
 * Open the client key once, before the first request: a wrong or missing passphrase is then this sentence, not an
 * error deep in an agent (VS Code's proxy agent loses it: the request would hang until its timeout).
 */
function checkClientCertificate(request: PreparedRequest, options: TransportOptions): BehalfError | undefined {
  const client = options.network?.clientCertificate;
  if (!client || usableCertificates.has(client)) return undefined;
  try {
    tls().createSecureContext({ cert: client.cert, key: client.key, pfx: client.pfx, passphrase: client.passphrase });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return (
      clientCertificateError(err, request, options) ??
      new BehalfError('tls-client', `The client certificate of ${client.from} could not be used (${err.code ?? err.message}).`, {
        hint: 'check the certificate and key files',
      })
    );
  }
  usableCertificates.add(client);
  return undefined;
}

function clientCertificateError(e: NodeJS.ErrnoException, request: PreparedRequest, options: TransportOptions): BehalfError | undefined {
  const code = e.code ?? '';
  const origin = originOf(request.url);
  const client = options.network?.clientCertificate;
  if (/^ERR_SSL_(TLSV13_ALERT_CERTIFICATE_REQUIRED|SSLV3_ALERT_BAD_CERTIFICATE|TLSV1_ALERT_UNKNOWN_CA|SSLV3_ALERT_HANDSHAKE_FAILURE)$/.test(code))
    return new BehalfError(
      'tls-client',
      `${origin} refused the TLS handshake: it wants a client certificate${client ? ` and did not accept the one of ${client.from}` : ''} (${code}).`,
      {
        hint: client
          ? 'check that the certificate is the one the server expects and is not expired'
          : 'give the connection "tls": { "certFile", "keyFile" } (or "pfxFile")',
      },
    );
  if (client && (code.startsWith('ERR_OSSL') || /bad decrypt|PEM|pkcs12|mac verify/i.test(e.message ?? '')))
    return new BehalfError(
      'tls-client',
      `The client certificate of ${client.from} could not be used (${code || 'error'}): ${client.passphrase ? 'the passphrase may be wrong' : 'no passphrase is set, and the key may be encrypted'}, or the files do not match.`,
      {
        hint: client.passphraseHint ? `the key's passphrase: ${client.passphraseHint}` : 'check the key and its passphrase',
      },
    );
  return undefined;
}

/** Certificates signed by a CA this run does not trust. */
const UNTRUSTED_CA = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
]);
const TLS_CODES = new Set([...UNTRUSTED_CA, 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED', 'CERT_REVOKED']);

function isTlsCode(code: string | undefined): boolean {
  return code !== undefined && TLS_CODES.has(code);
}

function tlsError(code: string, e: Error, request: PreparedRequest, options: TransportOptions, route: ProxyRoute): BehalfError {
  const origin = originOf(request.url);
  // Node's own words ("self-signed certificate in certificate chain") after the code: they name the case.
  const detail = `${code}: ${e.message}`;
  const testServer = 'only for a test server: "verifyTls": false on the connection';
  if (UNTRUSTED_CA.has(code)) {
    const inspected = route.kind === 'proxy' ? ` If the proxy at ${route.display} inspects TLS, it is the proxy's CA that must be trusted.` : '';
    return new BehalfError('tls', `The TLS certificate of ${origin} is signed by a CA this run does not trust (${detail}).${inspected}`, {
      hint: options.network?.untrustedCaHint ?? `trust that CA: NODE_EXTRA_CA_CERTS=<ca.pem> (a PEM file); ${testServer}`,
    });
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return new BehalfError('tls', `The TLS certificate of ${origin} is not for that host name (${detail}).`, {
      hint: `use the host name the certificate names, or fix the certificate; ${testServer}`,
    });
  return new BehalfError('tls', `The TLS certificate of ${origin} could not be verified (${detail}).`, {
    hint: `fix the certificate (renew it, check the clock); ${testServer}`,
  });
}

export function cancelled(): BehalfError {
  return new BehalfError('cancelled', 'The request was cancelled.');
}

// The header loops below run for every request and index their keys: a for-of over Object.entries made an
// iterator result and an entry array for each header, most of a request's garbage in a run of many small ones.

function flattenHeaders(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  const names = Object.keys(headers);
  for (let i = 0; i < names.length; i++) {
    const value = headers[names[i]];
    if (value === undefined || value === null) continue;
    out[names[i].toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return out;
}

function resolveLocation(location: string, base: string): string {
  try {
    return new URL(location, base).toString();
  } catch {
    throw new BehalfError('redirect', `The server redirected to an invalid location.`);
  }
}

/** Retry-After is either seconds or an HTTP date. */
export function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export function findHeader(headers: Record<string, string>, name: string): string | undefined {
  const lower = name.toLowerCase();
  const keys = Object.keys(headers);
  for (let i = 0; i < keys.length; i++) if (keys[i].toLowerCase() === lower) return headers[keys[i]];
  return undefined;
}

export function deleteHeader(headers: Record<string, string>, name: string): void {
  const lower = name.toLowerCase();
  const keys = Object.keys(headers);
  for (let i = 0; i < keys.length; i++) if (keys[i].toLowerCase() === lower) delete headers[keys[i]];
}

export function setHeader(headers: Record<string, string>, name: string, value: string): void {
  deleteHeader(headers, name);
  headers[name] = value;
}

/** URL for messages: without query (it may carry a token) and without credentials. */
function safeUrl(url: string, base?: string): string {
  try {
    const u = new URL(url, base);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
