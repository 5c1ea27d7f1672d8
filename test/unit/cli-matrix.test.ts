// `behalf matrix` and `behalf send`'s `??` assertions and --junit, as a user runs them: dist/cli.js as a real
// process against the sandbox (run `npm run build` first). Every exit code, the --json shape, JUnit read back
// with an XML parser, and no secret in any output.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DOMParser } from '@xmldom/xmldom';
import type { Sandbox } from '../../src/sandbox';
import { runProcess, freshCliWorld } from './support';

const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');

const DEALS = `# @expect jane rows 3
# @expect raj rows >= 1
# @expect lee denied
# @expect self allowed
# @name deals
# @connection dc-sandbox
GET /api/rest/v4/data/entrydata/rows/Deals

###
# @expect lee denied
# @name companies
# @connection dc-sandbox
GET /api/rest/v4/data/entrydata/rows/Companies

###
# @name rename
# @connection dc-sandbox
PATCH /api/rest/v4/data/entrydata/rows/Deals
Content-Type: application/json

[{"EntryId": 1, "Name": "Renamed"}]
`;

/** Parse XML strictly: any error or warning fails the test. */
function parseXml(text: string) {
  const problems: string[] = [];
  const doc = new DOMParser({ onError: (level, message) => problems.push(`${level}: ${message}`) }).parseFromString(text, 'text/xml');
  assert.deepEqual(problems, [], 'well-formed XML');
  return doc;
}

