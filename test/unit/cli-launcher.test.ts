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
    assert.match(first.err, /compile cache: written to .*cli-[0-9a-f]{16}-\d+-\d+-v\d+\.\d+\.\d+-\w+\.cache/);
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

  it('a cache cut short or of garbage is refused and removed, the run unchanged; the next run writes a good one', async () => {
    await run();
    const [file] = cacheFiles();
    const good = fs.readFileSync(file);
    for (const broken of [good.subarray(0, good.length >> 1), Buffer.from('not a code cache at all, just text'.repeat(40))]) {
      fs.writeFileSync(file, broken);
      const r = await run(['--help']);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /Usage:/);
      assert.match(r.err, /refused by V8 .*removed/);
      assert.equal(fs.existsSync(file), false);
      const again = await run();
      assert.match(again.err, /written to/);
      assert.ok(fs.statSync(file).size > 10_000);
    }
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

  it('the bundle it compiles has no import(): the code-cached function has no dynamic-import loader', () => {
    // Built with import() turned into require (scripts/build.mjs); zlib for a gzip body is tested in cli-save.
    const source = fs.readFileSync(path.join(__dirname, '..', '..', 'dist', 'cli-main.js'), 'utf8');
    assert.doesNotMatch(source, /\bimport\(/);
  });
});
