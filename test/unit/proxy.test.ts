// Corporate networks (issue 15, the CLI): a real forward proxy (the `proxy` package, CONNECT and absolute-form,
// optional Basic auth) and a real TLS origin whose CA is made here with openssl. The engine over them, and the CLI
// as a real process (dist/cli.js; `npm run build` first): through the proxy, NO_PROXY, 407 both ways, --cacert,
// NODE_EXTRA_CA_CERTS, an untrusted CA, --verbose. Proxy credentials are never printed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createProxy } from 'proxy';
import { parseConnections } from '../../src/core/connections';
import { BehalfEngine } from '../../src/core/engine';
import type { BehalfError } from '../../src/core/errors';
import type { Connection } from '../../src/core/model';
import { envSecretStore } from '../../src/core/ports';
import { proxyConfig, routeFor, type ProxyEnv } from '../../src/core/proxy';
import type { NetworkOptions } from '../../src/core/transport';
import { allVendors } from '../../src/vendors';
import { runProcess } from './support';
import { makeSelfSigned } from '../support/certificates';

const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');
const TOKEN = 'svc-token-7f3a9c1e5b2d';
const PROXY_USER = 'alice';
const PROXY_PASSWORD = 'pr0xy-s3cret-9q';
const TLS_PASSPHRASE = 'k3y-passphrase-4w';

interface Seen {
  method: string;
  url: string;
  proxyAuthorization?: string;
  authorization?: string;
  actAs?: string;
}

