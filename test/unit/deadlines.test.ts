// The transport's inactivity deadlines (src/core/deadlines.ts): one timer for every request in flight. Real
// timers, with margins far wider than the durations: what is checked is which deadline expires, and when relative
// to the others, never how fast.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { watchDeadline } from '../../src/core/deadlines';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('deadlines: one timer for the requests in flight', () => {
  it('expires once, after its duration without activity', async () => {
    let expired = 0;
    const started = performance.now();
    let at = 0;
    watchDeadline(60, () => {
      expired++;
      at = performance.now() - started;
    });
    await sleep(300);
    assert.equal(expired, 1);
    assert.ok(at >= 59, `expired after ${at} ms, before its 60 ms`);
  });

  it('refresh() moves it on: activity more often than the duration keeps it from expiring', async () => {
    let expired = false;
    const deadline = watchDeadline(120, () => (expired = true));
    for (let i = 0; i < 8; i++) {
      await sleep(30);
      deadline.refresh();
    }
    assert.equal(expired, false, 'expired despite activity every 30 ms of a 120 ms deadline');
    await sleep(400);
    assert.equal(expired, true, 'did not expire once the activity stopped');
  });

  it('clear() stops it for good, and a cleared deadline is not refreshed back to life', async () => {
    let expired = false;
    const deadline = watchDeadline(40, () => (expired = true));
    deadline.clear();
    deadline.refresh();
    deadline.clear();
    await sleep(150);
    assert.equal(expired, false);
  });

  it('a shorter deadline set after a longer one expires first; the longer one still expires after its own', async () => {
    const order: string[] = [];
    const long = watchDeadline(400, () => order.push('long'));
    watchDeadline(40, () => order.push('short'));
    await sleep(200);
    assert.deepEqual(order, ['short']);
    await sleep(500);
    assert.deepEqual(order, ['short', 'long']);
    long.clear();
  });

  it('a callback that clears another deadline (a failure settling the rest of its request) stops that one', async () => {
    const order: string[] = [];
    let second: ReturnType<typeof watchDeadline> | undefined = undefined;
    watchDeadline(30, () => {
      order.push('first');
      second?.clear();
    });
    second = watchDeadline(30, () => order.push('second'));
    await sleep(200);
    assert.deepEqual(order, ['first']);
  });

  it('holds the process only while a deadline is watched: a cleared one lets it exit at once, a pending one keeps it to its expiry', () => {
    const module = path.join(__dirname, '..', '..', 'src', 'core', 'deadlines.ts');
    const run = (script: string) =>
      spawnSync(process.execPath, ['--require', 'tsx/cjs', '-e', script], { encoding: 'utf8', timeout: 20_000, cwd: path.join(__dirname, '..', '..') });
    const cleared = run(
      `const { watchDeadline } = require(${JSON.stringify(module)}); const t = performance.now(); process.on('exit', () => console.log(Math.round(performance.now() - t))); watchDeadline(15000, () => console.log('expired')).clear();`,
    );
    assert.equal(cleared.status, 0, cleared.stderr);
    assert.doesNotMatch(cleared.stdout, /expired/);
    assert.ok(Number(cleared.stdout.trim()) < 5000, `a cleared 15 s deadline kept the process for ${cleared.stdout.trim()} ms`);
    const pending = run(`const { watchDeadline } = require(${JSON.stringify(module)}); watchDeadline(200, () => console.log('expired'));`);
    assert.equal(pending.status, 0, pending.stderr);
    assert.match(pending.stdout, /expired/, 'the process ended before its pending deadline expired');
  });
});