describe('behalf matrix and assertions (dist/cli.js as a process)', function () {
  this.timeout(30_000);
  let sandbox: Sandbox;
  let dir: string;
  let secrets: string[];

  before(function () {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" first`);
  });
  freshCliWorld('behalf-cli-matrix-', (world) => ({ sandbox, dir } = world));
  beforeEach(() => {
    fs.writeFileSync(path.join(dir, 'deals.http'), DEALS);
    secrets = Object.values(sandbox.secretsEnv());
  });

  const cli = (...args: string[]) => runProcess(process.execPath, [CLI, ...args], { cwd: dir, env: { PATH: process.env.PATH, ...sandbox.secretsEnv() } });
  /** Every token the sandbox issued or accepted, and every secret: none may appear in output. */
  const leaks = (text: string) => {
    const tokens = sandbox.log.flatMap((e) => (e.headers.authorization ? [e.headers.authorization.replace(/^Bearer\s+/i, '')] : []));
    return [...secrets, ...tokens].filter((s) => s.length >= 8 && text.includes(s));
  };

  it('prints the table, denials with their explanation and a summary; exit 0 when every expectation holds', async () => {
    const r = await cli('matrix', 'deals.http');
    assert.equal(r.code, 0, r.err + r.out);
    const lines = r.out.split('\n');
    assert.match(lines[0], /^Access matrix: deals\.http — 3 requests × 4 identities on dc-sandbox, 8 sent in \d+\.\d s$/);
    assert.match(lines[2], /^request +jane +raj +lee +self$/);
    assert.match(lines[3], /^deals +✓ 200 · 3 +✓ 200 · 3 +✗ 401 +✓ 200 · 5$/);
    assert.match(lines[4], /^companies +✓ 200 · 2 +✓ 200 · 1 +✗ 401 +✓ 200 · 2$/);
    assert.match(lines[5], /^rename +– +– +– +– +\(skipped: PATCH changes data: a matrix sends reads only/);
    assert.match(
      r.out,
      /✗ lee \(Lee Wong <lee@acme\.test> \(6047\)\) on deals, companies: 401 — No proxy assignment lets the service user \(6001\) act as 6047/,
    );
    assert.match(r.out, /All 5 expectations met\./);
    assert.equal(sandbox.log.filter((e) => e.method === 'PATCH').length, 0);
    assert.deepEqual(leaks(r.out + r.err), []);
  });

  it('exit 1 on an unmet expectation, naming file:line:column, what was expected and what came back', async () => {
    fs.writeFileSync(path.join(dir, 'deals.http'), DEALS.replace('# @expect jane rows 3', '# @expect jane denied'));
    const r = await cli('matrix', 'deals.http');
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /^deals +✓ 200 · 3 \* /m);
    assert.match(r.out, /Unmet expectations \(1 of 5\):\n {2}deals\.http:1:11: deals as jane: expected denied, got allowed \(200, 3 rows\)/);
  });

  it('exit 1 when a cell gets no answer (a 500), with the error in the output', async () => {
    sandbox.injectFault({ match: { pathIncludes: '/rows/Companies' }, kind: 'status', status: 500, times: 100 });
    const r = await cli('matrix', 'deals.http', '--name', 'companies', '--as', 'jane');
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /^companies +! 500$/m);
    assert.match(r.out, /! companies as jane: answered 500/);
  });

  it('--json prints one object in the shape of the issue; --as picks the columns; --name repeats', async () => {
    const r = await cli('matrix', 'deals.http', '--json', '--as', 'jane', '--as', 'lee', '--name', 'deals', '--name', 'rename');
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n');
    assert.equal(lines.length, 1, 'one JSON object');
    const json = JSON.parse(lines[0]);
    assert.deepEqual(Object.keys(json).sort(), ['cells', 'identities', 'passed', 'requests']);
    assert.deepEqual(json.identities, [
      { id: 'jane', label: 'Jane Doe <jane@acme.test> (6045)', connection: 'dc-sandbox' },
      { id: 'lee', label: 'Lee Wong <lee@acme.test> (6047)', connection: 'dc-sandbox' },
    ]);
    assert.deepEqual(
      json.requests.map((q: { name: string; method: string; url: string }) => [q.name, q.method, q.url]),
      [
        ['deals', 'GET', '/api/rest/v4/data/entrydata/rows/Deals'],
        ['rename', 'PATCH', '/api/rest/v4/data/entrydata/rows/Deals'],
      ],
    );
    assert.equal(json.cells.length, 4);
    const [jane, lee] = json.cells;
    assert.deepEqual(
      { request: jane.request, identity: jane.identity, status: jane.status, outcome: jane.outcome, rows: jane.rows, expected: jane.expected, met: jane.met },
      { request: 'deals', identity: 'jane', status: 200, outcome: 'allowed', rows: 3, expected: ['rows 3'], met: true },
    );
    assert.equal(typeof jane.durationMs, 'number');
    assert.equal(lee.outcome, 'denied');
    assert.match(lee.explanation, /No proxy assignment/);
    assert.equal(json.cells[2].outcome, 'skipped');
    assert.equal(json.passed, true);
    assert.equal('record' in jane, false, 'no response bodies in the JSON');
    assert.deepEqual(leaks(r.out), []);
  });

  it('--junit writes well-formed JUnit: a testcase per cell named "<request> as <identity>", a failure per unmet expectation, no secret', async () => {
    fs.writeFileSync(path.join(dir, 'deals.http'), DEALS.replace('# @expect raj rows >= 1', '# @expect raj denied'));
    const r = await cli('matrix', 'deals.http', '--junit', 'reports/matrix.xml', '--all');
    assert.equal(r.code, 1, r.err);
    const xml = fs.readFileSync(path.join(dir, 'reports', 'matrix.xml'), 'utf8');
    const doc = parseXml(xml);
    const cases = Array.from(doc.getElementsByTagName('testcase'));
    assert.equal(cases.length, 12);
    assert.deepEqual(
      cases.slice(0, 4).map((c) => c.getAttribute('name')),
      ['deals as self', 'deals as jane', 'deals as raj', 'deals as lee'],
    );
    const raj = cases.find((c) => c.getAttribute('name') === 'deals as raj')!;
    const failures = Array.from(raj.getElementsByTagName('failure'));
    assert.equal(failures.length, 1);
    assert.equal(failures[0].getAttribute('message'), 'expected denied, got allowed (200, 3 rows)');
    assert.equal(failures[0].textContent, 'deals.http:2:11: # @expect raj denied');
    const suite = doc.getElementsByTagName('testsuite')[0];
    assert.equal(suite.getAttribute('tests'), '12');
    assert.equal(suite.getAttribute('failures'), '1');
    assert.equal(suite.getAttribute('skipped'), '4');
    assert.equal(cases.filter((c) => c.getElementsByTagName('skipped').length === 1).length, 4);
    assert.deepEqual(leaks(xml), []);
  });

  it('exit 2 on bad usage: no identities, a bad --concurrency, an unknown --as, no file', async () => {
    fs.writeFileSync(path.join(dir, 'plain.http'), '# @connection dc-sandbox\nGET /api/rest/v4/data/entrydata/rows/Deals\n');
    const none = await cli('matrix', 'plain.http');
    assert.equal(none.code, 2);
    assert.match(none.err, /whom should the matrix send as\? Pass --as <identity>/);
    const concurrency = await cli('matrix', 'deals.http', '--concurrency', '0');
    assert.equal(concurrency.code, 2);
    assert.match(concurrency.err, /--concurrency takes a whole number from 1 to 64 \(got "0"\)/);
    const unknown = await cli('matrix', 'deals.http', '--as', 'nobody');
    assert.equal(unknown.code, 2);
    assert.match(unknown.err, /No principal "nobody" on connection "dc-sandbox"/);
    const missing = await cli('matrix');
    assert.equal(missing.code, 2);
    assert.match(missing.err, /usage: behalf matrix <file\.http>/);
    assert.equal(sandbox.log.filter((e) => e.path.includes('/rows/')).length, 0, 'nothing sent');
  });

  it('a malformed @expect or ?? line is a diagnostic with file:line:column and nothing is sent (exit 1)', async () => {
    fs.writeFileSync(
      path.join(dir, 'bad.http'),
      '# @expect jane maybe\n# @connection dc-sandbox\nGET /api/rest/v4/data/entrydata/rows/Deals\n\n?? status ~ 200\n',
    );
    const r = await cli('matrix', 'bad.http');
    assert.equal(r.code, 1);
    assert.match(r.err, /bad\.http:1:16: error: @expect jane: unknown outcome "maybe"/);
    assert.match(r.err, /bad\.http:5:11: error: \?\? status: unknown operator "~"/);
    const send = await cli('send', 'bad.http');
    assert.equal(send.code, 1);
    assert.equal(sandbox.log.filter((e) => e.path.includes('/rows/')).length, 0, 'nothing sent');
  });

  it('--log records every request the matrix sent as someone else', async () => {
    const r = await cli('matrix', 'deals.http', '--name', 'deals', '--log', 'imp.jsonl');
    assert.equal(r.code, 0, r.err);
    const entries = fs
      .readFileSync(path.join(dir, 'imp.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const who = entries.map((e) => JSON.stringify(e)).join('\n');
    for (const name of ['Jane Doe', 'Raj Patel', 'Lee Wong']) assert.match(who, new RegExp(name));
    assert.equal(entries.length, 3, 'one entry per send as someone else (the service user is not impersonation)');
  });

  describe('send with ?? assertions', () => {
    const FILE = `# @name deals
# @connection dc-sandbox
# @as jane
GET /api/rest/v4/data/entrydata/rows/Deals

?? status == 200
?? header content-type includes json
?? body $.rows.length == {{wanted}}
?? duration < 10000

###
# @name companies
# @connection dc-sandbox
# @as jane
GET /api/rest/v4/data/entrydata/rows/Companies

?? body $.rows.length > 5
?? status == 200
`;
    beforeEach(() => fs.writeFileSync(path.join(dir, 'checks.http'), `@wanted = 3\n\n${FILE}`));

    it('exit 0 when every assertion holds; --json records carry the verdicts', async () => {
      const r = await cli('send', 'checks.http', '--name', 'deals', '--json');
      assert.equal(r.code, 0, r.err);
      const record = JSON.parse(r.out.trim());
      assert.equal(record.verdicts.length, 4);
      assert.ok(record.verdicts.every((v: { met: boolean }) => v.met));
      assert.equal(record.verdicts[2].expected, 'body $.rows.length == 3', '{{wanted}} resolved');
    });

    it('exit 1 when one fails, naming file:line:column and expected vs actual; --junit one testcase per request', async () => {
      const r = await cli('send', 'checks.http', '-o', 'summary', '--junit', 'send.xml');
      assert.equal(r.code, 1);
      assert.match(r.err, /checks\.http:19:1: assertion failed \(companies as jane\): expected body \$\.rows\.length > 5, got body \$\.rows\.length was 2/);
      assert.doesNotMatch(r.err, /deals as jane/);
      const xml = fs.readFileSync(path.join(dir, 'send.xml'), 'utf8');
      const doc = parseXml(xml);
      const cases = Array.from(doc.getElementsByTagName('testcase'));
      assert.deepEqual(
        cases.map((c) => [c.getAttribute('name'), c.getElementsByTagName('failure').length]),
        [
          ['deals as jane', 0],
          ['companies as jane', 1],
        ],
      );
      assert.deepEqual(leaks(xml + r.out + r.err), []);
    });

    it('a refused send fails its status assertion; a send with no answer is a JUnit <error>', async () => {
      fs.writeFileSync(
        path.join(dir, 'lee.http'),
        '# @name deals\n# @connection dc-sandbox\n# @as lee\nGET /api/rest/v4/data/entrydata/rows/Deals\n\n?? status == 200\n',
      );
      const r = await cli('send', 'lee.http', '--junit', 'lee.xml', '-o', 'none');
      assert.equal(r.code, 1);
      assert.match(r.err, /lee\.http:6:1: assertion failed \(deals as lee\): expected status == 200, got status was 401/);
      assert.equal(parseXml(fs.readFileSync(path.join(dir, 'lee.xml'), 'utf8')).getElementsByTagName('failure').length, 1);

      sandbox.injectFault({ match: { pathIncludes: '/rows/Deals' }, kind: 'reset', times: 100 });
      const reset = await cli('send', 'checks.http', '--name', 'deals', '--junit', 'reset.xml', '-o', 'none');
      assert.equal(reset.code, 1);
      const doc = parseXml(fs.readFileSync(path.join(dir, 'reset.xml'), 'utf8'));
      const [error] = Array.from(doc.getElementsByTagName('error'));
      assert.ok(error, 'an <error> element');
      const testcase = Array.from(doc.getElementsByTagName('testcase')).find((c) => c.getElementsByTagName('error').length > 0);
      assert.equal(testcase?.getAttribute('name'), 'deals as jane');
      assert.ok((error.getAttribute('message') ?? '').length > 0);
    });
  });
});
