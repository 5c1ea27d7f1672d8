// The guard refuses requests that would act as someone without Behalf knowing it: an impersonation header
// written by hand, or a principal on a request to an origin the connection does not own. Real sockets.

import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../src/cli/main';
import { BehalfError } from '../../src/core/errors';
import type { ActAs, RequestSpec } from '../../src/core/model';
import { startHarness, type Harness } from './support';

const ROWS = '/api/rest/v4/data/entrydata/rows/Deals';
const OL_UPDATE = '/API/DataTable/v2.2/Documents.All:Update';

describe('guard: identity Behalf cannot see is refused before anything is sent', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  const self = (id: string): ActAs => ({ connection: h.connection(id), mode: 'full' });
  const refused = (message: string) => (e: unknown) => {
    assert.ok(e instanceof BehalfError, String(e));
    assert.equal(e.message, message);
    return true;
  };

  it('DealCloud: a hand-written AS-USER (any casing) is refused, nothing reaches the sandbox, nothing is asked', async () => {
    for (const name of ['AS-USER', 'as-user', 'As-User']) {
      for (const method of ['GET', 'POST']) {
        const spec: RequestSpec = {
          method,
          url: ROWS,
          headers: { [name]: '6045', 'Content-Type': 'application/json' },
          body: method === 'POST' ? '[{"Name":"x"}]' : undefined,
        };
        await assert.rejects(
          h.engine.sendAs(spec, self('dc-sandbox')),
          refused('This request sets AS-USER by hand: Behalf would not know who it acts as. Remove the header and use "# @as 6045" (or --as) instead.'),
        );
      }
    }
    assert.equal(h.sandbox.log.length, 0, 'no token fetch, no request');
    assert.deepEqual(h.prompts, []);
  });

  it('DealCloud: "# @as" plus a hand-written AS-USER is a conflict, refused the same way', async () => {
    const asJane: ActAs = { connection: h.connection('dc-sandbox'), principal: h.principal('dc-sandbox', 'jane'), mode: 'full' };
    await assert.rejects(h.engine.sendAs({ method: 'GET', url: ROWS, headers: { 'as-user': '6046' } }, asJane), (e: unknown) => {
      assert.ok(e instanceof BehalfError);
      assert.equal(e.code, 'identity-header');
      assert.match(e.message, /^This request sets AS-USER by hand: .*"# @as 6046" \(or --as\) instead\.$/);
      assert.match(e.hint ?? '', /already acts as Jane Doe/);
      return true;
    });
    assert.equal(h.sandbox.log.length, 0);
  });

  it('Orange Logic lite: a hand-written X-Cortex-Save-Changes-As-User is refused (any casing), with or without a principal', async () => {
    const ol = h.connection('ol-sandbox');
    const message =
      'This request sets X-Cortex-Save-Changes-As-User by hand: Behalf would not know who it acts as. Remove the header and use "# @as jane@acme.test" (or --as) instead.';
    const spec = (name: string): RequestSpec => ({
      method: 'POST',
      url: OL_UPDATE,
      headers: { 'Content-Type': 'application/json', [name]: 'jane@acme.test' },
      body: '{"RecordID":"A-1","Fields":{"Title":"t"}}',
    });
    await assert.rejects(h.engine.sendAs(spec('x-cortex-save-changes-as-user'), { connection: ol, mode: 'lite' }), refused(message));
    await assert.rejects(
      h.engine.sendAs(spec('X-CORTEX-SAVE-CHANGES-AS-USER'), { connection: ol, principal: h.principal('ol-sandbox', 'jane'), mode: 'lite' }),
      refused(message),
    );
    assert.equal(h.sandbox.log.length, 0);
    assert.deepEqual(h.prompts, []);
  });

  it("a generic connection's configured impersonation header is refused; a value that is not an id is not echoed", async () => {
    const gen = self('gen-header-sandbox');
    await assert.rejects(
      h.engine.sendAs({ method: 'GET', url: '/api/whoami', headers: { 'x-impersonate-user': 'raj@acme.test' } }, gen),
      /sets X-Impersonate-User by hand.*"# @as raj@acme\.test"/,
    );
    const secretish = 'Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0.c2ln';
    await assert.rejects(h.engine.sendAs({ method: 'GET', url: '/api/whoami', headers: { 'X-Impersonate-User': secretish } }, gen), (e: unknown) => {
      assert.ok(e instanceof BehalfError);
      assert.ok(!e.describe().includes('eyJ'), e.describe());
      assert.match(e.message, /"# @as <principal>"/);
      return true;
    });
    assert.equal(h.sandbox.log.length, 0);
  });

  it('requests without a hand-written identity header still go out (as the service user)', async () => {
    const record = await h.engine.sendAs({ method: 'GET', url: `${ROWS}?limit=5`, headers: { Accept: 'application/json' } }, self('dc-sandbox'));
    assert.equal(record.status, 200);
    assert.equal(record.sentAs.mode, 'self');
  });

  it('another origin with a principal is refused (it could not go as that user); a plain request there is sent without auth, with a note', async () => {
    const foreign = () => h.sandbox.log.filter((e) => e.listener === 'foreign');
    const asJane: ActAs = { connection: h.connection('dc-sandbox'), principal: h.principal('dc-sandbox', 'jane'), mode: 'full' };
    await assert.rejects(h.engine.sendAs({ method: 'GET', url: `${h.sandbox.foreignUrl}/collect`, headers: {} }, asJane), (e: unknown) => {
      assert.ok(e instanceof BehalfError);
      assert.equal(e.code, 'foreign-origin');
      assert.match(
        e.message,
        /^Not sent: http:\/\/127\.0\.0\.1:\d+ is not DealCloud \(sandbox\)'s origin .* cannot be sent as Jane Doe <jane@acme\.test> \(6045\)/,
      );
      return true;
    });
    assert.equal(h.sandbox.log.length, 0, 'nothing sent anywhere');

    const record = await h.engine.sendAs({ method: 'GET', url: `${h.sandbox.foreignUrl}/collect`, headers: {} }, self('dc-sandbox'));
    assert.equal(record.status, 200);
    assert.equal(record.sentAs.who, 'the service user');
    assert.equal(foreign().length, 1);
    assert.equal(foreign()[0].headers['authorization'], undefined);
    assert.ok(record.notes.some((n) => /is not DealCloud \(sandbox\)'s origin .*sent without authentication/.test(n)));
    assert.equal(h.sandbox.log.filter((e) => e.listener === 'main').length, 0, 'no token fetched for a foreign request');
  });
});

describe('guard in the CLI', () => {
  let h: Harness;
  let dir: string;
  beforeEach(async () => {
    h = await startHarness();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-guard-'));
    fs.writeFileSync(path.join(dir, 'behalf.connections.json'), JSON.stringify(h.sandbox.connectionsFile(), null, 2));
  });
  afterEach(async () => {
    await h.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function send(http: string, ...args: string[]) {
    const file = path.join(dir, 'req.http');
    fs.writeFileSync(file, http);
    let out = '';
    let err = '';
    const code = await runCli(['send', file, '--config', path.join(dir, 'behalf.connections.json'), '--yes', ...args], {
      out: (t) => (out += t),
      err: (t) => (err += t),
      env: { ...h.sandbox.secretsEnv() },
      cwd: dir,
      interactive: false,
      ask: async () => true,
    });
    return { code, out, err };
  }

  it('a hand-written AS-USER exits 1 with the refusal and sends nothing, even with --yes', async () => {
    const r = await send(`# @connection dc-sandbox\nPOST ${ROWS}\nContent-Type: application/json\nAS-USER: 6045\n\n[{ "Name": "Project X" }]\n`);
    assert.equal(r.code, 1, r.out);
    assert.match(
      r.err,
      /This request sets AS-USER by hand: Behalf would not know who it acts as\. Remove the header and use "# @as 6045" \(or --as\) instead\./,
    );
    assert.doesNotMatch(r.out, /service user/);
    assert.equal(h.sandbox.log.length, 0);
  });

  it('X-Cortex-Save-Changes-As-User with --as is refused too', async () => {
    const r = await send(
      `# @connection ol-sandbox\nPOST ${OL_UPDATE}\nContent-Type: application/json\nx-cortex-save-changes-as-user: jane@acme.test\n\n{"RecordID":"A-1","Fields":{"Title":"t"}}\n`,
      '--as',
      'jane',
      '--mode',
      'lite',
    );
    assert.equal(r.code, 1, r.out);
    assert.match(r.err, /sets X-Cortex-Save-Changes-As-User by hand/);
    assert.equal(h.sandbox.log.length, 0);
  });
});
