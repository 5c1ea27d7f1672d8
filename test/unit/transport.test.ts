// The transport on node:http / node:https, against real servers on 127.0.0.1: what axios used to do for us
// (content codings, size caps, timeouts, header checks) and what it never did (stalls, bombs, bad HTTP).
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import * as zlib from 'node:zlib';
import { isBehalfError } from '../../src/core/errors';
import type { PreparedRequest } from '../../src/core/model';
import { systemClock } from '../../src/core/ports';
import { sendHttp, type TransportOptions } from '../../src/core/transport';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => void;

describe('transport (node:http) over real sockets', () => {
  let server: http.Server;
  let base: string;
  let handler: Handler;
  const seen: Array<{ method: string; headers: http.IncomingHttpHeaders; body: Buffer }> = [];

  before(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        seen.push({ method: req.method!, headers: req.headers, body });
        handler(req, res, body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });
  beforeEach(() => (seen.length = 0));

  const request = (over: Partial<PreparedRequest> = {}): PreparedRequest => ({
    method: 'GET',
    url: `${base}/x`,
    headers: {},
    identityHeaders: [],
    trustedOrigin: base,
    ...over,
  });
  const send = (over: Partial<PreparedRequest> = {}, options: Partial<TransportOptions> = {}) => sendHttp(request(over), { clock: systemClock, ...options });
  async function rejection(promise: Promise<unknown>): Promise<{ code: string; message: string; hint?: string }> {
    try {
      await promise;
    } catch (e) {
      assert.ok(isBehalfError(e), `not a BehalfError: ${String(e)}`);
      return e;
    }
    assert.fail('expected a rejection');
  }

  it('sends the body as bytes with its Content-Length, and returns status, text and lower-case headers', async () => {
    handler = (_req, res, body) => {
      res.setHeader('Set-Cookie', ['a=1', 'b=2']);
      res.writeHead(201, 'Made', { 'X-Echo-Length': String(body.length), 'Content-Type': 'application/json' });
      res.end(body);
    };
    const body = JSON.stringify({ name: 'Zoë', n: [1, 2, 3] });
    const res = await send({ method: 'POST', body, headers: { 'Content-Type': 'application/json' } });
    assert.equal(res.status, 201);
    assert.equal(res.statusText, 'Made');
    assert.equal(res.body.toString('utf8'), body);
    assert.equal(res.headers['x-echo-length'], String(Buffer.byteLength(body)));
    assert.equal(res.headers['set-cookie'], 'a=1, b=2');
    assert.equal(seen[0].headers['content-length'], String(Buffer.byteLength(body)));
    assert.equal(seen[0].headers['user-agent'], 'behalf/0.1');
  });

  it("the caller's User-Agent and Accept-Encoding win (any case), nothing is sent twice", async () => {
    handler = (_req, res) => res.end('ok');
    await send({ headers: { 'user-agent': 'mine/1', 'accept-encoding': 'identity' } });
    assert.equal(seen[0].headers['user-agent'], 'mine/1');
    assert.equal(seen[0].headers['accept-encoding'], 'identity');
  });

  for (const [encoding, compress] of [
    ['gzip', zlib.gzipSync],
    ['deflate', zlib.deflateSync],
    ['deflate', zlib.deflateRawSync],
    ['br', zlib.brotliCompressSync],
  ] as const) {
    it(`asks for compression and undoes ${encoding}${compress === zlib.deflateRawSync ? ' (raw, as some servers send it)' : ''}`, async () => {
      const text = JSON.stringify({ rows: Array.from({ length: 200 }, (_, i) => ({ i, name: `row ${i}` })) });
      handler = (_req, res) => {
        res.writeHead(200, { 'Content-Encoding': encoding, 'Content-Type': 'application/json' });
        res.end(compress(Buffer.from(text)));
      };
      const res = await send();
      assert.match(String(seen[0].headers['accept-encoding']), /gzip/);
      assert.equal(res.body.toString('utf8'), text);
      assert.equal(res.headers['content-encoding'], undefined);
      assert.equal(res.headers['content-length'], String(Buffer.byteLength(text)));
    });
  }

  it('a body that is not what its Content-Encoding says is a clear error', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Encoding': 'gzip' });
      res.end('plain text, not gzip');
    };
    const e = await rejection(send());
    assert.equal(e.code, 'decode');
    assert.match(e.message, /says it is gzip-compressed but could not be decompressed/);
  });

  it('size cap: by Content-Length, while streaming, and after decompression (a small bomb)', async () => {
    const big = Buffer.alloc(64 * 1024, 'a');
    handler = (req, res) => {
      if (req.url === '/declared') return res.writeHead(200, { 'Content-Length': big.length }).end(big);
      if (req.url === '/chunked') {
        res.writeHead(200);
        res.write(big.subarray(0, 20_000));
        return setTimeout(() => res.end(big.subarray(20_000)), 5);
      }
      res.writeHead(200, { 'Content-Encoding': 'gzip' }).end(zlib.gzipSync(big));
    };
    for (const path of ['/declared', '/chunked', '/bomb']) {
      const e = await rejection(send({ url: `${base}${path}` }, { maxBodyBytes: 32 * 1024 }));
      assert.equal(e.code, 'too-large', path);
      assert.match(e.message, /larger than the 32\.0 KB limit; it was not kept/);
    }
  });

  it('no answer in time and a response that stalls half-way are timeouts with different sentences', async () => {
    handler = (req, res) => {
      if (req.url?.startsWith('/silent')) return; // never answers
      res.writeHead(200, { 'Content-Length': '10' });
      res.write('12345'); // and never the rest
    };
    const silent = await rejection(send({ url: `${base}/silent?token=secret` }, { timeoutMs: 150 }));
    assert.equal(silent.code, 'timeout');
    assert.equal(silent.message, `No response from ${base}/silent within 150 ms.`);
    const stalled = await rejection(send({ url: `${base}/stall` }, { timeoutMs: 150 }));
    assert.equal(stalled.code, 'timeout');
    assert.match(stalled.message, /stopped sending its response for 150 ms/);
    assert.doesNotMatch(silent.message + stalled.message, /secret/);
  });

  it('a connection closed in the middle of the body is a reset, not a short body', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('only part');
      setTimeout(() => res.socket?.destroy(), 5);
    };
    const e = await rejection(send());
    assert.equal(e.code, 'reset');
    assert.match(e.message, /closed the connection in the middle of the response/);
  });

  it('a header value with a line break is refused before anything is sent, naming the header not the value', async () => {
    handler = (_req, res) => res.end('ok');
    const e = await rejection(send({ headers: { 'X-Token': 'abc\r\nInjected: yes' } }));
    assert.equal(e.code, 'header');
    assert.match(e.message, /X-Token/);
    assert.doesNotMatch(e.message, /abc|Injected/);
    const name = await rejection(send({ headers: { 'Bad Name': 'x' } }));
    assert.equal(name.code, 'header');
    assert.equal(seen.length, 0);
  });

  it('refused connections, non-HTTP answers and non-http URLs each get their own sentence', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    assert.equal((await rejection(send({ url: `http://127.0.0.1:${port}/` }))).code, 'refused');

    const garbage = net.createServer((socket) => socket.end('SSH-2.0-OpenSSH\r\n\r\n'));
    await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', r));
    const bad = await rejection(send({ url: `http://127.0.0.1:${(garbage.address() as net.AddressInfo).port}/` }));
    garbage.close();
    assert.equal(bad.code, 'bad-response');
    assert.match(bad.hint ?? '', /right port and protocol/);

    assert.equal((await rejection(send({ url: 'ftp://example.test/file' }))).code, 'url');
    assert.equal((await rejection(send({ url: 'not a url' }))).code, 'url');
  });

  it('cancel mid-request rejects as cancelled and frees the socket', async () => {
    handler = () => undefined; // never answers
    const controller = new AbortController();
    const pending = send({}, { signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    assert.equal((await rejection(pending)).code, 'cancelled');
    handler = (_req, res) => res.end('after');
    assert.equal((await send()).body.toString(), 'after');
  });

  it('HEAD and 204 with a Content-Encoding header and no body are empty, not a decoding error', async () => {
    handler = (_req, res) => res.writeHead(204, { 'Content-Encoding': 'gzip' }).end();
    assert.equal((await send()).body.length, 0);
    handler = (_req, res) => res.writeHead(200, { 'Content-Encoding': 'gzip', 'Content-Length': '40' }).end();
    assert.equal((await send({ method: 'HEAD' })).body.length, 0);
  });
});
