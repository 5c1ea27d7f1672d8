// `behalf send --save`: the body streamed to a file over real sockets (dist/cli.js against the sandbox's generated
// download route; `npm run build` first), checked by hash; broken downloads; several requests; nothing secret shown.
// Also the transport's streaming save of a compressed body, against a plain Node server.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import { runCli } from '../../src/cli/main';
import type { Io } from '../../src/cli/io';
import { systemClock } from '../../src/core/ports';
import { sendHttp } from '../../src/core/transport';
import type { Sandbox } from '../../src/sandbox';
import { generatedBytes } from '../../src/sandbox/generatedBytes';
import { runProcess, freshCliWorld } from './support';

const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');
const MB = 1024 * 1024;

async function sha256(stream: NodeJS.ReadableStream): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(stream, hash);
  return hash.digest('hex');
}

describe('behalf send --save (dist/cli.js, streamed to a file)', function () {
  let sandbox: Sandbox;
  let dir: string;
  let config: string;

  before(function () {
    if (!fs.existsSync(CLI)) this.skip();
  });
  freshCliWorld('behalf-cli-save-', (world) => ({ sandbox, dir, config } = world));

  const env = () => ({ PATH: process.env.PATH ?? '', ...sandbox.secretsEnv() });
  const run = (args: string[]) => runProcess(process.execPath, [CLI, ...args, '--config', config], { cwd: dir, env: env() });
  const writeHttp = (lines: string[]) => {
    const file = path.join(dir, 'download.http');
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  };
  const download = (name: string, size: number, query = '') => [
    `### ${name}`,
    `# @name ${name}`,
    '# @connection gen-header-sandbox',
    `GET /api/bytes/${size}${query}`,
    '',
  ];
  const secretsIn = (text: string) => Object.values(sandbox.secretsEnv()).filter((secret) => secret && text.includes(secret));

  it('saves a body larger than the display limit byte for byte, prints no body, and says where it went', async () => {
    const size = 60 * MB + 12345; // over the default 50 MB limit: the limit bounds what is shown, not what is saved
    const file = writeHttp(download('big', size, '?seed=7'));
    const r = await run(['send', file, '--save', 'big.bin']);
    assert.equal(r.code, 0, r.err);
    const saved = path.join(dir, 'big.bin');
    assert.equal(fs.statSync(saved).size, size);
    assert.equal(await sha256(fs.createReadStream(saved)), await sha256(generatedBytes(size, 7)));
    assert.match(r.out, /← 200 OK · \d+ ms · 60\.0 MB/);
    assert.match(
      r.out,
      new RegExp(`note: Body saved to ${saved.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(60\\.0 MB\\); only its first 1\\.0 MB are shown\\.`),
    );
    assert.ok(r.out.length < 2000, `no body on stdout (${r.out.length} characters)`);
    assert.equal(r.err, '', 'no progress line when stderr is not a terminal');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['behalf.connections.json', 'big.bin', 'download.http'], 'no temporary file left');
    assert.deepEqual(secretsIn(r.out + r.err), []);
  });

  it('--json says where the body was saved and leaves the body out', async () => {
    const file = writeHttp(download('small', 1000));
    const r = await run(['send', file, '--save', 'small.bin', '--json']);
    assert.equal(r.code, 0, r.err);
    const record = JSON.parse(r.out) as { status: number; body?: unknown; saved: { path: string; bytes: number } };
    assert.equal(record.status, 200);
    assert.equal(record.body, undefined);
    assert.deepEqual(record.saved, { path: path.join(dir, 'small.bin'), bytes: 1000 });
    assert.equal(await sha256(fs.createReadStream(path.join(dir, 'small.bin'))), await sha256(generatedBytes(1000)));
    assert.deepEqual(secretsIn(r.out + r.err), []);
  });

  it('a download the server breaks off exits 1, says how much came, and leaves no file (not even a partial one)', async () => {
    const file = writeHttp(download('cut', 8 * MB, `?cutAfter=${3 * MB}`));
    fs.writeFileSync(path.join(dir, 'cut.bin'), 'the previous download');
    const r = await run(['send', file, '--save', 'cut.bin']);
    assert.equal(r.code, 1, r.err);
    assert.match(
      r.err,
      /^cut \(line 4\): http:\/\/127\.0\.0\.1:\d+ closed the connection after [\d.]+ MB of 8\.0 MB of the body: the download is incomplete and the partial file was removed\. — retry/m,
    );
    assert.equal(r.out, '');
    assert.equal(fs.readFileSync(path.join(dir, 'cut.bin'), 'utf8'), 'the previous download', 'the file of that name is left as it was');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['behalf.connections.json', 'cut.bin', 'download.http']);
  });

  it('with several requests, a file is refused before anything is sent; a folder gets one file per request, by name', async () => {
    const file = writeHttp([...download('first', 5000, '?seed=1'), ...download('second', 7000, '?seed=2')]);
    const refused = await run(['send', file, '--save', 'one.bin']);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /--save one\.bin takes one response, and this run sends 2 requests: pick one with --name, or give a folder/);
    assert.equal(sandbox.log.length, 0, 'nothing was sent');

    fs.mkdirSync(path.join(dir, 'out'));
    const r = await run(['send', file, '--save', 'out']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(fs.readdirSync(path.join(dir, 'out')).sort(), ['first', 'second']);
    assert.equal(await sha256(fs.createReadStream(path.join(dir, 'out', 'first'))), await sha256(generatedBytes(5000, 1)));
    assert.equal(await sha256(fs.createReadStream(path.join(dir, 'out', 'second'))), await sha256(generatedBytes(7000, 2)));

    const one = await run(['send', file, '--name', 'second', '--save', 'second.bin']);
    assert.equal(one.code, 0, one.err);
    assert.equal(fs.statSync(path.join(dir, 'second.bin')).size, 7000);
  });

  it('a folder that does not exist or cannot be written is refused before anything is sent', async () => {
    const file = writeHttp(download('small', 100));
    const missing = await run(['send', file, '--save', 'nowhere/small.bin']);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--save nowhere\/small\.bin: the folder .*nowhere does not exist\./);
    const noFolder = await run(['send', file, '--save', 'nowhere/']);
    assert.equal(noFolder.code, 2);
    assert.match(noFolder.err, /--save nowhere\/: no such folder; create it first, or name a file\./);
    assert.equal(sandbox.log.length, 0);
  });

  it('draws a progress line on a terminal stderr, and clears it when done', async () => {
    const file = writeHttp(download('big', 40 * MB));
    let err = '';
    let out = '';
    const io: Io = {
      out: (t) => (out += t),
      err: (t) => (err += t),
      env: { ...env() },
      cwd: dir,
      interactive: false,
      stderrIsTerminal: true,
    };
    const code = await runCli(['send', file, '--save', 'big.bin', '--config', config], io);
    assert.equal(code, 0, err);
    assert.ok(err.startsWith('\r\x1b[Ksaving big.bin: '), 'each line redraws the one before (carriage return, erase line)');
    assert.match(err, /saving big\.bin: [\d.]+ [KM]?B of 40\.0 MB \(\d+%\) · [\d.]+ [KM]?B\/s/);
    assert.match(err, /saving big\.bin: 40\.0 MB of 40\.0 MB \(100%\)/, 'the last line shows the whole body');
    assert.ok(err.endsWith('\r\x1b[K'), 'the line is cleared at the end');
    assert.equal(fs.statSync(path.join(dir, 'big.bin')).size, 40 * MB);
    assert.match(out, /Body saved to/);
  });
});

