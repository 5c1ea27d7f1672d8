// How the CLI ends, as a real process against the sandbox: every ending (success, a failed stop, signals, EPIPE,
// a start in flight, Ctrl+C at the prompt) ends the Orange Logic sessions, bounded in time, or says plainly that
// one may still be open and exits non-zero. Faults are injected on the endpoint they target.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../src/cli/main';
import type { FaultSpec } from '../../src/sandbox/faults';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { startHarness } from './support';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'src', 'cli', 'bin.ts');
const TSX = require.resolve('tsx/cjs');
const STOP = 'stopimpersonation';
const START = 'startimpersonation';
const READ_PATH = 'Documents.All:Read';

const olRead = (name: string, record = 'A-1') =>
  [
    `### ${name}`,
    `# @name ${name}`,
    '# @connection ol-sandbox',
    '# @as jane',
    '# @mode full',
    `GET /API/DataTable/v2.2/Documents.All:Read?RecordID=${record}&format=JSON`,
    '',
  ].join('\n');
const olHistory = (name: string) =>
  [
    `### ${name}`,
    `# @name ${name}`,
    '# @connection ol-sandbox',
    '# @as jane',
    '# @mode full',
    'GET /webapi/versioning/assetversioning/get_asset_versioning_49U_v1?RecordID=A-1&format=JSON',
    '',
  ].join('\n');
const olWrite = (name: string) =>
  [
    `### ${name}`,
    `# @name ${name}`,
    '# @connection ol-sandbox',
    '# @as jane',
    '# @mode lite',
    'POST /API/DataTable/v2.2/Documents.All:Update',
    'Content-Type: application/json',
    '',
    `{ "RecordID": "A-1", "Fields": { "Caption": "${name}" } }`,
    '',
  ].join('\n');

interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