/** A forward proxy on 127.0.0.1 that logs every request and CONNECT it sees; with `credentials`, it wants Basic auth. */
async function startProxy(credentials?: { user: string; password: string }) {
  const seen: Seen[] = [];
  const server = createProxy(http.createServer());
  server.authenticate = (req) => {
    seen.push({
      method: req.method ?? '',
      url: req.url ?? '',
      proxyAuthorization: req.headers['proxy-authorization'],
      authorization: req.headers['authorization'],
      actAs: req.headers['x-impersonate-user'] as string | undefined,
    });
    if (!credentials) return true;
    const expected = `Basic ${Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64')}`;
    return req.headers['proxy-authorization'] === expected;
  };
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    seen,
    port,
    hostPort: `127.0.0.1:${port}`,
    url: (auth?: string) => `http://${auth ? `${auth}@` : ''}127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
type TestProxy = Awaited<ReturnType<typeof startProxy>>;

function handler(log: Seen[]): http.RequestListener {
  return (req, res) => {
    log.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers['authorization'], actAs: req.headers['x-impersonate-user'] as string });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ path: req.url, authenticated: !!req.headers['authorization'], actAs: req.headers['x-impersonate-user'] ?? null }));
  };
}

/** A CA and a certificate for 127.0.0.1 / localhost signed by it, made with openssl. */
function makeCertificates(dir: string) {
  const run = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Behalf Test Corporate CA');
  run('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
  // A client certificate whose key is encrypted with TLS_PASSPHRASE.
  run(
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-passout',
    `pass:${TLS_PASSPHRASE}`,
    '-keyout',
    'client.key',
    '-out',
    'client.csr',
    '-subj',
    '/CN=behalf-client',
  );
  fs.writeFileSync(path.join(dir, 'client.cnf'), 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
  run(
    'x509',
    '-req',
    '-in',
    'client.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'client.pem',
    '-days',
    '2',
    '-extfile',
    'client.cnf',
  );
  return { ca: path.join(dir, 'ca.pem'), key: path.join(dir, 'server.key'), cert: path.join(dir, 'server.pem') };
}

describe('proxy rules (curl’s reading of HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY)', () => {
  const via = (url: string, env: ProxyEnv, overrides = {}) => {
    const route = routeFor(url, proxyConfig(env, overrides));
    return route.kind === 'direct' ? 'direct' : route.display;
  };

  it('https uses HTTPS_PROXY, http uses HTTP_PROXY, ALL_PROXY is the fallback; lower case wins; empty is unset', () => {
    const env = { HTTPS_PROXY: 'http://upper:3128', https_proxy: 'lower:3129', HTTP_PROXY: 'http://plain:8080', ALL_PROXY: 'http://all:1' };
    assert.equal(via('https://api.example.com/x', env), 'lower:3129');
    assert.equal(via('http://api.example.com/x', env), 'plain:8080');
    assert.equal(via('https://api.example.com/x', { ALL_PROXY: 'all:1080' }), 'all:1080');
    assert.equal(via('https://api.example.com/x', { https_proxy: '', HTTPS_PROXY: 'http://upper:3128' }), 'upper:3128');
    assert.equal(via('https://api.example.com/x', {}), 'direct');
    // No scheme: an http proxy, as curl takes it; no port: 80.
    assert.equal(via('https://api.example.com/x', { HTTPS_PROXY: 'proxy.corp' }), 'proxy.corp:80');
  });

  it('loopback is proxied unless NO_PROXY names it (curl’s rule)', () => {
    const env = { HTTPS_PROXY: 'http://proxy:3128' };
    assert.equal(via('https://127.0.0.1:8443/', env), 'proxy:3128');
    assert.equal(via('https://localhost/', env), 'proxy:3128');
    assert.equal(via('https://127.0.0.1:8443/', { ...env, NO_PROXY: 'localhost,127.0.0.1' }), 'direct');
    assert.equal(via('https://[::1]:8443/', { ...env, NO_PROXY: '::1' }), 'direct');
    assert.equal(via('https://[::1]:8443/', { ...env, NO_PROXY: '[::1]:8443' }), 'direct');
  });

  it('NO_PROXY: hosts, domains with or without the dot, host:port, IPs, CIDR ranges and *', () => {
    const env = { HTTPS_PROXY: 'http://proxy:3128' };
    const np = (NO_PROXY: string, url: string) => via(url, { ...env, NO_PROXY });
    assert.equal(np('corp.example', 'https://corp.example/'), 'direct');
    assert.equal(np('corp.example', 'https://api.corp.example/'), 'direct');
    assert.equal(np('corp.example', 'https://notcorp.example/'), 'proxy:3128');
    assert.equal(np('.corp.example', 'https://corp.example/'), 'direct');
    assert.equal(np('.corp.example', 'https://a.b.corp.example/'), 'direct');
    assert.equal(np('*.corp.example', 'https://a.corp.example/'), 'direct');
    assert.equal(np('API.Corp.Example', 'https://api.corp.example/'), 'direct');
    assert.equal(np('api.example.com:8443', 'https://api.example.com:8443/'), 'direct');
    assert.equal(np('api.example.com:8443', 'https://api.example.com/'), 'proxy:3128');
    assert.equal(np('api.example.com:443', 'https://api.example.com/'), 'direct');
    assert.equal(np('10.1.2.3', 'https://10.1.2.3/'), 'direct');
    assert.equal(np('10.0.0.0/8', 'https://10.200.0.1/'), 'direct');
    assert.equal(np('10.0.0.0/8', 'https://11.0.0.1/'), 'proxy:3128');
    assert.equal(np('fd00::/8', 'https://[fd12::1]/'), 'direct');
    assert.equal(np('*', 'https://anything.example/'), 'direct');
    assert.equal(np(' other.example , corp.example ', 'https://x.corp.example/'), 'direct');
    // Lower case wins for NO_PROXY too.
    assert.equal(via('https://corp.example/', { ...env, no_proxy: 'other.example', NO_PROXY: 'corp.example' }), 'proxy:3128');
  });

  it('--proxy and --noproxy override the environment; --proxy direct turns the proxy off', () => {
    const env = { HTTPS_PROXY: 'http://envproxy:3128', NO_PROXY: 'corp.example' };
    assert.equal(via('https://corp.example/', env, { proxy: 'http://flag:8080' }), 'direct');
    assert.equal(via('https://corp.example/', env, { proxy: 'http://flag:8080', noProxy: '' }), 'flag:8080');
    assert.equal(via('http://x.example/', env, { proxy: 'http://flag:8080' }), 'flag:8080');
    assert.equal(via('https://x.example/', env, { proxy: 'direct' }), 'direct');
    assert.equal(via('https://x.example/', env, { noProxy: 'x.example' }), 'direct');
  });

  it('a proxy URL that is not usable is refused naming where it came from, never quoting it', () => {
    for (const [env, pattern] of [
      [{ HTTPS_PROXY: `http://${PROXY_USER}:${PROXY_PASSWORD}@:3128` }, /The proxy in HTTPS_PROXY is not a valid URL/],
      [{ all_proxy: `socks5://${PROXY_USER}:${PROXY_PASSWORD}@proxy:1080` }, /all_proxy is a socks5 proxy; Behalf supports http:\/\/ and https:\/\/ proxies/],
    ] as const) {
      assert.throws(
        () => proxyConfig(env),
        (e: BehalfError) => e.code === 'proxy' && pattern.test(e.message) && !e.describe().includes(PROXY_PASSWORD),
      );
    }
  });
});

