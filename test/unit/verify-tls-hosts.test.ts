// "verifyTls": false holds for every host, not only 127.0.0.1 (issue 15): the CLI (dist/cli.js, a real process)
// against a self-signed https server on 127.0.0.2, through a real forward proxy (the `proxy` package) and
// directly; the same server with verification on is refused with what to do. With its certificate trusted
// (--cacert, tls.caFile) it is accepted, checked against the IP address it is addressed by, through the tunnel too;
// a certificate for another address or for localhost is refused. `npm run build` first.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createProxy } from 'proxy';
import type { BehalfError } from '../../src/core/errors';
import { systemClock } from '../../src/core/ports';
import { proxyConfig } from '../../src/core/proxy';
import { sendHttp } from '../../src/core/transport';
import { runProcess } from './support';
import { makeSelfSigned } from '../support/certificates';

const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');

describe('"verifyTls": false on a host that is not 127.0.0.1 (CLI, through a proxy and direct)', function () {
  this.timeout(30_000);
  let dir: string;
  let origin: https.Server;
  let proxy: http.Server;
  let proxyHostPort: string;
  let originHost: string;
  const wrongOrigins: { name: string; server: https.Server; baseUrl: string }[] = [];
  const proxySeen: string[] = [];
  const originSeen: string[] = [];

  before(async function () {
    if (!fs.existsSync(CLI)) this.skip();
    try {
      execFileSync('openssl', ['version'], { stdio: 'pipe' });
    } catch {
      assert.fail('openssl is needed to make the test certificate (node scripts/tools.mjs ensure installs it)');
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-verifytls-'));
    makeSelfSigned({ dir, keyFile: 'key.pem', certFile: 'cert.pem', commonName: 'partner.test', extensions: ['subjectAltName=IP:127.0.0.2,DNS:partner.test'] });
    origin = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }, (req, res) => {
      originSeen.push(`${req.method} ${req.url}`);
      res.setHeader('content-type', 'application/json');
      res.end('{"ok":true}');
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.2', resolve));
    originHost = `127.0.0.2:${(origin.address() as AddressInfo).port}`;
    proxy = createProxy(http.createServer());
    (proxy as unknown as { authenticate: (req: http.IncomingMessage) => boolean }).authenticate = (req) => {
      proxySeen.push(`${req.method} ${req.url}`);
      return true;
    };
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyHostPort = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    const connection = (id: string, verifyTls: boolean) => ({
      id,
      vendor: 'generic',
      label: `Partner (${id})`,
      baseUrl: `https://${originHost}`,
      auth: 'none',
      verifyTls,
      impersonation: { kind: 'header', headers: { 'X-Impersonate-User': '{{principal.email}}' } },
      principals: [{ id: 'jane', email: 'jane@acme.test' }],
    });
    // Certificates a trusted CA signed, presented by 127.0.0.2, that name another address or a name: never valid for it.
    for (const [name, altNames] of [
      ['other-ip', 'IP:127.0.0.3'],
      ['localhost', 'DNS:localhost,IP:127.0.0.1'],
    ]) {
      makeSelfSigned({ dir, keyFile: `${name}.key`, certFile: `${name}.pem`, commonName: name, extensions: [`subjectAltName=${altNames}`] });
      const server = https.createServer(
        { key: fs.readFileSync(path.join(dir, `${name}.key`)), cert: fs.readFileSync(path.join(dir, `${name}.pem`)) },
        (_req, res) => res.end('{"wrong":true}'),
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.2', resolve));
      wrongOrigins.push({ name, server, baseUrl: `https://127.0.0.2:${(server.address() as AddressInfo).port}` });
    }
    // "pinned": verification on, the self-signed certificate trusted by the connection's tls.caFile.
    const pinned = { ...connection('pinned', true), tls: { caFile: 'cert.pem' } };
    const wrong = wrongOrigins.map((o) => ({ ...connection(o.name, true), baseUrl: o.baseUrl, tls: { caFile: `${o.name}.pem` } }));
    fs.writeFileSync(
      path.join(dir, 'behalf.connections.json'),
      JSON.stringify({ connections: [connection('lax', false), connection('strict', true), pinned, ...wrong] }),
    );
    for (const id of ['lax', 'strict', ...wrongOrigins.map((o) => o.name)]) fs.writeFileSync(path.join(dir, `${id}.http`), `# @connection ${id}\nGET /hello\n`);
    fs.writeFileSync(path.join(dir, 'pinned.http'), '# @connection pinned\nGET /hello\n\n###\n\n# @connection pinned\nGET /hello?again=1\n');
  });

  after(async () => {
    const servers = [origin, proxy, ...wrongOrigins.map((o) => o.server)];
    for (const server of servers) server?.closeAllConnections();
    await Promise.all(servers.map((server) => server && new Promise((resolve) => server.close(resolve))));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const cli = (id: string, args: string[] = []) =>
    runProcess(process.execPath, [CLI, 'send', path.join(dir, `${id}.http`), '--json', '--verbose', ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '' },
    });

  it('through the proxy: the CONNECT goes to 127.0.0.2, the self-signed certificate is accepted, with its warning', async () => {
    const r = await cli('lax', ['--proxy', `http://${proxyHostPort}`]);
    assert.equal(r.code, 0, r.err);
    const record = JSON.parse(r.out);
    assert.equal(record.status, 200);
    assert.equal(record.via, `via proxy ${proxyHostPort}`);
    assert.deepEqual(proxySeen, [`CONNECT ${originHost}`]);
    assert.match(r.err, /TLS verification is off for Partner \(lax\)/);
  });

  it('directly (--proxy direct): accepted too, the proxy sees nothing', async () => {
    const seen = proxySeen.length;
    const r = await cli('lax', ['--proxy', 'direct']);
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(r.out).via, 'direct');
    assert.equal(proxySeen.length, seen);
    assert.equal(originSeen.at(-1), 'GET /hello');
  });

  it('with verification on, the same server is refused both ways, saying what to do', async () => {
    for (const args of [
      ['--proxy', `http://${proxyHostPort}`],
      ['--proxy', 'direct'],
    ]) {
      const r = await cli('strict', args);
      assert.equal(r.code, 1, r.out);
      const message = JSON.parse(r.out).error.message as string;
      assert.match(message, new RegExp(`The TLS certificate of https://${originHost.replace(/\./g, '\\.')} is signed by a CA this run does not trust`));
      assert.match(JSON.stringify(JSON.parse(r.out).error), /--cacert/);
    }
  });

  // An IP origin through the tunnel: https-proxy-agent starts its TLS without the host (and SNI takes no address),
  // so Node checked the certificate against "localhost". It is checked against the address of the URL.
  it('verification on, the certificate trusted (--cacert): accepted through the proxy, checked against 127.0.0.2, and directly', async () => {
    for (const [args, via] of [
      [['--proxy', `http://${proxyHostPort}`], `via proxy ${proxyHostPort}`],
      [['--proxy', 'direct'], 'direct'],
    ] as const) {
      const seen = proxySeen.length;
      const r = await cli('strict', [...args, '--cacert', path.join(dir, 'cert.pem')]);
      assert.equal(r.code, 0, r.out + r.err);
      const record = JSON.parse(r.out);
      assert.equal(record.status, 200);
      assert.equal(record.via, via);
      assert.deepEqual(proxySeen.slice(seen), via === 'direct' ? [] : [`CONNECT ${originHost}`]);
      assert.doesNotMatch(r.err, /TLS verification is off/);
    }
  });

  it("the connection's tls.caFile: two requests through the proxy share one tunnel (keep-alive holds)", async () => {
    const seen = proxySeen.length;
    const r = await cli('pinned', ['--proxy', `http://${proxyHostPort}`]);
    assert.equal(r.code, 0, r.out + r.err);
    const records = r.out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      records.map((record) => [record.status, record.via]),
      [
        [200, `via proxy ${proxyHostPort}`],
        [200, `via proxy ${proxyHostPort}`],
      ],
    );
    assert.deepEqual(proxySeen.slice(seen), [`CONNECT ${originHost}`], 'one CONNECT for both requests');
    assert.deepEqual(originSeen.slice(-2), ['GET /hello', 'GET /hello?again=1']);
  });

  it('a trusted certificate for another address (127.0.0.3) or for localhost is refused for 127.0.0.2, through the proxy and directly', async () => {
    for (const { name, baseUrl } of wrongOrigins) {
      for (const args of [
        ['--proxy', `http://${proxyHostPort}`],
        ['--proxy', 'direct'],
      ]) {
        const r = await cli(name, args);
        assert.equal(r.code, 1, `${name} ${args.join(' ')}: ${r.out}`);
        const error = JSON.parse(r.out).error;
        assert.equal(error.code, 'tls');
        assert.match(
          error.message,
          new RegExp(`The TLS certificate of ${baseUrl.replace(/\./g, '\\.')} is not for that host name \\(ERR_TLS_CERT_ALTNAME_INVALID`),
        );
        assert.match(error.message, /IP: 127\.0\.0\.2 is not in the cert's list/, `${name} ${args.join(' ')}: checked against the URL's address`);
      }
    }
  });

  // http.proxyStrictSSL (VS Code): an https:// proxy whose own certificate is self-signed.
  describe('an https:// proxy with a self-signed certificate (proxyStrictSsl)', () => {
    let tlsProxy: http.Server;
    let tlsProxyUrl: string;
    const seen: string[] = [];
    // An origin of its own (its own self-signed certificate), addressed by IP: checked against that address.
    let ownOrigin: https.Server;
    let ownHost: string;

    before(async () => {
      makeSelfSigned({ dir, keyFile: 'own.key', certFile: 'own.pem', commonName: 'origin', extensions: ['subjectAltName=IP:127.0.0.1'] });
      ownOrigin = https.createServer({ key: fs.readFileSync(path.join(dir, 'own.key')), cert: fs.readFileSync(path.join(dir, 'own.pem')) }, (_req, res) =>
        res.end('{"own":true}'),
      );
      await new Promise<void>((resolve) => ownOrigin.listen(0, '127.0.0.1', resolve));
      ownHost = `127.0.0.1:${(ownOrigin.address() as AddressInfo).port}`;
      tlsProxy = createProxy(https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }));
      (tlsProxy as unknown as { authenticate: (req: http.IncomingMessage) => boolean }).authenticate = (req) => {
        seen.push(`${req.method} ${req.url}`);
        return true;
      };
      await new Promise<void>((resolve) => tlsProxy.listen(0, '127.0.0.2', resolve));
      tlsProxyUrl = `https://127.0.0.2:${(tlsProxy.address() as AddressInfo).port}`;
    });
    after(async () => {
      for (const server of [tlsProxy, ownOrigin]) server?.closeAllConnections();
      await Promise.all([tlsProxy, ownOrigin].map((server) => server && new Promise((resolve) => server.close(resolve))));
    });

    const send = (proxyStrictSsl: boolean | undefined, ca: string[]) =>
      sendHttp(
        { method: 'GET', url: `https://${ownHost}/strict-ssl`, headers: {}, identityHeaders: [], trustedOrigin: `https://${ownHost}` },
        { clock: systemClock, network: { proxy: proxyConfig({}, { proxy: tlsProxyUrl }), proxyStrictSsl, ca } },
      );

    it('verified by default: refused; false: the proxy is not verified, the origin still is', async () => {
      const originCa = fs.readFileSync(path.join(dir, 'own.pem'), 'utf8');
      await assert.rejects(send(undefined, [originCa]), (e: BehalfError) => e.code === 'proxy' || e.code === 'tls');
      assert.deepEqual(seen, [], 'no CONNECT over an unverified TLS connection to the proxy');
      const ok = await send(false, [originCa]);
      assert.equal(ok.status, 200);
      assert.equal(ok.via, `via proxy 127.0.0.2:${(tlsProxy.address() as AddressInfo).port}`);
      assert.deepEqual(seen, [`CONNECT ${ownHost}`]);
      // The origin is still verified: without its CA it is refused, through the unverified proxy.
      await assert.rejects(send(false, []), (e: BehalfError) => e.code === 'tls' && /signed by a CA this run does not trust/.test(e.message));
    });
  });
});
