// `behalf principals` and refusal explanations as a user sees them: dist/cli.js run as a real process against the
// sandbox (run `npm run build` first).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Sandbox } from '../../src/sandbox';
import { freshCliWorld } from './support';

const ROOT = path.join(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const EXAMPLES = path.join(ROOT, 'examples');

interface Run {
  code: number;
  out: string;
  err: string;
}

describe('behalf principals and assignment refusals (dist/cli.js as a process)', function () {
  let sandbox: Sandbox;
  let dir: string;
  let config: string;

  before(function () {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  });
  freshCliWorld('behalf-cli-principals-', (world) => ({ sandbox, dir, config } = world));

  const cli = (args: string[]): Promise<Run> =>
    new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args], { cwd: dir, env: { PATH: process.env.PATH, ...sandbox.secretsEnv() }, timeout: 15_000 }, (error, out, err) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out, err }),
      );
    });
  /** The printed command, run as printed (it names this run's --config). */
  const runPrinted = (command: string) => {
    const args = command.split(' ');
    assert.equal(args.shift(), 'behalf');
    return cli(args);
  };

  it('marks each principal: assigned, no proxy assignment (with the assign command), assigned but not in the file', async () => {
    // Ana (6048) gets an assignment that the connections file does not list.
    const assign = await cli(['assign', 'dc-sandbox', '6048', '--config', config]);
    assert.equal(assign.code, 0, assign.err);

    const r = await cli(['principals', 'dc-sandbox', '--config', config]);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n');
    assert.match(lines[0], /^DealCloud \(sandbox\) — 4 principal\(s\); modes: full; 3 of 4 may be acted as/);
    const row = (who: RegExp) => lines.find((l) => who.test(l)) ?? assert.fail(`no row for ${who}: ${r.out}`);
    assert.match(row(/^ {2}jane /), /Jane Doe .*jane@acme\.test .*6045 {2}assigned$/);
    assert.match(row(/^ {2}raj /), /6046 {2}assigned$/);
    const lee = row(/^ {2}lee /);
    assert.match(lee, /6047 {2}no proxy assignment — create it: behalf assign dc-sandbox 6047 --config /);
    assert.match(
      row(/^ {2}6048 /),
      /Ana Silva .*6048 {2}assigned, not in the connections file — to send as it, add \{"id":"ana","userId":"6048","email":"ana@acme\.test","name":"Ana Silva"\} to "principals" of dc-sandbox$/,
    );

    // The printed command works as printed; afterwards lee is assigned.
    const command = /create it: (behalf assign .*)$/.exec(lee)![1];
    const created = await runPrinted(command);
    assert.equal(created.code, 0, created.err);
    assert.match(created.out, /may now act as: 6045, 6046, 6048, 6047/);
    const after = await cli(['principals', 'dc-sandbox', '--config', config]);
    assert.match(after.out, /^ {2}lee .*6047 {2}assigned$/m);
  });

  it('--json gives every principal assigned and source (file, vendor, both); exit 0', async () => {
    assert.equal((await cli(['assign', 'dc-sandbox', '6048', '--config', config])).code, 0);
    const r = await cli(['principals', 'dc-sandbox', '--json', '--config', config]);
    assert.equal(r.code, 0, r.err);
    const list = JSON.parse(r.out) as Array<{ id: string; userId?: string; assigned?: boolean; source: string }>;
    assert.deepEqual(
      list.map(({ id, userId, assigned, source }) => ({ id, userId, assigned, source })),
      [
        { id: 'jane', userId: '6045', assigned: true, source: 'both' },
        { id: 'raj', userId: '6046', assigned: true, source: 'both' },
        { id: 'lee', userId: '6047', assigned: false, source: 'file' },
        { id: '6048', userId: '6048', assigned: true, source: 'vendor' },
      ],
    );
    // A vendor without such a list: the file's principals, source "file", no "assigned".
    const ol = await cli(['principals', 'ol-sandbox', '--json', '--config', config]);
    assert.equal(ol.code, 0, ol.err);
    for (const p of JSON.parse(ol.out) as Array<Record<string, unknown>>) {
      assert.equal(p.source, 'file');
      assert.ok(!('assigned' in p));
    }
  });

  for (const status of [400, 401, 403] as const) {
    it(`a ${status} "User 6001 is not allowed to act as user 6047" is explained as the missing assignment, with the assign command`, async () => {
      sandbox.setAsUserDenialStatus(status);
      sandbox.setAsUserDenialMessage('User {proxyUserId} is not allowed to act as user {userId}');
      const file = path.join(EXAMPLES, 'dealcloud.http');
      const r = await cli(['send', file, '--name', 'deals-as-lee', '--config', config]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`← ${status} `));
      assert.match(
        r.out,
        /! No proxy assignment lets the service user \(6001\) act as 6047 \(Lee Wong\): DealCloud said "User 6001 is not allowed to act as user 6047"/,
      );
      assert.doesNotMatch(r.out, /Usually a missing scope/);
      const command = /^ {2}! Create proxy assignment: (behalf assign dc-sandbox 6047 --config .*)$/m.exec(r.out)?.[1] ?? assert.fail(r.out);
      const json = await cli(['send', file, '--name', 'deals-as-lee', '--json', '--config', config]);
      const record = JSON.parse(json.out) as { explanation: string; action: { kind: string; command: string } };
      assert.match(record.explanation, /^No proxy assignment lets the service user \(6001\) act as 6047/);
      assert.equal(record.action.kind, 'createProxyAssignment');
      assert.equal(record.action.command, command);
      // Running it fixes the refusal.
      assert.equal((await runPrinted(command)).code, 0);
      const again = await cli(['send', file, '--name', 'deals-as-lee', '--config', config]);
      assert.match(again.out, /← 200 OK/);
    });
  }
});
