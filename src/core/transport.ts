import axios, { AxiosError, type AxiosRequestConfig } from 'axios';
import * as http from 'node:http';
import * as https from 'node:https';
import { BehalfError } from './errors';
import type { HttpResponse, PreparedRequest } from './model';
import type { Clock } from './ports';

export interface TransportOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Responses larger than this fail with a clear message instead of filling memory. */
  maxBodyBytes?: number;
  maxRedirects?: number;
  verifyTls?: boolean;
  /** 429 handling: how many times to wait and retry, and the longest single wait honoured. */
  max429Retries?: number;
  maxRetryWaitMs?: number;
  clock: Clock;
  /** Told about waits and dropped headers as they happen (progress UI, log). */
  onNote?: (note: string) => void;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_BODY_BYTES = 50 * 1024 * 1024;

// Keep-alive agents shared by every request: the cost of a request is then one round trip, not a
// TCP handshake (this is most of the difference to curl-per-request tools).
const agents = {
  http: new http.Agent({ keepAlive: true, maxSockets: 32 }),
  https: new https.Agent({ keepAlive: true, maxSockets: 32 }),
  httpsInsecure: new https.Agent({ keepAlive: true, maxSockets: 32, rejectUnauthorized: false }),
};

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

/**
 * Sends one request over real sockets. Follows redirects itself so that identity headers (auth and
 * impersonation) are dropped the moment the origin changes, retries 429 honouring Retry-After a bounded
 * number of times, and turns every failure into a BehalfError with a sentence a user can act on.
 */
export async function sendHttp(request: PreparedRequest, options: TransportOptions): Promise<HttpResponse> {
  const started = performance.now();
  const notes: string[] = [];
  const note = (text: string) => {
    notes.push(text);
    options.onNote?.(text);
  };
  const maxRedirects = options.maxRedirects ?? 5;
  const max429 = options.max429Retries ?? 3;
  let current = { ...request, headers: { ...request.headers } };
  let redirects = 0;
  let retries429 = 0;
  for (;;) {
    const res = await sendOnce(current, options);
    if (REDIRECT_STATUSES.has(res.status) && res.headers['location'] && maxRedirects > 0) {
      if (redirects >= maxRedirects) {
        throw new BehalfError('redirects', `Stopped after ${maxRedirects} redirects (last to ${safeUrl(res.headers['location'], current.url)}).`);
      }
      redirects++;
      const next = resolveLocation(res.headers['location'], current.url);
      const headers = { ...current.headers };
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
    return { ...res, url: current.url, durationMs: performance.now() - started, notes };
  }
}

type RawResponse = Omit<HttpResponse, 'url' | 'durationMs' | 'notes'>;

async function sendOnce(request: PreparedRequest, options: TransportOptions): Promise<RawResponse> {
  if (options.signal?.aborted) throw cancelled();
  const isHttps = request.url.startsWith('https:');
  const config: AxiosRequestConfig = {
    method: request.method,
    url: request.url,
    headers: { 'User-Agent': 'behalf/0.1', ...request.headers },
    data: request.body === undefined ? undefined : typeof request.body === 'string' ? Buffer.from(request.body) : request.body,
    responseType: 'arraybuffer',
    // Keep bodies as bytes both ways: no JSON re-encoding of what the user wrote.
    transformRequest: [(data: unknown) => data],
    transformResponse: [(data: unknown) => data],
    validateStatus: () => true,
    maxRedirects: 0,
    timeout: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    signal: options.signal,
    maxContentLength: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    maxBodyLength: Infinity,
    proxy: false,
    httpAgent: agents.http,
    httpsAgent: isHttps && options.verifyTls === false ? agents.httpsInsecure : agents.https,
  };
  try {
    const res = await axios.request<ArrayBuffer>(config);
    return {
      status: res.status,
      statusText: res.statusText ?? '',
      headers: flattenHeaders(res.headers as Record<string, unknown>),
      body: Buffer.isBuffer(res.data) ? res.data : Buffer.from(res.data ?? []),
    };
  } catch (e) {
    throw describeTransportError(e, request, options);
  }
}

function describeTransportError(e: unknown, request: PreparedRequest, options: TransportOptions): BehalfError {
  const where = safeUrl(request.url);
  if (axios.isCancel(e) || options.signal?.aborted) return cancelled();
  const err = e as AxiosError;
  const code = err.code ?? (err.cause as NodeJS.ErrnoException | undefined)?.code;
  const message = err.message ?? String(e);
  if (/maxContentLength/i.test(message)) {
    const cap = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    return new BehalfError('too-large', `The response from ${where} is larger than the ${formatBytes(cap)} limit; it was not kept.`, {
      hint: 'raise the response size limit if you really need it',
    });
  }
  switch (code) {
    case 'ECONNABORTED':
    case 'ETIMEDOUT':
      return new BehalfError('timeout', `No response from ${where} within ${formatMs(options.timeoutMs ?? DEFAULT_TIMEOUT_MS)}.`, {
        hint: 'the server may be slow or unreachable; retry, or raise the connection timeout',
      });
    case 'ECONNREFUSED':
      return new BehalfError('refused', `Could not connect to ${originOf(request.url)}: connection refused. Is the server running?`);
    case 'ECONNRESET':
    case 'EPIPE':
    case 'ERR_BAD_RESPONSE':
      return new BehalfError('reset', `${originOf(request.url)} closed the connection before answering (connection reset).`, { hint: 'retry; if it persists the server is failing' });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new BehalfError('dns', `Could not resolve the host of ${where}.`, { hint: 'check the URL or your network' });
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return new BehalfError('tls', `The TLS certificate of ${originOf(request.url)} could not be verified (${code}).`, {
        hint: 'fix the certificate, or set "verifyTls": false on the connection for a test server',
      });
    default:
      return new BehalfError('network', `Request to ${where} failed: ${code ?? message}.`);
  }
}

export function cancelled(): BehalfError {
  return new BehalfError('cancelled', 'The request was cancelled.');
}

function flattenHeaders(headers: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || value === null) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
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
  for (const key of Object.keys(headers)) if (key.toLowerCase() === lower) return headers[key];
  return undefined;
}

export function deleteHeader(headers: Record<string, string>, name: string): void {
  const lower = name.toLowerCase();
  for (const key of Object.keys(headers)) if (key.toLowerCase() === lower) delete headers[key];
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
