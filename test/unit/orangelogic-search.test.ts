// Orange Logic's Search API over real sockets: full-mode searches run in the principal's session (results differ
// per principal, TotalCount and paging right), lite searches are the service account's and say so, a search by
// POST is a read, Compare matches results by SystemIdentifier (core and `behalf compare`), and the per-connection
// search impersonation parameter for sites that take one.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../../src/cli/main';
import { compareAs, compareResponses } from '../../src/core/compare';
import { parseConnections } from '../../src/core/connections';
import type { BehalfError } from '../../src/core/errors';
import type { ActAs, ImpersonationMode, RequestSpec, ResponseRecord } from '../../src/core/model';
import { responseViewFromRecord } from '../../src/protocol/response';
import { assetIdOfResponse } from '../../src/vendors/orangelogic';
import { received, startHarness, type Harness } from './support';

const SEARCH = '/API/search/v4.0/search';
const LITE = 'x-cortex-save-changes-as-user';
const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'orangelogic-search.http');

interface SearchBody {
  APIResponse: { GlobalInfo: { TotalCount: number; PageNumber: number; CountPerPage: number }; Items: Array<Record<string, string>> };
}

const body = (record: ResponseRecord) => JSON.parse(record.body) as SearchBody;
const ids = (record: ResponseRecord) => body(record).APIResponse.Items.map((i) => i.SystemIdentifier);
const get = (query: string): RequestSpec => ({ method: 'GET', url: `${SEARCH}?${query}`, headers: {} });

