// The network of Behalf's requests in VS Code, from VS Code's own http.* settings, so that a request goes through a
// proxy exactly when VS Code's would, by the same proxy code as the CLI (core/proxy.ts, core/transport.ts).
//
// Why not leave it to VS Code's proxy support (@vscode/proxy-agent)? Under its default `http.proxySupport:
// "override"` it replaces the agent of every request to a host other than localhost / 127.0.0.1: Behalf's keep-alive
// is gone (a new CONNECT tunnel per request), a refused CONNECT is not told from the origin's answer, and --verbose /
// the response panel could not say how a request went. So when a proxy is configured (http.proxy, or the
// environment the extension host has), Behalf routes itself with Node's unpatched request functions, which VS Code
// keeps on the module as `__vscodeOriginal`. Only when nothing names a proxy is the route left to VS Code (the OS or
// PAC proxy it resolves, which no API exposes): those requests go without Behalf's agent (hostRouting).
// No `vscode` import: the settings come in as values (services.ts reads them), so this is unit-tested.

import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { proxyConfig, type ProxyEnv } from '../core/proxy';
import type { NetworkOptions } from '../core/transport';

/** VS Code's http.* settings that decide the network of an extension's requests. */
export interface VsCodeHttpSettings {
  /** http.proxy: "" when unset. */
  proxy: string;
  /** http.noProxy: hosts reached directly; when not empty, NO_PROXY in the environment is ignored (as VS Code does). */
  noProxy: readonly string[];
  /** http.proxySupport: "off" sends everything directly; the others use the proxy. */
  proxySupport: string;
  /** http.proxyStrictSSL: false stops verifying an https:// proxy's own certificate. */
  proxyStrictSSL: boolean;
  /** http.proxyAuthorization: the Proxy-Authorization header value, a secret. */
  proxyAuthorization: string | null;
  /** http.systemCertificates: trust the operating system's CAs too. */
  systemCertificates: boolean;
}

type RequestFns = NonNullable<NetworkOptions['request']>;

/** VS Code never proxies these (@vscode/proxy-agent's rule); Behalf neither, in VS Code. */
const VSCODE_LOOPBACK = ['localhost', '127.0.0.1', '::1', '::ffff:127.0.0.1'];

/** Node's own http.request / https.request, as they were before VS Code's proxy support patched them. */
export function unpatchedRequests(): RequestFns | undefined {
  type Patched<T> = T & { __vscodeOriginal?: Partial<T> };
  const h = (http as Patched<typeof http>).__vscodeOriginal?.request;
  const s = (https as Patched<typeof https>).__vscodeOriginal?.request;
  return h && s ? { http: h, https: s } : undefined;
}

/** The CAs of the operating system (and NODE_EXTRA_CA_CERTS) that Node's bundled roots do not already have. */
export function systemCas(): string[] {
  const get = (tls as { getCACertificates?: (type: 'system' | 'extra') => string[] }).getCACertificates;
  if (!get) return [];
  const bundled = new Set(tls.rootCertificates.map(normalizePem));
  const out: string[] = [];
  for (const type of ['system', 'extra'] as const) {
    let certs: string[];
    try {
      certs = get(type);
    } catch {
      certs = []; // a store that cannot be read: Node's roots stay
    }
    for (const pem of certs) {
      const key = normalizePem(pem);
      if (bundled.has(key)) continue;
      bundled.add(key);
      out.push(pem);
    }
  }
  return out;
}

function normalizePem(pem: string): string {
  return pem.replace(/\s+/g, '');
}

/**
 * The network options of the engine in VS Code. Order as VS Code resolves a proxy: loopback direct; http.noProxy
 * (else NO_PROXY); http.proxy; the environment's https_proxy / HTTPS_PROXY / http_proxy / HTTP_PROXY (one proxy for
 * both schemes, as VS Code reads it); else the system's, which VS Code resolves (hostRouting).
 */
export function vscodeNetwork(
  settings: VsCodeHttpSettings,
  env: ProxyEnv,
  requests: RequestFns | undefined = unpatchedRequests(),
  cas: () => string[] = systemCas,
): NetworkOptions {
  const network = routing(settings, env, requests);
  if (settings.systemCertificates) lazyCa(network, cas);
  return network;
}

/**
 * `ca` read on first use: reading the system's store blocks the extension host for ~150 ms, and only an https
 * request needs it (the Connections tree's first render and plain-http sends never do).
 */
function lazyCa(network: NetworkOptions, read: () => string[]): void {
  let ca: string[] | undefined;
  Object.defineProperty(network, 'ca', {
    enumerable: true,
    configurable: true,
    get: () => (ca ??= read()),
    set: (value: string[]) => (ca = value),
  });
}

function routing(settings: VsCodeHttpSettings, env: ProxyEnv, requests: RequestFns | undefined): NetworkOptions {
  const base: NetworkOptions = {
    untrustedCaHint:
      'trust its CA in the operating system (with "http.systemCertificates" on) or with NODE_EXTRA_CA_CERTS=<ca.pem> in the environment VS Code starts with; only for a test server: "verifyTls": false on the connection',
    request: requests,
  };
  if (settings.proxySupport === 'off') return { ...base, proxy: proxyConfig({}, { proxy: 'direct' }, 'http.proxySupport') };
  const noProxyList = settings.noProxy.length ? settings.noProxy : (env['no_proxy'] ?? env['NO_PROXY'] ?? '').split(',');
  const noProxy = [...VSCODE_LOOPBACK, ...noProxyList.map((entry) => entry.trim()).filter(Boolean)].join(',');
  const envName = ['https_proxy', 'HTTPS_PROXY', 'http_proxy', 'HTTP_PROXY'].find((name) => env[name]?.trim());
  const chosen = settings.proxy.trim()
    ? { url: settings.proxy.trim(), from: 'http.proxy' }
    : envName
      ? { url: env[envName]!.trim(), from: envName }
      : undefined;
  if (!chosen) {
    // Nothing names a proxy: the OS or PAC proxy VS Code resolves may apply. Its own patch routes these requests.
    return { ...base, request: undefined, hostRouting: true };
  }
  return {
    ...base,
    proxy: proxyConfig({}, { proxy: chosen.url, noProxy }, chosen.from),
    proxyAuthorization: settings.proxyAuthorization?.trim() || undefined,
    proxyStrictSsl: settings.proxyStrictSSL,
  };
}
