// `# @disabled`, `# @no-redirect`, `# @prompt`, `# @note` and XPath request variables, sent by the CLI (runCli in
// this process, and the real CLI on a pseudo-terminal for @prompt) to the vendor sandbox over real sockets.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from '../../src/cli/main';
import { BehalfError } from '../../src/core/errors';
import { parseHttpFile } from '../../src/core/http/parser';
import { RequestVariableStore } from '../../src/core/http/requestVariables';
import { resolveRequest } from '../../src/core/http/variables';
import type { Io } from '../../src/cli/io';
import type { Sandbox } from '../../src/sandbox';
import { runProcess, freshCliWorld } from './support';

const ROOT = path.join(__dirname, '..', '..');
const BIN = path.join(ROOT, 'src', 'cli', 'bin.ts');
const TSX = require.resolve('tsx/cjs');
const DEALS = '/api/rest/v4/data/entrydata/rows/Deals';

describe('.http annotations that change what is sent (@disabled, @no-redirect, @prompt, @note) and XPath, over the sandbox', function () {
  let sandbox: Sandbox;
  let dir: string;
  let config: string;
  const children: ChildProcess[] = [];

  freshCliWorld('behalf-send-annotations-', (world) => ({ sandbox, dir, config } = world));
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  });

  function writeHttp(lines: string[]): string {
    const file = path.join(dir, 'requests.http');
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }

  async function send(args: string[], extra: Partial<Io> = {}): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const io: Io = { out: (t) => (out += t), err: (t) => (err += t), env: sandbox.secretsEnv(), cwd: dir, interactive: false, ...extra };
    const code = await runCli(['send', ...args, '--config', config], io);
    return { code, out, err };
  }

  const deals = (path: string) => sandbox.log.filter((e) => e.path.includes(path) && e.listener === 'main');

  it('@disabled: the request is not sent, and the run says "skipped: @disabled" (text and --json); the others are sent', async () => {
    const file = writeHttp([
      '# @name first',
      '# @connection dc-sandbox',
      '# @disabled',
      `GET ${DEALS}?which=disabled`,
      '',
      '###',
      '# @name second',
      '# @connection dc-sandbox',
      `GET ${DEALS}?which=enabled`,
    ]);
    const r = await send([file]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^### first \(line 4\)\nskipped: @disabled$/m);
    assert.match(r.out, /### second \(line 9\)\n→ GET .*which=enabled/);
    assert.deepEqual(
      deals('rows/Deals').map((e) => e.query.which),
      ['enabled'],
    );
    const json = await send([file, '--json', '--name', 'first']);
    assert.equal(json.code, 0, json.err);
    assert.deepEqual(JSON.parse(json.out), { name: 'first', skipped: '@disabled' });
    assert.equal(deals('rows/Deals').length, 1, 'still only the enabled one');
  });

  it('@no-redirect: the 302 is the response and nothing goes to its Location; without it the redirect is followed without identity headers', async () => {
    const lines = (annotation: string[]) => ['# @name deals', '# @connection dc-sandbox', ...annotation, `GET ${DEALS}`];
    sandbox.injectFault({ kind: 'redirect', match: { pathIncludes: 'rows/Deals' } });
    const kept = await send([writeHttp(lines(['# @no-redirect']))]);
    assert.equal(kept.code, 0, kept.err);
    assert.match(kept.out, /← 302\b/);
    assert.equal(sandbox.log.filter((e) => e.listener === 'foreign').length, 0, 'the Location was not requested');

    sandbox.injectFault({ kind: 'redirect', match: { pathIncludes: 'rows/Deals' } });
    const followed = await send([writeHttp(lines([]))]);
    assert.equal(followed.code, 0, followed.err);
    const foreign = sandbox.log.filter((e) => e.listener === 'foreign');
    assert.equal(foreign.length, 1, 'followed to the other origin');
    assert.equal(foreign[0].headers['authorization'], undefined, 'without the connection authentication');
  });

  it('@prompt: --var gives the value; without it and without a terminal, an error names --var and nothing is sent', async () => {
    const file = writeHttp(['# @name search', '# @connection dc-sandbox', '# @prompt dealName Which deal to look for', `GET ${DEALS}?name={{dealName}}`]);
    const refused = await send([file]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.err,
      /requests\.http:3:11: This request asks for dealName \("# @prompt dealName"\), and there is no terminal to ask on — pass --var dealName=…/,
    );
    assert.equal(deals('rows/Deals').length, 0);

    const given = await send([file, '--var', 'dealName=Alpha']);
    assert.equal(given.code, 0, given.err);
    assert.deepEqual(
      deals('rows/Deals').map((e) => e.query.name),
      ['Alpha'],
    );
  });

  it('@prompt on a terminal: each name is asked for, a secret-looking one is redacted from the output', async () => {
    const file = writeHttp([
      '# @name search',
      '# @connection dc-sandbox',
      '# @prompt dealName',
      '# @prompt apiToken the token to pass on',
      `GET ${DEALS}?name={{dealName}}&echo={{apiToken}}`,
    ]);
    const asked: Array<[string, boolean]> = [];
    const answers: Record<string, string> = { dealName: 'Beta', apiToken: 'tok-7f3a9c2e51d84b06' };
    const r = await send([file, '--verbose'], {
      interactive: true,
      askText: async (question, { secret }) => {
        asked.push([question, secret]);
        return /the token/.test(question) ? answers.apiToken : answers.dealName;
      },
    });
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(asked, [
      ['search (line 5): dealName: ', false],
      ['search (line 5): the token to pass on (not shown): ', true],
    ]);
    const sent = deals('rows/Deals');
    assert.equal(sent.length, 1);
    assert.equal(sent[0].query.name, 'Beta');
    assert.equal(sent[0].query.echo, answers.apiToken, 'the typed value was sent');
    assert.ok(!(r.out + r.err).includes(answers.apiToken), `the token never shows: ${r.out}${r.err}`);
    assert.match(r.out, /Beta/, 'a value that is not a secret shows');
  });

  it('@prompt with a real terminal (script(1)): the secret is typed without echo and sent', async function () {
    if (!fs.existsSync('/usr/bin/script')) this.skip();
    const file = writeHttp(['# @name search', '# @connection dc-sandbox', '# @prompt password', `GET ${DEALS}?echo={{password}}`]);
    const command = [process.execPath, '--require', TSX, BIN, 'send', file, '--config', config].map((a) => `'${a}'`).join(' ');
    const child = spawn('/usr/bin/script', ['-qefc', command, '/dev/null'], { env: { ...process.env, ...sandbox.secretsEnv() }, cwd: dir, stdio: 'pipe' });
    children.push(child);
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const deadline = Date.now() + 15_000;
    while (!/password \(not shown\): /.test(output)) {
      if (Date.now() > deadline) assert.fail(`no prompt: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.stdin.write('s3cret-Typed-4711\r');
    assert.equal(await exited, 0, output);
    assert.equal(deals('rows/Deals')[0]?.query.echo, 's3cret-Typed-4711');
    assert.ok(!output.includes('s3cret-Typed-4711'), `not echoed, not printed: ${output}`);
  });

  it('@note: confirmed before sending — refused without --yes when nobody can be asked, sent with --yes', async () => {
    const file = writeHttp(['# @name read', '# @connection dc-sandbox', '# @note this reads every deal', `GET ${DEALS}`]);
    const refused = await send([file]);
    assert.equal(refused.code, 1);
    assert.match(refused.err, /Not sent: the request is marked "# @note" and needs confirmation\. — confirm it when asked \(in the CLI: pass --yes\)/);
    assert.equal(deals('rows/Deals').length, 0);

    const questions: string[] = [];
    const declined = await send([file], { interactive: true, ask: async (q) => (questions.push(q), false) });
    assert.equal(declined.code, 1);
    assert.match(
      questions[0],
      /^Note: this reads every deal\. GET http:\/\/127\.0\.0\.1:\d+\/dealcloud\/api\/rest\/v4\/data\/entrydata\/rows\/Deals on .*\. Send it\? \[y\/N\] $/,
    );
    assert.equal(deals('rows/Deals').length, 0);

    const confirmed = await send([file, '--yes']);
    assert.equal(confirmed.code, 0, confirmed.err);
    assert.equal(deals('rows/Deals').length, 1);
  });

  const xpathFile = () =>
    writeHttp([
      '# @name search',
      '# @connection ol-sandbox',
      'GET /API/search/v4.0/search?query=&countperpage=2',
      '',
      '###',
      '# @name next',
      '# @connection ol-sandbox',
      'GET /API/search/v4.0/search?query=&countperpage={{search.response.body.//GlobalInfo/CountPerPage}}&total={{search.response.body.count(//Item)}}&format=JSON',
      '',
      '###',
      '# @connection ol-sandbox',
      'GET /API/search/v4.0/search?query=&x={{search.response.body.//Nothing}}',
    ]);

  function checkXPathRun(r: { out: string; err: string }): void {
    const searches = sandbox.log.filter((e) => e.path.includes('/API/search/'));
    assert.equal(searches.length, 2, r.err);
    assert.equal(searches[1].query.countperpage, '2');
    assert.equal(searches[1].query.total, '2');
    assert.match(
      r.err,
      /requests\.http:12:\d+: \{\{search\.response\.body\.\/\/Nothing\}\}: \/\/Nothing is not in the response body of "search" \(it selects nothing\)/,
    );
  }

  it('XPath request variables read an XML response (Orange Logic search without format=JSON)', async () => {
    const r = await send([xpathFile()]);
    assert.equal(r.code, 1, 'the third request fails');
    checkXPathRun(r);
  });

  it('XPath in the bundled CLI (dist/cli.js): xpath and @xmldom/xmldom load from dist/xpathQuery.js when first used', async function () {
    const cli = path.join(ROOT, 'dist', 'cli.js');
    if (!fs.existsSync(cli) || !fs.existsSync(path.join(ROOT, 'dist', 'xpathQuery.js'))) this.skip();
    assert.ok(!fs.readFileSync(cli, 'utf8').includes('DOMParser'), 'the CLI bundle does not carry the XML parser');
    const r = await runProcess(process.execPath, [cli, 'send', xpathFile(), '--config', config], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...sandbox.secretsEnv() },
    });
    assert.equal(r.code, 1, r.err);
    checkXPathRun(r);
  });

  // `?? body <xpath>` reads the search's XML answer the way the request variables above do; the second request asks
  // for JSON, so its XPath assertion fails saying the body is not XML (a verdict, not a crash).
  const xpathAssertionFile = () =>
    writeHttp([
      '# @name search',
      '# @connection ol-sandbox',
      'GET /API/search/v4.0/search?query=&countperpage=2',
      '',
      '?? header content-type includes xml',
      '?? body count(//Items/Item) == 2',
      '?? body /APIResponse/GlobalInfo/CountPerPage == 2',
      '?? body //Item[1]/* exists',
      '?? body //Nothing exists',
      '',
      '###',
      '# @name json',
      '# @connection ol-sandbox',
      'GET /API/search/v4.0/search?query=&countperpage=2&format=JSON',
      '',
      '?? body //Item exists',
    ]);

  function checkXPathAssertionRun(r: { code: number | null; out: string; err: string }): void {
    assert.equal(r.code, 1, r.err);
    assert.equal(sandbox.log.filter((e) => e.path.includes('/API/search/')).length, 2, r.err);
    const records = r.out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { verdicts: Array<{ met: boolean; expected: string; actual: string }> });
    assert.deepEqual(
      records[0].verdicts.map((v) => [v.met, v.expected]),
      [
        [true, 'header content-type includes xml'],
        [true, 'body count(//Items/Item) == 2'],
        [true, 'body /APIResponse/GlobalInfo/CountPerPage == 2'],
        [true, 'body //Item[1]/* exists'],
        [false, 'body //Nothing exists'],
      ],
    );
    assert.match(r.err, /requests\.http:9:1: assertion failed \(search[^)]*\): expected body \/\/Nothing exists, got body \/\/Nothing absent/);
    assert.equal(records[1].verdicts[0].met, false);
    assert.match(records[1].verdicts[0].actual, /^body \/\/Item: the body is not XML \(Content-Type: application\/json[^)]*\): .+ \(expected an XML body\)$/);
    assert.match(r.err, /requests\.http:16:1: assertion failed \(json[^)]*\): expected body \/\/Item exists, got body \/\/Item: the body is not XML/);
  }

  it('?? body XPath assertions judge an XML response (Orange Logic search without format=JSON); a JSON body fails saying it is not XML', async () => {
    checkXPathAssertionRun(await send([xpathAssertionFile(), '--json']));
  });

  it('?? body XPath assertions in the bundled CLI (dist/cli.js) load the evaluator from dist/xpathQuery.js', async function () {
    const cli = path.join(ROOT, 'dist', 'cli.js');
    if (!fs.existsSync(cli) || !fs.existsSync(path.join(ROOT, 'dist', 'xpathQuery.js'))) this.skip();
    const r = await runProcess(process.execPath, [cli, 'send', xpathAssertionFile(), '--json', '--config', config], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...sandbox.secretsEnv() },
    });
    checkXPathAssertionRun(r);
  });
});

describe('XPath request variables and {{%name}} (resolveRequest)', () => {
  const FILE = '/work/xml.http';
  const xml = '<?xml version="1.0"?><Login><Session id="s 1"><Token>tok-9f8e7d6c5b4a39281706</Token></Session><Item>a</Item><Item>b</Item></Login>';
  const resolveWith = (header: string, body: string | Buffer = xml) => {
    const parsed = parseHttpFile(`# @name login\nPOST /login\n\n<x/>\n\n###\nGET /next\nX: ${header}\n`, FILE);
    assert.deepEqual(parsed.diagnostics, []);
    const store = new RequestVariableStore();
    store.set('login', { request: { headers: {} }, response: { status: 200, headers: { 'content-type': 'text/xml' }, body: Buffer.from(body) } });
    const secrets: string[] = [];
    const spec = resolveRequest(parsed, parsed.requests[1], { requestVariables: store, onSecret: (v) => secrets.push(v) });
    return { value: spec.headers['X'], secrets };
  };
  const failure = (header: string, body?: string) => {
    try {
      resolveWith(header, body);
    } catch (e) {
      assert.ok(e instanceof BehalfError);
      return e.message;
    }
    return assert.fail('expected an error');
  };

  it("reads an element's content, an attribute, a text node, a number; the first of several; percent-encoded with %", () => {
    assert.equal(resolveWith('{{login.response.body.//Session/Token}}').value, 'tok-9f8e7d6c5b4a39281706');
    assert.equal(resolveWith('{{login.response.body.//Session}}').value, '<Token>tok-9f8e7d6c5b4a39281706</Token>');
    assert.equal(resolveWith('{{login.response.body.//Session/@id}}').value, 's 1');
    assert.equal(resolveWith('{{%login.response.body.//Session/@id}}').value, 's%201');
    assert.equal(resolveWith('{{login.response.body.//Item/text()}}').value, 'a');
    assert.equal(resolveWith('{{login.response.body.count(//Item)}}').value, '2');
  });

  it('a value read from a token-named node is a secret (given to the redactor); an id is not', () => {
    assert.deepEqual(resolveWith('{{login.response.body.//Session/Token/text()}}').secrets, ['tok-9f8e7d6c5b4a39281706']);
    assert.deepEqual(resolveWith('{{login.response.body.//Item}}').secrets, []);
  });

  it('says what is wrong: nothing selected, not XML, an invalid XPath', () => {
    assert.match(failure('{{login.response.body.//Missing}}'), /\/\/Missing is not in the response body of "login" \(it selects nothing\)/);
    assert.match(
      failure('{{login.response.body.//Token}}', '{"token": 1}'),
      /the response body of "login" is not XML \(Content-Type: text\/xml\): .*, so the XPath \/\/Token cannot apply \(expected an XML body\)/,
    );
    assert.match(failure('{{login.response.body.//Token[}}'), /\/\/Token\[ is not a valid XPath/);
  });
});