describe('Orange Logic Search API against the sandbox', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ engine: { idleSessionTimeoutMs: 60_000 } });
  });
  afterEach(async () => h.close());

  const as = (principalId: string | undefined, mode: ImpersonationMode, connectionId = 'ol-sandbox'): ActAs => ({
    connection: h.connection(connectionId),
    principal: principalId ? h.principal(connectionId, principalId) : undefined,
    mode,
  });

  it('full: each principal searches in their own session and finds what they may Find and View; TotalCount is theirs', async () => {
    const jane = await h.engine.sendAs(get('query=*&format=JSON'), as('jane', 'full'));
    const raj = await h.engine.sendAs(get('query=*&format=JSON'), as('raj', 'full'));
    assert.equal(jane.status, 200, jane.body);
    assert.deepEqual(ids(jane), ['A-1', 'A-2', 'A-3']);
    assert.equal(body(jane).APIResponse.GlobalInfo.TotalCount, 3);
    assert.deepEqual(ids(raj), ['A-1', 'A-2'], 'Raj (a viewer) cannot find A-3');
    assert.equal(body(raj).APIResponse.GlobalInfo.TotalCount, 2);
    const searches = received(h.sandbox, 'search/v4.0/search');
    assert.equal(searches.length, 2);
    for (const s of searches) assert.match(s.headers['authorization'], /^Bearer olimp_/, 'the session token, not the service token');
    assert.deepEqual(
      searches.map((s) => s.effectiveUser),
      ['jane@acme.test', 'raj@acme.test'],
    );
    assert.equal(received(h.sandbox, 'startimpersonation').length, 2);
    assert.ok(!jane.notes.some((n) => /Lite impersonation/.test(n)));
    // Orange Logic's x-cortex-* headers reach the response panel's Headers tab with the others (Behalf reads none of them).
    const view = responseViewFromRecord(jane, { curl: '' });
    assert.match(view.headers['x-cortex-request-id'], /^[0-9a-f]{16}$/);
    assert.match(view.headers['content-type'], /application\/json/);
    await h.engine.dispose();
    assert.equal(h.sandbox.openSessions(), 0);
  });

  it('full: paging (countperpage, pagenumber) keeps TotalCount of every match; query criteria, fields and sort apply', async () => {
    const page = (n: number) => h.engine.sendAs(get(`query=*&countperpage=2&pagenumber=${n}&format=JSON`), as('jane', 'full'));
    const [first, second, third] = [await page(1), await page(2), await page(3)];
    assert.deepEqual([ids(first), ids(second), ids(third)], [['A-1', 'A-2'], ['A-3'], []]);
    for (const p of [first, second, third]) assert.equal(body(p).APIResponse.GlobalInfo.TotalCount, 3);
    assert.deepEqual(body(second).APIResponse.GlobalInfo, { TotalCount: 3, PageNumber: 2, CountPerPage: 2 });

    const criteria = await h.engine.sendAs(
      get('query=Title:board%20OR%20Keyword:dawn&fields=Title,Keywords&sort=Title%20desc&format=JSON'),
      as('jane', 'full'),
    );
    assert.deepEqual(body(criteria).APIResponse.Items, [
      { SystemIdentifier: 'A-1', Title: 'Harbour at dawn', Keywords: 'harbour, dawn, boats' },
      { SystemIdentifier: 'A-3', Title: 'Board deck cover', Keywords: 'board, deck' },
    ]);
    const rajCriteria = await h.engine.sendAs(get('query=Title:board%20OR%20Keyword:dawn&format=JSON'), as('raj', 'full'));
    assert.deepEqual(ids(rajCriteria), ['A-1'], 'the same criteria as Raj: A-3 is not his to find');
    const not = await h.engine.sendAs(get('query=NOT%20Keyword:harbour&format=JSON'), as('raj', 'full'));
    assert.deepEqual(ids(not), ['A-2']);
    const bad = await h.engine.sendAs(get('query=Colour:red&format=JSON'), as('jane', 'full'));
    assert.equal(bad.status, 400);
    assert.match(bad.explanation?.message ?? '', /unknown field Colour/);
  });

  it('POST with a form body is a read: no confirmation asked, no attribution header, same results as GET', async () => {
    let asked = 0;
    await h.close();
    h = await startHarness({
      engine: {
        idleSessionTimeoutMs: 60_000,
        prompt: {
          confirm: async () => {
            asked++;
            return false;
          },
        },
      },
    });
    const post: RequestSpec = {
      method: 'POST',
      url: SEARCH,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'query=*&fields=Title&format=JSON',
    };
    const raj = await h.engine.sendAs(post, as('raj', 'full'));
    assert.equal(raj.status, 200, raj.body);
    assert.deepEqual(ids(raj), ['A-1', 'A-2']);
    const lite = await h.engine.sendAs(post, as('raj', 'lite'));
    assert.deepEqual(ids(lite), ['A-1', 'A-2', 'A-3'], "lite: the service account's results");
    assert.equal(received(h.sandbox, 'search/v4.0/search').at(-1)!.headers[LITE], undefined, 'a search is not a write: no attribution header');
    assert.equal(asked, 0, 'a search by POST is not confirmed as a write');
    // A real write as someone else is still confirmed (and refused here).
    await assert.rejects(
      h.engine.sendAs(
        {
          method: 'POST',
          url: '/API/DataTable/v2.2/Documents.All:Update',
          headers: { 'Content-Type': 'application/json' },
          body: '{"RecordID":"A-1","Fields":{"Title":"x"}}',
        },
        as('jane', 'lite'),
      ),
      (e: BehalfError) => e.code === 'not-confirmed',
    );
    assert.equal(asked, 1);
  });

  it("lite: the search goes out as the service account, and the record says it is not the principal's", async () => {
    const lite = await h.engine.sendAs(get('query=*&format=JSON'), as('raj', 'lite'));
    assert.deepEqual(ids(lite), ['A-1', 'A-2', 'A-3']);
    assert.equal(lite.sentAs.mode, 'lite');
    assert.ok(
      lite.notes.some((n) => /^Lite impersonation does not apply to the Search API: these are the assets the service account can find/.test(n)),
      lite.notes.join(' | '),
    );
    const sent = received(h.sandbox, 'search/v4.0/search')[0];
    assert.match(sent.headers['authorization'], /^Bearer ol_/);
    assert.equal(sent.headers[LITE], undefined);
    assert.equal(received(h.sandbox, 'startimpersonation').length, 0);
  });

  it('without format=JSON the Search API answers XML, and the record says how to get JSON', async () => {
    const xml = await h.engine.sendAs(get('query=*'), as('jane', 'full'));
    assert.equal(xml.status, 200);
    assert.match(xml.body, /^<\?xml[^>]*><APIResponse><GlobalInfo><TotalCount>3<\/TotalCount>/);
    assert.ok(xml.notes.some((n) => /answers XML without format=JSON: add format=JSON/.test(n)));
    const json = await h.engine.sendAs(get('query=*&format=json'), as('jane', 'full'));
    assert.ok(!json.notes.some((n) => /format=JSON/.test(n)));
  });

  it('an account without "Access to the Search API": 403, explained with the security function to grant', async () => {
    const refused = await h.engine.sendAs(get('query=*&countperpage=1&format=JSON'), as(undefined, 'lite', 'ol-noimp-sandbox'));
    assert.equal(refused.status, 403);
    assert.match(
      refused.explanation?.message ?? '',
      /^The service account of Orange Logic without impersonation \(sandbox\) lacks Orange Logic's "Access to the Search API" security function/,
    );
    // The service user's own search with countperpage=1 (what a connection check sends) works where the right is held.
    const ok = await h.engine.sendAs(get('query=*&countperpage=1&format=JSON'), as(undefined, 'lite'));
    assert.equal(ok.status, 200);
    assert.equal(ids(ok).length, 1);
    assert.equal(body(ok).APIResponse.GlobalInfo.TotalCount, 3);
  });

  it('Compare: Jane vs Raj on a search — matched by SystemIdentifier, the asset only Jane finds, TotalCount differs', async () => {
    const spec = get('query=*&fields=Title&format=JSON');
    const { result } = await compareAs(h.engine, spec, as('jane', 'full'), as('raj', 'full'));
    assert.equal(result.rowsPath, '$.APIResponse.Items');
    assert.equal(result.rowKey, 'SystemIdentifier');
    assert.deepEqual(
      result.onlyLeft.map((r) => [r.key, r.label]),
      [['A-3', 'Board deck cover']],
    );
    assert.deepEqual(result.onlyRight, []);
    assert.deepEqual(
      result.differences.map((d) => [d.path, d.left, d.right]),
      [['$.APIResponse.GlobalInfo.TotalCount', '3', '2']],
    );
    assert.equal(result.summary, 'Jane Doe sees 3 rows, Raj Patel sees 2: 1 only Jane Doe, 0 only Raj Patel, 1 value differs.');

    // One page each: the summary warns that rows "only Jane sees" may be on Raj's next page (TotalCount in GlobalInfo).
    const paged = await compareAs(h.engine, get('query=*&countperpage=1&format=JSON'), as('jane', 'full'), as('raj', 'full'));
    assert.match(paged.result.summary, /Jane Doe sees 3 rows but only 1 were compared \(paged\)/);
    assert.match(paged.result.summary, /Raj Patel sees 2 rows but only 1 were compared \(paged\)/);

    // A search by POST is a read: it may be compared.
    const post = await compareAs(
      h.engine,
      { method: 'POST', url: SEARCH, headers: { 'Content-Type': 'application/json' }, body: '{"query":"Keyword:dawn OR Keyword:deck","format":"JSON"}' },
      as('jane', 'full'),
      as('raj', 'full'),
    );
    assert.deepEqual(
      post.result.onlyLeft.map((r) => r.key),
      ['A-3'],
    );
    await h.engine.dispose();
    assert.equal(h.sandbox.openSessions(), 0);
  });

  it('Compare without the vendor key: items whose values differ pair up by SystemIdentifier, not by content', () => {
    const record = (who: string, items: unknown[]): ResponseRecord =>
      ({
        status: 200,
        body: JSON.stringify({ APIResponse: { GlobalInfo: { TotalCount: items.length }, Items: items } }),
        sentAs: { who, mode: 'full' },
        durationMs: 1,
      }) as unknown as ResponseRecord;
    const left = record('Jane Doe', [{ SystemIdentifier: 'A-1', Title: 'Harbour at dawn' }]);
    const right = record('Raj Patel', [{ SystemIdentifier: 'A-1', Title: 'Harbour at dusk' }]);
    const generic = compareResponses(left, right);
    assert.equal(generic.rowKey, undefined, 'SystemIdentifier is not one of the generic id fields');
    assert.equal(generic.onlyLeft.length, 1, 'by content, the same asset looks like two');
    const keyed = compareResponses(left, right, { keyFields: ['SystemIdentifier', 'RecordID'] });
    assert.equal(keyed.rowKey, 'SystemIdentifier');
    assert.deepEqual([keyed.onlyLeft, keyed.onlyRight], [[], []]);
    assert.deepEqual(
      keyed.differences.map((d) => [d.rowKey, d.path, d.left, d.right]),
      [['A-1', '$.Title', '"Harbour at dawn"', '"Harbour at dusk"']],
    );
  });

  it('a site that takes the searching user in a query parameter (searchImpersonationParam): no session, the service token and the API id', async () => {
    await h.close();
    h = await startHarness({ sandbox: { olSearchImpersonationParam: 'SearchAsUser' }, engine: { idleSessionTimeoutMs: 60_000 } });
    const connection = { ...h.connection('ol-sandbox'), settings: { searchImpersonationParam: 'SearchAsUser' } };
    const raj = { connection, principal: h.principal('ol-sandbox', 'raj'), mode: 'full' as const };
    const record = await h.engine.sendAs(get('query=*&format=JSON'), raj);
    assert.deepEqual(ids(record), ['A-1', 'A-2']);
    const sent = received(h.sandbox, 'search/v4.0/search')[0];
    assert.equal(sent.query['SearchAsUser'], 'raj.api');
    assert.match(sent.headers['authorization'], /^Bearer ol_/, 'the service token');
    assert.equal(received(h.sandbox, 'startimpersonation').length, 0, 'no session for a search');
    // Other calls in full mode still use the session.
    await h.engine.sendAs({ method: 'GET', url: '/API/DataTable/v2.2/Documents.All:Read?RecordID=A-1&format=JSON', headers: {} }, raj);
    assert.equal(received(h.sandbox, 'startimpersonation').length, 1);
    // Naming the user by hand is refused like a hand-written identity header, and nothing is sent.
    const before = received(h.sandbox, 'search/v4.0/search').length;
    await assert.rejects(
      h.engine.sendAs(get('query=*&format=JSON&SearchAsUser=jane.api'), raj),
      (e: BehalfError) => e.code === 'identity-header' && /sets SearchAsUser by hand/.test(e.message),
    );
    assert.equal(received(h.sandbox, 'search/v4.0/search').length, before);
  });

  it('sandbox control: olSearchImpersonationParam is set and unset over POST /__sandbox/config, and reset() restores it', async () => {
    const config = (patch: unknown) =>
      fetch(`${h.sandbox.url}/__sandbox/config`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(patch) });
    const serviceToken = async () =>
      (
        (await (
          await fetch(`${h.sandbox.urls.orangelogic}/webapi/security/clientcredentialsauthentication/authenticate_46H_v1`, {
            method: 'POST',
            body: new URLSearchParams({ client_id: 'ol-svc', client_secret: 'ol-sandbox-secret-9c1e' }),
          })
        ).json()) as { access_token: string }
      ).access_token;
    let token = await serviceToken();
    const search = async () => {
      const res = await fetch(`${h.sandbox.urls.orangelogic}${SEARCH}?query=*&format=JSON&SearchAsUser=raj.api`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return ((await res.json()) as SearchBody).APIResponse.Items.map((i) => i.SystemIdentifier);
    };
    assert.deepEqual(await search(), ['A-1', 'A-2', 'A-3'], 'unset: the parameter is ignored');
    assert.equal((await config({ olSearchImpersonationParam: 'SearchAsUser' })).status, 200);
    assert.deepEqual(await search(), ['A-1', 'A-2'], 'set: the service token searches as Raj');
    assert.equal((await config({ olSearchImpersonationParam: 'bad name' })).status, 400);
    assert.equal((await config({ olSearchImpersonationParam: null })).status, 200);
    assert.deepEqual(await search(), ['A-1', 'A-2', 'A-3']);
    await config({ olSearchImpersonationParam: 'SearchAsUser' });
    h.sandbox.reset();
    token = await serviceToken();
    assert.deepEqual(await search(), ['A-1', 'A-2', 'A-3'], 'reset: back to the configuration given at start (unset)');
  });

  it('a search that found exactly one asset names it (the response panel offers its history); more than one does not', async () => {
    const one = await h.engine.sendAs(get('query=Keyword:team&format=JSON'), as('jane', 'full'));
    assert.equal(assetIdOfResponse(one.body), 'A-2');
    const all = await h.engine.sendAs(get('query=*&format=JSON'), as('jane', 'full'));
    assert.equal(assetIdOfResponse(all.body), undefined);
  });

  it('the connections file accepts searchImpersonationParam on Orange Logic only', () => {
    const file = (vendor: string, extra: Record<string, unknown>) =>
      JSON.stringify({
        connections: [
          { id: 'c', vendor, label: 'C', baseUrl: 'https://x.test', clientId: 'a', principals: [{ id: 'p', userId: '1', email: 'p@x.test' }], ...extra },
        ],
      });
    const ok = parseConnections(file('orangelogic', { searchImpersonationParam: 'SearchAsUser' }), 'behalf.connections.json');
    assert.deepEqual(
      ok.diagnostics.map((d) => d.message),
      [],
    );
    assert.equal(ok.connections[0].settings?.searchImpersonationParam, 'SearchAsUser');
    const elsewhere = parseConnections(file('dealcloud', { searchImpersonationParam: 'SearchAsUser' }), 'behalf.connections.json');
    assert.ok(
      elsewhere.diagnostics.some((d) => /searchImpersonationParam/.test(d.message) && /orangelogic/i.test(d.message)),
      elsewhere.diagnostics.map((d) => d.message).join(' | '),
    );
  });
});

