import assert from 'node:assert/strict';
import type { Clock } from '../../src/core/ports';
import { RateLimiter } from '../../src/core/rateLimiter';

/**
 * Virtual time on a busy event loop: time moves in steps of `stallMs`, and every timer due by then fires at
 * once, at the same "now" (what a blocked extension host does to timers).
 */
function stalledClock(stallMs: number) {
  let time = 0;
  const timers: Array<{ at: number; fire: () => void }> = [];
  const clock: Clock = {
    now: () => time,
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        if (signal?.aborted) return reject(new Error('aborted'));
        timers.push({ at: time + ms, fire: resolve });
      }),
  };
  const settle = () => new Promise((r) => setImmediate(r));
  /** Runs until `done` settles, one stall at a time. */
  async function run(done: Promise<unknown>): Promise<void> {
    let finished = false;
    void done.finally(() => (finished = true));
    await settle();
    while (!finished) {
      time += stallMs;
      for (const t of timers.filter((t) => t.at <= time)) {
        timers.splice(timers.indexOf(t), 1);
        t.fire();
      }
      await settle();
      await settle();
    }
  }
  return { clock, run };
}

describe('rate limiter', () => {
  it('requests leave in order, at least one spacing apart, even when timers fire late', async () => {
    const { clock, run } = stalledClock(200);
    const limiter = new RateLimiter(20, clock);
    const departures: Array<{ i: number; at: number }> = [];
    await run(Promise.all(Array.from({ length: 10 }, (_, i) => limiter.acquire().then(() => departures.push({ i, at: clock.now() })))));
    assert.deepEqual(
      departures.map((d) => d.i),
      [...Array(10).keys()],
    );
    for (let k = 1; k < departures.length; k++) assert.ok(departures[k].at - departures[k - 1].at >= 50, `gap ${k}`);
  });

  it('a cancelled request rejects as cancelled and the next one still goes', async () => {
    const { clock, run } = stalledClock(10);
    const limiter = new RateLimiter(10, clock);
    await run(limiter.acquire());
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(limiter.acquire(controller.signal), (e: { code?: string }) => e.code === 'cancelled');
    await run(limiter.acquire());
    assert.ok(clock.now() >= 100);
  });
});
