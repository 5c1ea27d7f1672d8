import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../src/cli/main';
import { startSandbox, type Sandbox } from '../../src/sandbox';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const ROOT = path.join(__dirname, '..', '..');

describe('behalf CLI against the sandbox', function () {
  let sandbox: Sandbox;
  let dir: string;
  let config: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    sandbox = await startSandbox();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-cli-'));
    config = path.join(dir, 'behalf.connections.json');
    fs.writeFileSync(config, JSON.stringify(sandbox.connectionsFile(), null, 2));
    env = { ...sandbox.secretsEnv() };
  });
  afterEach(async () => {
    await sandbox.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function run(args: string[], options: { interactive?: boolean; answer?: boolean } = {}) {
    let out = '';
    let err = '';
    const code = await runCli(args, {
      out: (t) => (out += t),
      err: (t) => (err += t),
      env,
      cwd: dir,
      interactive: options.interactive ?? false,
      ask: async () => options.answer ?? false,
    });
    return { code, out, err, lines: out.trim().split('\n').filter(Boolean) };
  }

  it('sends one named request as a principal and prints who it was sent as', async () => {
    const r = await run(['send', path.join(EXAMPLES, 'dealcloud.http'), '--name', 'deals-as-jane', '--config', config]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /as Jane Doe <jane@acme\.test> \(6045\) · full · DealCloud \(sandbox\)/);
    assert.match(r.out, /← 200 OK/);
    assert.match(r.out, /Project Borealis/);
    assert.doesNotMatch(r.out, /Project Cedar/);
    assert.equal(sandbox.log.find((e) => e.path.endsWith('/rows/Deals'))!.headers['as-user'], '6045');
  });

  it('--json prints one object per request with name, status, headers, body, sentAs, mode, durationMs', async () => {
    const r = await run(['send', path.join(EXAMPLES, 'generic.http'), '--json', '--config', config]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.lines.length, 2);
    const [header, exchange] = r.lines.map((l) => JSON.parse(l));
    assert.equal(header.name, 'whoami-header');
    assert.deepEqual(header.body, { sub: 'jane@acme.test', via: 'header' });
    assert.equal(exchange.body.via, 'token-exchange');
    for (const key of ['name', 'status', 'headers', 'body', 'sentAs', 'mode', 'durationMs']) assert.ok(key in header, key);
    assert.equal(header.mode, 'full');
  });

  it('--output summary drops bodies, --output none prints nothing yet sends everything; a bad value exits 2', async () => {
    const file = path.join(EXAMPLES, 'generic.http');
    const summary = await run(['send', file, '--output', 'summary', '--config', config]);
    assert.equal(summary.code, 0, summary.err);
    assert.equal((summary.out.match(/^← 200 OK/gm) ?? []).length, 2);
    assert.doesNotMatch(summary.out, /token-exchange/);
    const json = await run(['send', file, '-o', 'summary', '--json', '--config', config]);
    assert.deepEqual(
      json.lines.map((l) => 'body' in JSON.parse(l)),
      [false, false],
    );
    const sentBefore = sandbox.log.length;
    const none = await run(['send', file, '-o', 'none', '--config', config]);
    assert.equal(none.code, 0, none.err);
    assert.equal(none.out, '');
    assert.ok(sandbox.log.length > sentBefore, 'the requests were still sent');
    const bad = await run(['send', file, '--output', 'quiet', '--config', config]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--output must be full, summary, none \(got "quiet"\)/);
  });

  it('--output none still judges body assertions: a body nobody prints is decoded when an assertion reads it', async () => {
    const file = path.join(dir, 'judged.http');
    const request = '# @connection gen-header-sandbox\n# @as jane\nGET /api/whoami\n\n';
    fs.writeFileSync(file, `${request}?? body $.sub == jane@acme.test\n\n###\n${request}?? body $.sub == someone@else.test\n`);
    const r = await run(['send', file, '-o', 'none', '--config', config]);
    assert.equal(r.out, '');
    assert.equal(r.code, 1, 'the second assertion fails');
    const failures = r.err.split('\n').filter((l) => /assertion failed/.test(l));
    assert.equal(failures.length, 1, r.err);
    assert.match(failures[0], /judged\.http:12:1: .*was "jane@acme\.test"/);
  });

  it('--as and --mode override the file; the whole OL flow leaves no session open', async () => {
    const r = await run([
      'send',
      path.join(EXAMPLES, 'orangelogic.http'),
      '--name',
      'read-asset',
      '--mode',
      'full',
      '--as',
      'raj@acme.test',
      '--config',
      config,
      '--json',
    ]);
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse(r.lines[0]).sentAs.principalId, 'raj');
    assert.equal(sandbox.log.filter((e) => e.path.includes('startimpersonation')).length, 1);
    assert.equal(sandbox.openSessions(), 0);
  });

  it('refuses a write as someone else without --yes when not interactive, and sends nothing', async () => {
    const r = await run(['send', path.join(EXAMPLES, 'dealcloud.http'), '--name', 'create-deal-as-jane', '--config', config]);
    assert.equal(r.code, 1);
    assert.match(r.err, /needs confirmation.*pass --yes/);
    assert.equal(sandbox.log.filter((e) => e.method === 'POST' && e.path.includes('/rows/')).length, 0);
  });

  it('asks when interactive, and sends with --yes', async () => {
    const declined = await run(['send', path.join(EXAMPLES, 'dealcloud.http'), '--name', 'create-deal-as-jane', '--config', config], {
      interactive: true,
      answer: false,
    });
    assert.equal(declined.code, 1);
    const yes = await run(['send', path.join(EXAMPLES, 'dealcloud.http'), '--name', 'create-deal-as-jane', '--config', config, '--yes', '--json']);
    assert.equal(yes.code, 0, yes.err);
    assert.equal(JSON.parse(yes.lines[0]).body[0].CreatedBy, 6045);
  });

  it('exits 0 on a 4xx response, 1 with --fail, and explains it', async () => {
    const file = path.join(EXAMPLES, 'dealcloud.http');
    const plain = await run(['send', file, '--name', 'deals-as-lee', '--config', config]);
    assert.equal(plain.code, 0);
    assert.match(plain.out, /No proxy assignment lets the service user \(6001\) act as 6047/);
    const failing = await run(['send', file, '--name', 'deals-as-lee', '--config', config, '--fail']);
    assert.equal(failing.code, 1);
  });

  it('every example request runs (with --yes) and no secret reaches stdout or stderr', async () => {
    let all = '';
    for (const f of ['dealcloud.http', 'orangelogic.http', 'creativeforce.http', 'generic.http']) {
      const r = await run(['send', path.join(EXAMPLES, f), '--config', config, '--yes', '--verbose']);
      assert.equal(r.code, 0, `${f}: ${r.err}`);
      all += r.out + r.err;
    }
    const tokens = sandbox.log.flatMap((e) => (e.headers['authorization'] ? [e.headers['authorization'].replace(/^Bearer /, '')] : []));
    for (const secret of [...Object.values(env).filter((v): v is string => !!v), ...tokens]) assert.ok(!all.includes(secret), `leaked ${secret.slice(0, 4)}…`);
    assert.equal(sandbox.openSessions(), 0);
  });

  it('principals lists DealCloud proxy assignments; history prints versions', async () => {
    const p = await run(['principals', 'dc-sandbox', '--config', config]);
    assert.equal(p.code, 0, p.err);
    assert.match(p.out, /jane .*Jane Doe .*jane@acme\.test .*6045/);
    const h = await run(['history', 'ol-sandbox', 'A-1', '--config', config]);
    assert.equal(h.code, 0, h.err);
    assert.match(h.out, /^v1 /m);
  });

  it('a missing secret names the variable to set and exits 1', async () => {
    delete env['BEHALF_SECRET_DC_SANDBOX'];
    const r = await run(['send', path.join(EXAMPLES, 'dealcloud.http'), '--name', 'deals-as-jane', '--config', config]);
    assert.equal(r.code, 1);
    assert.match(r.err, /BEHALF_SECRET_DC_SANDBOX/);
  });

  it('malformed .http files give file:line:column errors and exit 1', async () => {
    const bad = path.join(dir, 'bad.http');
    fs.writeFileSync(bad, '# @connection dc-sandbox\n# @mode sideways\nGET /x\n');
    const r = await run(['send', bad, '--config', config]);
    assert.equal(r.code, 1);
    assert.match(r.err, /bad\.http:2:\d+: error: .*lite or full/);
  });

  it('bodies from files (< and <@): sent byte-exact over a real socket; a missing file is a file:line:column error', async () => {
    const received: Buffer[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push(Buffer.concat(chunks));
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const file = JSON.parse(fs.readFileSync(config, 'utf8'));
      file.connections.push({ id: 'local', vendor: 'generic', label: 'Local', baseUrl: `http://127.0.0.1:${port}`, auth: 'none', principals: [] });
      fs.writeFileSync(config, JSON.stringify(file));
      const image = Buffer.from(Array.from({ length: 1024 }, (_, i) => (i * 7) % 256));
      fs.mkdirSync(path.join(dir, 'data'));
      fs.writeFileSync(path.join(dir, 'data', 'image.bin'), image);
      fs.writeFileSync(path.join(dir, 'data', 'body.json'), '{"who": "{{who}}"}');
      const http_ = path.join(dir, 'upload.http');
      fs.writeFileSync(
        http_,
        [
          '@who = Jane',
          '### json',
          '# @connection gen-header-sandbox',
          'POST /api/echo',
          'Content-Type: application/json',
          '',
          '<@ ./data/body.json',
          '',
          '### image',
          '# @connection local',
          'POST /upload',
          'Content-Type: multipart/form-data; boundary=B',
          '',
          '--B',
          'Content-Disposition: form-data; name="file"; filename="image.bin"',
          '',
          '< data/image.bin',
          '--B--',
          '',
          '### missing',
          '# @connection local',
          'POST /upload',
          '',
          '< ./data/missing.json',
        ].join('\n'),
      );
      const r = await run(['send', http_, '--config', config, '--json']);
      assert.equal(r.code, 1, 'the missing file fails the run');
      assert.doesNotMatch(r.err, /not supported/);
      const [json, upload, missing] = r.lines.map((l) => JSON.parse(l));
      assert.deepEqual(json.body.body, '{"who": "Jane"}');
      assert.equal(upload.status, 200);
      const head = '--B\r\nContent-Disposition: form-data; name="file"; filename="image.bin"\r\n\r\n';
      assert.ok(Buffer.concat([Buffer.from(head), image, Buffer.from('\r\n--B--')]).equals(received[0]), 'the multipart body arrived byte for byte');
      assert.equal(received.length, 1, 'nothing sent for the missing file');
      assert.equal(missing.error.code, 'body-file');
      assert.equal(
        missing.error.message,
        `${http_}:24:3: Cannot read the body file ./data/missing.json (resolved to ${path.join(dir, 'data', 'missing.json')}): no such file — relative paths are relative to the .http file's folder, ${dir}`,
      );
      const human = await run(['send', http_, '--name', 'missing', '--config', config]);
      assert.equal(human.code, 1);
      assert.match(
        human.err,
        /^missing \(line 22\): .*upload\.http:24:3: Cannot read the body file \.\/data\/missing\.json \(resolved to .*missing\.json\): no such file/m,
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("request variables: a login response feeds the next request's headers and URL; never shown or logged; --name alone asks to send login first", async () => {
    const TOKEN = `tok_${'a1b2c3d4e5'.repeat(4)}`;
    const SESSION = 'S3ss10n-0a9b8c7d';
    const received: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString() });
        if (req.url === '/login')
          res.writeHead(200, { 'content-type': 'application/json', 'x-session-id': SESSION }).end(JSON.stringify({ data: { token: TOKEN, user: { id: 42 } } }));
        else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const file = JSON.parse(fs.readFileSync(config, 'utf8'));
      file.connections.push({
        id: 'local',
        vendor: 'generic',
        label: 'Local',
        baseUrl: `http://127.0.0.1:${port}`,
        auth: 'none',
        impersonation: { kind: 'header', headers: { 'X-Impersonate-User': '{{principal.email}}' } },
        principals: [{ id: 'jane', email: 'jane@acme.test' }],
      });
      fs.writeFileSync(config, JSON.stringify(file));
      const httpFile = path.join(dir, 'chain.http');
      fs.writeFileSync(
        httpFile,
        [
          '# @name login',
          '# @connection local',
          'POST /login',
          'Content-Type: application/json',
          '',
          '{"user": "jane"}',
          '',
          '###',
          '# @name me',
          '# @connection local',
          '# @as jane',
          'GET /me?sid={{login.response.headers.x-session-id}}',
          'Authorization: Bearer {{login.response.body.$.data.token}}',
          'X-User: {{login.response.body.$.data.user.id}}',
          'X-Login-Name: {{login.request.body.$.user}}',
        ].join('\n'),
      );
      const log = path.join(dir, 'impersonation.jsonl');
      const r = await run(['send', httpFile, '--config', config, '--json', '--verbose', '--log', log]);
      assert.equal(r.code, 0, r.err);
      assert.deepEqual(
        received.map((e) => `${e.method} ${e.url}`),
        ['POST /login', `GET /me?sid=${SESSION}`],
      );
      const me = received[1];
      assert.equal(me.headers['authorization'], `Bearer ${TOKEN}`);
      assert.equal(me.headers['x-user'], '42');
      assert.equal(me.headers['x-login-name'], 'jane');
      assert.equal(me.headers['x-impersonate-user'], 'jane@acme.test');
      const second = JSON.parse(r.lines[1]);
      assert.equal(second.request.headers['Authorization'], 'Bearer «redacted»');
      assert.equal(second.request.headers['X-User'], '42', 'an id is not a secret');
      assert.match(second.request.url, /\/me\?sid=«redacted»$/);
      const logged = fs.readFileSync(log, 'utf8');
      assert.equal(logged.trim().split('\n').length, 1, 'only "me" was sent as someone else');
      // The login response itself is printed (it is that request's output); nothing after it shows the values.
      for (const secret of [TOKEN, SESSION]) {
        assert.ok(!r.lines[1].includes(secret), 'not in the second record');
        assert.ok(!logged.includes(secret), 'not in the impersonation log');
        assert.ok(!r.err.includes(secret), 'not in the verbose log');
      }

      const alone = await run(['send', httpFile, '--name', 'me', '--config', config]);
      assert.equal(alone.code, 1);
      assert.match(
        alone.err,
        /^me \(line 12\): .*chain\.http:12:13: Send "login" first \(\{\{login\.response\.headers\.x-session-id\}\} reads its response, and "login" has not been sent in this session\) — --name me sends only "me"/m,
      );
      assert.equal(received.length, 2, 'nothing sent');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('usage errors exit 2; --help exits 0', async () => {
    assert.equal((await run(['send'])).code, 2);
    assert.equal((await run(['frobnicate'])).code, 2);
    assert.equal((await run(['send', 'x.http', '--mode', 'half'])).code, 2);
    const help = await run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.out, /behalf send <file.http>/);
  });

  it('a bad connections file names the field and its position', async () => {
    fs.writeFileSync(config, '{ "connections": [ { "id": "x", "vendor": "nope", "label": "X", "baseUrl": "http://h", "principals": [] } ] }');
    const r = await run(['principals', 'x', '--config', config]);
    assert.equal(r.code, 1);
    assert.match(r.err, /behalf\.connections\.json:1:\d+: .*vendor/);
  });

  it('as a real process: Ctrl+C (SIGINT) mid-request ends the OL session and exits 130', async () => {
    sandbox.injectFault({ kind: 'timeout', match: { pathIncludes: 'Documents.All:Read' } });
    const child = spawn(
      process.execPath,
      [
        '--require',
        'tsx/cjs',
        path.join(ROOT, 'src/cli/bin.ts'),
        'send',
        path.join(EXAMPLES, 'orangelogic.http'),
        '--name',
        'read-asset',
        '--mode',
        'full',
        '--config',
        config,
      ],
      {
        env: { ...process.env, ...env },
        cwd: ROOT,
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const deadline = Date.now() + 15_000;
    while (sandbox.openSessions() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.equal(sandbox.openSessions(), 1, `session never opened: ${stderr}`);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 130, stderr);
    assert.equal(sandbox.openSessions(), 0);
  });
  it('compare: the same read as two principals — summary, rows only one sees, and --json', async () => {
    const file = path.join(EXAMPLES, 'dealcloud.http');
    const r = await run(['compare', file, '--name', 'deals-as-jane', '--as', 'jane', '--as', 'raj', '--config', config]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /left: +Jane Doe <jane@acme\.test> \(6045\) · full ← 200 OK/);
    assert.match(r.out, /right: Raj Patel <raj@acme\.test> \(6046\) · full ← 200 OK/);
    assert.match(r.out, /^Jane Doe sees 3 rows, Raj Patel sees 3: 1 only Jane Doe, 1 only Raj Patel, 0 values differ\.$/m);
    assert.match(r.out, /Only Jane Doe \(1\):\n {2}- Project Borealis {2}\[EntryId 2\]/);
    assert.match(r.out, /Only Raj Patel \(1\):\n {2}\+ Project Cedar {2}\[EntryId 3\]/);
    assert.deepEqual(
      sandbox.log.filter((e) => e.path.endsWith('/rows/Deals')).map((e) => e.headers['as-user']),
      ['6045', '6046'],
    );

    const json = await run(['compare', file, '--name', 'deals-as-jane', '--as', 'jane', '--as', 'raj', '--config', config, '--json']);
    assert.equal(json.code, 0, json.err);
    assert.equal(json.lines.length, 1);
    const result = JSON.parse(json.lines[0]);
    assert.deepEqual(
      result.onlyLeft.map((row: { label: string }) => row.label),
      ['Project Borealis'],
    );
    assert.deepEqual(
      result.onlyRight.map((row: { label: string }) => row.label),
      ['Project Cedar'],
    );
    assert.equal(result.rowKey, 'EntryId');
    for (const key of ['left', 'right', 'sameStatus', 'onlyLeft', 'onlyRight', 'differences', 'identical', 'summary']) assert.ok(key in result, key);
  });

  it('compare: one --as (or "self") compares with the service user; value differences are printed', async () => {
    const dc = await run(['compare', path.join(EXAMPLES, 'dealcloud.http'), '--name', 'deals-as-jane', '--as', 'jane', '--config', config]);
    assert.equal(dc.code, 0, dc.err);
    assert.match(dc.out, /right: the service user · self ← 200/);
    assert.match(dc.out, /Jane Doe sees 3 rows, the service user sees 5: 0 only Jane Doe, 2 only the service user, 1 value differs\./);
    assert.match(dc.out, /\$\.totalRecords: 3 vs 5/);
    const who = await run(['compare', path.join(EXAMPLES, 'generic.http'), '--name', 'whoami-header', '--as', 'jane', '--as', 'self', '--config', config]);
    assert.equal(who.code, 0, who.err);
    assert.match(who.out, /\$\.sub: "jane@acme\.test" vs "svc@acme\.test"/);
    const cf = await run([
      'compare',
      path.join(EXAMPLES, 'creativeforce.http'),
      '--name',
      'task-as-eve',
      '--as',
      'eve',
      '--as',
      'ed',
      '--config',
      config,
      '--json',
    ]);
    assert.equal(cf.code, 0, cf.err);
    assert.deepEqual([JSON.parse(cf.lines[0]).left.status, JSON.parse(cf.lines[0]).right.status], [200, 403]);
  });

  it('compare refuses writes (they would be sent twice) and sends nothing; usage errors exit 2', async () => {
    const file = path.join(EXAMPLES, 'dealcloud.http');
    const write = await run(['compare', file, '--name', 'create-deal-as-jane', '--as', 'jane', '--as', 'raj', '--config', config, '--yes']);
    assert.equal(write.code, 1);
    assert.match(write.err, /Compare only sends reads: POST changes data, and comparing it would send the write twice/);
    assert.equal(sandbox.log.filter((e) => e.vendor === 'dealcloud').length, 0);
    assert.equal((await run(['compare', file, '--as', 'jane', '--config', config])).code, 2, 'four requests and no --name');
    assert.equal((await run(['compare', file, '--name', 'deals-as-service', '--config', config])).code, 2, 'nobody to act as');
    assert.equal((await run(['compare', file, '--name', 'deals-as-jane', '--as', 'jane', '--as', 'raj', '--as', 'lee', '--config', config])).code, 2);
    assert.equal((await run(['send', file, '--name', 'deals-as-jane', '--as', 'jane', '--as', 'raj', '--config', config])).code, 2);
  });

  it("send --log appends the requests sent as someone else (never the service user's, never a secret)", async () => {
    const log = path.join(dir, 'logs', 'impersonation.jsonl');
    const first = await run(['send', path.join(EXAMPLES, 'dealcloud.http'), '--config', config, '--yes', '--log', log]);
    assert.equal(first.code, 0, first.err);
    const second = await run(['send', path.join(EXAMPLES, 'orangelogic.http'), '--config', config, '--yes', '--log', log]);
    assert.equal(second.code, 0, second.err);
    const text = fs.readFileSync(log, 'utf8');
    const entries = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // dealcloud.http: 3 of 4 requests as someone else; orangelogic.http: 4 of 5.
    assert.deepEqual(
      entries.map((e) => `${e.connectionId} ${e.principalId} ${e.mode} ${e.method} ${e.status}`),
      [
        'dc-sandbox jane full GET 200',
        'dc-sandbox jane full POST 200',
        'dc-sandbox lee full GET 401',
        'ol-sandbox jane lite GET 200',
        'ol-sandbox jane lite POST 200',
        'ol-sandbox jane full POST 200',
        'ol-sandbox raj full POST 403',
      ],
    );
    assert.match(entries[0].url, /^http:\/\/127\.0\.0\.1:\d+\/dealcloud\/api\/rest\/v4\/data\/entrydata\/rows\/Deals$/);
    assert.equal(entries[0].principal, 'Jane Doe <jane@acme.test> (6045)');
    assert.ok(!Number.isNaN(Date.parse(entries[0].time)));
    const tokens = sandbox.log.flatMap((e) => (e.headers['authorization'] ? [e.headers['authorization'].replace(/^Bearer /, '')] : []));
    assert.ok(tokens.length > 0);
    for (const secret of [...Object.values(env).filter((v): v is string => !!v), ...tokens]) assert.ok(!text.includes(secret), `leaked ${secret.slice(0, 4)}…`);
  });

  it('send --log records a failed attempt with its error; compare --log records both sides sent as someone else', async () => {
    const log = path.join(dir, 'impersonation.jsonl');
    sandbox.injectFault({ kind: 'reset', match: { pathIncludes: 'whoami' } });
    const failed = await run(['send', path.join(EXAMPLES, 'generic.http'), '--name', 'whoami-header', '--config', config, '--log', log]);
    assert.equal(failed.code, 1);
    const compared = await run([
      'compare',
      path.join(EXAMPLES, 'dealcloud.http'),
      '--name',
      'deals-as-jane',
      '--as',
      'jane',
      '--as',
      'raj',
      '--config',
      config,
      '--log',
      log,
    ]);
    assert.equal(compared.code, 0, compared.err);
    const entries = fs
      .readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.equal(entries.length, 3);
    assert.equal(entries[0].connectionId, 'gen-header-sandbox');
    assert.equal(entries[0].status, undefined);
    assert.ok(entries[0].error, 'the error sentence');
    assert.match(entries[0].url, /^http:\/\/127\.0\.0\.1:\d+\/generic\/api\/whoami$/);
    assert.deepEqual(
      entries.slice(1).map((e) => e.principalId),
      ['jane', 'raj'],
    );
  });

  it('--help lists compare and --log', async () => {
    const help = await run(['--help']);
    assert.match(help.out, /behalf compare <file\.http> --name <request> --as <a> \[--as <b>\]/);
    assert.match(help.out, /--log <file\.jsonl>/);
  });
});