describe('transport: saving a body as it arrives', () => {
  let server: http.Server;
  let url: string;
  let dir: string;
  const plain = Buffer.from('x'.repeat(300_000) + 'end');
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/gzip') {
        const body = gzipSync(plain);
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': body.length });
        res.end(body);
      } else {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
        res.end('not gzip at all');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-save-'));
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const request = (p: string) => ({ method: 'GET', url: `${url}${p}`, headers: {}, identityHeaders: [], trustedOrigin: url });

  it('decodes a compressed body into the file and keeps only keepBytes of it in memory', async () => {
    const target = path.join(dir, 'plain.txt');
    const res = await sendHttp(request('/gzip'), { clock: systemClock, saveBody: { path: target, keepBytes: 1000 } });
    assert.ok(fs.readFileSync(target).equals(plain));
    assert.equal(res.body.length, 1000);
    assert.deepEqual(res.saved, { path: target, bytes: plain.length });
    assert.equal(res.headers['content-encoding'], undefined);
    assert.equal(res.headers['content-length'], String(plain.length));
  });

  it('a body that is not what its Content-Encoding says fails and leaves no file', async () => {
    const target = path.join(dir, 'bad.txt');
    await assert.rejects(sendHttp(request('/bad'), { clock: systemClock, saveBody: { path: target } }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'decode');
      assert.match(e.message, /says it is gzip-compressed but could not be decompressed .*; the partial file was removed\./);
      return true;
    });
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.startsWith('bad')),
      [],
    );
  });
});
