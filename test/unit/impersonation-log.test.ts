import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ImpersonationLogEntry } from '../../src/core/audit';
import { BehalfError } from '../../src/core/errors';
import {
  fileLogStorage,
  ImpersonationLog,
  logEntryFromError,
  logEntryFromRecord,
  memoryLogStorage,
  parseLog,
  toCsv,
  toJson,
  type LogStorage,
} from '../../src/core/impersonationLog';
import type { ActAs, RequestSpec, ResponseRecord } from '../../src/core/model';
import { Redactor } from '../../src/core/redact';
import { startHarness, type Harness } from './support';

const DAY = 24 * 60 * 60 * 1000;
const T0 = Date.parse('2026-03-10T12:00:00.000Z');

function entry(overrides: Partial<ImpersonationLogEntry> = {}): ImpersonationLogEntry {
  return {
    time: new Date(T0).toISOString(),
    connectionId: 'dc-sandbox',
    vendor: 'dealcloud',
    principalId: 'jane',
    principal: 'Jane Doe <jane@acme.test> (6045)',
    mode: 'full',
    method: 'GET',
    url: 'http://127.0.0.1:7400/dealcloud/api/rest/v4/data/entrydata/rows/Deals',
    status: 200,
    durationMs: 9.5,
    ...overrides,
  };
}

/** A storage whose reads and writes take turns with the event loop, as a disk does. */
function slowStorage(): LogStorage & { text: string; writes: number } {
  const storage = {
    text: '',
    writes: 0,
    read: async () => {
      await new Promise((r) => setImmediate(r));
      return storage.text;
    },
    write: async (text: string) => {
      await new Promise((r) => setImmediate(r));
      storage.text = text;
      storage.writes++;
    },
  };
  return storage;
}

