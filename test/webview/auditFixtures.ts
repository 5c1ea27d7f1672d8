// History and compare views for the webview tests, built the way the extension builds them: summaries and
// diffs by src/core/versionDiff.ts, comparisons by src/core/compare.ts, views by the protocol modules.

import { compareResponses } from '../../src/core/compare';
import { shortName } from '../../src/core/vendor';
import type { AssetVersion, ResponseRecord } from '../../src/core/model';
import { diffVersion, summariseVersions, usersOf } from '../../src/core/versionDiff';
import { compareViewFrom, type CompareView } from '../../src/protocol/compare';
import type { HistoryView, VersionDiff } from '../../src/protocol/history';
import { XSS, record } from './fixtures';

export { XSS };

export const JANE_EMAIL = 'jane@acme.test';

/** The sandbox's A-1 history plus a JSON field and a cleared one. */
export function assetVersions(): AssetVersion[] {
  return [
    {
      version: 1,
      date: '2026-01-05T10:00:00Z',
      user: 'svc@acme.test',
      changes: [
        { field: 'Title', oldValue: '', newValue: 'Harbour at dawn' },
        { field: 'Keywords', oldValue: '', newValue: 'harbour' },
      ],
    },
    {
      version: 2,
      date: '2026-01-12T14:30:00Z',
      user: 'jane@acme.test',
      changes: [{ field: 'Caption', oldValue: '', newValue: 'Fishing boats leave the harbour at first light.' }],
    },
    {
      version: 3,
      date: '2026-02-02T09:15:00Z',
      user: 'jane@acme.test',
      changes: [
        { field: 'Keywords', oldValue: 'harbour', newValue: 'harbour, dawn, boats' },
        { field: 'Caption', oldValue: 'Fishing boats leave the harbour at first light.', newValue: 'Fishing boats leave the old harbour at dawn.' },
      ],
    },
    {
      version: 4,
      date: '2026-02-03T08:00:00Z',
      user: 'raj@acme.test',
      changes: [
        {
          field: 'Metadata',
          oldValue: '{"owner":{"name":"Jane"},"tags":["a","b"],"size":1}',
          newValue: '{"owner":{"name":"Raj"},"tags":["a","b","c"],"rights":"cc-by"}',
        },
        { field: 'Credit', oldValue: 'Studio A', newValue: '' },
      ],
    },
  ];
}

/** A reading of a history as the extension's readHistory makes it: the view, and each version's diffs on request. */
export interface HistoryFixture {
  view: HistoryView;
  diffs: (version: number) => VersionDiff | undefined;
}

export function readingFrom(versions: AssetVersion[], extra: Partial<HistoryView> = {}): HistoryFixture {
  return { view: historyFrom(versions, extra), diffs: (version) => diffVersion(versions, version, { principalEmail: JANE_EMAIL }) };
}

export function historyFrom(versions: AssetVersion[], extra: Partial<HistoryView> = {}): HistoryView {
  const diffs = summariseVersions(versions, { principalEmail: JANE_EMAIL });
  return {
    id: 'h1',
    assetId: 'A-1',
    connectionId: 'ol-sandbox',
    connectionLabel: 'Orange Logic (sandbox)',
    vendor: 'orangelogic',
    principal: { who: 'Jane Doe <jane@acme.test> (jane.api)', email: JANE_EMAIL },
    versions: diffs,
    users: usersOf(diffs),
    readAt: '2026-02-04T12:00:00.000Z',
    ...extra,
  };
}

export function historyView(extra: Partial<HistoryView> = {}): HistoryView {
  return historyFrom(assetVersions(), extra);
}

export function historyReading(extra: Partial<HistoryView> = {}): HistoryFixture {
  return readingFrom(assetVersions(), extra);
}

/** `count` versions by four users (every fourth by the principal), each changing a caption. */
export function longHistory(count: number, extra: Partial<HistoryView> = {}): HistoryView {
  return historyFrom(longVersions(count), { id: `long-${count}`, ...extra });
}

export function longVersions(count: number): AssetVersion[] {
  const users = ['jane@acme.test', 'svc@acme.test', 'raj@acme.test', 'lee@acme.test'];
  const versions: AssetVersion[] = [];
  for (let i = 1; i <= count; i++) {
    const day = new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString().replace('.000', '');
    versions.push({
      version: i,
      date: day,
      user: users[i % users.length],
      changes: [
        { field: 'Caption', oldValue: `Caption number ${i - 1} of the asset`, newValue: `Caption number ${i} of the asset` },
        { field: 'Keywords', oldValue: `k${i - 1}`, newValue: `k${i}, extra` },
      ],
    });
  }
  return versions;
}

/** Markup and script in every place the history page shows text. */
export function hostileHistory(): HistoryView {
  return hostileReading().view;
}

