// Request bodies from files in .http files (`< path`, `<@ path`, `<@latin1 path`), as REST Client and
// httpYac read them: parsed, resolved against real files, sent byte for byte to a real node:http server,
// and exported to cURL without inlining the files.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { curlBodyParts, toCurl } from '../../src/core/curl';
import { BehalfEngine } from '../../src/core/engine';
import { BehalfError } from '../../src/core/errors';
import { parseHttpFile } from '../../src/core/http/parser';
import { MAX_BODY_FILE_BYTES, readBodyFile, readHttpFile, readHttpFileLines, resolveRequest, type VariableContext } from '../../src/core/http/variables';
import type { Connection, RequestSpec } from '../../src/core/model';
import { envSecretStore, silentLog } from '../../src/core/ports';
import { allVendors } from '../../src/vendors';

/** Every byte value, twice, with CR, LF and NUL among them: what an image or a zip looks like to a parser. */
const BINARY = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i))]);

describe('.http body files', () => {
  let dir: string;
  let httpFile: string;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-body-'));
    httpFile = path.join(dir, 'api.http');
    fs.mkdirSync(path.join(dir, 'data'));
    fs.writeFileSync(path.join(dir, 'data', 'image.bin'), BINARY);
    fs.writeFileSync(path.join(dir, 'data', 'body.json'), '\ufeff{"name": "{{name}}", "raw": "{{"}\n');
    fs.writeFileSync(path.join(dir, 'data', 'template.json'), '{\n  "name": "{{name}}",\n  "id": {{$randomInt 7 8}}\n}\n');
    fs.writeFileSync(path.join(dir, 'data', 'latin1.txt'), Buffer.from('café {{name}} ü', 'latin1'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  function resolve(text: string, ctx: VariableContext = {}, index = 0): RequestSpec {
    const parsed = parseHttpFile(text, httpFile);
    assert.deepEqual(parsed.diagnostics, []);
    return resolveRequest(parsed, parsed.requests[index], ctx);
  }

  function resolveError(text: string, ctx: VariableContext = {}): BehalfError {
    const parsed = parseHttpFile(text, httpFile);
    try {
      resolveRequest(parsed, parsed.requests[0], ctx);
    } catch (e) {
      assert.ok(e instanceof BehalfError, String(e));
      return e;
    }
    return assert.fail('expected a BehalfError');
  }

  it('< path: the file as it is, a Buffer, no variable substitution, relative to the .http file', () => {
    const spec = resolve('POST /upload\nContent-Type: application/octet-stream\n\n< ./data/image.bin\n');
    assert.ok(Buffer.isBuffer(spec.body));
    assert.ok(BINARY.equals(spec.body));
    assert.deepEqual(spec.bodyFiles, [{ path: path.join(dir, 'data', 'image.bin'), offset: 0, length: BINARY.length }]);
    // A JSON file read raw keeps its {{name}} and its BOM.
    const raw = resolve('POST /a\n\n< data/body.json\n', { environment: {} });
    assert.equal((raw.body as Buffer).toString('utf8'), '\ufeff{"name": "{{name}}", "raw": "{{"}\n');
  });

  it('<@ path: the text with {{variables}} substituted (file, environment and $system variables), BOM dropped', () => {
    const spec = resolve('@name = Jane\nPOST /a\nContent-Type: application/json\n\n<@ ./data/template.json\n');
    assert.equal(spec.body, '{\n  "name": "Jane",\n  "id": 7\n}\n');
    assert.equal(spec.bodyFiles, undefined);
    const env = resolve('POST /a\n\n<@ ./data/template.json\n', { environment: { name: 'Env' } });
    assert.equal(typeof env.body, 'string');
    assert.match(env.body as string, /"name": "Env"/);
  });

  it('<@latin1 path (any Node encoding): read in that encoding, then substituted; sent as UTF-8 text', () => {
    const spec = resolve('POST /a\n\n<@latin1 ./data/latin1.txt\n', { environment: { name: 'Zoë' } });
    assert.equal(spec.body, 'café Zoë ü');
    // As Node's readFile(path, encoding): <@base64 embeds a binary file as base64 text.
    const json = resolve('POST /a\nContent-Type: application/json\n\n{"image": "\n<@base64 ./data/image.bin\n"}\n');
    assert.equal(json.body, `{"image": "\n${BINARY.toString('base64')}\n"}`);
  });

  it('absolute paths, and {{variables}} in the path (file variables, environment)', () => {
    const absolute = path.join(dir, 'data', 'image.bin');
    assert.ok(BINARY.equals(resolve(`POST /a\n\n< ${absolute}\n`).body as Buffer));
    const viaFileVar = resolve('@folder = ./data\nPOST /a\n\n< {{folder}}/image.bin\n');
    assert.ok(BINARY.equals(viaFileVar.body as Buffer));
    const viaEnv = resolve('POST /a\n\n<@ {{root}}/data/template.json\n', { environment: { root: dir, name: 'E' } });
    assert.match(viaEnv.body as string, /"name": "E"/);
  });

  it('mixes inline text and file lines: a multipart upload is byte-exact with CRLF between lines', () => {
    const text = [
      '@name = Jane',
      'POST /upload',
      'Content-Type: multipart/form-data; boundary=XyZ',
      '',
      '--XyZ',
      'Content-Disposition: form-data; name="who"',
      '',
      '{{name}}',
      '--XyZ',
      'Content-Disposition: form-data; name="file"; filename="image.bin"',
      'Content-Type: application/octet-stream',
      '',
      '< ./data/image.bin',
      '--XyZ',
      'Content-Disposition: form-data; name="meta"',
      '',
      '<@ ./data/template.json',
      '--XyZ--',
    ].join('\n');
    const spec = resolve(text);
    const head =
      '--XyZ\r\nContent-Disposition: form-data; name="who"\r\n\r\nJane\r\n--XyZ\r\nContent-Disposition: form-data; name="file"; filename="image.bin"\r\nContent-Type: application/octet-stream\r\n\r\n';
    const tail = '\r\n--XyZ\r\nContent-Disposition: form-data; name="meta"\r\n\r\n{\n  "name": "Jane",\n  "id": 7\n}\n\r\n--XyZ--';
    const expected = Buffer.concat([Buffer.from(head), BINARY, Buffer.from(tail)]);
    assert.ok(Buffer.isBuffer(spec.body));
    assert.equal(spec.body.length, expected.length);
    assert.ok(expected.equals(spec.body), 'multipart body differs');
    assert.deepEqual(spec.bodyFiles, [{ path: path.join(dir, 'data', 'image.bin'), offset: Buffer.byteLength(head), length: BINARY.length }]);
    // Plain text bodies join lines with \n; a file in the middle keeps them.
    const plain = resolve('POST /a\n\nbefore {{x}}\n< ./data/image.bin\nafter\n', { environment: { x: '1' } });
    assert.ok(Buffer.concat([Buffer.from('before 1\n'), BINARY, Buffer.from('\nafter')]).equals(plain.body as Buffer));
  });

  it('form bodies: a & line after a <@ file continues it', () => {
    fs.writeFileSync(path.join(dir, 'data', 'form.txt'), 'a={{name}}');
    const spec = resolve('POST /a\nContent-Type: application/x-www-form-urlencoded\n\n<@ ./data/form.txt\n&b=2\n', { environment: { name: 'j' } });
    assert.equal(spec.body, 'a=j&b=2');
  });

  it('a missing file: a BehalfError naming the path as written and resolved, at the < line, with a hint', () => {
    const e = resolveError('POST /a\n\n{"x": 1}\n< ./data/nope.json\n');
    assert.equal(e.code, 'body-file');
    assert.equal(e.message, `Cannot read the body file ./data/nope.json (resolved to ${path.join(dir, 'data', 'nope.json')}): no such file`);
    assert.deepEqual(e.position, { file: httpFile, line: 4, column: 3 });
    assert.match(e.hint ?? '', /relative to the \.http file's folder/);
    assert.match(e.describe(), new RegExp(`^${escape(httpFile)}:4:3: Cannot read the body file`));
    // With a variable in the path, the message shows it as written and the resolved path.
    const v = resolveError('POST /a\n\n<@ {{d}}/x.json\n', { environment: { d: '/no/such/dir' } });
    assert.equal(v.message, 'Cannot read the body file {{d}}/x.json (resolved to ' + path.resolve('/no/such/dir/x.json') + '): no such file');
    // An unknown variable in the path is reported at its column.
    assert.deepEqual(resolveError('POST /a\n\n< ./{{nope}}.bin\n').position, { file: httpFile, line: 3, column: 5 });
  });

  it('a folder, an unreadable port, a relative path in an unsaved file and a too-large file give clear errors', () => {
    assert.match(resolveError('POST /a\n\n< ./data\n').message, /Cannot read the body file \.\/data \(resolved to .*\): it is a folder$/);
    const refused = resolveError('POST /a\n\n< ./x\n', {
      readFile: () => {
        throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      },
    });
    assert.match(refused.message, /\(resolved to .*x\): permission denied$/);
    const unsaved = parseHttpFile('POST /a\n\n< ./x.json\n', 'Untitled-1');
    assert.throws(() => resolveRequest(unsaved, unsaved.requests[0]), /a relative path needs a saved \.http file/);
    const huge = resolveError('POST /a\n\n< ./big.bin\n', { readFile: () => Buffer.allocUnsafe(MAX_BODY_FILE_BYTES + 1) });
    assert.match(
      huge.message,
      /Cannot read the body file \.\/big\.bin \(resolved to .*\): it is 104857601 bytes, more than the 100 MiB a request body may hold/,
    );
    const twice = resolveError('POST /a\n\n< ./half.bin\n< ./half.bin\n< ./half.bin\n', { readFile: () => Buffer.allocUnsafe(MAX_BODY_FILE_BYTES / 2) });
    assert.equal(twice.position?.line, 5);
    assert.match(twice.message, /add up to 150 MiB/);
    // The default reader checks the size before reading, and refuses devices and pipes.
    const small = path.join(dir, 'data', 'template.json');
    assert.throws(() => readBodyFile(small, 10), /it is \d+ bytes, more than the 0\.0 MiB/);
    if (process.platform !== 'win32') assert.throws(() => readBodyFile('/dev/zero'), /not a regular file/);
  });

  it('/dev/zero, a FIFO with no writer and a too-large file give a sentence naming the file, never "Invalid string length"', function () {
    if (process.platform === 'win32') this.skip();
    const zero = resolveError('POST /a\nContent-Type: text/plain\n\n< /dev/zero\n');
    assert.equal(zero.code, 'body-file');
    assert.match(
      zero.message,
      /^Cannot read the body file \/dev\/zero \(resolved to \/dev\/zero\): it is a character device \(like \/dev\/zero\), not a regular file/,
    );
    assert.match(resolveError('POST /a\n\n<@ /dev/zero\n').message, /it is a character device/);
    const fifo = path.join(dir, 'data', 'pipe');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    // Opening a FIFO that nobody writes blocks a plain read forever: this must answer at once.
    const started = Date.now();
    const e = resolveError('POST /a\n\n< ./data/pipe\n');
    assert.ok(Date.now() - started < 2000);
    assert.match(e.message, /^Cannot read the body file \.\/data\/pipe \(resolved to .*pipe\): it is a named pipe \(FIFO\), not a regular file/);
    assert.deepEqual(e.position, { file: httpFile, line: 3, column: 3 });
    // The .http file itself (the CLI reads it with readHttpFile).
    assert.throws(() => readHttpFile('/dev/zero'), /^Error: it is a character device \(like \/dev\/zero\), not a regular file \(expected a \.http file/);
    assert.throws(() => readHttpFile(fifo), /named pipe/);
    assert.throws(() => readHttpFile(path.join(dir, 'data', 'image.bin'), 100), /it is \d+ bytes, more than the 0\.0 MiB a \.http file may hold/);
    // The CLI's reader (readHttpFileLines) refuses the same files with the same sentences.
    assert.throws(() => readHttpFileLines('/dev/zero'), /^Error: it is a character device \(like \/dev\/zero\), not a regular file \(expected a \.http file/);
    assert.throws(() => readHttpFileLines(fifo), /named pipe/);
    assert.throws(() => readHttpFileLines(path.join(dir, 'data', 'image.bin'), 100), /it is \d+ bytes, more than the 0\.0 MiB a \.http file may hold/);
    fs.writeFileSync(httpFile, 'GET /a\n');
    assert.equal(readHttpFile(httpFile), 'GET /a\n');
    assert.deepEqual(readBodyFile(path.join(dir, 'data', 'image.bin')), BINARY);
  });

  it('a {{variable}} error inside a <@ file points into that file', () => {
    fs.writeFileSync(path.join(dir, 'data', 'bad.json'), '{\n  "a": "{{missing}}"\n}');
    const e = resolveError('POST /a\n\n<@ ./data/bad.json\n');
    assert.match(e.message, /Unknown variable \{\{missing\}\}/);
    assert.deepEqual(e.position, { file: path.join(dir, 'data', 'bad.json'), line: 2, column: 9 });
  });

  it('the readFile port is used instead of the disk', () => {
    const seen: string[] = [];
    const spec = resolve('POST /a\n\n< ./virtual.bin\n', {
      readFile: (p) => {
        seen.push(p);
        return new Uint8Array([1, 2, 3]);
      },
    });
    assert.deepEqual(seen, [path.join(dir, 'virtual.bin')]);
    assert.deepEqual([...(spec.body as Buffer)], [1, 2, 3]);
  });

  it('sends a binary file byte-exact to a real server through the engine; the record shows no binary', async () => {
    const received: Array<{ headers: http.IncomingHttpHeaders; body: Buffer }> = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const engine = new BehalfEngine({ vendors: allVendors, secrets: envSecretStore({}), prompt: { confirm: async () => true }, log: silentLog });
    try {
      const big = Buffer.concat(Array.from({ length: 2048 }, () => BINARY)); // 1 MiB
      fs.writeFileSync(path.join(dir, 'data', 'big.bin'), big);
      const { port } = server.address() as AddressInfo;
      const connection: Connection = { id: 'local', vendor: 'generic', label: 'Local', baseUrl: `http://127.0.0.1:${port}`, auth: 'none', principals: [] };
      const spec = resolve('POST /upload\nContent-Type: image/png\n\n< ./data/big.bin\n');
      const record = await engine.sendAs(spec, { connection, mode: 'lite' });
      assert.equal(record.status, 200);
      assert.equal(received.length, 1);
      assert.equal(received[0].headers['content-length'], String(big.length));
      assert.equal(createHash('sha256').update(received[0].body).digest('hex'), createHash('sha256').update(big).digest('hex'));
      assert.equal(record.request.body, `«binary body: ${big.length} bytes, not shown»`);
      // A text file read raw is shown as text in the record.
      const text = await engine.sendAs(resolve('POST /upload\n\n< ./data/body.json\n'), { connection, mode: 'lite' });
      assert.equal(text.request.body, '{"name": "{{name}}", "raw": "{{"}\n');
      assert.ok(Buffer.from('\ufeff{"name": "{{name}}", "raw": "{{"}\n').equals(received[1].body));
    } finally {
      await engine.dispose();
      await new Promise((r) => server.close(r));
    }
  });

  it('cURL: one raw file is --data-binary @file; text around files is piped in with printf; <@ text is inlined', () => {
    const request = { method: 'POST', url: 'https://h/up', headers: { 'Content-Type': 'image/png' } };
    const single = resolve('POST /a\n\n< ./data/image.bin\n');
    assert.equal(
      toCurl(request, curlBodyParts(single.body as Buffer, single.bodyFiles!)),
      `curl \\\n  -X POST \\\n  'https://h/up' \\\n  -H 'Content-Type: image/png' \\\n  --data-binary '@${path.join(dir, 'data', 'image.bin')}'`,
    );
    const mixed = resolve("POST /a\nContent-Type: multipart/form-data; boundary=B\n\n--B\nit's 100%\\n\n< ./data/image.bin\n--B--\n");
    const parts = curlBodyParts(mixed.body as Buffer, mixed.bodyFiles!);
    assert.deepEqual(parts, [{ text: "--B\r\nit's 100%\\n\r\n" }, { file: path.join(dir, 'data', 'image.bin') }, { text: '\r\n--B--' }]);
    const curl = toCurl(request, parts);
    assert.equal(
      curl.split(' | ')[0],
      `{ printf '%b' '--B\\r\\nit'\\''s 100%\\\\n\\r\\n'; cat '${path.join(dir, 'data', 'image.bin')}'; printf '%b' '\\r\\n--B--'; }`,
    );
    assert.match(curl, /--data-binary @-$/);
    // Without a raw file there are no parts: the text is inlined as before.
    assert.equal(toCurl({ ...request, body: 'x' }), `curl \\\n  -X POST \\\n  'https://h/up' \\\n  -H 'Content-Type: image/png' \\\n  --data-raw 'x'`);
  });

  it('cURL: the printf pipeline rebuilds the body byte for byte in a real shell', function () {
    if (process.platform === 'win32') this.skip();
    const spec = resolve("POST /a\nContent-Type: multipart/form-data; boundary=B\n\n--B\n\ttab \\ back % pct 'q'\n< ./data/image.bin\n--B--\n");
    const parts = curlBodyParts(spec.body as Buffer, spec.bodyFiles!);
    const feed = toCurl({ method: 'POST', url: 'http://h', headers: {} }, parts).split(' | ')[0];
    const out = spawnSync('sh', ['-c', feed]);
    assert.equal(out.status, 0, out.stderr.toString());
    assert.ok((spec.body as Buffer).equals(out.stdout), 'the shell rebuilt a different body');
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