describe('impersonation log: storage, order, retention', () => {
  it('concurrent records never lose an entry, and keep their order', async () => {
    const storage = slowStorage();
    const log = new ImpersonationLog(storage, { retentionDays: 30, now: () => T0 });
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.record(entry({ url: `http://h/x/${i}` }))));
    const entries = await log.entries();
    assert.equal(entries.length, 50);
    assert.deepEqual(
      entries.map((e) => e.url),
      Array.from({ length: 50 }, (_, i) => `http://h/x/${i}`),
    );
    assert.equal(storage.text.trim().split('\n').length, 50);
  });

  it('a failed write fails that record only; the queue goes on', async () => {
    const storage = memoryLogStorage();
    let fail = true;
    const flaky: LogStorage = {
      read: storage.read,
      write: async (text) => {
        if (fail) {
          fail = false;
          throw new Error('disk full');
        }
        await storage.write(text);
      },
    };
    const log = new ImpersonationLog(flaky, { retentionDays: 30, now: () => T0 });
    const [first, second] = await Promise.allSettled([log.record(entry({ url: 'http://h/1' })), log.record(entry({ url: 'http://h/2' }))]);
    assert.equal(first.status, 'rejected');
    assert.equal(second.status, 'fulfilled');
    assert.deepEqual(
      (await log.entries()).map((e) => e.url),
      ['http://h/2'],
    );
  });

  it('retention: old entries are left out on read, dropped on record and prune', async () => {
    const storage = memoryLogStorage();
    let now = T0;
    const log = new ImpersonationLog(storage, { retentionDays: 7, now: () => now });
    await log.record(entry({ time: new Date(T0 - 10 * DAY).toISOString(), url: 'http://h/old' }));
    assert.deepEqual(await log.entries(), [], 'already expired when recorded');
    await log.record(entry({ time: new Date(T0 - 3 * DAY).toISOString(), url: 'http://h/3-days' }));
    await log.record(entry({ time: new Date(T0).toISOString(), url: 'http://h/now' }));
    assert.deepEqual(
      (await log.entries()).map((e) => e.url),
      ['http://h/3-days', 'http://h/now'],
    );
    now = T0 + 5 * DAY;
    assert.deepEqual(
      (await log.entries()).map((e) => e.url),
      ['http://h/now'],
    );
    assert.equal(parseLog(storage.text).entries.length, 2, 'reading does not write');
    assert.equal(await log.prune(), 1);
    assert.equal(parseLog(storage.text).entries.length, 1);
    assert.equal(await log.prune(), 0);
  });

  it('maxEntries keeps the newest; retention 0 keeps nothing; bad options are refused', async () => {
    const storage = memoryLogStorage();
    const log = new ImpersonationLog(storage, { retentionDays: Infinity, maxEntries: 3 });
    for (let i = 0; i < 5; i++) await log.record(entry({ url: `http://h/${i}` }));
    assert.deepEqual(
      (await log.entries()).map((e) => e.url),
      ['http://h/2', 'http://h/3', 'http://h/4'],
    );
    const off = new ImpersonationLog(memoryLogStorage(), { retentionDays: 0 });
    await off.record(entry());
    assert.deepEqual(await off.entries(), []);
    assert.throws(() => new ImpersonationLog(storage, { retentionDays: -1 }), RangeError);
    assert.throws(() => new ImpersonationLog(storage, { retentionDays: NaN }), RangeError);
  });

  it('corrupt lines are skipped, counted, and dropped on the next write', async () => {
    const good = JSON.stringify(entry({ url: 'http://h/good' }));
    const storage = memoryLogStorage(
      [
        good,
        '{"time":"2026-03-10T12:00:00.000Z","connectionId":"x"',
        'not json at all',
        '[1,2]',
        JSON.stringify({ ...entry(), time: 'yesterday' }),
        JSON.stringify({ ...entry(), mode: 'self' }),
        '',
        good.replace('good', 'good2'),
      ].join('\n'),
    );
    const log = new ImpersonationLog(storage, { retentionDays: 30, now: () => T0 });
    assert.deepEqual(
      (await log.entries()).map((e) => e.url),
      ['http://h/good', 'http://h/good2'],
    );
    assert.equal(log.skipped, 5);
    await log.record(entry({ url: 'http://h/new' }));
    assert.deepEqual(parseLog(storage.text), {
      entries: [entry({ url: 'http://h/good' }), entry({ url: 'http://h/good2' }), entry({ url: 'http://h/new' })],
      skipped: 0,
    });
  });

  it('setAttribution marks the newest matching entry; clear empties the log', async () => {
    const storage = memoryLogStorage();
    const log = new ImpersonationLog(storage, { retentionDays: 30, now: () => T0 });
    await log.record(entry({ method: 'POST', url: 'http://h/update' }));
    await log.record(entry({ method: 'POST', url: 'http://h/update' }));
    assert.equal(await log.setAttribution({ time: entry().time, url: 'http://h/update', method: 'post' }, 'recorded-as-other'), true);
    assert.deepEqual(
      (await log.entries()).map((e) => e.attribution),
      [undefined, 'recorded-as-other'],
    );
    assert.equal(await log.setAttribution({ time: entry().time, url: 'http://h/other' }, 'recorded-as-principal'), false);
    await log.clear();
    assert.deepEqual(await log.entries(), []);
    assert.equal(storage.text, '');
  });

  it('a file storage: missing file is an empty log, writes replace it whole, no temporary files left', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-log-'));
    try {
      const file = path.join(dir, 'nested', 'impersonation.jsonl');
      const log = new ImpersonationLog(fileLogStorage(file), { retentionDays: 30, now: () => T0 });
      assert.deepEqual(await log.entries(), []);
      await Promise.all([log.record(entry({ url: 'http://h/a' })), log.record(entry({ url: 'http://h/b' }))]);
      assert.deepEqual(
        fs
          .readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l).url),
        ['http://h/a', 'http://h/b'],
      );
      assert.deepEqual(fs.readdirSync(path.dirname(file)), ['impersonation.jsonl']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('impersonation log: export', () => {
  it('JSON export is the entries as a pretty array', () => {
    const entries = [entry(), entry({ attribution: 'recorded-as-principal' })];
    assert.deepEqual(JSON.parse(toJson(entries)), entries);
    assert.ok(toJson(entries).endsWith('\n'));
    assert.equal(toJson([]), '[]\n');
  });

  it('CSV: a header, CRLF rows, RFC 4180 quoting', () => {
    const csv = toCsv([entry({ principal: 'Doe, Jane "JD" <jane@acme.test>', error: 'line one\nline two', status: undefined, durationMs: undefined })]);
    const lines = csv.split('\r\n');
    assert.equal(lines[0], 'time,connectionId,vendor,principalId,principal,mode,method,url,status,error,durationMs,attribution');
    assert.equal(
      lines[1],
      `2026-03-10T12:00:00.000Z,dc-sandbox,dealcloud,jane,"Doe, Jane ""JD"" <jane@acme.test>",full,GET,http://127.0.0.1:7400/dealcloud/api/rest/v4/data/entrydata/rows/Deals,,"line one\nline two",,`,
    );
    assert.equal(lines.length, 3);
    assert.equal(lines[2], '');
    assert.ok(csv.endsWith('\r\n'));
  });

  it('CSV: cells a spreadsheet would run as formulas get a leading quote', () => {
    const csv = toCsv([entry({ principal: '=HYPERLINK("http://evil.test","click")', principalId: '+1', connectionId: '-2', error: '@SUM(A1)', url: '\tcmd' })]);
    const row = csv.split('\r\n')[1];
    assert.ok(row.includes(`"'=HYPERLINK(""http://evil.test"",""click"")"`), row);
    assert.ok(row.includes(`'+1`) && row.includes(`'-2`) && row.includes(`'@SUM(A1)`) && row.includes(`'\tcmd`), row);
    assert.ok(!/(^|,)[=+\-@]/.test(row), row);
  });
});

describe('impersonation log: entries from records and errors', function () {
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

  it('only requests sent as someone else are logged', async () => {
    const time = new Date(T0);
    const asJane = await h.engine.sendAs({ method: 'GET', url: '/api/rest/v4/data/entrydata/rows/Deals', headers: {} }, as('dc-sandbox', 'jane'));
    const asSelf = await h.engine.sendAs({ method: 'GET', url: '/api/rest/v4/data/entrydata/rows/Deals', headers: {} }, as('dc-sandbox', undefined));
    assert.equal(logEntryFromRecord(asSelf, time), undefined);
    const e = logEntryFromRecord(asJane, time)!;
    assert.deepEqual(
      { ...e, durationMs: 0, url: e.url.replace(/:\d+\//, ':PORT/') },
      {
        time: '2026-03-10T12:00:00.000Z',
        connectionId: 'dc-sandbox',
        vendor: 'dealcloud',
        principalId: 'jane',
        principal: 'Jane Doe <jane@acme.test> (6045)',
        mode: 'full',
        method: 'GET',
        url: 'http://127.0.0.1:PORT/dealcloud/api/rest/v4/data/entrydata/rows/Deals',
        status: 200,
        durationMs: 0,
      },
    );
  });

  it('an error entry carries the redacted sentence and URL', () => {
    const redactor = new Redactor();
    redactor.add('super-secret-value');
    const sentAs = h.engine.sentAs(as('dc-sandbox', 'jane'));
    const e = logEntryFromError(
      sentAs,
      { method: 'get', url: 'http://h/x?token=abc123456&q=1' },
      new BehalfError('timeout', 'Timed out after super-secret-value'),
      new Date(T0),
      redactor,
    )!;
    assert.equal(e.method, 'GET');
    assert.equal(e.url, 'http://h/x?token=«redacted»&q=1');
    const relative = logEntryFromError(sentAs, { method: 'GET', url: '/api/whoami?access_token=abcdef123&q=1' }, 'x', new Date(T0), redactor)!;
    assert.equal(relative.url, '/api/whoami?access_token=«redacted»&q=1');
    assert.equal(e.error, 'Timed out after «redacted»');
    assert.equal(e.status, undefined);
    assert.equal(logEntryFromError(h.engine.sentAs(as('dc-sandbox', undefined)), { method: 'GET', url: 'http://h' }, 'x', new Date(T0), redactor), undefined);
  });

  it('a log written after real requests holds no secret or token', async () => {
    const storage = memoryLogStorage();
    const log = new ImpersonationLog(storage, { retentionDays: 30 });
    const send = async (spec: RequestSpec, actAs: ActAs) => {
      const time = new Date();
      try {
        const record: ResponseRecord = await h.engine.sendAs(spec, actAs);
        const e = logEntryFromRecord(record, time);
        if (e) await log.record(e);
      } catch (error) {
        const e = logEntryFromError(h.engine.sentAs(actAs), spec, error, time, h.engine.redactor);
        if (e) await log.record(e);
      }
    };
    const get = (url: string): RequestSpec => ({ method: 'GET', url, headers: {} });
    await send(get('/api/rest/v4/data/entrydata/rows/Deals'), as('dc-sandbox', 'jane'));
    await send(get('/api/rest/v4/data/entrydata/rows/Deals'), as('dc-sandbox', 'lee'));
    await send(get('/API/DataTable/v2.2/Documents.All:Read?RecordID=A-1&format=JSON'), as('ol-sandbox', 'jane', 'full'));
    await send(get('/API/DataTable/v2.2/Documents.All:Read?RecordID=A-1&format=JSON&token=ol-static-token-5b7d'), as('ol-sandbox', 'raj', 'lite'));
    await send(
      {
        method: 'POST',
        url: '/API/DataTable/v2.2/Documents.All:Update',
        headers: { 'Content-Type': 'application/json' },
        body: '{"RecordID":"A-1","Fields":{"Title":"x"}}',
      },
      as('ol-sandbox', 'jane', 'lite'),
    );
    await send(get('/extpost/tasks/T-1'), as('cf-sandbox', 'eve'));
    await send(get('/extpost/tasks/T-1'), as('cf-sandbox', 'ed'));
    await send(get('/api/whoami'), as('gen-exchange-sandbox', 'jane'));
    await send(get('/api/whoami'), as('gen-exchange-sandbox', 'lee'));
    await send(get('/api/whoami'), as('gen-header-sandbox', 'raj'));
    await send(get('/api/whoami'), as('gen-header-sandbox', undefined));
    h.sandbox.injectFault({ kind: 'reset', match: { pathIncludes: 'whoami' } });
    await send(get('/api/whoami?access_token=gen-sandbox-secret-g3n'), as('gen-header-sandbox', 'jane'));
    await h.engine.dispose();

    const entries = await log.entries();
    assert.equal(entries.length, 11, JSON.stringify(entries.map((e) => [e.connectionId, e.principalId])));
    assert.ok(
      entries.some((e) => e.error),
      'the reset request is logged as an error',
    );
    assert.ok(
      entries.some((e) => e.status === 401),
      'refusals are logged too',
    );
    const tokens = h.sandbox.log.flatMap((e) => {
      const found: string[] = [];
      const auth = e.headers['authorization'];
      if (auth) found.push(auth.replace(/^(Bearer|Basic) /, ''));
      for (const [k, v] of new URLSearchParams(e.body)) if (/token|secret/i.test(k)) found.push(v);
      for (const [k, v] of Object.entries(e.query)) if (/token/i.test(k)) found.push(v);
      return found;
    });
    assert.ok(tokens.length > 5, 'the scan has tokens to look for');
    const everything = [storage.text, toJson(entries), toCsv(entries)].join('\n');
    for (const secret of [...h.secrets, 'ol-static-token-5b7d', ...tokens]) assert.ok(!everything.includes(secret), `leaked ${secret.slice(0, 6)}…`);
    assert.doesNotMatch(everything, /\b(?:dc|ol|olimp|cf|gen|genx)_[A-Za-z0-9]/, 'no token-shaped value');
  });
});