export function hostileReading(): HistoryFixture {
  const versions: AssetVersion[] = [
    { version: 1, date: XSS, user: `mallory${XSS}@acme.test`, changes: [{ field: `Title${XSS}`, oldValue: '', newValue: XSS }] },
    {
      version: 2,
      date: '2026-01-02T00:00:00Z',
      user: 'jane@acme.test',
      changes: [
        { field: 'Caption', oldValue: `before ${XSS} after`, newValue: `before </del><script>window.__pwned=1</script> after` },
        {
          field: 'Meta',
          oldValue: JSON.stringify({ [XSS]: 1, list: [XSS] }),
          newValue: JSON.stringify({ [XSS]: 2, list: [XSS, '<iframe src="javascript:window.__pwned=1">'] }),
        },
        { field: XSS, oldValue: XSS, newValue: '' },
      ],
    },
  ];
  return readingFrom(versions, { id: 'hostile', assetId: `A-${XSS}`, connectionLabel: `OL ${XSS}`, principal: { who: `Jane ${XSS}`, email: JANE_EMAIL } });
}

// --- compare ------------------------------------------------------------------------------------------------

const JANE_WHO = 'Jane Doe <jane@acme.test> (6045)';
const RAJ_WHO = 'Raj Patel <raj@acme.test> (6046)';

function dealsRecord(who: string, principalId: string | undefined, rows: Array<Record<string, unknown>>, extra: Partial<ResponseRecord> = {}): ResponseRecord {
  const body = JSON.stringify({ totalRecords: rows.length, rows });
  return record({
    name: 'deals',
    request: { method: 'GET', url: 'https://acme.dealcloud.test/api/rest/v4/data/entrydata/rows/Deals', headers: { Authorization: 'Bearer «redacted»' } },
    body,
    bodyBytes: body.length,
    durationMs: principalId === 'jane' ? 84.2 : 131.7,
    sentAs: { connectionId: 'dc-sandbox', connectionLabel: 'DealCloud (sandbox)', vendor: 'dealcloud', who, principalId, mode: principalId ? 'full' : 'self' },
    ...extra,
  });
}

export function comparePair(): { left: ResponseRecord; right: ResponseRecord } {
  const left = dealsRecord(JANE_WHO, 'jane', [
    { EntryId: 1, Name: 'Project Atlas', Owner: 6045, Stage: 'Diligence' },
    { EntryId: 2, Name: 'Project Borealis', Owner: 6045 },
    { EntryId: 5, Name: 'Project Echo', Owner: 6001 },
  ]);
  const right = dealsRecord(RAJ_WHO, 'raj', [
    { EntryId: 1, Name: 'Project Atlas', Owner: 6045, Stage: 'Closed' },
    { EntryId: 3, Name: 'Project Cedar', Owner: 6046 },
    { EntryId: 5, Name: 'Project Echo', Owner: 6001 },
  ]);
  return { left, right };
}

export function compareFrom(left: ResponseRecord, right: ResponseRecord, id = 'c1'): CompareView {
  return compareViewFrom(compareResponses(left, right), left, right, id, { left: shortName(left.sentAs.who), right: shortName(right.sentAs.who) });
}

export function compareView(id = 'c1'): CompareView {
  const { left, right } = comparePair();
  return compareFrom(left, right, id);
}

export function identicalCompareView(): CompareView {
  const { left } = comparePair();
  const right = { ...left, sentAs: { ...left.sentAs, who: RAJ_WHO, principalId: 'raj' } };
  return compareFrom(left, right, 'same');
}

/** `count` rows only the left sees, `count` only the right, `count` shared rows that differ. */
export function bigCompareView(count: number): CompareView {
  const rows = (from: number, stage: string) => Array.from({ length: count }, (_, i) => ({ id: from + i, Name: `Deal ${from + i}`, Stage: stage }));
  const shared = (stage: string) => Array.from({ length: count }, (_, i) => ({ id: 100_000 + i, Name: `Shared ${i}`, Stage: stage }));
  const left = dealsRecord(JANE_WHO, 'jane', [...rows(1, 'A'), ...shared('A')]);
  const right = dealsRecord(RAJ_WHO, 'raj', [...rows(50_000, 'B'), ...shared('B')]);
  return compareFrom(left, right, `big-${count}`);
}

/** Markup and script in identities, row labels and keys, JSON paths and values. */
export function hostileCompareView(): CompareView {
  const left = dealsRecord(`Mallory ${XSS}`, 'mallory', [
    { id: XSS, Name: XSS, [XSS]: 'x' },
    { id: 'shared', Name: 'Shared', note: `a ${XSS}`, [XSS]: 1 },
  ]);
  const right = dealsRecord(`Eve ${XSS}`, 'eve', [
    { id: `k${XSS}`, Name: `<b>bold</b>${XSS}` },
    { id: 'shared', Name: 'Shared', note: `b <iframe src="javascript:window.__pwned=1"></iframe>`, [XSS]: 2 },
  ]);
  const view = compareFrom(
    {
      ...left,
      name: XSS,
      request: { ...left.request, url: `https://acme.test/rows?q=${XSS}` },
      statusText: XSS,
      sentAs: { ...left.sentAs, connectionLabel: `DC ${XSS}` },
    },
    right,
    'hostile',
  );
  return view;
}