describe('behalf compare on an Orange Logic search', () => {
  let h: Harness;
  let dir: string;
  let config: string;
  beforeEach(async () => {
    h = await startHarness();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-search-'));
    config = path.join(dir, 'behalf.connections.json');
    fs.writeFileSync(config, JSON.stringify(h.sandbox.connectionsFile(), null, 2));
  });
  afterEach(async () => {
    await h.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function run(args: string[]) {
    let out = '';
    let err = '';
    const code = await runCli(args, {
      out: (t) => (out += t),
      err: (t) => (err += t),
      env: h.sandbox.secretsEnv(),
      cwd: dir,
      interactive: false,
      ask: async () => false,
    });
    return { code, out, err };
  }

  it('what Jane can find that Raj cannot: human output and --json, matched by SystemIdentifier; no session left open', async () => {
    const human = await run(['compare', EXAMPLE, '--name', 'search-as-jane', '--as', 'jane', '--as', 'raj', '--config', config]);
    assert.equal(human.code, 0, human.err);
    assert.match(human.out, /Jane Doe sees 3 rows, Raj Patel sees 2: 1 only Jane Doe, 0 only Raj Patel, 1 value differs\./);
    assert.match(human.out, /Board deck cover/);
    const json = await run(['compare', EXAMPLE, '--name', 'search-as-jane', '--as', 'jane', '--as', 'raj', '--config', config, '--json']);
    assert.equal(json.code, 0, json.err);
    const result = JSON.parse(json.out);
    assert.equal(result.rowKey, 'SystemIdentifier');
    assert.deepEqual(
      result.onlyLeft.map((r: { key: string }) => r.key),
      ['A-3'],
    );
    assert.equal(h.sandbox.openSessions(), 0);
  });

  it('a search by POST may be compared (it reads); every example search runs', async () => {
    const post = await run(['compare', EXAMPLE, '--name', 'search-post', '--as', 'jane', '--as', 'raj', '--config', config, '--json']);
    assert.equal(post.code, 0, post.err);
    assert.equal(JSON.parse(post.out).rowKey, 'SystemIdentifier');
    const all = await run(['send', EXAMPLE, '--config', config, '--json']);
    assert.equal(all.code, 0, all.err);
    const records = all.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { name: string; status: number; body: SearchBody; notes?: string[] });
    assert.deepEqual(
      records.map(
        (r) => `${r.name} ${r.status} ${r.body.APIResponse.Items.map((i) => i.SystemIdentifier).join(',')} ${r.body.APIResponse.GlobalInfo.TotalCount}`,
      ),
      ['search-as-jane 200 A-3,A-1,A-2 3', 'search-as-raj 200 A-1,A-2 2', 'search-page-2 200 A-3 2', 'search-post 200 A-2 1', 'search-lite 200 A-1,A-2,A-3 3'],
    );
    assert.ok(records[4].notes?.some((n) => /Lite impersonation does not apply to the Search API/.test(n)));
    assert.equal(h.sandbox.openSessions(), 0);
  });
});
