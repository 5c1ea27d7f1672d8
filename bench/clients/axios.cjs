// Baseline: a bare axios loop (the project's own axios, the way most scripts use it) on a keep-alive agent.
//   node bench/clients/axios.cjs <url> <count> [bodyFile]   (GET without bodyFile, POST with it)
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const http = require('node:http');
const { createRequire } = require('node:module');
const axios = createRequire(path.join(__dirname, '..', '..', 'package.json'))('axios');

const [url, countArg, bodyFile] = process.argv.slice(2);
const count = Number(countArg);
const body = bodyFile ? fs.readFileSync(bodyFile, 'utf8') : undefined;
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });

(async () => {
  for (let i = 0; i < count; i++) {
    const res = body ? await axios.post(url, body, { httpAgent, headers: { 'content-type': 'application/json' } }) : await axios.get(url, { httpAgent });
    if (res.status !== 200) throw new Error(`status ${res.status}`);
  }
})().catch((e) => {
  console.error(e.message);
  process.exitCode = 1;
});
