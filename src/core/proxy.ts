// Which proxy a request goes through, read as curl reads it: HTTPS_PROXY / HTTP_PROXY / ALL_PROXY and NO_PROXY
// (upper or lower case, the lower-case name wins), or the host's overrides (the CLI's --proxy and --noproxy).
// The environment is a parameter: the CLI passes process.env, a test its own object. No I/O here.
//
// Not proxy-from-env: it reads process.env only (no way to pass the environment), and its NO_PROXY rules are not
// curl's: "corp.example" there matches that host alone (curl: its subdomains too), ".corp.example" misses
// corp.example itself, "*example.com" matches badexample.com, and "::1" never matches an IPv6 URL. The rules
// below are curl's (lib/noproxy.c), plus host:port entries and a "*." prefix, which curl does not have.

import { isIP } from 'node:net';
import { BehalfError } from './errors';

export type ProxyEnv = Readonly<Record<string, string | undefined>>;

/** What a host overrides (the CLI's flags, a connection's "proxy"): `proxy` "direct" or "" means no proxy at all. */
export interface ProxyOverrides {
  proxy?: string;
  noProxy?: string;
}

/** A proxy URL and where it came from (for messages, which never show the URL: it may hold credentials). */
export interface ProxySource {
  url: string;
  from: string;
}

/** The proxy rules of a run, resolved once from the environment and the overrides. */
export interface ProxyConfig {
  /** For http:// URLs. */
  http?: ProxySource;
  /** For https:// URLs. */
  https?: ProxySource;
  /** NO_PROXY entries, lower case. ['*'] bypasses every host. */
  noProxy: string[];
  noProxyFrom?: string;
}

/** How one request goes out. `display` is host:port (never credentials). */
export type ProxyRoute = { kind: 'direct' } | { kind: 'proxy'; url: URL; display: string; from: string; hasCredentials: boolean };

/** The value of an environment variable as curl reads it: the lower-case name first, then the upper-case one; empty is unset. */
function envValue(env: ProxyEnv, name: string): { value: string; from: string } | undefined {
  for (const key of [name.toLowerCase(), name.toUpperCase()]) {
    const value = env[key]?.trim();
    if (value) return { value, from: key };
  }
  return undefined;
}

/** Resolve the proxy rules: overrides first (a --proxy serves http and https alike, as curl's -x does), then the environment. */
export function proxyConfig(env: ProxyEnv, overrides: ProxyOverrides = {}, overrideFrom = '--proxy'): ProxyConfig {
  const noProxyOverride = overrides.noProxy !== undefined ? { value: overrides.noProxy, from: '--noproxy' } : undefined;
  const noProxy = noProxyOverride ?? envValue(env, 'no_proxy');
  const config: ProxyConfig = { noProxy: parseNoProxy(noProxy?.value ?? ''), noProxyFrom: noProxy?.from };
  if (overrides.proxy !== undefined) {
    const value = overrides.proxy.trim();
    if (value === '' || value.toLowerCase() === 'direct') return { ...config, noProxy: ['*'], noProxyFrom: overrideFrom };
    const source = { url: value, from: overrideFrom };
    checkProxyUrl(source);
    return { ...config, http: source, https: source };
  }
  const all = envValue(env, 'all_proxy');
  const http = envValue(env, 'http_proxy') ?? all;
  const https = envValue(env, 'https_proxy') ?? all;
  if (http) config.http = { url: http.value, from: http.from };
  if (https) config.https = { url: https.value, from: https.from };
  for (const source of [config.http, config.https]) if (source) checkProxyUrl(source);
  return config;
}

/** A config with no proxy at all (what a host without proxy settings uses). */
export const DIRECT: ProxyConfig = { noProxy: ['*'] };

function parseNoProxy(value: string): string[] {
  return value
    .split(/[,\s]+/)
    .map((entry) => entry.trim().toLowerCase())
    .filter(Boolean);
}

/** A proxy URL as curl takes it: no scheme means http://; http and https proxies are supported. */
function parseProxyUrl(raw: string): URL | undefined {
  try {
    const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
    return url.hostname ? url : undefined;
  } catch {
    return undefined;
  }
}