describe('connections file: "proxy" and "tls"', () => {
  const parse = (extra: object) =>
    parseConnections(
      JSON.stringify(
        { connections: [{ id: 'c', vendor: 'generic', label: 'C', baseUrl: 'https://api.example.com', auth: 'none', principals: [], ...extra }] },
        null,
        2,
      ),
      '/work/behalf.connections.json',
    );

  it('are read onto the connection: a proxy URL or "direct", TLS file paths', () => {
    const ok = parse({ proxy: 'http://proxy.corp:3128', tls: { caFile: 'ca.pem', certFile: 'client.pem', keyFile: 'client.key' } });
    assert.deepEqual(ok.diagnostics, []);
    assert.equal(ok.connections[0].proxy, 'http://proxy.corp:3128');
    assert.deepEqual(ok.connections[0].tls, { caFile: 'ca.pem', certFile: 'client.pem', keyFile: 'client.key' });
    assert.equal(ok.connections[0].settings, undefined);
    assert.deepEqual(parse({ proxy: 'direct', tls: { pfxFile: 'client.p12' } }).diagnostics, []);
  });

  it('refuse a passphrase in the file, proxy credentials in the file, a cert without its key, and an unknown field', () => {
    const messages = (extra: object) => parse(extra).diagnostics.map((d) => `${d.field}: ${d.message}`);
    assert.match(
      messages({ tls: { keyFile: 'k', certFile: 'c', passphrase: TLS_PASSPHRASE } }).join('\n'),
      /secrets never go in this file; set BEHALF_SECRET_C_TLS_PASSPHRASE instead/,
    );
    const credentials = messages({ proxy: `http://${PROXY_USER}:${PROXY_PASSWORD}@proxy:3128` }).join('\n');
    assert.match(credentials, /proxy: must not hold a password .* give the proxy credentials in HTTPS_PROXY or --proxy/);
    assert.ok(!credentials.includes(PROXY_PASSWORD), credentials);
    assert.match(messages({ proxy: 'socks5://proxy:1080' }).join('\n'), /must be "direct" or a proxy URL/);
    assert.match(messages({ tls: { certFile: 'c' } }).join('\n'), /keyFile/);
    assert.notDeepEqual(messages({ tls: { caFiles: 'x' } }), []);
  });
});

