import assert from 'node:assert/strict';
import { compareAs, compareResponses, MAX_COMPARE_DIFFERENCES } from '../../src/core/compare';
import { shortName } from '../../src/core/vendor';
import { BehalfError } from '../../src/core/errors';
import type { ActAs, ResponseRecord } from '../../src/core/model';
import { received, startHarness, type Harness } from './support';

function record(who: string, body: unknown, status = 200, mode: ResponseRecord['sentAs']['mode'] = 'full'): ResponseRecord {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    request: { method: 'GET', url: 'http://127.0.0.1/x', headers: {} },
    status,
    statusText: status === 200 ? 'OK' : 'Error',
    headers: { 'content-type': 'application/json' },
    body: text,
    bodyBytes: Buffer.byteLength(text),
    durationMs: 12.5,
    sentAs: { connectionId: 'c', connectionLabel: 'C', vendor: 'v', who, principalId: who === 'the service user' ? undefined : 'p', mode },
    notes: [],
  };
}
const JANE = 'Jane Doe <jane@acme.test> (6045)';
const RAJ = 'Raj Patel <raj@acme.test> (6046)';

describe('compare: pure', () => {
  it('rows under "rows", matched by EntryId: only-left, only-right, value differences, top-level fields', () => {
    const left = record(JANE, {
      totalRecords: 3,
      rows: [
        { EntryId: 1, Name: 'Atlas', Owner: 6045 },
        { EntryId: 2, Name: 'Borealis', Owner: 6045 },
        { EntryId: 5, Name: 'Echo', Owner: 6001 },
      ],
    });
    const right = record(RAJ, {
      totalRecords: 2,
      rows: [
        { EntryId: 1, Name: 'Atlas', Owner: 6046 },
        { EntryId: 3, Name: 'Cedar', Owner: 6046 },
      ],
    });
    const result = compareResponses(left, right);
    assert.equal(result.rowsPath, '$.rows');
    assert.equal(result.rowKey, 'EntryId');
    assert.deepEqual(
      result.onlyLeft.map((r) => [r.key, r.label]),
      [
        ['2', 'Borealis'],
        ['5', 'Echo'],
      ],
    );
    assert.deepEqual(
      result.onlyRight.map((r) => [r.key, r.label]),
      [['3', 'Cedar']],
    );
    assert.deepEqual(JSON.parse(result.onlyRight[0].json), { EntryId: 3, Name: 'Cedar', Owner: 6046 });
    assert.deepEqual(result.differences, [
      { rowKey: '1', path: '$.Owner', left: '6045', right: '6046', kind: 'different' },
      { path: '$.totalRecords', left: '3', right: '2', kind: 'different' },
    ]);
    assert.equal(result.identical, false);
    assert.equal(result.sameStatus, true);
    assert.deepEqual([result.left.rowCount, result.right.rowCount], [3, 2]);
    assert.deepEqual(result.left, { who: JANE, mode: 'full', status: 200, durationMs: 12.5, rowCount: 3 });
    assert.equal(result.summary, 'Jane Doe sees 3 rows, Raj Patel sees 2: 2 only Jane Doe, 1 only Raj Patel, 2 values differ.');
  });

  it('a top-level array; rows keyed by "id"; labels from title; identical bodies', () => {
    const rows = [
      { id: 'a', title: 'First' },
      { id: 'b', title: 'Second' },
    ];
    const result = compareResponses(record(JANE, rows), record(RAJ, [...rows].reverse()));
    assert.equal(result.rowsPath, '$');
    assert.equal(result.rowKey, 'id');
    assert.equal(result.identical, false, 'order differs, so the bodies differ as JSON');
    assert.deepEqual([result.onlyLeft, result.onlyRight, result.differences], [[], [], []]);
    assert.equal(result.summary, 'Jane Doe sees 2 rows, Raj Patel sees 2: the same rows, in another order.');
    const same = compareResponses(record(JANE, rows), record(RAJ, rows));
    assert.equal(same.identical, true);
    assert.equal(same.summary, 'Jane Doe and Raj Patel see the same 2 rows (status 200).');
  });

  it('rows one level under a wrapper (APIResponse.Items); RecordID keys; the list empty on one side', () => {
    const left = record(JANE, {
      APIResponse: {
        Code: 'success',
        Items: [
          { RecordID: 'A-1', Title: 'Harbour' },
          { RecordID: 'A-2', Title: 'Offsite' },
        ],
      },
    });
    const right = record(RAJ, { APIResponse: { Code: 'success', Items: [] } });
    const result = compareResponses(left, right);
    assert.equal(result.rowsPath, '$.APIResponse.Items');
    assert.equal(result.rowKey, 'RecordID');
    assert.deepEqual(
      result.onlyLeft.map((r) => r.label),
      ['Harbour', 'Offsite'],
    );
    assert.deepEqual(result.differences, []);
    assert.equal(result.summary, 'Jane Doe sees 2 rows, Raj Patel sees 0: 2 only Jane Doe, 0 only Raj Patel, 0 values differ.');
  });

  it('the largest list of objects wins; no id field: rows matched by content (key order ignored)', () => {
    const left = record(JANE, {
      tags: ['x', 'y', 'z', 'w'],
      errors: [],
      data: [
        { a: 1, b: 2 },
        { a: 3, b: 4 },
      ],
    });
    const right = record(RAJ, {
      tags: ['x', 'y', 'z', 'w'],
      errors: [],
      data: [
        { b: 2, a: 1 },
        { a: 5, b: 6 },
      ],
    });
    const result = compareResponses(left, right);
    assert.equal(result.rowsPath, '$.data');
    assert.equal(result.rowKey, undefined);
    assert.deepEqual(
      result.onlyLeft.map((r) => JSON.parse(r.json)),
      [{ a: 3, b: 4 }],
    );
    assert.deepEqual(
      result.onlyRight.map((r) => JSON.parse(r.json)),
      [{ a: 5, b: 6 }],
    );
    assert.deepEqual(result.differences, []);
  });

  it('no list: top-level fields compared; status differences named', () => {
    const left = record('Eve Commerce <eve@studio.test> (cf-app-ecomm)', {
      endpoint: 'GET /extpost/tasks/{taskId}',
      taskId: 'T-1',
      actedBy: 'eve@studio.test',
    });
    const right = record('Ed Torres <ed@studio.test> (cf-app-editorial)', { message: 'Not allowed.' }, 403);
    const result = compareResponses(left, right);
    assert.equal(result.rowsPath, undefined);
    assert.equal(result.sameStatus, false);
    assert.deepEqual(
      result.differences.map((d) => [d.path, d.kind]),
      [
        ['$.endpoint', 'only-left'],
        ['$.taskId', 'only-left'],
        ['$.actedBy', 'only-left'],
        ['$.message', 'only-right'],
      ],
    );
    assert.equal(result.summary, 'Eve Commerce gets 200, Ed Torres gets 403: 4 values differ.');
  });

  it('one side a list, the other an error object', () => {
    const result = compareResponses(record(JANE, [{ id: 1, name: 'One' }]), record('Lee Wong <lee@acme.test> (6047)', { message: 'Unauthorized' }, 401));
    assert.equal(result.rowsPath, '$');
    assert.deepEqual([result.left.rowCount, result.right.rowCount], [1, undefined]);
    assert.deepEqual(
      result.onlyLeft.map((r) => r.label),
      ['One'],
    );
    assert.deepEqual(result.differences, [{ path: '$', right: '{"message":"Unauthorized"}', kind: 'only-right' }]);
    assert.equal(
      result.summary,
      'Jane Doe gets 200, Lee Wong gets 401; Jane Doe sees 1 row, Lee Wong sees no rows: 1 only Jane Doe, 0 only Lee Wong, 1 value differs.',
    );
  });

  it('text bodies (not JSON) are compared as text; one JSON and one text differ at $', () => {
    const same = compareResponses(record(JANE, '<html>same</html>'), record(RAJ, '<html>same</html>'));
    assert.equal(same.identical, true);
    assert.equal(same.rowsPath, undefined);
    const differ = compareResponses(record(JANE, 'plain a'), record(RAJ, 'plain b'));
    assert.deepEqual(differ.differences, [{ path: '$', left: 'plain a', right: 'plain b', kind: 'different' }]);
    assert.equal(differ.summary, 'Jane Doe and Raj Patel get different responses: 1 value differs.');
    const mixed = compareResponses(record(JANE, { a: 1 }), record(RAJ, 'oops'));
    assert.equal(mixed.identical, false);
    assert.equal(mixed.differences[0].left, '{"a":1}');
    const long = compareResponses(record(JANE, 'x'.repeat(10_000)), record(RAJ, 'y'));
    assert.match(long.differences[0].left!, /… \(6,000 more characters\)$/);
    assert.equal(compareResponses(record(JANE, ''), record(RAJ, '')).identical, true);
  });

  it('the same person in two modes is told apart; the service user reads well', () => {
    const result = compareResponses(record(JANE, { sub: 'jane' }, 200, 'lite'), record(JANE, { sub: 'svc' }, 200, 'full'));
    assert.match(result.summary, /^Jane Doe \(lite\) and Jane Doe \(full\) get different responses/);
    const self = compareResponses(record('the service user', { sub: 'svc' }, 200, 'self'), record(JANE, { sub: 'jane' }));
    assert.match(self.summary, /^The service user and Jane Doe get different responses: 1 value differs\.$/);
    assert.equal(shortName(JANE), 'Jane Doe');
    assert.equal(shortName('Ops <ops@studio.test>'), 'Ops');
  });

  it('differences are capped (all counted), duplicate keys pair up in order', () => {
    const many = (v: number) => ({ rows: Array.from({ length: 1500 }, (_, i) => ({ id: i, value: v })) });
    const result = compareResponses(record(JANE, many(1)), record(RAJ, many(2)));
    assert.equal(result.differences.length, MAX_COMPARE_DIFFERENCES);
    assert.match(result.summary, /1,500 values differ \(the first 1,000 are listed\)\.$/);
    const dupes = compareResponses(
      record(JANE, [
        { id: 1, v: 'a' },
        { id: 1, v: 'b' },
      ]),
      record(RAJ, [{ id: 1, v: 'a' }]),
    );
    assert.deepEqual(
      dupes.onlyLeft.map((r) => r.key),
      ['1 #2'],
    );
    assert.deepEqual(dupes.differences, []);
  });

  it('one page of rows (totalRecords beyond the rows): the summary says rows "only the other sees" may be on a later page', () => {
    const page = (total: number, from: number, count: number) => ({
      totalRecords: total,
      rows: Array.from({ length: count }, (_, i) => ({ EntryId: from + i, Name: `Deal ${from + i}` })),
    });
    const result = compareResponses(record(JANE, page(1250, 1, 1000)), record(RAJ, page(1000, 2, 1000)));
    assert.deepEqual([result.left.rowCount, result.right.rowCount], [1000, 1000]);
    assert.equal(result.onlyRight.length, 1);
    assert.equal(
      result.summary,
      'Jane Doe sees 1000 rows, Raj Patel sees 1000: 1 only Jane Doe, 1 only Raj Patel, 1 value differs. ' +
        'Jane Doe sees 1,250 rows but only 1,000 were compared (paged): rows "only Raj Patel sees" may be on a later page.',
    );
    // Both sides paged: both are named; a whole list (total = rows) adds nothing; the total may sit beside rows one level down.
    const both = compareResponses(record(JANE, page(5, 1, 2)), record(RAJ, page(7, 1, 2)));
    assert.match(
      both.summary,
      /Jane Doe sees 5 rows but only 2 were compared \(paged\): rows "only Raj Patel sees" may be on a later page\. Raj Patel sees 7 rows but only 2 were compared \(paged\): rows "only Jane Doe sees" may be on a later page\.$/,
    );
    assert.doesNotMatch(compareResponses(record(JANE, page(2, 1, 2)), record(RAJ, page(2, 1, 2))).summary, /paged/);
    const wrapped = compareResponses(
      record(JANE, { data: { TotalCount: 40, items: [{ id: 1 }] } }),
      record(RAJ, { data: { TotalCount: 1, items: [{ id: 1 }] } }),
    );
    assert.match(wrapped.summary, /Jane Doe sees 40 rows but only 1 were compared \(paged\)/);
    assert.doesNotMatch(wrapped.summary, /Raj Patel sees 1 rows but/);
  });
});

