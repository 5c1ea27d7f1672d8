// "verifyTls": false holds for every host, not only 127.0.0.1 (issue 15): the CLI (dist/cli.js, a real process)
// against a self-signed https server on 127.0.0.2, through a real forward proxy (the `proxy` package) and
// directly; the same server with verification on is refused with what to do. `npm run build` first.
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
    fs.writeFileSync(path.join(dir, 'behalf.connections.json'), JSON.stringify({ connections: [connection('lax', false), connection('strict', true)] }));
    for (const id of ['lax', 'strict']) fs.writeFileSync(path.join(dir, `${id}.http`), `# @connection ${id}\nGET /hello\n`);
  });

  after(async () => {
    origin?.closeAllConnections();
    proxy?.closeAllConnections();
    await Promise.all([origin, proxy].map((server) => server && new Promise((resolve) => server.close(resolve))));
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

  // http.proxyStrictSSL (VS Code): an https:// proxy whose own certificate is self-signed.
  describe('an https:// proxy with a self-signed certificate (proxyStrictSsl)', () => {
    let tlsProxy: http.Server;
    let tlsProxyUrl: string;
    const seen: string[] = [];
    // An origin by name (localhost, its own self-signed certificate): through a tunnel, https-proxy-agent checks the
    // certificate of an origin addressed by IP against "localhost" (it drops the host), so a name it is.
    let namedOrigin: https.Server;
    let namedHost: string;

    before(async () => {
      makeSelfSigned({ dir, keyFile: 'named.key', certFile: 'named.pem', commonName: 'localhost', extensions: ['subjectAltName=DNS:localhost'] });
      namedOrigin = https.createServer({ key: fs.readFileSync(path.join(dir, 'named.key')), cert: fs.readFileSync(path.join(dir, 'named.pem')) }, (_req, res) =>
        res.end('{"named":true}'),
      );
      await new Promise<void>((resolve) => namedOrigin.listen(0, '127.0.0.1', resolve));
      namedHost = `localhost:${(namedOrigin.address() as AddressInfo).port}`;
      tlsProxy = createProxy(https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }));
      (tlsProxy as unknown as { authenticate: (req: http.IncomingMessage) => boolean }).authenticate = (req) => {
        seen.push(`${req.method} ${req.url}`);
        return true;
      };
      await new Promise<void>((resolve) => tlsProxy.listen(0, '127.0.0.2', resolve));
      tlsProxyUrl = `https://127.0.0.2:${(tlsProxy.address() as AddressInfo).port}`;
    });
    after(async () => {
      for (const server of [tlsProxy, namedOrigin]) server?.closeAllConnections();
      await Promise.all([tlsProxy, namedOrigin].map((server) => server && new Promise((resolve) => server.close(resolve))));
    });

    const send = (proxyStrictSsl: boolean | undefined, ca: string[]) =>
      sendHttp(
        { method: 'GET', url: `https://${namedHost}/strict-ssl`, headers: {}, identityHeaders: [], trustedOrigin: `https://${namedHost}` },
        { clock: systemClock, network: { proxy: proxyConfig({}, { proxy: tlsProxyUrl }), proxyStrictSsl, ca } },
      );

    it('verified by default: refused; false: the proxy is not verified, the origin still is', async () => {
      const originCa = fs.readFileSync(path.join(dir, 'named.pem'), 'utf8');
      await assert.rejects(send(undefined, [originCa]), (e: BehalfError) => e.code === 'proxy' || e.code === 'tls');
      assert.deepEqual(seen, [], 'no CONNECT over an unverified TLS connection to the proxy');
      const ok = await send(false, [originCa]);
      assert.equal(ok.status, 200);
      assert.equal(ok.via, `via proxy 127.0.0.2:${(tlsProxy.address() as AddressInfo).port}`);
      assert.deepEqual(seen, [`CONNECT ${namedHost}`]);
      // The origin is still verified: without its CA it is refused, through the unverified proxy.
      await assert.rejects(send(false, []), (e: BehalfError) => e.code === 'tls' && /signed by a CA this run does not trust/.test(e.message));
    });
  });
});