describe('proxy and TLS over real sockets', function () {
  this.timeout(30_000);
  let dir: string;
  let certs: ReturnType<typeof makeCertificates>;
  let tlsOrigin: https.Server;
  let plainOrigin: http.Server;
  let mtlsOrigin: https.Server;
  let tlsUrl: string;
  let plainUrl: string;
  let mtlsUrl: string;
  const originSeen: Seen[] = [];
  let proxy: TestProxy;
  let authProxy: TestProxy;

  before(async function () {
    try {
      execFileSync('openssl', ['version'], { stdio: 'pipe' });
    } catch {
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-proxy-'));
    certs = makeCertificates(dir);
    tlsOrigin = https.createServer({ key: fs.readFileSync(certs.key), cert: fs.readFileSync(certs.cert) }, handler(originSeen));
    plainOrigin = http.createServer(handler(originSeen));
    await new Promise<void>((r) => tlsOrigin.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => plainOrigin.listen(0, '127.0.0.1', r));
    tlsUrl = `https://127.0.0.1:${(tlsOrigin.address() as AddressInfo).port}`;
    // Wants a client certificate signed by the test CA.
    const ca = fs.readFileSync(certs.ca);
    mtlsOrigin = https.createServer(
      { key: fs.readFileSync(certs.key), cert: fs.readFileSync(certs.cert), ca, requestCert: true, rejectUnauthorized: true },
      handler(originSeen),
    );
    await new Promise<void>((r) => mtlsOrigin.listen(0, '127.0.0.1', r));
    mtlsUrl = `https://127.0.0.1:${(mtlsOrigin.address() as AddressInfo).port}`;
    plainUrl = `http://127.0.0.1:${(plainOrigin.address() as AddressInfo).port}`;
    proxy = await startProxy();
    authProxy = await startProxy({ user: PROXY_USER, password: PROXY_PASSWORD });
  });
  after(async () => {
    await proxy?.close();
    await authProxy?.close();
    tlsOrigin?.closeAllConnections();
    plainOrigin?.closeAllConnections();
    mtlsOrigin?.closeAllConnections();
    await new Promise<void>((r) => (mtlsOrigin ? mtlsOrigin.close(() => r()) : r()));
    await new Promise<void>((r) => (tlsOrigin ? tlsOrigin.close(() => r()) : r()));
    await new Promise<void>((r) => (plainOrigin ? plainOrigin.close(() => r()) : r()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    originSeen.length = 0;
    proxy.seen.length = 0;
    authProxy.seen.length = 0;
  });

  const connection = (baseUrl: string): Connection => ({
    id: 'corp',
    vendor: 'generic',
    label: 'Corporate API',
    baseUrl,
    auth: 'token',
    principals: [{ id: 'jane', email: 'jane@acme.test' }],
    settings: { impersonation: { kind: 'header', headers: { 'X-Impersonate-User': '{{principal.email}}' }, writesOnly: false } },
  });

  describe('the engine', () => {
    const logLines: string[] = [];
    function engine(network: NetworkOptions) {
      logLines.length = 0;
      return new BehalfEngine({
        vendors: allVendors,
        secrets: envSecretStore({ BEHALF_SECRET_CORP: TOKEN }),
        prompt: { confirm: async () => true },
        log: { log: (level, message) => logLines.push(`[${level}] ${message}`) },
        network,
      });
    }
    const asJane = (c: Connection) => ({ connection: c, principal: c.principals[0], mode: 'full' as const });

    it('https goes through a CONNECT tunnel: the proxy sees host:port only, the origin gets the identity; keep-alive holds', async () => {
      const e = engine({ proxy: proxyConfig({ HTTPS_PROXY: proxy.url() }), ca: [fs.readFileSync(certs.ca, 'utf8')] });
      try {
        const c = connection(tlsUrl);
        const first = await e.sendAs({ method: 'GET', url: '/api/whoami', headers: {} }, asJane(c));
        const second = await e.sendAs({ method: 'GET', url: '/api/whoami?again=1', headers: {} }, asJane(c));
        assert.equal(first.status, 200);
        assert.equal(second.status, 200);
        assert.equal(first.via, `via proxy ${proxy.hostPort}`);
        assert.deepEqual(JSON.parse(first.body), { path: '/api/whoami', authenticated: true, actAs: 'jane@acme.test' });
        // One tunnel for both requests (keep-alive through the proxy), and the proxy never saw the token or the identity.
        assert.deepEqual(
          proxy.seen.map((s) => `${s.method} ${s.url}`),
          [`CONNECT ${new URL(tlsUrl).host}`],
        );
        assert.equal(proxy.seen[0].authorization, undefined);
        assert.equal(proxy.seen[0].actAs, undefined);
        assert.ok(
          logLines.some((l) => l === `[debug] GET ${tlsUrl}/api/whoami: via proxy ${proxy.hostPort}`),
          logLines.join('\n'),
        );
      } finally {
        await e.dispose();
      }
    });

    it('plain http through the proxy is an absolute-form request: the proxy sees everything', async () => {
      const e = engine({ proxy: proxyConfig({ http_proxy: proxy.url() }) });
      try {
        const record = await e.sendAs({ method: 'GET', url: '/api/whoami', headers: {} }, asJane(connection(plainUrl)));
        assert.equal(record.status, 200);
        assert.equal(proxy.seen.length, 1);
        assert.equal(proxy.seen[0].url, `${plainUrl}/api/whoami`);
        assert.equal(proxy.seen[0].authorization, `Bearer ${TOKEN}`);
        assert.equal(proxy.seen[0].actAs, 'jane@acme.test');
      } finally {
        await e.dispose();
      }
    });

    it('NO_PROXY naming the origin sends it direct: the proxy sees nothing', async () => {
      const e = engine({
        proxy: proxyConfig({ HTTPS_PROXY: proxy.url(), HTTP_PROXY: proxy.url(), NO_PROXY: '127.0.0.1' }),
        ca: [fs.readFileSync(certs.ca, 'utf8')],
      });
      try {
        const tlsRecord = await e.sendAs({ method: 'GET', url: '/a', headers: {} }, asJane(connection(tlsUrl)));
        const plainRecord = await e.sendAs({ method: 'GET', url: '/b', headers: {} }, asJane(connection(plainUrl)));
        assert.equal(tlsRecord.via, 'direct');
        assert.equal(plainRecord.via, 'direct');
        assert.deepEqual(proxy.seen, []);
        assert.deepEqual(
          originSeen.map((s) => s.url),
          ['/a', '/b'],
        );
      } finally {
        await e.dispose();
      }
    });

    it('"verifyTls": false holds through the proxy (the tunnel’s TLS), with its warning', async () => {
      const e = engine({ proxy: proxyConfig({ HTTPS_PROXY: proxy.url() }) });
      try {
        await assert.rejects(e.sendAs({ method: 'GET', url: '/strict', headers: {} }, asJane(connection(tlsUrl))), (err: BehalfError) => err.code === 'tls');
        const record = await e.sendAs({ method: 'GET', url: '/lax', headers: {} }, asJane({ ...connection(tlsUrl), verifyTls: false }));
        assert.equal(record.status, 200);
        assert.equal(record.via, `via proxy ${proxy.hostPort}`);
        assert.ok(record.notes.some((n) => /TLS verification is off/.test(n)));
      } finally {
        await e.dispose();
      }
    });

    it("a CONNECT the proxy refuses (it cannot reach the origin) is the proxy's answer, named as such", async () => {
      const e = engine({ proxy: proxyConfig({ HTTPS_PROXY: proxy.url() }) });
      try {
        await assert.rejects(
          e.sendAs({ method: 'GET', url: '/x', headers: {} }, asJane(connection('https://127.0.0.1:9'))),
          (err: BehalfError) =>
            err.code === 'proxy' &&
            err.message === `Not sent: the proxy at ${proxy.hostPort} (from HTTPS_PROXY) would not open a tunnel to 127.0.0.1:9 (500 Internal Server Error).`,
        );
        assert.deepEqual(
          proxy.seen.map((s) => `${s.method} ${s.url}`),
          ['CONNECT 127.0.0.1:9'],
        );
      } finally {
        await e.dispose();
      }
    });

    it('the proxy password is registered with the redactor', async () => {
      const e = engine({ proxy: proxyConfig({ HTTPS_PROXY: authProxy.url(`${PROXY_USER}:${PROXY_PASSWORD}`) }) });
      try {
        assert.equal(e.redactor.text(`x ${PROXY_PASSWORD} y`).includes(PROXY_PASSWORD), false);
      } finally {
        await e.dispose();
      }
    });
  });

  describe('the CLI (dist/cli.js)', () => {
    let config: string;
    let httpFile: string;
    let plainHttpFile: string;

    before(function () {
      if (!fs.existsSync(CLI)) this.skip();
      config = path.join(dir, 'behalf.connections.json');
      const file = (c: Connection) => {
        const { settings, ...rest } = c;
        return { ...rest, ...settings };
      };
      const mtls = (id: string, extra: object) => ({ ...file(connection(mtlsUrl)), id, ...extra });
      fs.writeFileSync(
        config,
        JSON.stringify(
          {
            connections: [
              file(connection(tlsUrl)),
              { ...file(connection(plainUrl)), id: 'corp-plain' },
              // Its own proxy (over a dead HTTPS_PROXY) and TLS files, relative to the connections file.
              mtls('mtls', { proxy: proxy.url(), tls: { caFile: 'ca.pem', certFile: 'client.pem', keyFile: 'client.key' } }),
              mtls('mtls-direct', { proxy: 'direct', tls: { caFile: 'ca.pem', certFile: 'client.pem', keyFile: 'client.key' } }),
              mtls('mtls-nocert', { proxy: 'direct', tls: { caFile: 'ca.pem' } }),
            ],
          },
          null,
          2,
        ),
      );
      httpFile = path.join(dir, 'whoami.http');
      fs.writeFileSync(httpFile, '### whoami\n# @name whoami\n# @connection corp\n# @as jane\nGET /api/whoami\n');
      plainHttpFile = path.join(dir, 'plain.http');
      fs.writeFileSync(plainHttpFile, '### whoami\n# @name whoami\n# @connection corp-plain\n# @as jane\nGET /api/whoami\n');
    });

    function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
      return runProcess(process.execPath, [CLI, ...args, '--config', config], {
        cwd: dir,
        env: {
          PATH: process.env.PATH ?? '',
          BEHALF_SECRET_CORP: TOKEN,
          BEHALF_SECRET_CORP_PLAIN: TOKEN,
          BEHALF_SECRET_MTLS: TOKEN,
          BEHALF_SECRET_MTLS_DIRECT: TOKEN,
          BEHALF_SECRET_MTLS_NOCERT: TOKEN,
          ...env,
        },
      });
    }
    const neverPrinted = (r: { out: string; err: string }) => {
      for (const secret of [
        PROXY_PASSWORD,
        encodeURIComponent(PROXY_PASSWORD),
        Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64'),
        TOKEN,
        TLS_PASSPHRASE,
      ])
        assert.ok(!r.out.includes(secret) && !r.err.includes(secret), `printed: ${secret}\n${r.out}\n${r.err}`);
    };

    it('HTTPS_PROXY with credentials + --cacert: through the tunnel, --verbose names the proxy, credentials never printed', async () => {
      const env = { HTTPS_PROXY: authProxy.url(`${PROXY_USER}:${PROXY_PASSWORD}`) };
      const r = await cli(['send', httpFile, '--cacert', certs.ca, '--verbose'], env);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /← 200 OK .* · via proxy 127\.0\.0\.1:\d+/);
      assert.match(r.err, new RegExp(`GET ${tlsUrl.replace(/\./g, '\\.')}/api/whoami: via proxy ${authProxy.hostPort}`));
      assert.deepEqual(
        authProxy.seen.map((s) => `${s.method} ${s.url}`),
        [`CONNECT ${new URL(tlsUrl).host}`],
      );
      assert.equal(authProxy.seen[0].proxyAuthorization, `Basic ${Buffer.from(`${PROXY_USER}:${PROXY_PASSWORD}`).toString('base64')}`);
      assert.equal(originSeen[0].actAs, 'jane@acme.test');
      neverPrinted(r);
      const json = await cli(['send', httpFile, '--cacert', certs.ca, '--json', '--verbose'], env);
      assert.equal(json.code, 0, json.err);
      assert.equal(JSON.parse(json.out).via, `via proxy ${authProxy.hostPort}`);
      neverPrinted(json);
    });

    it('--verbose says "direct" when no proxy applies; NO_PROXY and --noproxy bypass it', async () => {
      const direct = await cli(['send', httpFile, '--cacert', certs.ca, '--verbose']);
      assert.equal(direct.code, 0, direct.err);
      assert.match(direct.err, /\/api\/whoami: direct/);
      const bypass = await cli(['send', httpFile, '--cacert', certs.ca, '--verbose'], { HTTPS_PROXY: proxy.url(), NO_PROXY: 'localhost,127.0.0.1' });
      assert.equal(bypass.code, 0, bypass.err);
      assert.match(bypass.err, /\/api\/whoami: direct/);
      // A dead proxy in the environment, bypassed by --noproxy.
      const flag = await cli(['send', httpFile, '--cacert', certs.ca, '--noproxy', '127.0.0.1'], {
        HTTPS_PROXY: 'http://127.0.0.1:9',
        NO_PROXY: 'other.example',
      });
      assert.equal(flag.code, 0, flag.err);
      assert.deepEqual(proxy.seen, []);
    });

    it('--proxy overrides the environment; --proxy direct turns it off; a proxy that is not there says so', async () => {
      const over = await cli(['send', httpFile, '--cacert', certs.ca, '--proxy', proxy.url()], { HTTPS_PROXY: 'http://127.0.0.1:9' });
      assert.equal(over.code, 0, over.err);
      assert.equal(proxy.seen.length, 1);
      const off = await cli(['send', httpFile, '--cacert', certs.ca, '--proxy', 'direct'], { HTTPS_PROXY: 'http://127.0.0.1:9' });
      assert.equal(off.code, 0, off.err);
      const dead = await cli(['send', httpFile, '--cacert', certs.ca], { HTTPS_PROXY: `http://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:9` });
      assert.equal(dead.code, 1);
      assert.match(dead.err, /Could not connect to the proxy at 127\.0\.0\.1:9 \(from HTTPS_PROXY\): connection refused/);
      neverPrinted(dead);
      const socks = await cli(['send', httpFile], { https_proxy: `socks5://${PROXY_USER}:${PROXY_PASSWORD}@127.0.0.1:1080` });
      assert.equal(socks.code, 1);
      assert.match(socks.err, /^behalf: The proxy in https_proxy is a socks5 proxy; Behalf supports http:\/\/ and https:\/\/ proxies/);
      neverPrinted(socks);
      assert.equal(originSeen.length, 2, 'only the two runs that got through reached the origin');
    });

    it('407 without credentials: "the proxy at host:port asked for authentication", exit 1', async () => {
      const r = await cli(['send', httpFile, '--cacert', certs.ca], { HTTPS_PROXY: authProxy.url() });
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, new RegExp(`the proxy at ${authProxy.hostPort} \\(from HTTPS_PROXY\\) asked for authentication \\(407`));
      assert.match(r.err, /http:\/\/user:password@host:port/);
      assert.deepEqual(originSeen, []);
      const plain = await cli(['send', plainHttpFile], { HTTP_PROXY: authProxy.url() });
      assert.equal(plain.code, 1, plain.err);
      assert.match(plain.err, /asked for authentication \(407/);
    });

    it('407 with wrong credentials: "refused the proxy credentials", exit 1, the password never printed (text or --json)', async () => {
      const wrong = `${PROXY_USER}:${PROXY_PASSWORD}-wrong`;
      const r = await cli(['send', httpFile, '--cacert', certs.ca], { HTTPS_PROXY: authProxy.url(wrong) });
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, new RegExp(`the proxy at ${authProxy.hostPort} \\(from HTTPS_PROXY\\) refused the proxy credentials \\(407`));
      const json = await cli(['send', httpFile, '--cacert', certs.ca, '--json', '--verbose'], { HTTPS_PROXY: authProxy.url(wrong) });
      assert.equal(json.code, 1);
      assert.equal(JSON.parse(json.out).error.code, 'proxy-auth');
      neverPrinted(r);
      neverPrinted(json);
      const plain = await cli(['send', plainHttpFile, '--verbose'], { HTTP_PROXY: authProxy.url(wrong) });
      assert.equal(plain.code, 1);
      assert.match(plain.err, /refused the proxy credentials/);
      neverPrinted(plain);
    });

    it('an untrusted CA is refused with what to do (--cacert, NODE_EXTRA_CA_CERTS, verifyTls); NODE_EXTRA_CA_CERTS keeps working', async () => {
      for (const env of [{}, { HTTPS_PROXY: proxy.url() }] as Array<Record<string, string>>) {
        const r = await cli(['send', httpFile], env);
        assert.equal(r.code, 1, r.err);
        assert.match(r.err, /is signed by a CA this run does not trust \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN): /);
        assert.match(r.err, /--cacert <ca\.pem>.*NODE_EXTRA_CA_CERTS=<ca\.pem>.*"verifyTls": false/);
      }
      assert.deepEqual(originSeen, []);
      const extra = await cli(['send', httpFile, '--proxy', proxy.url()], { NODE_EXTRA_CA_CERTS: certs.ca });
      assert.equal(extra.code, 0, extra.err);
      // --cacert for another CA, NODE_EXTRA_CA_CERTS still trusted beside it.
      const other = path.join(dir, 'other-ca.pem');
      makeSelfSigned({ dir, keyFile: 'other.key', certFile: 'other-ca.pem', commonName: 'Other CA' });
      const both = await cli(['send', httpFile, '--cacert', other], { NODE_EXTRA_CA_CERTS: certs.ca });
      assert.equal(both.code, 0, both.err);
      const missing = await cli(['send', httpFile, '--cacert', path.join(dir, 'nope.pem')]);
      assert.equal(missing.code, 1);
      assert.match(missing.err, /Cannot read the CA file .*nope\.pem \(--cacert\): no such file/);
    });

    it('a connection\'s "proxy" and "tls": its proxy over the environment, its CA and client certificate, the passphrase a secret never printed', async () => {
      const send = (id: string, env: Record<string, string> = {}) => {
        const file = path.join(dir, `${id}.http`);
        fs.writeFileSync(file, `### whoami\n# @connection ${id}\n# @as jane\nGET /api/whoami\n`);
        return cli(['send', file, '--verbose', '--json'], { HTTPS_PROXY: 'http://127.0.0.1:9', ...env });
      };
      const passphrase = { BEHALF_SECRET_MTLS_TLS_PASSPHRASE: TLS_PASSPHRASE, BEHALF_SECRET_MTLS_DIRECT_TLS_PASSPHRASE: TLS_PASSPHRASE };
      const viaProxy = await send('mtls', passphrase);
      assert.equal(viaProxy.code, 0, viaProxy.err);
      assert.equal(JSON.parse(viaProxy.out).via, `via proxy ${proxy.hostPort}`);
      assert.deepEqual(JSON.parse(viaProxy.out).body, { path: '/api/whoami', authenticated: true, actAs: 'jane@acme.test' });
      assert.deepEqual(
        proxy.seen.map((s) => `${s.method} ${s.url}`),
        [`CONNECT ${new URL(mtlsUrl).host}`],
      );
      neverPrinted(viaProxy);
      const direct = await send('mtls-direct', passphrase);
      assert.equal(direct.code, 0, direct.err);
      assert.equal(JSON.parse(direct.out).via, 'direct');

      const noPassphrase = await send('mtls-direct');
      assert.equal(noPassphrase.code, 1, noPassphrase.err);
      assert.match(JSON.parse(noPassphrase.out).error.message, /The client certificate of mtls-direct's "tls\.keyFile" could not be used/);
      assert.match(JSON.parse(noPassphrase.out).error.message, /BEHALF_SECRET_MTLS_DIRECT_TLS_PASSPHRASE/);
      const wrong = await send('mtls-direct', { BEHALF_SECRET_MTLS_DIRECT_TLS_PASSPHRASE: `${TLS_PASSPHRASE}-wrong` });
      assert.equal(wrong.code, 1, wrong.err);
      assert.match(JSON.parse(wrong.out).error.message, /the passphrase may be wrong/);
      neverPrinted(wrong);
      const noCert = await send('mtls-nocert');
      assert.equal(noCert.code, 1, noCert.err);
      assert.match(JSON.parse(noCert.out).error.message, /refused the TLS handshake: it wants a client certificate/, noCert.out);
    });
  });
});
