// The benchmark's target: a plain Node `http` server on 127.0.0.1 with keep-alive.
//   GET  /data  → a ~2 KB JSON document (the same bytes every time)
//   POST /echo  → the request body back, with the request's content type
//   GET  /bytes/<n> → n bytes of application/octet-stream, streamed from one 1 MiB block (the big-download case)
// GET /__counts → requests served so far per kind (for the harness's checks). Anything else → 404. Started by bench/run.mjs as its own process (so its CPU is not the client's); prints one
// JSON line `{"url": "http://127.0.0.1:PORT"}` when listening and stops on SIGTERM / SIGINT / stdin end.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

export const DATA = JSON.stringify({
  totalRecords: 15,
  rows: Array.from({ length: 15 }, (_, i) => ({
    EntryId: 1000 + i,
    Name: `Project ${['Atlas', 'Borealis', 'Cedar', 'Delta', 'Echo', 'Fjord'][i % 6]} ${i}`,
    Stage: ['Sourcing', 'Diligence', 'Closed'][i % 3],
    Amount: 1250000 + i * 7331.25,
    Owner: { id: 6045 + (i % 4), email: `user${i % 4}@acme.test` },
    Active: i % 2 === 0,
  })),
});

export function startServer({ port = 0, host = '127.0.0.1' } = {}) {
  const data = Buffer.from(DATA);
  // Requests served per path, so the harness can check every tool really sent what it was asked to.
  const counts = { data: 0, echo: 0, bytes: 0, other: 0 };
  // Random, so that nothing on the way can compress it; one block, so that serving costs the server next to nothing.
  const block = randomBytes(1024 * 1024);
  const server = createServer({ keepAliveTimeout: 60_000, requestTimeout: 60_000 }, (req, res) => {
    if (req.method === 'GET' && req.url === '/__counts') {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(counts));
      return;
    }
    if (req.method === 'GET' && req.url.startsWith('/data')) {
      counts.data++;
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': data.length });
      res.end(data);
      return;
    }
    const bytes = req.method === 'GET' && /^\/bytes\/(\d+)$/.exec(req.url);
    if (bytes) {
      counts.bytes++;
      req.resume();
      const size = Number(bytes[1]);
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
      let sent = 0;
      const more = () => {
        while (sent < size) {
          const n = Math.min(block.length, size - sent);
          sent += n;
          if (!res.write(n === block.length ? block : block.subarray(0, n))) return void res.once('drain', more);
        }
        res.end();
      };
      more();
      return;
    }
    if (req.method === 'POST' && req.url.startsWith('/echo')) {
      counts.echo++;
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        res.writeHead(200, { 'content-type': req.headers['content-type'] || 'application/octet-stream', 'content-length': body.length });
        res.end(body);
      });
      return;
    }
    counts.other++;
    req.resume();
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"message":"Not found"}');
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      resolve({
        url: `http://${host}:${actual}`,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { url, close } = await startServer();
  process.stdout.write(`${JSON.stringify({ url, bytes: Buffer.byteLength(DATA) })}\n`);
  const stop = () => close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}
