// Baseline of the big-download case: one GET, its body piped straight into a file — the floor of saving a download.
//   node bench/clients/save.cjs <url> <file>
'use strict';
const http = require('node:http');
const fs = require('node:fs');
const { pipeline } = require('node:stream/promises');

const [url, file] = process.argv.slice(2);
http
  .get(url, (res) => {
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
    pipeline(res, fs.createWriteStream(file)).catch((e) => {
      console.error(e);
      process.exitCode = 1;
    });
  })
  .on('error', (e) => {
    console.error(e);
    process.exitCode = 1;
  });
