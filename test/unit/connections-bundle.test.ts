// The connections loader as the bundles carry it (scripts/esbuild-ajv-standalone.mjs): ajv's standalone
// validator generated at build time, reading its schema objects from the one copy of the schema the bundle
// holds, and that copy without what only editors read (runtimeSchema). Built here with the build's own
// plugin and compared with the loader run from the source (ajv compiling the full schema) on thousands of files.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConnections } from '../../src/core/connections';
import { prng } from './support';

const ROOT = path.join(__dirname, '..', '..');
const SCHEMA_FILE = path.join(ROOT, 'schemas', 'connections.schema.json');
const FIXTURE = path.join(ROOT, 'test', 'fixtures', 'connections', 'valid.connections.json');

type Loader = { parseConnections: typeof parseConnections };

/** src/core/connections.ts bundled (minified, like dist/) with the build's ajv-standalone plugin, into `dir`. */
function buildLoader(dir: string): string {
  const outfile = path.join(dir, 'connections.cjs');
  const script = `
    import * as esbuild from 'esbuild';
    import { ajvStandalone } from ${JSON.stringify(path.join(ROOT, 'scripts', 'esbuild-ajv-standalone.mjs'))};
    await esbuild.build({
      entryPoints: [${JSON.stringify(path.join(ROOT, 'src', 'core', 'connections.ts'))}],
      outfile: ${JSON.stringify(outfile)},
      bundle: true, platform: 'node', format: 'cjs', minify: true, legalComments: 'none',
      mainFields: ['module', 'main'], logLevel: 'error', plugins: [ajvStandalone()],
    });`;
  const built = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  return outfile;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Files with schema problems of every kind: the valid fixture's connections and principals given wrong values,
 * unknown, secret-like and near-miss properties, other vendors, duplicates and deletions; plus a few textual
 * edits (syntax errors, comments: the jsonc path).
 */
function corpus(count: number): string[] {
  const fixture = fs.readFileSync(FIXTURE, 'utf8');
  const base = parseConnections(fixture, 'f');
  assert.deepEqual(base.diagnostics, []);
  const value: { connections: Json[] } = {
    connections: base.connections.map(({ position: _position, principals, settings, ...rest }) => ({
      ...(rest as unknown as Record<string, Json>),
      ...(settings as Record<string, Json> | undefined),
      principals: principals.map(({ source: _source, ...p }) => p as unknown as Record<string, Json>),
    })),
  };
  const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as Json;
  const names = new Set<string>(['clientSecret', 'client_secret', 'API_KEY', 'bearerToken', 'passphrase', 'baseurl', 'lable', 'princpals', 'a b', 'tls']);
  const collect = (node: Json): void => {
    if (node === null || typeof node !== 'object') return;
    if (!Array.isArray(node) && node.properties && typeof node.properties === 'object') Object.keys(node.properties).forEach((k) => names.add(k));
    Object.values(node).forEach(collect);
  };
  collect(schema);
  const values: Json[] = [
    null,
    true,
    0,
    -1,
    1.5,
    2147483648,
    '',
    'a b',
    'ftp://h',
    'https://u:p@h',
    'jane@acme',
    'full',
    'token',
    'header',
    'tokenExchange',
    'orangelogic',
    'generic',
    'nope',
    [],
    [1],
    ['a', 'a'],
    {},
    { kind: 'header' },
    { kind: 'header', headers: {} },
    { kind: 'tokenExchange' },
    { 'bad name': 'x' },
    { certFile: 'a' },
    { pfxFile: 'p', passphrase: 's' },
  ];
  const random = prng(0x5eed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const allNames = [...names];
  const objects = (node: Json, out: Array<Record<string, Json>> = []): Array<Record<string, Json>> => {
    if (node !== null && typeof node === 'object') {
      if (!Array.isArray(node)) out.push(node);
      Object.values(node).forEach((child) => objects(child, out));
    }
    return out;
  };
  const texts: string[] = [];
  for (let i = 0; i < count; i++) {
    const copy = structuredClone(value) as Json;
    for (let e = 1 + Math.floor(random() * 3); e > 0; e--) {
      const target = pick(objects(copy));
      const keys = Object.keys(target);
      switch (Math.floor(random() * 4)) {
        case 0:
          if (keys.length > 0) delete target[pick(keys)];
          break;
        case 1:
          if (keys.length > 0) target[pick(keys)] = structuredClone(pick(values));
          break;
        case 2:
          target[pick(allNames)] = structuredClone(pick(values));
          break;
        default:
          if (Array.isArray(target.principals) && target.principals.length > 0) target.principals.push(structuredClone(target.principals[0]));
          else if (typeof target.vendor === 'string') target.vendor = pick(['dealcloud', 'orangelogic', 'creativeforce', 'generic']);
      }
    }
    texts.push(random() < 0.5 ? JSON.stringify(copy, null, 2) : JSON.stringify(copy));
  }
  const tokens = ['{', '}', ',', ':', '"', '//', '/*', 'null', '"clientSecret": "x",'];
  for (let i = 0; i < count / 10; i++) {
    const at = Math.floor(random() * fixture.length);
    texts.push(fixture.slice(0, at) + pick(tokens) + fixture.slice(at));
  }
  return texts;
}

describe('connections loader in the bundles (standalone validator, runtime schema)', function () {
  this.timeout(60_000);
  let dir: string;
  let bundleFile: string;
  let bundled: Loader;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-connections-bundle-'));
    bundleFile = buildLoader(dir);
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle just built, a CommonJS file
    bundled = require(bundleFile) as Loader;
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reports exactly the diagnostics (messages, positions, order) and connections the source reports, on thousands of files', () => {
    const texts = corpus(1500);
    const messages = new Set<string>();
    let problems = 0;
    texts.forEach((text, i) => {
      const expected = parseConnections(text, 'f.json');
      const actual = bundled.parseConnections(text, 'f.json');
      assert.deepEqual(actual, expected, `file #${i}:\n${text}`);
      problems += expected.diagnostics.length;
      for (const d of expected.diagnostics) messages.add(d.message);
    });
    // The corpus reaches the messages that read the schema: descriptions, errorMessage, patternErrorMessage, near misses.
    assert.ok(problems > texts.length, `${problems} problems in ${texts.length} files`);
    for (const kind of [
      /: missing "\w+" — \w/,
      /is not allowed here — secrets never go/,
      /is not allowed here; did you mean/,
      /: must be one of /,
      /: must be an http/,
      /: only the \w+ vendor/,
    ]) {
      assert.ok(
        [...messages].some((m) => kind.test(m)),
        `no message like ${String(kind)} in the corpus`,
      );
    }
  });

  it('holds the schema once, without what only editors read', () => {
    const text = fs.readFileSync(bundleFile, 'utf8');
    const schema = fs.readFileSync(SCHEMA_FILE, 'utf8');
    const parsed = JSON.parse(schema) as Record<string, unknown>;
    // A text the validator and the messages both need (an errorMessage) is in the bundle once: the generated code
    // reads the schema module rather than declaring its own copy of each schema object.
    const errorMessages = [...schema.matchAll(/"errorMessage": ("(?:[^"\\]|\\.)*")/g)].map((m) => JSON.parse(m[1]) as string);
    assert.ok(errorMessages.length > 5);
    for (const message of errorMessages) {
      // The longest stretch without quotes or backslashes: the same in whatever quotes the minifier chose.
      const fragment = message.split(/["'`\\]/).sort((a, b) => b.length - a.length)[0];
      const inBundle = text.split(fragment).length - 1;
      const inSchema = schema.split(fragment).length - 1; // a few are in two messages
      assert.ok(inBundle >= 1 && inBundle <= inSchema, `${JSON.stringify(fragment)} is in the bundle ${inBundle} times, in the schema ${inSchema}`);
    }
    // Editor-only annotations are not: the title, $comments, enum descriptions.
    const comments = [...schema.matchAll(/"\$comment": ("(?:[^"\\]|\\.)*")/g)].map((m) => JSON.parse(m[1]) as string);
    assert.ok(comments.length > 0);
    for (const comment of [String(parsed.title), ...comments]) {
      const fragment = comment.split(/["'`\\]/).sort((a, b) => b.length - a.length)[0];
      assert.ok(!text.includes(fragment), `${JSON.stringify(fragment)} is in the bundle`);
    }
  });
});
