// What a CLI run loads (dist/cli.js; `npm run build` first): a plain-http send must not pay at start-up for
// modules it does not use — TLS, crypto, readline (prompts), fs/promises, perf_hooks. Each is several ms of every
// run's start-up; they are loaded on first use instead (transport.ts, main.ts readOnTerminal, variables.ts $guid).
// Node's own list of loaded built-ins (process.moduleLoadList) is read at exit by a preloaded script.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { runProcess } from './support';

const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');
const NOT_AT_START = ['tls', 'https', 'crypto', 'readline', 'readline/promises', 'fs/promises', 'perf_hooks'];

describe('behalf CLI start-up (dist/cli.js)', function () {
  this.timeout(30_000);
  let server: http.Server;
  let url: string;
  let dir: string;

  before(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(req.url === '/broken' ? '{"ok":tru' : '{"ok":true}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-startup-'));
    fs.writeFileSync(
      path.join(dir, 'behalf.connections.json'),
      JSON.stringify({ connections: [{ id: 'local', vendor: 'generic', label: 'Local', baseUrl: url, auth: 'none' }] }),
    );
    // Writes the built-ins loaded after it (the CLI's, not Node's own bootstrap) to a file at exit.
    fs.writeFileSync(
      path.join(dir, 'modules.cjs'),
      `const before = new Set(process.moduleLoadList);
       process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(path.join(dir, 'loaded.json'))},
         JSON.stringify(process.moduleLoadList.filter((m) => !before.has(m) && m.startsWith('NativeModule ')).map((m) => m.slice(13)))));`,
    );
  });
  after(() => {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const loadedBy = async (httpText: string, args: string[] = []) => {
    fs.writeFileSync(path.join(dir, 'requests.http'), httpText);
    const r = await runProcess(process.execPath, ['--require', path.join(dir, 'modules.cjs'), CLI, 'send', 'requests.http', ...args], { cwd: dir });
    assert.equal(r.code, 0, r.err);
    return JSON.parse(fs.readFileSync(path.join(dir, 'loaded.json'), 'utf8')) as string[];
  };
  const send = (args: string[]) => runProcess(process.execPath, [CLI, 'send', 'broken.http', ...args], { cwd: dir });

  it('a plain-http send loads no TLS, crypto, readline, fs/promises or perf_hooks', async () => {
    const loaded = await loadedBy(`GET ${url}/a\n\n###\n\nPOST ${url}/b\nContent-Type: application/json\n\n{"a":1}\n`);
    assert.ok(loaded.includes('http'), `http was loaded: ${loaded.join(' ')}`);
    assert.deepEqual(
      NOT_AT_START.filter((m) => loaded.includes(m)),
      [],
      `loaded: ${loaded.join(' ')}`,
    );
  });

  it('what needs them still loads them: {{$guid}} loads crypto, and the send works', async () => {
    const loaded = await loadedBy(`GET ${url}/a?id={{$guid}}\n`, ['-o', 'none']);
    assert.ok(loaded.includes('crypto'), `crypto not loaded for {{$guid}}: ${loaded.join(' ')}`);
  });

  // -o none skips checking that a JSON body parses (nobody reads the note): wherever the note can be read, it is there.
  it('a body that says JSON and is not: said with -o full and with -o none --verbose', async () => {
    fs.writeFileSync(path.join(dir, 'broken.http'), `GET ${url}/broken\n`);
    const full = await send([]);
    assert.match(full.out, /says application\/json but is not valid JSON/);
    const verbose = await send(['-o', 'none', '--verbose']);
    assert.equal(verbose.out, '');
    assert.match(verbose.err, /says application\/json but is not valid JSON/);
    const quiet = await send(['-o', 'none']);
    assert.equal(quiet.code, 0);
    assert.equal(quiet.out + quiet.err, '');
  });
});
