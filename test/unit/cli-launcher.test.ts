// dist/cli.js starts dist/cli-main.js from a V8 code cache in the user's cache folder (src/cli/launcher.ts; `npm run
// build` first). The cache may only ever save time: a missing, refused, broken or unwritable cache changes nothing
// a run prints or returns. NODE_DEBUG=behalf says what became of it; without it the cache says nothing.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runProcess } from './support';

const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');

describe('behalf CLI launcher (dist/cli.js): code cache and V8 flags', function () {
  this.timeout(30_000);
  let dir: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-cc-'));
    env = { ...process.env, NODE_COMPILE_CACHE: path.join(dir, 'cache'), NODE_DEBUG: 'behalf' };
    delete env.NODE_DISABLE_COMPILE_CACHE;
    delete env.NODE_OPTIONS;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (args: string[] = ['--version'], extraEnv: NodeJS.ProcessEnv = {}) =>
    runProcess(process.execPath, [CLI, ...args], { env: { ...env, ...extraEnv }, cwd: dir });
  const cacheFiles = () => {
    const folder = path.join(dir, 'cache', 'behalf');
    return fs.existsSync(folder) ? fs.readdirSync(folder).map((f) => path.join(folder, f)) : [];
  };

  it('the first run writes the cache, the next one uses it, and both print the same', async () => {
    const first = await run();
    assert.equal(first.code, 0, first.err);
    assert.match(first.err, /compile cache: none yet \(ENOENT\)/);
    assert.match(first.err, /compile cache: written to .*cli-[0-9a-f]{16}-\d+-\d+-v\d+\.\d+\.\d+-\w+-other\.cache/);
    const [file] = cacheFiles();
    assert.ok(file && fs.statSync(file).size > 10_000, `a cache file: ${cacheFiles().join(', ')}`);
    if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const second = await run();
    assert.equal(second.code, 0, second.err);
    assert.match(second.err, /compile cache: used/);
    assert.doesNotMatch(second.err, /written/);
    assert.equal(second.out, first.out);
    assert.match(second.out, /^\d+\.\d+\.\d+\n$/);
  });

  it('a cache cut short or of garbage is refused and replaced at the end of that run, the run unchanged', async () => {
    const clean = await run(['--help']);
    const [file] = cacheFiles();
    const good = fs.readFileSync(file);
    for (const broken of [good.subarray(0, good.length >> 1), Buffer.from('not a code cache at all, just text'.repeat(40))]) {
      fs.writeFileSync(file, broken);
      const r = await run(['--help']);
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, clean.out);
      assert.match(r.out, /Usage:/);
      assert.match(r.err, /refused by V8 .*removed[^]*written to/);
      assert.ok(fs.statSync(file).size > 10_000);
      assert.match((await run(['--help'])).err, /compile cache: used/);
    }
  });

  it('holds what the run compiled, not only the eager code, in one cache per command', async () => {
    // A run that ran more of the bundle leaves a larger cache: the functions compiled on first call are in it.
    const version = await run(['--version']);
    assert.equal(version.code, 0, version.err);
    const help = await run(['connections', '--help']);
    assert.equal(help.code, 0, help.err);
    const http = path.join(dir, 'one.http');
    fs.writeFileSync(http, 'GET http://127.0.0.1:9/nothing-listens-here\n');
    const send = await run(['send', http, '--config', path.join(dir, 'missing.json')]);
    assert.notEqual(send.code, 0);
    const byCommand = Object.fromEntries(cacheFiles().map((f) => [/-(\w+)\.cache$/.exec(f)?.[1], fs.statSync(f).size]));
    assert.deepEqual(Object.keys(byCommand).sort(), ['connections', 'other', 'send']);
    assert.ok(byCommand['send'] > byCommand['other'], JSON.stringify(byCommand));
    assert.match((await run(['send', http, '--config', path.join(dir, 'missing.json')])).err, /compile cache: used/);
    // --save runs under other V8 flags (V8 would refuse the plain send's cache): it keeps its own, and neither
    // replaces the other.
    const saving = await run(['send', http, '--config', path.join(dir, 'missing.json'), '--save', path.join(dir, 'out.bin')]);
    assert.match(saving.err, /written to .*-send-v8semi\.cache/);
    assert.match((await run(['send', http, '--config', path.join(dir, 'missing.json')])).err, /compile cache: used/);
    assert.match((await run(['send', http, '--config', path.join(dir, 'missing.json'), '--save', path.join(dir, 'out.bin')])).err, /compile cache: used/);
  });

  it("prunes other builds' caches after a fortnight, never this build's (a cache that fits is never rewritten)", async () => {
    await run(['--help']);
    const [mine] = cacheFiles();
    const month = (Date.now() - 30 * 24 * 3600 * 1000) / 1000;
    fs.utimesSync(mine, month, month);
    const otherBuild = path.join(path.dirname(mine), 'cli-0123456789abcdef-1-1-v0.0.0-x64-send.cache');
    fs.writeFileSync(otherBuild, 'old');
    fs.utimesSync(otherBuild, month, month);
    const r = await run(['connections', '--help']); // a new command: its cache is written, and the folder pruned
    assert.match(r.err, /written to .*-connections\.cache/);
    assert.equal(fs.existsSync(mine), true);
    assert.equal(fs.existsSync(otherBuild), false);
  });

  it('a cache made under other V8 flags is refused, not used', async () => {
    await run();
    const r = await runProcess(process.execPath, ['--max-old-space-size=300', CLI, '--version'], { env, cwd: dir });
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /refused by V8/);
  });

  it('NODE_DISABLE_COMPILE_CACHE=1 turns it off: nothing read or written', async () => {
    const r = await run(['--version'], { NODE_DISABLE_COMPILE_CACHE: '1' });
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /compile cache: off/);
    assert.deepEqual(cacheFiles(), []);
  });

  it('a cache folder that cannot be made is said under NODE_DEBUG and changes nothing else', async () => {
    const blocker = path.join(dir, 'not-a-folder');
    fs.writeFileSync(blocker, 'a file where the cache folder would go');
    const r = await run(['--version'], { NODE_COMPILE_CACHE: blocker });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^\d+\.\d+\.\d+\n$/);
    assert.match(r.err, /not written \((ENOTDIR|EEXIST)\)/);
  });

  it('says nothing without NODE_DEBUG, and goes to XDG_CACHE_HOME/behalf when NODE_COMPILE_CACHE is not set', async function () {
    if (process.platform === 'win32' || process.platform === 'darwin') this.skip();
    const xdg = path.join(dir, 'xdg');
    const r = await run(['--version'], { NODE_DEBUG: '', NODE_COMPILE_CACHE: '', XDG_CACHE_HOME: xdg });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, '');
    const files = fs.readdirSync(path.join(xdg, 'behalf'));
    assert.equal(files.length, 1);
    assert.match(files[0], /^cli-.*\.cache$/);
  });

  it("sets V8 flags for a short run, but none the user sets; the user's own flags still work", async () => {
    const own = await run();
    assert.match(own.err, /V8 flags for a short run: --semi-space-growth-factor=1 --interrupt-budget=\d+/);
    const userBudget = await runProcess(process.execPath, ['--interrupt-budget=100000', CLI, '--version'], { env, cwd: dir });
    assert.equal(userBudget.code, 0, userBudget.err);
    assert.match(userBudget.err, /V8 flags for a short run: --semi-space-growth-factor=1\n/);
    const saving = await run(['send', 'missing.http', '--save', 'out.bin']);
    assert.match(saving.err, /V8 flags for a short run: --semi-space-growth-factor=1\n/);
    const userBoth = await runProcess(process.execPath, ['--no-opt', CLI, '--version'], {
      env: { ...env, NODE_OPTIONS: '--max-semi-space-size=4' },
      cwd: dir,
    });
    assert.equal(userBoth.code, 0, userBoth.err);
    assert.match(userBoth.err, /V8 flags for a short run: none \(the user sets them\)/);
    assert.match(userBoth.out, /^\d+\.\d+\.\d+\n$/);
  });

  it("loads node:http before it changes V8's flags (after a change V8 refuses the built-ins' embedded code cache)", async () => {
    // A preload that notes which built-ins are loaded when the launcher first sets a flag.
    const preload = path.join(dir, 'note-builtins.cjs');
    fs.writeFileSync(
      preload,
      `const v8 = require('node:v8');
const set = v8.setFlagsFromString;
let noted = false;
v8.setFlagsFromString = function (flag) {
  if (!noted) {
    noted = true;
    process.stderr.write('LOADED BEFORE FLAGS: ' + process.moduleLoadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice(13)).join(' ') + '\\n');
  }
  return set.call(this, flag);
};
`,
    );
    const r = await runProcess(process.execPath, ['-r', preload, CLI, '--version'], { env, cwd: dir });
    assert.equal(r.code, 0, r.err);
    const loaded = /LOADED BEFORE FLAGS: (.*)/.exec(r.err)?.[1].split(' ') ?? [];
    assert.match(r.err, /V8 flags for a short run: --semi-space-growth-factor=1/);
    for (const builtin of ['http', '_http_client', 'net', 'internal/util/parse_args/parse_args'])
      assert.ok(loaded.includes(builtin), `${builtin} in ${loaded.join(' ')}`);
    // What only some runs need is still loaded when it is.
    for (const builtin of ['https', 'tls', 'zlib']) assert.ok(!loaded.includes(builtin), `${builtin} not loaded up front`);
  });

  it('the bundle it compiles has no import(): the code-cached function has no dynamic-import loader', () => {
    // Built with import() turned into require (scripts/build.mjs); zlib for a gzip body is tested in cli-save.
    const source = fs.readFileSync(path.join(__dirname, '..', '..', 'dist', 'cli-main.js'), 'utf8');
    assert.doesNotMatch(source, /\bimport\(/);
  });
});