describe('CLI shutdown: every ending ends the impersonation sessions (real processes, sandbox faults)', function () {
  this.timeout(30_000);
  let sandbox: Sandbox;
  let dir: string;
  let config: string;
  let env: NodeJS.ProcessEnv;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    sandbox = await startSandbox();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-shutdown-'));
    config = path.join(dir, 'behalf.connections.json');
    writeConfig();
    env = { ...sandbox.secretsEnv() };
  });
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await sandbox.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function writeConfig(patch: (connection: Record<string, unknown>) => void = () => undefined) {
    const file = sandbox.connectionsFile() as unknown as { connections: Array<Record<string, unknown>> };
    for (const c of file.connections) patch(c);
    fs.writeFileSync(config, JSON.stringify(file, null, 2));
  }
  function httpFile(...blocks: string[]): string {
    const file = path.join(dir, 'run.http');
    fs.writeFileSync(file, blocks.join('\n'));
    return file;
  }
  function fault(spec: FaultSpec) {
    sandbox.injectFault(spec);
  }
  const count = (fragment: string) => sandbox.log.filter((e) => e.path.includes(fragment)).length;

  /** The CLI as a real process (the source through tsx, so the test always runs the code under test). */
  function start(args: string[], options: { stdio?: 'pipe' } = {}): { child: ChildProcess; exited: Promise<Exited> } {
    const started = Date.now();
    const child = spawn(process.execPath, ['--require', TSX, BIN, ...args, '--config', config], {
      env: { ...process.env, ...env },
      cwd: dir,
      stdio: options.stdio ?? 'pipe',
    });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d) => (stdout += d));
    child.stdout?.on('error', () => undefined);
    child.stderr?.on('data', (d) => (stderr += d));
    const exited = new Promise<Exited>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr: (stderr += ''), ms: Date.now() - started })),
    );
    // stderr may still be flushing when 'exit' fires: read it on 'close'.
    const closed = new Promise<Exited>((resolve) => child.on('close', () => void exited.then((e) => resolve({ ...e, stdout, stderr }))));
    return { child, exited: closed };
  }
  async function until(condition: () => boolean, what: string, ms = 15_000) {
    const deadline = Date.now() + ms;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  const mayBeOpen = (r: Exited) => {
    assert.match(
      r.stderr,
      /MAY STILL BE OPEN: Jane Doe <jane@acme\.test> \(jane\.api\) on Orange Logic \(sandbox\), open since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/,
      r.stderr,
    );
    assert.match(r.stderr, /What to do: .*Orange Logic administrator/);
  };

  describe('the stop fails', () => {
    const cases: Array<{ title: string; spec: FaultSpec; reason: RegExp }> = [
      { title: '500', spec: { kind: 'status', status: 500, times: 10 }, reason: /the stop answered 500/ },
      { title: 'a connection reset', spec: { kind: 'reset', times: 10 }, reason: /connection reset/ },
      { title: '429 until the retries run out', spec: { kind: 'status', status: 429, retryAfterSeconds: 0, times: 10 }, reason: /the stop answered 429/ },
      {
        title: '200 whose body is not a success code',
        spec: { kind: 'json', body: { APIResponse: { Code: 'SessionBusy', Message: 'Try again later' } }, times: 10 },
        reason: /answered 200 without a success code \(Code "SessionBusy": "Try again later"\)/,
      },
    ];
    for (const c of cases) {
      it(`${c.title}: three bounded tries, then "may still be open" with who and since when, and exit 3`, async () => {
        fault({ ...c.spec, match: { pathIncludes: STOP } });
        const r = await start(['send', httpFile(olRead('read'))]).exited;
        assert.equal(r.code, 3, r.stderr);
        mayBeOpen(r);
        assert.match(r.stderr, c.reason);
        assert.equal(count(STOP), 3, 'one stop and two retries');
        assert.equal(sandbox.openSessions(), 1, 'the session is indeed still open, as the message says');
        assert.match(r.stdout, /← 200 OK/, 'the request itself went through');
      });
    }

    it('a stop that fails once is retried (honouring Retry-After) and the session ends: exit 0', async () => {
      fault({ kind: 'status', status: 429, retryAfterSeconds: 1, match: { pathIncludes: STOP } });
      fault({ kind: 'status', status: 503, match: { pathIncludes: STOP } });
      const r = await start(['send', httpFile(olRead('read'))]).exited;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(sandbox.openSessions(), 0);
      const stops = sandbox.log.filter((e) => e.path.includes(STOP));
      assert.deepEqual(
        stops.map((e) => e.status),
        [429, 503, 200],
      );
      assert.ok(stops[1].time - stops[0].time >= 950, 'waited the Retry-After second');
      assert.doesNotMatch(r.stderr, /MAY STILL BE OPEN/);
    });

    it('a stop that never answers: bounded (about 5 s, not the 30 s timeout), then "may still be open" and exit 3', async () => {
      fault({ kind: 'timeout', times: 10, match: { pathIncludes: STOP } });
      const r = await start(['send', httpFile(olRead('read'))]).exited;
      assert.equal(r.code, 3, r.stderr);
      mayBeOpen(r);
      assert.ok(r.ms < 12_000, `took ${r.ms} ms`);
    });

    it('a second Ctrl+C while the stop hangs exits at once (130), still saying the session may be open', async () => {
      fault({ kind: 'timeout', times: 10, match: { pathIncludes: STOP } });
      const { child, exited } = start(['send', httpFile(olRead('read'))]);
      await until(() => count(STOP) > 0, 'the stop');
      child.kill('SIGINT');
      await new Promise((r) => setTimeout(r, 150));
      const second = Date.now();
      child.kill('SIGINT');
      const r = await exited;
      assert.equal(r.code, 130, r.stderr);
      assert.ok(Date.now() - second < 2_500, `exited ${Date.now() - second} ms after the second Ctrl+C`);
      mayBeOpen(r);
    });
  });

  describe('signals and EPIPE during a send', () => {
    for (const [signal, code] of [
      ['SIGTERM', 143],
      ['SIGHUP', 129],
    ] as const) {
      it(`${signal} mid-request: the session is stopped and the exit code is ${code}`, async () => {
        fault({ kind: 'timeout', match: { pathIncludes: READ_PATH } });
        const { child, exited } = start(['send', httpFile(olRead('read'))]);
        await until(() => sandbox.openSessions() === 1, 'the session to open');
        child.kill(signal);
        const r = await exited;
        assert.equal(r.code, code, `${r.signal ?? ''} ${r.stderr}`);
        assert.equal(sandbox.openSessions(), 0);
        assert.equal(count(STOP), 1);
      });
    }

    it('stdout closed early (`behalf send … | head -1`, EPIPE): the session is stopped, nothing more is sent, exit 0', async () => {
      // The second request is slow, so its output comes after the reader has gone.
      fault({ kind: 'delay', delayMs: 600, match: { pathIncludes: 'get_asset_versioning' } });
      const { child, exited } = start(['send', httpFile(olRead('first'), olHistory('second'), olRead('third', 'A-2'))]);
      child.stdout!.once('data', () => child.stdout!.destroy());
      const r = await exited;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(sandbox.openSessions(), 0, 'the session was stopped');
      assert.equal(count(STOP), 1);
      assert.equal(sandbox.log.filter((e) => e.path.includes(READ_PATH)).length, 1, 'the third request was not sent');
      assert.doesNotMatch(r.stderr, /cancelled|EPIPE/i, r.stderr);
    });
  });

  describe('a start in flight', () => {
    it('Ctrl+C while startimpersonation is in flight: the start finishes, what it opened is stopped, exit 130', async () => {
      fault({ kind: 'delay', delayMs: 1500, match: { pathIncludes: START } });
      const { child, exited } = start(['send', httpFile(olRead('read'))]);
      await until(() => count(START) > 0, 'the start');
      const startedAt = sandbox.log.find((e) => e.path.includes(START))!.time;
      child.kill('SIGINT');
      const r = await exited;
      assert.equal(r.code, 130, r.stderr);
      // The sandbox opens the session at 1.5 s whoever is still listening.
      await until(() => Date.now() > startedAt + 1700, 'the delayed start');
      assert.equal(sandbox.openSessions(), 0, `the session the start opened was stopped: ${r.stderr}`);
      assert.equal(count(STOP), 1);
      assert.equal(count(READ_PATH), 0, 'the request itself was not sent');
    });

    it("the connection's timeout during the start: the request fails, the late session is still stopped", async () => {
      writeConfig((c) => {
        if (c.id === 'ol-sandbox') c.timeoutMs = 500;
      });
      fault({ kind: 'delay', delayMs: 1500, match: { pathIncludes: START } });
      const r = await start(['send', httpFile(olRead('read'))]).exited;
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /within 500 ms/);
      const startedAt = sandbox.log.find((e) => e.path.includes(START))!.time;
      await until(() => Date.now() > startedAt + 1700, 'the delayed start');
      assert.equal(sandbox.openSessions(), 0, r.stderr);
      assert.equal(count(STOP), 1);
      assert.equal(count(READ_PATH), 0);
    });
  });

  describe('consent', () => {
    it('Ctrl+C at the confirmation prompt (a real terminal) ends the run with 130 and sends nothing more', async function () {
      if (!fs.existsSync('/usr/bin/script')) this.skip();
      const file = httpFile(olWrite('first-write'), olWrite('second-write'));
      const command = [process.execPath, '--require', TSX, BIN, 'send', file, '--config', config].map((a) => `'${a}'`).join(' ');
      // script(1) gives the CLI a pseudo-terminal, so it asks; ^C typed there arrives as terminal input.
      const child = spawn('/usr/bin/script', ['-qefc', command, '/dev/null'], { env: { ...process.env, ...env }, cwd: dir, stdio: 'pipe' });
      children.push(child);
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      await until(() => /\[y\/N\]/.test(output), `the prompt: ${output}`);
      child.stdin.write('\x03');
      const code = await exited;
      assert.equal(code, 130, output);
      assert.equal(sandbox.log.filter((e) => e.method === 'POST' && e.path.includes('Documents.All:Update')).length, 0, 'nothing was sent');
      assert.equal((output.match(/\[y\/N\]/g) ?? []).length, 1, `not asked about the second write: ${output}`);
    });

    async function inProcess(args: string[]) {
      let out = '';
      let err = '';
      const code = await runCli([...args, '--config', config], { out: (t) => (out += t), err: (t) => (err += t), env, cwd: dir, interactive: false });
      return { code, out, err };
    }

    it('assign on a "production" connection is refused without --yes when not interactive, and writes nothing', async () => {
      writeConfig((c) => {
        if (c.id === 'dc-sandbox') c.production = true;
      });
      const refused = await inProcess(['assign', 'dc-sandbox', '6047']);
      assert.equal(refused.code, 1, refused.err);
      assert.match(refused.err, /Not done: changing data on DealCloud \(sandbox\) \(PRODUCTION\) needs confirmation.*pass --yes/);
      assert.equal(
        sandbox.log.filter((e) => e.method !== 'GET' && e.vendor === 'dealcloud' && !e.path.includes('/oauth/')).length,
        0,
        'no write reached the vendor',
      );
      const confirmed = await inProcess(['assign', 'dc-sandbox', '6047', '--yes']);
      assert.equal(confirmed.code, 0, confirmed.err);
      assert.match(confirmed.out, /may now act as: .*6047/);
    });

    it('--log that cannot be written is an error before anything is sent', async () => {
      fs.writeFileSync(path.join(dir, 'not-a-folder'), '');
      const r = await inProcess(['send', httpFile(olWrite('write')), '--yes', '--log', path.join('not-a-folder', 'impersonation.jsonl')]);
      assert.equal(r.code, 1, r.err);
      assert.match(r.err, /Cannot write the impersonation log not-a-folder\/impersonation\.jsonl: .*Nothing was sent/);
      assert.equal(sandbox.log.filter((e) => e.vendor === 'orangelogic').length, 0, 'nothing reached the vendor');
      fs.mkdirSync(path.join(dir, 'a-folder'));
      const folder = await inProcess(['send', httpFile(olWrite('write')), '--yes', '--log', 'a-folder']);
      assert.equal(folder.code, 1);
      assert.match(folder.err, /Cannot write the impersonation log a-folder: it is a folder/);
      assert.equal(sandbox.log.filter((e) => e.vendor === 'orangelogic').length, 0);
    });
  });

  describe('errors', () => {
    it('principals, assign and history usage errors exit 2', async () => {
      let err = '';
      const run = (args: string[]) => runCli(args, { out: () => undefined, err: (t) => (err += t), env, cwd: dir, interactive: false });
      assert.equal(await run(['principals']), 2);
      assert.equal(await run(['assign', 'dc-sandbox']), 2);
      assert.equal(await run(['history', 'ol-sandbox', 'A-1', 'extra']), 2);
      assert.match(err, /usage: behalf history <connection> <assetId>/);
    });

    it('an error is printed once, and a long URL in it is capped', async () => {
      const long = `/API/DataTable/v2.2/Documents.All:Read?RecordID=A-1&format=JSON&pad=${'x'.repeat(400)}`;
      fault({ kind: 'reset', match: { pathIncludes: READ_PATH } });
      const file = path.join(dir, 'long.http');
      fs.writeFileSync(file, ['# @name long', '# @connection ol-sandbox', `GET ${long}`, ''].join('\n'));
      let err = '';
      const code = await runCli(['send', file, '--config', config], { out: () => undefined, err: (t) => (err += t), env, cwd: dir, interactive: false });
      assert.equal(code, 1);
      const lines = err.trim().split('\n');
      assert.equal(lines.length, 1, err);
      assert.doesNotMatch(err, /\[error\]/);
      assert.match(lines[0], /^long \(line 3\): .*connection reset/);
      fault({ kind: 'reset', match: { pathIncludes: READ_PATH } });
      const verbose = await runCli(['send', file, '--config', config, '--verbose'], {
        out: () => undefined,
        err: (t) => (err += t),
        env,
        cwd: dir,
        interactive: false,
      });
      assert.equal(verbose, 1);
      assert.ok(!err.includes('x'.repeat(200)), 'no URL of 400 characters in a message');
    });
  });

  describe('the engine', () => {
    const READ = '/API/DataTable/v2.2/Documents.All:Read?RecordID=A-1&format=JSON';

    it('a stop that failed when a connection changed is tried again at dispose, and reported if it fails again', async () => {
      const h = await startHarness();
      try {
        const jane = h.principal('ol-sandbox', 'jane');
        const send = (timeoutMs?: number) =>
          h.engine.sendAs(
            { method: 'GET', url: READ, headers: {} },
            { connection: { ...h.connection('ol-sandbox'), timeoutMs }, principal: jane, mode: 'full' },
          );
        await send();
        h.sandbox.injectFault({ kind: 'status', status: 500, times: 3, match: { pathIncludes: STOP } });
        // New settings, a new adapter: the old one's session is stopped in the background, and that fails.
        await send(20_000);
        await until(() => h.sandbox.log.filter((e) => e.path.includes(STOP)).length >= 3, 'three failed stops');
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(h.sandbox.openSessions(), 2);
        h.sandbox.injectFault({ kind: 'status', status: 500, times: 10, match: { pathIncludes: STOP } });
        const stillFailing = await h.engine.dispose({ timeoutMs: 2_000 });
        assert.equal(stillFailing.length, 2, 'both sessions reported');
        assert.ok(stillFailing.every((u) => u.principalId === 'jane' && /the stop answered 500/.test(u.reason)));
        h.sandbox.clearFaults();
        assert.deepEqual(await h.engine.dispose(), [], 'tried again, and ended this time');
        assert.equal(h.sandbox.openSessions(), 0);
      } finally {
        await h.sandbox.close();
      }
    });
  });
});
