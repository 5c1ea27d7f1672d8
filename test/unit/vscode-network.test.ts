// VS Code's http.* settings → the engine's network (src/extension/network.ts): the same order VS Code resolves a
// proxy in (loopback, http.noProxy else NO_PROXY, http.proxy, the environment, the system's), proxySupport "off",
// http.proxyAuthorization, http.proxyStrictSSL and http.systemCertificates. The real VS Code host is covered by
// test/integration/proxy.test.ts; this checks the mapping case by case.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as https from 'node:https';
import * as tls from 'node:tls';
import { describeRoute, routeFor } from '../../src/core/proxy';
import type { NetworkOptions } from '../../src/core/transport';
import { systemCas, vscodeNetwork, type VsCodeHttpSettings } from '../../src/extension/network';

const DEFAULTS: VsCodeHttpSettings = {
  proxy: '',
  noProxy: [],
  proxySupport: 'override',
  proxyStrictSSL: true,
  proxyAuthorization: null,
  systemCertificates: false,
};
const ORIGINALS = { http: http.request, https: https.request };
const network = (settings: Partial<VsCodeHttpSettings>, env: Record<string, string> = {}) =>
  vscodeNetwork({ ...DEFAULTS, ...settings }, env, ORIGINALS, () => ['CA']);
const via = (n: NetworkOptions, url: string) => (n.proxy ? describeRoute(routeFor(url, n.proxy)) : n.hostRouting ? 'host' : 'direct');

describe('VS Code http.* settings → Behalf network', () => {
  it('http.proxy routes https and http through it, with Node’s own request functions; loopback stays direct as in VS Code', () => {
    const n = network({ proxy: 'http://proxy.corp:3128' });
    assert.equal(via(n, 'https://api.dealcloud.test/x'), 'via proxy proxy.corp:3128');
    assert.equal(via(n, 'http://api.dealcloud.test/x'), 'via proxy proxy.corp:3128');
    for (const url of ['https://localhost:8443/', 'http://127.0.0.1:9/', 'https://[::1]/']) assert.equal(via(n, url), 'direct', url);
    // 127.0.0.2 is not loopback to VS Code: proxied.
    assert.equal(via(n, 'https://127.0.0.2:8443/'), 'via proxy proxy.corp:3128');
    assert.equal(n.request, ORIGINALS);
    assert.equal(n.hostRouting, undefined);
  });

  it('http.noProxy replaces NO_PROXY; without it NO_PROXY applies', () => {
    const env = { HTTPS_PROXY: 'http://envproxy:8080', NO_PROXY: 'env-direct.test' };
    const withSetting = network({ proxy: 'http://proxy.corp:3128', noProxy: ['.corp.example', 'api.partner.test:8443'] }, env);
    assert.equal(via(withSetting, 'https://x.corp.example/'), 'direct');
    assert.equal(via(withSetting, 'https://api.partner.test:8443/'), 'direct');
    assert.equal(via(withSetting, 'https://env-direct.test/'), 'via proxy proxy.corp:3128', 'NO_PROXY ignored when http.noProxy is set');
    const fromEnv = network({}, env);
    assert.equal(via(fromEnv, 'https://env-direct.test/'), 'direct');
    assert.equal(via(fromEnv, 'https://api.dealcloud.test/'), 'via proxy envproxy:8080');
  });

  it('http.proxy wins over the environment; the environment is read as VS Code reads it (one proxy for both schemes)', () => {
    assert.equal(via(network({ proxy: 'http://setting:1' }, { HTTPS_PROXY: 'http://env:2' }), 'https://a.test/'), 'via proxy setting:1');
    const env = network({}, { HTTP_PROXY: 'http://plain:3' });
    assert.equal(via(env, 'https://a.test/'), 'via proxy plain:3');
    assert.equal(network({}, { https_proxy: 'http://lower:4', HTTPS_PROXY: 'http://upper:5' }).proxy?.https?.from, 'https_proxy');
  });

  it('no proxy anywhere: VS Code routes (the OS / PAC proxy it resolves), with its patched functions', () => {
    const n = network({});
    assert.equal(n.hostRouting, true);
    assert.equal(n.request, undefined);
    assert.equal(n.proxy, undefined);
  });

  it('http.proxySupport "off": everything direct, the environment too', () => {
    const n = network({ proxySupport: 'off', proxy: 'http://proxy.corp:3128' }, { HTTPS_PROXY: 'http://env:1' });
    assert.equal(via(n, 'https://api.dealcloud.test/'), 'direct');
    assert.equal(n.hostRouting, undefined);
  });

  it('http.proxyAuthorization and http.proxyStrictSSL reach the network; a proxy URL that is not usable names the setting', () => {
    const n = network({ proxy: 'http://proxy.corp:3128', proxyAuthorization: 'Basic Zm9vOmJhcg==', proxyStrictSSL: false });
    assert.equal(n.proxyAuthorization, 'Basic Zm9vOmJhcg==');
    assert.equal(n.proxyStrictSsl, false);
    assert.equal(network({ proxy: 'http://p:1', proxyAuthorization: '  ' }).proxyAuthorization, undefined);
    assert.throws(() => network({ proxy: 'socks5://p:1080' }), /The proxy in http\.proxy is a socks5 proxy/);
  });

  it('http.systemCertificates adds the OS CAs Node does not bundle; off, none', () => {
    assert.deepEqual(network({ systemCertificates: true }).ca, ['CA']);
    assert.equal(network({ systemCertificates: false }).ca, undefined);
    // Read on first use only (the store blocks the host ~150 ms), once, and through a proxy's network too.
    let reads = 0;
    const lazy = vscodeNetwork({ ...DEFAULTS, systemCertificates: true, proxy: 'http://proxy.corp:3128' }, {}, ORIGINALS, () => (reads++, ['CA']));
    assert.equal(reads, 0);
    assert.deepEqual(lazy.ca, ['CA']);
    assert.deepEqual({ ...lazy }.ca, ['CA']);
    assert.equal(reads, 1);
    const cas = systemCas();
    const bundled = new Set(tls.rootCertificates.map((p) => p.replace(/\s+/g, '')));
    assert.ok(
      cas.every((p) => !bundled.has(p.replace(/\s+/g, ''))),
      'no CA twice',
    );
    assert.equal(new Set(cas).size, cas.length);
  });
});