function checkProxyUrl(source: ProxySource): void {
  const url = parseProxyUrl(source.url);
  // The URL itself is never quoted: it may hold the proxy's password.
  if (!url)
    throw new BehalfError('proxy', `The proxy in ${source.from} is not a valid URL.`, {
      hint: 'write it as http://host:port (or http://user:password@host:port)',
    });
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new BehalfError('proxy', `The proxy in ${source.from} is a ${url.protocol.replace(/:$/, '')} proxy; Behalf supports http:// and https:// proxies.`, {
      hint: 'use the HTTP proxy your network offers (http://host:port)',
    });
}

/** host:port of a URL, IPv6 in brackets, the default port written out. */
function hostPort(url: URL): string {
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${url.hostname}:${port}`;
}

/** The way a request to `target` goes: direct, or through which proxy. Throws only for a target that is not a URL. */
export function routeFor(target: string, config: ProxyConfig): ProxyRoute {
  const url = new URL(target);
  const source = url.protocol === 'https:' ? config.https : url.protocol === 'http:' ? config.http : undefined;
  if (!source || bypassed(url, config.noProxy)) return { kind: 'direct' };
  const proxy = parseProxyUrl(source.url);
  if (!proxy) return { kind: 'direct' }; // checked in proxyConfig; only a hand-made config gets here
  return { kind: 'proxy', url: proxy, display: hostPort(proxy), from: source.from, hasCredentials: !!(proxy.username || proxy.password) };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** How a route reads in --verbose output and on the response record. */
export function describeRoute(route: ProxyRoute): string {
  return route.kind === 'direct' ? 'direct' : `via proxy ${route.display}`;
}

/** The secret parts of the configured proxies (their passwords), for the redactor. */
export function proxySecrets(config: ProxyConfig): string[] {
  const out = new Set<string>();
  for (const source of [config.http, config.https]) {
    const url = source && parseProxyUrl(source.url);
    if (!url?.password) continue;
    out.add(url.password);
    out.add(safeDecode(url.password));
    out.add(`${safeDecode(url.username)}:${safeDecode(url.password)}`);
  }
  return [...out].filter(Boolean);
}

/** Whether NO_PROXY names the URL's host, as curl reads it. */
function bypassed(url: URL, entries: readonly string[]): boolean {
  if (entries.length === 0) return false;
  const host = url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const hostIsIp = isIP(host) !== 0;
  return entries.some((raw) => {
    if (raw === '*') return true;
    const { name, port: entryPort } = splitEntry(raw);
    if (entryPort !== undefined && entryPort !== port) return false;
    if (hostIsIp) return ipMatches(host, name);
    const domain = name.replace(/^\*?\./, '').replace(/\.$/, '');
    return domain !== '' && (host === domain || host.endsWith(`.${domain}`));
  });
}

/** "host", "host:port", "[v6]:port", a bare IPv6 address, "10.0.0.0/8". */
function splitEntry(entry: string): { name: string; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { name: bracketed[1], port: bracketed[2] === undefined ? undefined : Number(bracketed[2]) };
  if (isIP(entry.split('/')[0]) === 6) return { name: entry };
  const withPort = /^(.+):(\d+)$/.exec(entry);
  return withPort ? { name: withPort[1], port: Number(withPort[2]) } : { name: entry };
}

/** An IP host against an entry: the same address, or inside its CIDR range (curl 7.86+). */
function ipMatches(host: string, entry: string): boolean {
  const [address, bitsText] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || family !== isIP(host)) return false;
  const a = ipBytes(host);
  const b = ipBytes(address);
  const bits = bitsText === undefined ? a.length * 8 : Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > a.length * 8) return false;
  for (let i = 0; i < bits; i++) {
    const mask = 0x80 >> (i % 8);
    if ((a[i >> 3] & mask) !== (b[i >> 3] & mask)) return false;
  }
  return true;
}

function ipBytes(ip: string): number[] {
  if (isIP(ip) === 4) return ip.split('.').map(Number);
  // Expand "::" and a trailing dotted IPv4 part into 16 bytes.
  let text = ip;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [p, q, r, s] = v4[1].split('.').map(Number);
    text = `${text.slice(0, -v4[1].length)}${((p << 8) | q).toString(16)}:${((r << 8) | s).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.flatMap((g) => {
    const n = parseInt(g || '0', 16);
    return [n >> 8, n & 0xff];
  });
}
