// The access matrix and what it judges: `# @expect` and `??` lines as the parser reads them, the judge's verdicts,
// and runMatrix against the sandbox over real sockets (DealCloud rows per principal, denials explained, writes
// skipped, concurrency bounded as measured at the sandbox, Orange Logic sessions started once and all stopped,
// Creative Force's bulk-get-* reads).
import assert from 'node:assert/strict';
import type { Assertion, IdentityExpectation } from '../../src/core/expectations';
import { parseHttpFile } from '../../src/core/http/parser';
import { resolveRequest } from '../../src/core/http/variables';
import { judgeAssertion, judgeExpectation, namesIdentity } from '../../src/core/judge';
import { matrixIdentities, matrixPassed, matrixRow, outcomeOf, runMatrix, uniqueRowNames, type MatrixRow } from '../../src/core/matrix';
import type { Connection, ResponseRecord } from '../../src/core/model';
import { received, startHarness, type Harness } from './support';

const FILE = '/tmp/matrix.http';

function parse(text: string) {
  return parseHttpFile(text, FILE);
}

function record(partial: Partial<ResponseRecord>): ResponseRecord {
  return {
    request: { method: 'GET', url: 'http://x/', headers: {} },
    status: 200,
    statusText: 'OK',
    headers: { 'content-type': 'application/json' },
    body: '{}',
    bodyBytes: 2,
    durationMs: 12,
    sentAs: { connectionId: 'c', connectionLabel: 'C', vendor: 'generic', who: 'the service user', mode: 'self' },
    notes: [],
    ...partial,
  };
}