describe('compare against the sandbox', function () {
  this.timeout(20_000);
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  const as = (connectionId: string, principalId: string | undefined, mode: ActAs['mode'] = 'full'): ActAs => ({
    connection: h.connection(connectionId),
    principal: principalId ? h.principal(connectionId, principalId) : undefined,
    mode,
  });

  it('DealCloud Deals as Jane vs Raj: what each sees that the other does not', async () => {
    const { result, left, right } = await compareAs(
      h.engine,
      { method: 'GET', url: '/api/rest/v4/data/entrydata/rows/Deals', headers: {} },
      as('dc-sandbox', 'jane'),
      as('dc-sandbox', 'raj'),
    );
    assert.equal(left.sentAs.principalId, 'jane');
    assert.equal(right.sentAs.principalId, 'raj');
    assert.equal(result.rowsPath, '$.rows');
    assert.equal(result.rowKey, 'EntryId');
    assert.deepEqual(
      result.onlyLeft.map((r) => r.label),
      ['Project Borealis'],
    );
    assert.deepEqual(
      result.onlyRight.map((r) => r.label),
      ['Project Cedar'],
    );
    const shared = ['Project Atlas', 'Project Echo'];
    for (const name of shared) assert.ok(![...result.onlyLeft, ...result.onlyRight].some((r) => r.label === name), name);
    assert.equal(result.summary, 'Jane Doe sees 3 rows, Raj Patel sees 3: 1 only Jane Doe, 1 only Raj Patel, 0 values differ.');
    // Sent one after the other, with each principal's AS-USER.
    assert.deepEqual(
      received(h.sandbox, '/rows/Deals').map((e) => e.headers['as-user']),
      ['6045', '6046'],
    );
  });

  it('DealCloud with ?limit below what each sees: the summary warns that the comparison covers one page', async () => {
    const { result } = await compareAs(
      h.engine,
      { method: 'GET', url: '/api/rest/v4/data/entrydata/rows/Deals?limit=2', headers: {} },
      as('dc-sandbox', 'jane'),
      as('dc-sandbox', 'raj'),
    );
    assert.deepEqual([result.left.rowCount, result.right.rowCount], [2, 2]);
    assert.match(result.summary, /Jane Doe sees 3 rows but only 2 were compared \(paged\): rows "only Raj Patel sees" may be on a later page\./);
    assert.match(result.summary, /Raj Patel sees 3 rows but only 2 were compared \(paged\): rows "only Jane Doe sees" may be on a later page\.$/);
  });

  it('Creative Force: the same GET as Eve and as Ed — 200 vs 403', async () => {
    const { result } = await compareAs(h.engine, { method: 'GET', url: '/extpost/tasks/T-100', headers: {} }, as('cf-sandbox', 'eve'), as('cf-sandbox', 'ed'));
    assert.equal(result.sameStatus, false);
    assert.deepEqual([result.left.status, result.right.status], [200, 403]);
    assert.match(result.summary, /^Eve Commerce gets 200, Ed Torres gets 403: \d+ values differ\.$/);
    assert.ok(result.differences.some((d) => d.path === '$.actedBy' && d.kind === 'only-left' && d.left === '"eve@studio.test"'));
  });

  it('generic whoami as Jane vs the service user: the value that differs', async () => {
    const { result } = await compareAs(
      h.engine,
      { method: 'GET', url: '/api/whoami', headers: {} },
      as('gen-header-sandbox', 'jane'),
      as('gen-header-sandbox', undefined),
    );
    assert.deepEqual(result.differences, [
      { path: '$.sub', left: '"jane@acme.test"', right: '"svc@acme.test"', kind: 'different' },
      { path: '$.via', left: '"header"', right: '"self"', kind: 'different' },
    ]);
    assert.equal(result.right.mode, 'self');
    assert.equal(result.summary, 'Jane Doe and the service user get different responses: 2 values differ.');
  });

  it('refuses writes: comparing a POST would write twice — and sends nothing', async () => {
    await assert.rejects(
      compareAs(
        h.engine,
        { method: 'post', url: '/api/rest/v4/data/entrydata/rows/Deals', headers: {}, body: '[{"Name":"X"}]' },
        as('dc-sandbox', 'jane'),
        as('dc-sandbox', 'raj'),
      ),
      (e: unknown) => e instanceof BehalfError && e.code === 'compare-write' && /send the write twice/.test(e.message),
    );
    assert.equal(received(h.sandbox, '/rows/').length, 0);
  });
});
