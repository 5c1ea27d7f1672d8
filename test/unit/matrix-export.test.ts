// Exporting an access matrix (the panel's Export CSV / JSON / Markdown): the --json object of issue 14, CSV that
// spreadsheets read safely, Markdown whose table survives any name.
import assert from 'node:assert/strict';
import type { MatrixResult } from '../../src/core/matrix';
import { cellText, matrixCsv, matrixJson, matrixMarkdown, type MatrixJson } from '../../src/core/matrixExport';

function result(): MatrixResult {
  const source = (line: number, text: string) => ({ line, column: 3, text });
  return {
    identities: [
      { id: 'self', label: 'the service user (self)', connection: 'dc-sandbox' },
      { id: 'lee', label: 'Lee | Wong <lee@acme.test> (6047)', connection: 'dc-sandbox' },
    ],
    requests: [
      { name: 'deals', method: 'GET', url: 'https://acme.test/rows/Deals?q=a,b' },
      { name: 'rename', method: 'PATCH', url: 'https://acme.test/rows/Deals', skipped: 'PATCH changes data' },
    ],
    cells: [
      { request: 'deals', identity: 'self', status: 200, outcome: 'allowed', rows: 5, durationMs: 12.6, verdicts: [] },
      {
        request: 'deals',
        identity: 'lee',
        status: 403,
        outcome: 'denied',
        durationMs: 8,
        explanation: '=HYPERLINK("x") no proxy assignment, "really"',
        expected: ['allowed'],
        met: false,
        verdicts: [{ source: source(7, '# @expect lee allowed'), met: false, expected: 'allowed', actual: 'denied (403)' }],
      },
      { request: 'rename', identity: 'self', outcome: 'skipped', explanation: 'PATCH changes data', verdicts: [] },
      { request: 'rename', identity: 'lee', outcome: 'skipped', explanation: 'PATCH changes data', verdicts: [] },
    ],
  };
}

describe('access matrix export', () => {
  it('JSON is the --json object: identities, requests, cells with the issue’s fields (no response records)', () => {
    const withRecord = result();
    (withRecord.cells[0] as { record?: unknown }).record = { body: 'secret body' };
    const json = JSON.parse(matrixJson(withRecord)) as MatrixJson;
    assert.deepEqual(Object.keys(json), ['identities', 'requests', 'cells', 'passed']);
    assert.equal(json.passed, false, 'an expectation is not met');
    assert.deepEqual(json.identities[1], { id: 'lee', label: 'Lee | Wong <lee@acme.test> (6047)', connection: 'dc-sandbox' });
    assert.deepEqual(json.requests[1], { name: 'rename', method: 'PATCH', url: 'https://acme.test/rows/Deals', skipped: 'PATCH changes data' });
    assert.deepEqual(json.cells[0], { request: 'deals', identity: 'self', outcome: 'allowed', status: 200, rows: 5, durationMs: 12.6 });
    assert.deepEqual(json.cells[1].verdicts, [
      { source: { line: 7, column: 3, text: '# @expect lee allowed' }, met: false, expected: 'allowed', actual: 'denied (403)' },
    ]);
    assert.equal(json.cells[1].met, false);
    assert.deepEqual(json.cells[1].expected, ['allowed']);
    assert.equal(matrixJson(withRecord).includes('secret body'), false);
  });

  it('CSV: one line per cell, RFC 4180 quoting, formulas defused', () => {
    const lines = matrixCsv(result()).split('\r\n');
    assert.equal(lines[0], 'request,method,url,identity,label,connection,outcome,status,rows,durationMs,expected,met,explanation,error');
    assert.equal(lines[1], 'deals,GET,"https://acme.test/rows/Deals?q=a,b",self,the service user (self),dc-sandbox,allowed,200,5,13,,,,');
    assert.equal(
      lines[2],
      `deals,GET,"https://acme.test/rows/Deals?q=a,b",lee,Lee | Wong <lee@acme.test> (6047),dc-sandbox,denied,403,,8,allowed,false,"'=HYPERLINK(""x"") no proxy assignment, ""really""",`,
    );
    assert.equal(lines.length, 6, 'header, 4 cells, and the final line break');
    assert.equal(lines[5], '');
  });

  it('Markdown: the grid as a table (pipes escaped), then unmet expectations and explanations', () => {
    const md = matrixMarkdown(result(), 'Access matrix of deals.http');
    const lines = md.split('\n');
    assert.equal(lines[0], '# Access matrix of deals.http');
    assert.equal(lines[2], '| Request | the service user (self) | Lee \\| Wong \\<lee@acme.test\\> (6047) |');
    assert.equal(lines[3], '| --- | :-: | :-: |');
    assert.equal(lines[4], '| deals `GET` | ✓ 200 · 5 rows | ✗ 403 ≠ |');
    assert.equal(lines[5], '| rename `PATCH` | – | – |');
    assert.ok(md.includes('## Expectations not met\n\n- line 7: Lee \\| Wong \\<lee@acme.test\\> (6047) · deals: expected allowed, got denied (403)'));
    assert.ok(md.includes('## Explanations'));
    // Every table line has the same number of unescaped pipes.
    const pipes = (l: string) => l.replace(/\\\|/g, '').split('|').length;
    assert.deepEqual(new Set(lines.slice(2, 6).map(pipes)).size, 1);
    assert.equal(cellText(undefined), '…');
  });
});