describe('# @expect and ?? lines (parser)', () => {
  it('reads every @expect form above a request, with line and column', () => {
    const p = parse('# @expect jane allowed\n# @expect lee denied\n# @expect self status 403\n# @expect raj rows 3\n# @expect raj rows >= 1\nGET http://x/\n');
    assert.deepEqual(p.diagnostics, []);
    const e = p.requests[0].expectations;
    assert.equal(e.length, 5);
    assert.deepEqual(e[0], { line: 1, column: 11, text: '# @expect jane allowed', identity: 'jane', kind: 'allowed' });
    assert.deepEqual(
      e.slice(1).map((x) => ({ ...x, line: 0, column: 0, text: '' })),
      [
        { line: 0, column: 0, text: '', identity: 'lee', kind: 'denied' },
        { line: 0, column: 0, text: '', identity: 'self', kind: 'status', status: 403 },
        { line: 0, column: 0, text: '', identity: 'raj', kind: 'rows', comparison: '==', count: 3 },
        { line: 0, column: 0, text: '', identity: 'raj', kind: 'rows', comparison: '>=', count: 1 },
      ],
    );
    assert.equal(p.requests[0].annotations.expect, undefined, 'an @expect is not an annotation value');
  });

  it('a malformed @expect is an error at its column naming what was expected, and the request is not sendable', () => {
    const cases: Array<[string, number, RegExp]> = [
      ['# @expect jane maybe', 16, /unknown outcome "maybe" \(expected allowed, denied, status <code>, rows <n> or rows >= <n>\)/],
      ['# @expect jane status abc', 23, /status needs an HTTP status code, not "abc"/],
      ['# @expect jane status 999', 23, /expected a number from 100 to 599/],
      ['# @expect jane rows many', 21, /rows needs a count, not "many"/],
      ['# @expect jane', 15, /needs what it may do/],
      ['# @expect', 10, /needs an identity and what it may do/],
      ['# @expect jane denied please', 23, /unexpected "please" after @expect jane denied \(expected the end of the line\)/],
    ];
    for (const [line, column, message] of cases) {
      const p = parse(`${line}\nGET http://x/\n`);
      assert.equal(p.diagnostics.length, 1, line);
      const [d] = p.diagnostics;
      assert.equal(d.severity, 'error', line);
      assert.equal(d.position.line, 1, line);
      assert.equal(d.position.column, column, line);
      assert.match(d.message, message, line);
      assert.equal(p.requests[0].hasErrors, true, line);
      assert.deepEqual(p.requests[0].expectations, []);
    }
  });

  it('reads ?? assertions after the request and never sends them as body text', () => {
    const p = parse(
      [
        'POST http://x/',
        'Content-Type: application/json',
        '',
        '{"a": 1}',
        '',
        '?? status == 200',
        '?? header content-type includes json',
        '?? body $.rows.length > 0',
        '?? duration < 500',
        '?? body exists',
        '?? body $.done isTrue',
        '?? header x-id startsWith "ab c"',
      ].join('\n'),
    );
    assert.deepEqual(p.diagnostics, []);
    const [r] = p.requests;
    assert.equal(r.body, '{"a": 1}');
    const brief = r.assertions.map(({ subject, path, operator, expected }) => [subject, path, operator, expected]);
    assert.deepEqual(brief, [
      ['status', undefined, '==', '200'],
      ['header', 'content-type', 'includes', 'json'],
      ['body', '$.rows.length', '>', '0'],
      ['duration', undefined, '<', '500'],
      ['body', undefined, 'exists', undefined],
      ['body', '$.done', 'isTrue', undefined],
      ['header', 'x-id', 'startsWith', '"ab c"'],
    ]);
    assert.equal(r.assertions[0].line, 6);
    assert.equal(r.assertions[0].text, '?? status == 200');
  });

  it('reads ?? body XPaths (as in request variables), spaces kept inside [], () and quotes', () => {
    const p = parse(
      [
        'GET http://x/',
        '',
        '?? body //Token exists',
        '?? body count(//Item) == 3',
        "?? body //Item[@Type = 'a b']/@id != 7",
        '?? body string(//Item[1] ) startsWith "x y"',
        '?? body /APIResponse/GlobalInfo/CountPerPage >= 2',
      ].join('\n'),
    );
    assert.deepEqual(p.diagnostics, []);
    const brief = p.requests[0].assertions.map(({ subject, path, operator, expected, column }) => [subject, path, operator, expected, column]);
    assert.deepEqual(brief, [
      ['body', '//Token', 'exists', undefined, 1],
      ['body', 'count(//Item)', '==', '3', 1],
      ['body', "//Item[@Type = 'a b']/@id", '!=', '7', 1],
      ['body', 'string(//Item[1] )', 'startsWith', '"x y"', 1],
      ['body', '/APIResponse/GlobalInfo/CountPerPage', '>=', '2', 1],
    ]);
  });

  it('?? right below the headers (no body) is an assertion, not a body', () => {
    const p = parse('GET http://x/\nAccept: application/json\n?? status == 200\n');
    assert.deepEqual(p.diagnostics, []);
    assert.equal(p.requests[0].body, undefined);
    assert.equal(p.requests[0].assertions.length, 1);
  });

  it('a malformed ?? line is an error at its column naming what was expected, never body text', () => {
    const cases: Array<[string, number, RegExp]> = [
      ['?? status ~= 200', 11, /unknown operator "~=".*expected one of ==, !=, <, <=, >, >=, includes, startsWith, endsWith, exists, isFalse, isTrue/],
      ['?? js response.ok', 4, /\?\? js: unknown assertion subject.*expected status, header <name>, body/],
      ['?? body $.x', 12, /needs an operator/],
      ['?? body exists 3', 16, /takes no value/],
      ['?? header', 10, /needs a header name/],
      ['?? status ==', 13, /needs a value to compare with/],
      ['?? status == abc', 14, /status is a number/],
      ['?? body token == x', 9, /must be a JSON path starting with \$ or an XPath starting with \//],
      ['?? body //Item[ exists', 9, /\?\? body \/\/Item\[ exists: not a valid XPath \(XPath parse error\).*expected an XPath such as \/\/token/],
      ['?? body count(//Item == 3', 9, /not a valid XPath/],
      ["?? body //Item[@Type='a] exists", 9, /not a valid XPath \(Unterminated string literal/],
      ['?? body //Token exists now', 24, /takes no value/],
      ['?? body //Token', 16, /\?\? body \/\/Token needs an operator/],
      ['??', 3, /needs an assertion/],
    ];
    for (const [line, column, message] of cases) {
      const p = parse(`GET http://x/\n\n{"a":1}\n\n${line}\n`);
      const errors = p.diagnostics.filter((d) => d.severity === 'error');
      assert.equal(errors.length, 1, `${line}: ${JSON.stringify(p.diagnostics)}`);
      assert.equal(errors[0].position.line, 5, line);
      assert.equal(errors[0].position.column, column, line);
      assert.match(errors[0].message, message, line);
      assert.equal(p.requests[0].body, '{"a":1}', line);
      assert.equal(p.requests[0].hasErrors, true, line);
    }
  });

  it('?? above a request line is an error that says where it goes', () => {
    const p = parse('?? status == 200\nGET http://x/\n');
    assert.equal(p.diagnostics.length, 1);
    assert.match(p.diagnostics[0].message, /goes below the request it checks/);
  });
});

describe('judge', () => {
  const expectation = (text: string): IdentityExpectation => {
    const p = parse(`# @expect ${text}\nGET http://x/\n`);
    assert.deepEqual(p.diagnostics, []);
    return p.requests[0].expectations[0];
  };
  const assertion = (text: string): Assertion => {
    const p = parse(`GET http://x/\n\n?? ${text}\n`);
    assert.deepEqual(p.diagnostics, [], text);
    return p.requests[0].assertions[0];
  };

  it('judges @expect against a cell, with words for what was expected and what came back', () => {
    assert.deepEqual(judgeExpectation(expectation('jane allowed'), { outcome: 'allowed', status: 200, rows: 3 }), {
      source: { line: 1, column: 11, text: '# @expect jane allowed' },
      met: true,
      expected: 'allowed',
      actual: 'allowed (200, 3 rows)',
    });
    const denied = judgeExpectation(expectation('jane denied'), { outcome: 'allowed', status: 200, rows: 1 });
    assert.equal(denied.met, false);
    assert.equal(denied.actual, 'allowed (200, 1 row)');
    assert.equal(judgeExpectation(expectation('lee denied'), { outcome: 'denied', status: 403 }).met, true);
    assert.equal(judgeExpectation(expectation('lee status 403'), { outcome: 'denied', status: 403 }).met, true);
    assert.equal(judgeExpectation(expectation('lee status 401'), { outcome: 'denied', status: 403 }).met, false);
    assert.equal(judgeExpectation(expectation('raj rows 2'), { outcome: 'allowed', status: 200, rows: 2 }).met, true);
    assert.equal(judgeExpectation(expectation('raj rows 2'), { outcome: 'allowed', status: 200, rows: 3 }).met, false);
    assert.equal(judgeExpectation(expectation('raj rows >= 2'), { outcome: 'allowed', status: 200, rows: 3 }).met, true);
    const noList = judgeExpectation(expectation('raj rows >= 0'), { outcome: 'allowed', status: 200 });
    assert.equal(noList.met, false);
    assert.match(noList.actual, /the body holds no list of rows/);
    const error = judgeExpectation(expectation('raj allowed'), { outcome: 'error', error: 'connect ECONNREFUSED' });
    assert.deepEqual([error.met, error.actual], [false, 'error: connect ECONNREFUSED']);
  });

  it('names identities by principal id, email, user id, client id, name, or self', () => {
    const jane = { id: 'jane', userId: '6045', email: 'Jane@Acme.test', name: 'Jane Doe' };
    for (const ref of ['jane', '6045', 'jane@acme.test', 'jane doe']) assert.equal(namesIdentity(ref, jane), true, ref);
    assert.equal(namesIdentity('self', jane), false);
    assert.equal(namesIdentity('self', undefined), true);
    assert.equal(namesIdentity('raj', jane), false);
  });

  it('judges ?? against a response: status, header, body JSON paths (.length), duration, every operator', () => {
    const r = record({
      status: 200,
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'x-id': 'ab-12' },
      body: JSON.stringify({ rows: [{ Name: 'Atlas' }, { Name: 'Echo' }], done: true, empty: false, title: 'Deal list' }),
      durationMs: 42.4,
    });
    const held: string[] = [
      'status == 200',
      'status != 404',
      'status < 300',
      'status >= 200',
      'header content-type includes json',
      'header X-ID startsWith ab',
      'header x-id endsWith 12',
      'body $.rows.length > 0',
      'body $.rows.length == 2',
      'body $.rows[0].Name == Atlas',
      'body $.title == "Deal list"',
      'body $.done isTrue',
      'body $.empty isFalse',
      'body $.rows exists',
      'body exists',
      'body includes Echo',
      'duration < 500',
      'duration <= 42',
    ];
    for (const text of held) assert.equal(judgeAssertion(assertion(text), r).met, true, text);
    const failed = judgeAssertion(assertion('status == 201'), r);
    assert.deepEqual([failed.met, failed.expected, failed.actual], [false, 'status == 201', 'status was 200']);
    const length = judgeAssertion(assertion('body $.rows.length > 5'), r);
    assert.deepEqual([length.met, length.actual], [false, 'body $.rows.length was 2']);
    const missing = judgeAssertion(assertion('body $.nothing exists'), r);
    assert.deepEqual([missing.met, missing.actual], [false, 'body $.nothing absent']);
    const header = judgeAssertion(assertion('header etag exists'), r);
    assert.deepEqual([header.met, header.actual], [false, 'header etag absent']);
    const notNumber = judgeAssertion(assertion('body $.title > 3'), r);
    assert.deepEqual([notNumber.met, notNumber.actual], [false, 'body $.title was "Deal list", not a number']);
    const notJson = judgeAssertion(assertion('body $.rows exists'), record({ body: '<html>' }));
    assert.deepEqual([notJson.met, notJson.actual], [false, 'body $.rows: the body is not JSON']);
  });

  it('judges ?? body XPaths on an XML body as request variables read them; not XML or a bad function is a failed verdict', () => {
    const xml = record({
      headers: { 'Content-Type': 'application/xml; charset=utf-8' },
      body: '<?xml version="1.0"?><Login><Token>tok-1</Token><Item id="7" Type="a b">first</Item><Item id="8"/><Item id="9"/><Done>true</Done></Login>',
    });
    const held: string[] = [
      'body //Token exists',
      'body //Token == tok-1',
      'body count(//Item) == 3',
      'body count(//Item) > 2',
      'body //Item/@id == 7',
      "body //Item[@Type = 'a b'] == first",
      'body //Item[last()]/@id == 9',
      'body //Done isTrue',
      'body boolean(//Nothing) isFalse',
      'body /Login/Token startsWith tok',
    ];
    for (const text of held) assert.equal(judgeAssertion(assertion(text), xml).met, true, text);
    const count = judgeAssertion(assertion('body count(//Item) == 4'), xml);
    assert.deepEqual([count.met, count.expected, count.actual], [false, 'body count(//Item) == 4', 'body count(//Item) was 3']);
    const nothing = judgeAssertion(assertion('body //Nothing exists'), xml);
    assert.deepEqual([nothing.met, nothing.actual], [false, 'body //Nothing absent']);
    const json = judgeAssertion(assertion('body //Token exists'), record({ body: '{"Token": "x"}' }));
    assert.equal(json.met, false);
    assert.match(
      json.actual,
      /^body \/\/Token: the body is not XML \(Content-Type: application\/json\): .+, so the XPath cannot apply \(expected an XML body\)$/,
    );
    const empty = judgeAssertion(assertion('body //Token exists'), record({ body: '' }));
    assert.deepEqual([empty.met, empty.actual], [false, 'body //Token: the body is empty, so the XPath cannot apply (expected an XML body)']);
    const unknownFunction = judgeAssertion(assertion('body nosuch(//Item) == 3'), xml);
    assert.equal(unknownFunction.met, false);
    assert.match(unknownFunction.actual, /^body nosuch\(\/\/Item\): not a valid XPath \(.*nosuch.*\)$/);
  });

  it('resolves {{variables}} in the expected value the way the caller resolves the request', () => {
    const v = judgeAssertion(assertion('status == {{wanted}}'), record({ status: 204 }), (text) => text.replace('{{wanted}}', '204'));
    assert.deepEqual([v.met, v.expected], [true, 'status == 204']);
  });

  it('outcomes: allowed 2xx/3xx, denied 401/403 (404 only where the vendor hides), error otherwise', () => {
    assert.deepEqual(
      [200, 204, 302, 401, 403, 404, 400, 500, 503].map((s) => outcomeOf(s, false)),
      ['allowed', 'allowed', 'allowed', 'denied', 'denied', 'error', 'error', 'error', 'error'],
    );
    assert.equal(outcomeOf(404, true), 'denied');
  });
});

describe('runMatrix against the sandbox', function () {
  this.timeout(30_000);
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  const rowsOf = (text: string, connection: Connection): MatrixRow[] => {
    const parsed = parse(text);
    assert.deepEqual(
      parsed.diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
    return parsed.requests.map((request) => matrixRow(h.engine, request, connection, { spec: resolveRequest(parsed, request) }));
  };

  it('rows: a # @disabled request is skipped and never sent; repeated unnamed requests get "#2" (CLI and editor alike)', async () => {
    const connection = h.connection('dc-sandbox');
    const rows = uniqueRowNames(
      rowsOf(
        [
          'GET /api/rest/v4/data/entrydata/rows/Deals',
          '',
          '###',
          'GET /api/rest/v4/data/entrydata/rows/Deals',
          '',
          '###',
          '# @disabled',
          '# @name off',
          'GET /api/rest/v4/data/entrydata/rows/Companies',
        ].join('\n'),
        connection,
      ),
    );
    assert.deepEqual(
      rows.map((r) => [r.name, r.skipped]),
      [
        ['GET /api/rest/v4/data/entrydata/rows/Deals', undefined],
        ['GET /api/rest/v4/data/entrydata/rows/Deals #2', undefined],
        ['off', 'disabled by # @disabled'],
      ],
    );
    const result = await runMatrix(h.engine, rows, await matrixIdentities(h.engine, rows, { as: ['jane'] }));
    assert.deepEqual(
      result.cells.map((c) => [c.request, c.outcome]),
      [
        ['GET /api/rest/v4/data/entrydata/rows/Deals', 'allowed'],
        ['GET /api/rest/v4/data/entrydata/rows/Deals #2', 'allowed'],
        ['off', 'skipped'],
      ],
    );
    assert.equal(received(h.sandbox, '/rows/Companies').length, 0, 'the disabled request was not sent');
  });

  const DEALS = [
    '# @expect jane rows 3',
    '# @expect raj rows >= 1',
    '# @expect lee denied',
    '# @expect self rows 5',
    '# @name deals',
    'GET /api/rest/v4/data/entrydata/rows/Deals',
    '',
    '###',
    '# @name rename',
    'PATCH /api/rest/v4/data/entrydata/rows/Deals',
    'Content-Type: application/json',
    '',
    '[{"EntryId": 1, "Name": "Renamed"}]',
  ].join('\n');

  it('DealCloud: rows per principal, a principal without a proxy assignment denied and explained, writes skipped and never sent', async () => {
    const dc = h.connection('dc-sandbox');
    const rows = rowsOf(DEALS, dc);
    const identities = await matrixIdentities(h.engine, rows, {});
    assert.deepEqual(
      identities.map((i) => i.id),
      ['jane', 'raj', 'lee', 'self'],
      'without --as / --all, the identities of the @expect lines',
    );
    const seen: string[] = [];
    const result = await runMatrix(h.engine, rows, identities, {
      onCell: (cell, done, total) => seen.push(`${done}/${total} ${cell.request} ${cell.identity}`),
    });
    assert.equal(seen.length, 8);
    assert.match(seen[7], /^8\/8 /);
    const cell = (request: string, identity: string) => result.cells.find((c) => c.request === request && c.identity === identity)!;
    assert.deepEqual(
      ['jane', 'raj', 'lee', 'self'].map((id) => [cell('deals', id).outcome, cell('deals', id).status, cell('deals', id).rows]),
      [
        ['allowed', 200, 3],
        ['allowed', 200, 3],
        ['denied', 401, undefined],
        ['allowed', 200, 5],
      ],
    );
    assert.match(cell('deals', 'lee').explanation ?? '', /No proxy assignment lets the service user \(6001\) act as 6047/);
    assert.equal(
      result.cells.every((c) => c.request !== 'deals' || c.met === true),
      true,
    );
    assert.deepEqual(cell('deals', 'jane').expected, ['rows 3']);
    for (const id of ['jane', 'raj', 'lee', 'self']) {
      assert.equal(cell('rename', id).outcome, 'skipped');
      assert.match(cell('rename', id).explanation ?? '', /PATCH changes data: a matrix sends reads only/);
    }
    assert.equal(h.sandbox.log.filter((e) => e.method === 'PATCH').length, 0, 'the write went nowhere');
    assert.equal(h.prompts.length, 0, 'nothing asked for confirmation');
    assert.equal(matrixPassed(result), true);
    assert.deepEqual(result.requests[1], { name: 'rename', method: 'PATCH', url: '/api/rest/v4/data/entrydata/rows/Deals', skipped: rows[1].skipped });
    // Each principal's row read went out as that principal.
    const reads = received(h.sandbox, '/rows/Deals');
    assert.deepEqual([...new Set(reads.map((e) => e.headers['as-user'] ?? 'self'))].sort(), ['6045', '6046', '6047', 'self']);
  });

  it('an unmet expectation makes the matrix fail, saying what was expected and what came back', async () => {
    const dc = h.connection('dc-sandbox');
    const rows = rowsOf('# @expect jane denied\n# @name deals\nGET /api/rest/v4/data/entrydata/rows/Deals\n', dc);
    const result = await runMatrix(h.engine, rows, await matrixIdentities(h.engine, rows, {}));
    const [cell] = result.cells;
    assert.equal(cell.met, false);
    assert.deepEqual(
      cell.verdicts.map((v) => [v.expected, v.actual, v.source.line]),
      [['denied', 'allowed (200, 3 rows)', 1]],
    );
    assert.equal(matrixPassed(result), false);
  });

  it('--all is the service user and every principal (file and vendor); --as resolves ids, emails and user ids', async () => {
    const dc = h.connection('dc-sandbox');
    const rows = rowsOf('GET /api/rest/v4/data/entrydata/rows/Deals\n', dc);
    const all = await matrixIdentities(h.engine, rows, { all: true });
    assert.deepEqual(
      all.map((i) => i.id),
      ['self', 'jane', 'raj', 'lee'],
    );
    const chosen = await matrixIdentities(h.engine, rows, { as: ['raj@acme.test', '6045', 'self'] });
    assert.deepEqual(
      chosen.map((i) => i.id),
      ['raj', 'jane', 'self'],
    );
    await assert.rejects(matrixIdentities(h.engine, rows, { as: ['nobody'] }), /No principal "nobody" on connection "dc-sandbox"/);
  });

  it('at most --concurrency sends in flight per connection, measured at the sandbox, and faster than one at a time', async () => {
    const dc = h.connection('dc-sandbox');
    const text = Array.from({ length: 6 }, (_, i) => `# @name read${i}\nGET /api/rest/v4/data/entrydata/rows/Deals?n=${i}\n`).join('\n###\n');
    const rows = rowsOf(text, dc);
    const identities = await matrixIdentities(h.engine, rows, { as: ['jane', 'raj'] });
    // Tokens first, so only the row reads are timed.
    await runMatrix(h.engine, rows.slice(0, 1), identities);
    h.sandbox.injectFault({ match: { pathIncludes: '/rows/Deals' }, kind: 'delay', delayMs: 60, times: 1000 });
    const measure = async (concurrency: number) => {
      let max = 0;
      const sample = setInterval(() => {
        const inFlight = h.sandbox.log.filter((e) => e.path.includes('/rows/Deals') && e.status === 0).length;
        max = Math.max(max, inFlight);
      }, 5);
      const started = Date.now();
      const result = await runMatrix(h.engine, rows, identities, { concurrency });
      clearInterval(sample);
      assert.equal(
        result.cells.every((c) => c.outcome === 'allowed'),
        true,
      );
      return { max, ms: Date.now() - started };
    };
    const three = await measure(3);
    assert.equal(three.max, 3, `in flight at once with --concurrency 3: ${three.max}`);
    const one = await measure(1);
    assert.equal(one.max, 1);
    assert.ok(three.ms * 1.5 < one.ms, `12 delayed reads: ${three.ms} ms at 3 vs ${one.ms} ms one at a time`);
  });

  it('Orange Logic full mode: one session per principal for all its cells, every session stopped at the end', async () => {
    const ol = h.connection('ol-sandbox');
    const text = [
      '# @expect jane allowed',
      '# @expect raj allowed',
      '# @name read-a1',
      'GET /API/DataTable/v2.2/Documents.All:Read?RecordID=A-1&format=JSON',
      '',
      '###',
      '# @name versions',
      'GET /webapi/versioning/assetversioning/get_asset_versioning_49U_v1?RecordID=A-1&format=JSON',
      '',
      '###',
      '# @name read-all',
      'GET /API/DataTable/v2.2/Documents.All:Read?format=JSON',
    ].join('\n');
    const rows = rowsOf(text, ol);
    const identities = await matrixIdentities(h.engine, rows, { as: ['jane', 'raj'], mode: 'full' });
    const result = await runMatrix(h.engine, rows, identities, { concurrency: 4 });
    assert.equal(result.cells.length, 6);
    assert.equal(
      result.cells.every((c) => c.outcome === 'allowed'),
      true,
      JSON.stringify(result.cells.map((c) => [c.request, c.identity, c.status, c.error])),
    );
    assert.equal(received(h.sandbox, 'startimpersonation_4CN_v1').length, 2, 'one session per principal');
    assert.equal(received(h.sandbox, 'stopimpersonation_4CO_v1').length, 2, 'each stopped');
    assert.equal(h.sandbox.openSessions(), 0, 'no session left open on the vendor');
    assert.equal(result.unendedSessions, undefined);
  });

  it('Orange Logic: sessions are stopped even when sends fail', async () => {
    const ol = h.connection('ol-sandbox');
    const rows = rowsOf('# @name read\nGET /API/DataTable/v2.2/Documents.All:Read?RecordID=A-1&format=JSON\n', ol);
    const identities = await matrixIdentities(h.engine, rows, { as: ['jane', 'raj'], mode: 'full' });
    h.sandbox.injectFault({ match: { pathIncludes: 'Documents.All' }, kind: 'reset', times: 10 });
    const result = await runMatrix(h.engine, rows, identities);
    assert.deepEqual(
      result.cells.map((c) => c.outcome),
      ['error', 'error'],
    );
    assert.ok(result.cells.every((c) => c.error && !c.status));
    assert.equal(matrixPassed(result), false);
    assert.equal(h.sandbox.openSessions(), 0);
  });

  it("Creative Force: bulk-get-* POSTs are reads (sent), other POSTs skipped; apps' roles show as allowed / denied", async () => {
    const cf = h.connection('cf-sandbox');
    const text = [
      '# @expect eve allowed',
      '# @expect ed denied',
      '# @name ecomm-task',
      'GET /extpost/tasks/T-100',
      '',
      '###',
      '# @name assets',
      'POST /assets/bulk-get-assets',
      'Content-Type: application/json',
      '',
      '{"assetIds": ["A-1"]}',
      '',
      '###',
      '# @name submit',
      'POST /extpost/tasks/T-100/submit-assets',
      'Content-Type: application/json',
      '',
      '{}',
    ].join('\n');
    const rows = rowsOf(text, cf);
    assert.equal(rows[1].skipped, undefined, 'bulk-get-assets reads');
    assert.match(rows[2].skipped ?? '', /POST changes data/);
    const identities = await matrixIdentities(h.engine, rows, { as: ['eve', 'ed'] });
    const result = await runMatrix(h.engine, rows, identities);
    const cell = (request: string, identity: string) => result.cells.find((c) => c.request === request && c.identity === identity)!;
    assert.equal(cell('ecomm-task', 'eve').outcome, 'allowed');
    assert.equal(cell('ecomm-task', 'ed').outcome, 'denied');
    assert.ok(cell('ecomm-task', 'ed').explanation, 'the denial is explained');
    assert.notEqual(cell('assets', 'eve').outcome, 'skipped');
    assert.equal(received(h.sandbox, 'submit-assets').length, 0);
    assert.equal(h.sandbox.creativeForceState().audit?.length ?? 0, 0);
  });

  it('a cancelled run sends nothing more and the result does not pass', async () => {
    const dc = h.connection('dc-sandbox');
    const text = Array.from({ length: 8 }, (_, i) => `# @name r${i}\nGET /api/rest/v4/data/entrydata/rows/Deals?i=${i}\n`).join('\n###\n');
    const rows = rowsOf(text, dc);
    const identities = await matrixIdentities(h.engine, rows, { as: ['jane'] });
    const controller = new AbortController();
    const result = await runMatrix(h.engine, rows, identities, {
      concurrency: 1,
      signal: controller.signal,
      onCell: (_cell, done) => {
        if (done === 2) controller.abort();
      },
    });
    assert.equal(result.cells.filter((c) => c.outcome === 'allowed').length, 2);
    assert.ok(result.cells.slice(2).every((c) => c.outcome === 'skipped' && /^cancelled/.test(c.explanation ?? '')));
    assert.equal(matrixPassed(result), false);
  });
});
