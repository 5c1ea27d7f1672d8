// Corporate networks in a real VS Code (issue 15): VS Code's http.proxy / http.noProxy route Behalf's requests
// through a real forward proxy (the `proxy` package, logging what it saw), with VS Code's own proxy support active
// (http.proxySupport "override", the default, which replaces the agents of requests to hosts other than localhost /
// 127.0.0.1). The origin is a self-signed https server on 127.0.0.2, which that patch does not skip: so these tests
// see what Behalf does with the patch in place — through the proxy (one CONNECT for two requests: keep-alive holds),
// directly by http.noProxy, "verifyTls": false both ways, and a certificate it does not trust refused.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import type { createProxy as CreateProxy } from 'proxy';
import * as vscode from 'vscode';
import type { ResponseView } from '../../src/protocol/response';
import type { BehalfApi } from '../../src/extension/extension';
import { unpatchedRequests } from '../../src/extension/network';
import { EXTENSION_ID } from './support';
import { makeSelfSigned } from '../support/certificates';

// Loaded from node_modules at run time: bundled, the package no longer finds its own package.json.
const { createProxy } = createRequire(__filename)('proxy') as { createProxy: typeof CreateProxy };
const CONNECTIONS_FILE = 'proxy-test.connections.json';
const TLS_PASSPHRASE = 'it-k3y-passphrase-5v';
const PROXY_AUTHORIZATION = `Basic ${Buffer.from('corp-user:pr0xy-auth-s3cret').toString('base64')}`;

