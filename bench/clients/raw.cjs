// Baseline: a raw Node `http.request` loop on one keep-alive agent — the floor any client can reach.
//   node bench/clients/raw.cjs <url> <count> [bodyFile]   (GET without bodyFile, POST with it)
'use strict';
const http = require('node:http');
const fs = require('node:fs');

const [url, countArg, bodyFile] = process.argv.slice(2);
const count = Number(countArg);
const body = bodyFile ? fs.readFileSync(bodyFile) : undefined;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function once() {
  return new Promise((resolve, reject) => {
    const headers = body ? { 'content-type': 'application/json', 'content-length': body.length } : {};
    const req = http.request(url, { method: body ? 'POST' : 'GET', agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`status ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

(async () => {
  for (let i = 0; i < count; i++) await once();
})().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
