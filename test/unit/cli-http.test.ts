// The CLI as a real process (dist/cli.js; `npm run build` first) against the sandbox: what a .http file's
// problems do to a run — mistyped annotations, unknown methods, Behalf secrets in variables — and that
// nothing is sent when the file has an error.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Sandbox } from '../../src/sandbox';
import { runProcess, freshCliWorld } from './support';

const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');

describe('behalf CLI (dist/cli.js) and .http file problems', function () {
  let sandbox: Sandbox;
  let dir: string;
  let config: string;

  before(function () {
    if (!fs.existsSync(CLI)) this.skip();
  });
  freshCliWorld('behalf-cli-http-', (world) => ({ sandbox, dir, config } = world));

  function run(args: string[], extraEnv: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
    return runProcess(process.execPath, [CLI, ...args, '--config', config], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...sandbox.secretsEnv(), ...extraEnv },
    });
  }

  function writeHttp(name: string, lines: string[]): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }

  it('a mistyped @as, @as: or @ as on a write is an error at file:line:column, and nothing at all is sent', async () => {
    const file = writeHttp('deals.http', [
      '### read',
      '# @name read',
      '# @connection dc-sandbox',
      'GET /api/rest/v4/data/entrydata/rows/Deals',
      '',
      '### create as Jane (mistyped)',
      '# @name create',
      '# @connection dc-sandbox',
      '# @AS 6045',
      'POST /api/rest/v4/data/entrydata/rows/Deals',
      'Content-Type: application/json',
      '',
      '[{ "Name": "Project Typo" }]',
      '',
      '###',
      '# @connection dc-sandbox',
      '# @as: 6045',
      'DELETE /api/rest/v4/data/entrydata/rows/Deals/1',
      '',
      '###',
      '# @connection dc-sandbox',
      '# @ as 6045',
      'PATCH /api/rest/v4/data/entrydata/rows/Deals',
    ]);
    const r = await run(['send', file, '--yes']);
    assert.equal(r.code, 1, r.err);
    assert.match(
      r.err,
      /^deals\.http:9:3: error: annotation names are lower-case: Behalf does not read @AS as @as, so the request would be sent as the service user/m,
    );
    assert.match(r.err, /^deals\.http:17:3: error: a colon after @as is not annotation syntax/m);
    assert.match(r.err, /^deals\.http:22:3: error: a space after @ is not annotation syntax/m);
    assert.equal(r.out, '');
    assert.equal(sandbox.log.length, 0, 'the sandbox received nothing, not even a token request');

    // --name of the good request: the errors of the other blocks are still printed, and only the read is sent.
    const named = await run(['send', file, '--name', 'read']);
    assert.equal(named.code, 0, named.err);
    assert.match(named.err, /deals\.http:9:3: error: .*@AS/);
    assert.match(named.err, /deals\.http:17:3: error: /);
    assert.equal(sandbox.log.filter((e) => e.method !== 'GET' && e.path.includes('/rows/')).length, 0);
    assert.equal(sandbox.log.filter((e) => e.method === 'GET' && e.path.endsWith('/rows/Deals')).length, 1);
    // --name of the mistyped one is refused.
    const create = await run(['send', file, '--name', 'create', '--yes']);
    assert.equal(create.code, 1);
    assert.equal(sandbox.log.filter((e) => e.method === 'POST' && e.path.includes('/rows/')).length, 0);
  });

  it('a block with an unknown method is reported whatever --name selects; PROPFIND is sent, as a write', async () => {
    const file = writeHttp('dav.http', [
      '# @name read',
      '# @connection gen-header-sandbox',
      'GET /api/echo',
      '',
      '###',
      '# @connection gen-header-sandbox',
      'merge /api/echo',
      '',
      '###',
      '# @name dav',
      '# @connection gen-header-sandbox',
      '# @as jane',
      'PROPFIND /api/echo',
      'Depth: 1',
      '',
      '###',
      '# @name typo',
      '# @connection gen-header-sandbox',
      'GTE /api/echo',
    ]);
    const all = await run(['send', file]);
    assert.equal(all.code, 1);
    assert.match(all.err, /^dav\.http:7:1: error: unknown method "merge"/m);
    assert.match(all.err, /^dav\.http:19:1: warning: unknown method "GTE": did you mean GET\?/m);
    assert.equal(sandbox.log.length, 0, 'nothing was sent');

    const named = await run(['send', file, '--name', 'read']);
    assert.equal(named.code, 0, named.err);
    assert.match(named.err, /^dav\.http:7:1: error: unknown method "merge"/m);

    // PROPFIND as someone else is a write: not sent without --yes, sent with it.
    const refused = await run(['send', file, '--name', 'dav']);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /PROPFIND .*needs confirmation/);
    assert.equal(sandbox.log.filter((e) => e.method === 'PROPFIND').length, 0);
    const sent = await run(['send', file, '--name', 'dav', '--yes', '--json']);
    assert.equal(sent.code, 0, sent.err);
    const echoed = sandbox.log.filter((e) => e.method === 'PROPFIND');
    assert.equal(echoed.length, 1);
    assert.equal(echoed[0].headers.depth, '1');
    assert.equal(JSON.parse(sent.out.trim()).body.method, 'PROPFIND');
  });

  it('{{$processEnv BEHALF_SECRET_…}} is refused before anything is sent; every BEHALF_SECRET_* value is redacted', async () => {
    const secret = 'Zq9-unused-secret-value-7731';
    const file = writeHttp('leak.http', [
      '# @connection gen-header-sandbox',
      'POST /api/echo',
      'Content-Type: text/plain',
      'X-Key: {{$processEnv BEHALF_SECRET_DC_SANDBOX}}',
      '',
      'hello',
    ]);
    const r = await run(['send', file, '--json']);
    assert.equal(r.code, 1);
    assert.match(
      r.err,
      /^leak\.http:4:8: error: \{\{\$processEnv BEHALF_SECRET_DC_SANDBOX\}\} reads BEHALF_SECRET_DC_SANDBOX, a Behalf secret: secrets are added by the connection/m,
    );
    assert.equal(sandbox.log.length, 0, 'nothing was sent');
    assert.ok(!r.out.includes(sandbox.secretsEnv().BEHALF_SECRET_DC_SANDBOX) && !r.err.includes(sandbox.secretsEnv().BEHALF_SECRET_DC_SANDBOX));

    // A BEHALF_SECRET_* value no adapter of this run loads is still redacted wherever it shows (the echo).
    const echo = writeHttp('echo.http', ['# @connection gen-header-sandbox', 'POST /api/echo', 'Content-Type: text/plain', '', `the value is ${secret}`]);
    const sent = await run(['send', echo, '--json', '--verbose'], { BEHALF_SECRET_SOME_OTHER_CONNECTION: secret });
    assert.equal(sent.code, 0, sent.err);
    assert.ok(
      sandbox.log.some((e) => e.body.includes(secret)),
      'the body was sent as written',
    );
    assert.ok(!sent.out.includes(secret), sent.out);
    assert.ok(!sent.err.includes(secret), sent.err);
  });

  it('--var overrides file variables; a GraphQL body is sent as JSON; a ?? line or a script block sends nothing', async () => {
    const file = writeHttp('graph.http', [
      '@who = from-the-file',
      '',
      '# @name graph',
      '# @connection gen-header-sandbox',
      'POST /api/echo',
      'X-Request-Type: GraphQL',
      'X-Who: {{who}}',
      '',
      'query Shelf($n: Int) {',
      '  shelf(first: $n) { title }',
      '}',
      '',
      '{"n": 3}',
    ]);
    const r = await run(['send', file, '--var', 'who=from-the-cli', '--var', 'unused=1', '--json']);
    assert.equal(r.code, 0, r.err);
    const sent = sandbox.log.filter((e) => e.path.endsWith('/api/echo'));
    assert.equal(sent.length, 1);
    assert.equal(sent[0].headers['x-who'], 'from-the-cli');
    assert.equal(sent[0].headers['x-request-type'], undefined);
    assert.match(sent[0].headers['content-type'], /^application\/json/);
    assert.deepEqual(JSON.parse(sent[0].body), {
      query: 'query Shelf($n: Int) {\n  shelf(first: $n) { title }\n}',
      variables: { n: 3 },
      operationName: 'Shelf',
    });
    const bad = await run(['send', file, '--var', 'no-equals-sign']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--var takes name=value \(got "no-equals-sign"\)/);

    const before = sandbox.log.length;
    // A ?? line Behalf cannot judge (an unknown operator) is an error, never body text: nothing is sent.
    const checked = writeHttp('checked.http', ['# @connection gen-header-sandbox', 'GET /api/echo', '', '?? status === 200']);
    const refused = await run(['send', checked]);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /^checked\.http:4:11: error: \?\? status: unknown operator "==="/m);
    const scripted = writeHttp('scripted.http', ['{{', '  exports.id = 7;', '}}', '# @connection gen-header-sandbox', 'GET /api/echo?id={{id}}']);
    const refused2 = await run(['send', scripted]);
    assert.equal(refused2.code, 1);
    assert.match(refused2.err, /^scripted\.http:1:1: error: httpYac script block/m);
    assert.equal(sandbox.log.length, before, 'nothing was sent');
  });

  it('"No request named x" lists ten names and how many more; /dev/zero as the .http file is a sentence', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 40; i++) lines.push(`### r${i}`, `# @name r${i}`, '# @connection dc-sandbox', `GET /x/${i}`, '');
    const file = writeHttp('many.http', lines);
    const r = await run(['send', file, '--name', 'nope']);
    assert.equal(r.code, 1);
    assert.match(r.err, /No request named "nope" in .*many\.http \(named: r0, r1, r2, r3, r4, r5, r6, r7, r8, r9 and 30 more\)\./);
    if (process.platform !== 'win32') {
      const zero = await run(['send', '/dev/zero']);
      assert.equal(zero.code, 1);
      assert.match(zero.err, /Cannot read \/dev\/zero: it is a character device \(like \/dev\/zero\), not a regular file/);
      assert.doesNotMatch(zero.err, /Invalid string length/);
    }
    assert.equal(sandbox.log.length, 0, 'nothing was sent');
  });
});