describe('Corporate networks in a real VS Code: http.proxy, http.noProxy, verifyTls', function () {
  this.timeout(60_000);
  let api: BehalfApi;
  let dir: string;
  let origin: https.Server;
  /** Wants a client certificate: the self-signed one whose key is encrypted with TLS_PASSPHRASE. */
  let mtlsOrigin: https.Server;
  const mtlsSeen: string[] = [];
  let originUrl: string;
  let proxy: http.Server;
  let proxyUrl: string;
  /** What the proxy saw: method and target ("CONNECT 127.0.0.2:port"), and the Proxy-Authorization it got. */
  const proxySeen: { line: string; proxyAuthorization?: string }[] = [];
  const originSeen: string[] = [];
  let originConnections = 0;
  let folder: vscode.Uri;
  let file: vscode.Uri;
  const errors: string[] = [];
  let restoreMessages: () => void;

  const httpSettings = () => vscode.workspace.getConfiguration('http');
  const setHttp = (key: string, value: unknown) => httpSettings().update(key, value, vscode.ConfigurationTarget.Global);

  before(async function () {
    try {
      execFileSync('openssl', ['version'], { stdio: 'pipe' });
    } catch {
      assert.fail('openssl is needed to make the test certificate (node scripts/tools.mjs ensure installs it)');
    }
    const extension = vscode.extensions.getExtension<BehalfApi>(EXTENSION_ID);
    assert.ok(extension);
    api = await extension.activate();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-it-proxy-'));
    // A self-signed certificate for 127.0.0.2: no CA anyone trusts.
    makeSelfSigned({ dir, keyFile: 'key.pem', certFile: 'cert.pem', commonName: 'partner.test', extensions: ['subjectAltName=IP:127.0.0.2,DNS:partner.test'] });
    // A client certificate whose key is encrypted with TLS_PASSPHRASE; the mTLS origin trusts exactly it.
    makeSelfSigned({
      dir,
      keyFile: 'client.key',
      certFile: 'client.pem',
      commonName: 'behalf-client',
      extensions: ['extendedKeyUsage=clientAuth'],
      passphrase: TLS_PASSPHRASE,
    });
    mtlsOrigin = https.createServer(
      {
        key: fs.readFileSync(path.join(dir, 'key.pem')),
        cert: fs.readFileSync(path.join(dir, 'cert.pem')),
        ca: fs.readFileSync(path.join(dir, 'client.pem')),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => {
        mtlsSeen.push(String((req.socket as import('node:tls').TLSSocket).getPeerCertificate().subject?.CN));
        res.setHeader('content-type', 'application/json');
        res.end('{"mtls":true}');
      },
    );
    await new Promise<void>((resolve) => mtlsOrigin.listen(0, '127.0.0.2', resolve));
    origin = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }, (req, res) => {
      originSeen.push(`${req.method} ${req.url}`);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true, path: req.url }));
    });
    origin.on('secureConnection', () => originConnections++);
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.2', resolve));
    originUrl = `https://127.0.0.2:${(origin.address() as AddressInfo).port}`;

    proxy = createProxy(http.createServer());
    (proxy as unknown as { authenticate: (req: http.IncomingMessage) => boolean }).authenticate = (req) => {
      proxySeen.push({ line: `${req.method} ${req.url}`, proxyAuthorization: req.headers['proxy-authorization'] });
      return true;
    };
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

    folder = vscode.workspace.workspaceFolders![0].uri;
    const connection = (id: string, verifyTls: boolean) => ({
      id,
      vendor: 'generic',
      label: `Partner gateway (${id})`,
      baseUrl: originUrl,
      auth: 'none',
      verifyTls,
      production: false,
      impersonation: { kind: 'header', headers: { 'X-Impersonate-User': '{{principal.email}}' } },
      principals: [{ id: 'jane', email: 'jane@acme.test', name: 'Jane Doe' }],
    });
    fs.writeFileSync(
      path.join(folder.fsPath, CONNECTIONS_FILE),
      JSON.stringify(
        {
          connections: [
            connection('partner-lax', false),
            connection('partner-strict', true),
            {
              ...connection('partner-mtls', false),
              baseUrl: `https://127.0.0.2:${(mtlsOrigin.address() as AddressInfo).port}`,
              tls: { certFile: path.join(dir, 'client.pem'), keyFile: path.join(dir, 'client.key') },
            },
          ],
        },
        null,
        2,
      ),
    );
    file = vscode.Uri.joinPath(folder, 'proxy-test.http');
    fs.writeFileSync(
      file.fsPath,
      [
        '### lax',
        '# @connection partner-lax',
        'GET /hello',
        '',
        '### strict',
        '# @connection partner-strict',
        'GET /strict',
        '',
        '### mtls',
        '# @connection partner-mtls',
        'GET /mtls',
        '',
      ].join('\n'),
    );
    await vscode.workspace.getConfiguration('behalf').update('connectionsFile', CONNECTIONS_FILE, vscode.ConfigurationTarget.Workspace);
    await setHttp('proxySupport', 'override');

    // Error messages are recorded (and not shown); modal confirmations, if any, are answered "Send".
    const window = vscode.window as unknown as Record<'showWarningMessage' | 'showErrorMessage', (...args: unknown[]) => Thenable<unknown>>;
    const original = { warning: window.showWarningMessage, error: window.showErrorMessage };
    window.showWarningMessage = (...args: unknown[]) => {
      const options = args[1];
      if (options && typeof options === 'object' && (options as vscode.MessageOptions).modal) return Promise.resolve('Send');
      return original.warning.apply(vscode.window, args);
    };
    window.showErrorMessage = (...args: unknown[]) => {
      errors.push(String(args[0]));
      return Promise.resolve(undefined);
    };
    restoreMessages = () => {
      window.showWarningMessage = original.warning;
      window.showErrorMessage = original.error;
    };
  });

  after(async () => {
    restoreMessages?.();
    for (const key of ['proxy', 'noProxy', 'proxySupport', 'proxyAuthorization']) await setHttp(key, undefined);
    await vscode.workspace.getConfiguration('behalf').update('connectionsFile', undefined, vscode.ConfigurationTarget.Workspace);
    await api?.services.disposeEngine();
    for (const server of [origin, mtlsOrigin, proxy]) server?.closeAllConnections();
    await Promise.all([origin, mtlsOrigin, proxy].map((server) => server && new Promise((resolve) => server.close(resolve))));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Send the request at `line`; the response panel's view when it answered, undefined when it failed (see `errors`). */
  async function send(line: number): Promise<ResponseView | undefined> {
    const failed = errors.length;
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
    await vscode.commands.executeCommand('behalf.sendRequest', file, line);
    if (errors.length > failed) return undefined;
    return (api.panelViews() as ResponseView[]).find((v) => 'sentAs' in v && 'curl' in v);
  }

  it("VS Code's proxy support is active in this host: https.request is patched, and Behalf sends with Node's originals", () => {
    const originals = unpatchedRequests();
    assert.ok(originals, 'VS Code keeps the originals as __vscodeOriginal');
    assert.notEqual(originals.https, https.request, 'https.request is VS Code’s patched one');
  });

  it('http.proxy: https goes through a CONNECT tunnel to 127.0.0.2, once for two requests (keep-alive), verifyTls false holds', async () => {
    await setHttp('proxy', proxyUrl);
    await setHttp('proxyAuthorization', PROXY_AUTHORIZATION);
    const connectionsBefore = originConnections;
    const first = await send(2);
    const second = await send(2);
    assert.deepEqual(errors, []);
    assert.equal(first?.status, 200);
    assert.equal(second?.status, 200);
    assert.equal(first?.via, `via proxy 127.0.0.1:${(proxy.address() as AddressInfo).port}`);
    const target = new URL(originUrl).host;
    assert.deepEqual(
      proxySeen.map((s) => s.line),
      [`CONNECT ${target}`],
      'the proxy saw one CONNECT to the origin and nothing else (no path, no headers)',
    );
    assert.equal(proxySeen[0].proxyAuthorization, PROXY_AUTHORIZATION, 'http.proxyAuthorization went to the proxy');
    assert.deepEqual(originSeen.slice(-2), ['GET /hello', 'GET /hello']);
    assert.equal(originConnections - connectionsBefore, 1, 'one TLS connection to the origin served both requests');
    // The Proxy-Authorization value is a secret: not in what the panels were given.
    assert.ok(!JSON.stringify(api.panelViews()).includes(PROXY_AUTHORIZATION.split(' ')[1]));
  });

  it('a certificate no trusted CA signed is refused through the proxy, saying what to do', async () => {
    errors.length = 0;
    await send(6);
    assert.equal(errors.length, 1);
    assert.match(errors[0], /signed by a CA this run does not trust \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)/);
    assert.match(errors[0], /http\.systemCertificates.*NODE_EXTRA_CA_CERTS.*"verifyTls": false/);
    assert.match(errors[0], /If the proxy at 127\.0\.0\.1:\d+ inspects TLS/);
    errors.length = 0;
  });

  it('http.noProxy naming the host sends it directly: the proxy sees nothing; verifyTls false holds there too', async () => {
    await setHttp('noProxy', ['127.0.0.2']);
    const seen = proxySeen.length;
    const view = await send(2);
    assert.deepEqual(errors, []);
    assert.equal(view?.status, 200);
    assert.equal(view?.via, 'direct');
    assert.equal(proxySeen.length, seen, 'the proxy saw nothing');
    assert.equal(originSeen[originSeen.length - 1], 'GET /hello');
  });

  it('no proxy setting: VS Code routes the request (its proxy support) and verifyTls false still holds', async () => {
    await setHttp('noProxy', undefined);
    await setHttp('proxy', undefined);
    const seen = proxySeen.length;
    const view = await send(2);
    assert.deepEqual(errors, []);
    assert.equal(view?.status, 200);
    assert.equal(view?.via, 'direct');
    assert.equal(proxySeen.length, seen);
  });

  it('a client key with a passphrase: the send says where to set it; Set Secret… offers "TLS key passphrase"; then it is presented', async () => {
    errors.length = 0;
    await send(10);
    assert.equal(errors.length, 1);
    assert.match(errors[0], /The client certificate of partner-mtls's "tls\.keyFile" could not be used/);
    assert.match(errors[0], /run "Behalf: Set Secret…" on connection "partner-mtls" and choose "TLS key passphrase"/);
    errors.length = 0;

    const connection = (await api.services.store.connection('partner-mtls'))!;
    const window = vscode.window as unknown as Record<'showQuickPick' | 'showInputBox', (...args: unknown[]) => Thenable<unknown>>;
    const original = { showQuickPick: window.showQuickPick, showInputBox: window.showInputBox };
    const offered: string[] = [];
    window.showQuickPick = async (items: unknown) => {
      const list = (await items) as { label: string }[];
      offered.push(...list.map((i) => i.label));
      return list.find((i) => i.label === 'TLS key passphrase');
    };
    window.showInputBox = async (options: unknown) => {
      assert.equal((options as vscode.InputBoxOptions).password, true, 'a password box');
      return TLS_PASSPHRASE;
    };
    try {
      await vscode.commands.executeCommand('behalf.setSecret', { kind: 'connection', connection });
    } finally {
      Object.assign(window, original);
    }
    // auth "none": no other secret to offer, so the passphrase is asked straight away.
    assert.deepEqual(offered, []);
    assert.equal(await api.services.secrets.get({ connectionId: 'partner-mtls', principalId: 'TLS_PASSPHRASE' }), TLS_PASSPHRASE);

    const view = await send(10);
    assert.deepEqual(errors, []);
    assert.equal(view?.status, 200);
    assert.deepEqual(mtlsSeen, ['behalf-client'], 'the origin got the client certificate');

    // The passphrase is nowhere: not in the panel, the workspace's files or Behalf's log.
    const places: [string, string][] = [['panel views', JSON.stringify(api.panelViews())]];
    const readTree = (root: string) => {
      if (!fs.existsSync(root)) return;
      for (const entry of fs.readdirSync(root, { withFileTypes: true, recursive: true })) {
        const full = path.join(entry.parentPath, entry.name);
        if (entry.isFile() && fs.statSync(full).size < 5_000_000) places.push([full, fs.readFileSync(full, 'latin1')]);
      }
    };
    readTree(folder.fsPath);
    readTree(api.services.context.logUri.fsPath);
    for (const [where, text] of places)
      for (const form of [TLS_PASSPHRASE, Buffer.from(TLS_PASSPHRASE).toString('base64')])
        assert.ok(!text.includes(form), `the passphrase leaked into ${where}`);
  });
});
