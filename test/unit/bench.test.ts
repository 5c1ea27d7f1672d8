// Smoke test of the benchmark harness (bench/run.mjs): tiny counts, no peers (no npm installs), one run,
// into a temp folder. It checks the shape of what the harness writes, never how fast anything was:
// benchmarks are not timed assertions.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bench', 'run.mjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

const isPositive = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x > 0;

describe('bench harness (smoke: tiny counts, no peers)', function () {
  this.timeout(60_000);
  let out: string;

  before(() => {
    // `npm test` builds first; `npx mocha` alone may find no dist/ yet.
    if (!fs.existsSync(path.join(ROOT, 'dist', 'cli.js')) || !fs.existsSync(path.join(ROOT, 'dist', 'sandbox.js'))) {
      const built = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, encoding: 'utf8' });
      assert.equal(built.status, 0, built.stderr);
    }
    out = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-bench-smoke-'));
  });
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('runs cases 1, 3 and 4 and writes results.json and RESULTS.md with every figure', async () => {
    const r = await run(['--quick', '--cases', '1,3,4', '--runs', '1', '--skip-peers', '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const results = JSON.parse(fs.readFileSync(path.join(out, 'results.json'), 'utf8'));

    assert.equal(results.schema, 1);
    assert.equal(results.node, process.version);
    assert.ok(isPositive(results.machine.cores));
    assert.equal(results.settings.quick, true);
    assert.deepEqual(Object.keys(results.cases).sort(), ['1', '3', '4']);

    const tools = (c: string) => results.cases[c].tools as Array<Record<string, any>>;
    assert.deepEqual(
      tools('1').map((t) => t.id),
      ['raw', 'axios', 'behalf', 'behalf-engine'],
    );
    assert.deepEqual(
      tools('3').map((t) => t.id),
      ['node', 'behalf'],
    );
    assert.deepEqual(
      tools('4').map((t) => t.id),
      ['dc-service', 'dc-as-user', 'ol-service', 'ol-full'],
    );
    for (const c of ['1', '3', '4']) {
      for (const t of tools(c)) {
        assert.equal(t.error, undefined, `${c}/${t.id}: ${t.error}`);
        assert.equal(t.runs.length, 1, `${c}/${t.id} runs`);
        for (const key of ['min', 'median', 'max']) assert.ok(isPositive(t.wallMs[key]), `${c}/${t.id} wallMs.${key}`);
        assert.ok(isPositive(t.rssMB.median), `${c}/${t.id} rssMB`);
        assert.equal(typeof t.command, 'string');
      }
    }
    for (const t of tools('1')) assert.ok(isPositive(t.ratios.vs_axios) && isPositive(t.ratios.vs_raw), `case 1 ratios of ${t.id}`);
    for (const t of tools('4')) assert.ok(isPositive(t.loopMs.median), `case 4 loopMs of ${t.id}`);
    assert.ok(isPositive(tools('4').find((t) => t.id === 'ol-full')!.ratios['vs_ol-service']));

    // Every target of the cases run, with its verdict (peers skipped: theirs are "not measured").
    const ids = results.targets.map((t: { id: string }) => t.id);
    assert.deepEqual(ids, ['1.raw', '1.httpyac', '1.newman', '3.node', '3.httpyac', '4.dealcloud', '4.orangelogic']);
    for (const t of results.targets) {
      assert.ok(t.met === true || t.met === false || t.met === null, t.id);
      if (t.id.endsWith('httpyac') || t.id.endsWith('newman')) assert.equal(t.met, null, t.id);
      else assert.ok(isPositive(t.value), t.id);
    }

    // The phase runs: raw and Behalf again with the clock preload, each split into its start and its requests.
    const phases = results.cases['1'].phases.tools as Array<Record<string, any>>;
    assert.deepEqual(
      phases.map((t) => t.id),
      ['raw', 'behalf'],
    );
    for (const t of phases) {
      assert.equal(t.error, undefined, `case 1 phases ${t.id}: ${t.error}`);
      assert.ok(isPositive(t.startMs.median) && isPositive(t.requestsMs.median) && isPositive(t.perRequestUs), `case 1 phases ${t.id}`);
      // The first request comes after the process starts and before it exits.
      assert.ok(t.startMs.median + t.requestsMs.median <= t.wallMs.median, `case 1 phases ${t.id} within the wall time`);
    }
    assert.match(results.targets.find((t: { id: string }) => t.id === '1.raw').note, /to the first request Behalf \d+ ms, raw \d+ ms/);

    const md = fs.readFileSync(path.join(out, 'RESULTS.md'), 'utf8');
    for (const heading of ['# Behalf benchmarks', '## 1. ', '## 3. ', '## 4. ', 'Where the time goes']) assert.ok(md.includes(heading), heading);
  });

  it("runs case 2 with its own parse figure (the case-2 file parsed and resolved in-process) and case 5's RSS target on it", async () => {
    const dir = path.join(out, 'case2');
    const r = await run(['--quick', '--cases', '2,5', '--runs', '1', '--skip-peers', '--out', dir]);
    assert.equal(r.code, 0, r.stderr);
    const results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
    const parse = results.cases['2'].parse;
    assert.equal(parse.notMeasured, undefined, parse.notMeasured);
    assert.equal(parse.requests, results.cases['2'].count);
    assert.ok(isPositive(parse.mb) && isPositive(parse.coldMs.median) && isPositive(parse.warmMs.median));
    assert.deepEqual(
      results.targets.map((t: { id: string }) => t.id),
      ['1.raw', '1.httpyac', '1.newman', '2.raw', '2.httpyac', '2.newman', '2.parse', '5.rss'],
    );
    for (const id of ['2.raw', '2.parse', '5.rss']) {
      const t = results.targets.find((x: { id: string }) => x.id === id);
      assert.ok(isPositive(t.value) && typeof t.met === 'boolean', id);
    }
    assert.ok(fs.readFileSync(path.join(dir, 'RESULTS.md'), 'utf8').includes('Parse + resolve of this file'));
  });

  it('runs case 7 (a download saved to a file): both tools saved every byte, with throughput, RSS and both targets', async () => {
    const dir = path.join(out, 'case7');
    const r = await run(['--quick', '--cases', '7', '--runs', '1', '--skip-peers', '--out', dir]);
    assert.equal(r.code, 0, r.stderr);
    const results = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
    const tools = results.cases['7'].tools as Array<Record<string, any>>;
    assert.deepEqual(
      tools.map((t) => t.id),
      ['pipeline', 'behalf'],
    );
    for (const t of tools) {
      assert.equal(t.error, undefined, `${t.id}: ${t.error}`);
      assert.ok(isPositive(t.throughputMBps) && isPositive(t.rssMB.median) && isPositive(t.ratios.vs_pipeline), t.id);
    }
    assert.deepEqual(
      results.targets.map((t: { id: string }) => t.id),
      ['7.rss', '7.throughput'],
    );
    for (const t of results.targets) assert.ok(isPositive(t.value) && typeof t.met === 'boolean', t.id);
    assert.ok(fs.readFileSync(path.join(dir, 'RESULTS.md'), 'utf8').includes('## 7. '));
  });
});
