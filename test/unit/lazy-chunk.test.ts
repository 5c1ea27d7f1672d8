// scripts/esbuild-lazy-chunk.mjs: a part of a bundle split into a chunk of its own that is required on first
// use and linked to the main bundle's modules, none of them copied. Built here from a small fixture (the real
// split, dist/extension-extras.js, needs VS Code: test/integration and test/e2e/package.test.ts run it).

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

const FIXTURE: Record<string, string> = {
  // State the main bundle and the chunk must share: a counter (an exported let), a registry and a class.
  'state.ts': `export let count = 0;
    export const registry = new Map<string, string>();
    export class Marker {}
    export function bump(): number { return ++count; }
    export function unused(): string { return 'only-in-state-never-imported'; }`,
  'extra.ts': `import { count, registry, Marker } from './state';
    import { label } from './own';
    export function seenCount(): number { return count; }
    export function register(key: string): void { registry.set(key, label(key)); }
    export function isMarker(x: unknown): boolean { return x instanceof Marker; }`,
  'own.ts': `export function label(key: string): string { return 'extra-only-' + key; }`,
  'main.ts': `import { bump, registry, Marker } from './state';
    import { seenCount, register, isMarker } from './extra';
    export { bump, registry, Marker, seenCount, register, isMarker };`,
};

interface Fixture {
  bump(): number;
  registry: Map<string, string>;
  Marker: new () => object;
  seenCount(): number;
  register(key: string): void;
  isMarker(x: unknown): boolean;
}

/** Builds the fixture in `dir`; `plugins`: JS source of an array of esbuild plugins for both bundles. */
function build(dir: string, plugins = '[]'): { status: number | null; stderr: string } {
  const script = `
    import * as esbuild from 'esbuild';
    import { buildWithLazyChunk } from ${JSON.stringify(path.join(ROOT, 'scripts', 'esbuild-lazy-chunk.mjs'))};
    const common = { bundle: true, platform: 'node', format: 'cjs', logLevel: 'error', plugins: ${plugins}, absWorkingDir: ${JSON.stringify(dir)} };
    await buildWithLazyChunk(esbuild, common, {
      main: { entryPoints: ['main.ts'], outfile: 'out/main.js', external: [] },
      chunk: { entry: 'extra.ts', importer: 'main.ts', request: './extra', outfile: 'out/extra.js' },
    });`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}

describe('lazy chunk (scripts/esbuild-lazy-chunk.mjs)', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'behalf-lazy-chunk-'));
    for (const [file, text] of Object.entries(FIXTURE)) fs.writeFileSync(path.join(dir, file), text);
    const r = build(dir);
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("puts only the part's own modules in the chunk; the main bundle holds everything else", () => {
    const main = fs.readFileSync(path.join(dir, 'out', 'main.js'), 'utf8');
    const chunk = fs.readFileSync(path.join(dir, 'out', 'extra.js'), 'utf8');
    assert.ok(chunk.includes('extra-only-'), 'the chunk has its own module');
    assert.ok(!main.includes('extra-only-'), 'the main bundle does not');
    assert.ok(!chunk.includes('new Map'), 'the shared module is not copied into the chunk');
    assert.ok(!main.includes('only-in-state-never-imported'), 'what nobody imports stays out (no namespace import of the whole module)');
  });

  it('requires the chunk on first use, and it shares the main bundle’s module state: bindings, registries, classes', () => {
    const mainFile = path.join(dir, 'out', 'main.js');
    const chunkFile = path.join(dir, 'out', 'extra.js');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the bundle just built
    const m = require(mainFile) as Fixture;
    assert.equal(require.cache[chunkFile], undefined, 'not loaded before it is needed');
    m.bump();
    m.bump();
    assert.equal(m.seenCount(), 2, 'the chunk reads the live value of an exported let');
    assert.ok(require.cache[chunkFile], 'loaded on the first call');
    m.register('a');
    assert.equal(m.registry.get('a'), 'extra-only-a', "the chunk wrote into the main bundle's registry");
    assert.equal(m.isMarker(new m.Marker()), true, "instanceof holds for the main bundle's class");
    m.bump();
    assert.equal(m.seenCount(), 3);
  });

  function fixture(prefix: string, changes: Record<string, string>): string {
    const other = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    for (const [file, text] of Object.entries({ ...FIXTURE, ...changes })) fs.writeFileSync(path.join(other, file), text);
    return other;
  }

  it('links a module the main bundle imports too instead of copying it', () => {
    const other = fixture('behalf-lazy-chunk-shared-', { 'main.ts': `${FIXTURE['main.ts']}\nexport { label } from './own';` });
    try {
      const r = build(other);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(fs.readFileSync(path.join(other, 'out', 'main.js'), 'utf8').includes('extra-only-'));
      assert.ok(!fs.readFileSync(path.join(other, 'out', 'extra.js'), 'utf8').includes('extra-only-'));
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });

  it("fails the build when a module would be in both bundles (a plugin's own module, which it cannot link)", () => {
    const shared = `import { tag } from 'virtual-state';\n`;
    const other = fixture('behalf-lazy-chunk-both-', {
      'main.ts': `${shared}export const mainTag = tag;\n${FIXTURE['main.ts']}`,
      'extra.ts': `${shared}export function extraTag(): string { return tag; }\n${FIXTURE['extra.ts']}`,
    });
    const virtual = `[{ name: 'virtual', setup(b) {
      b.onResolve({ filter: /^virtual-state$/ }, () => ({ path: 'state', namespace: 'virtual' }));
      b.onLoad({ filter: /.*/, namespace: 'virtual' }, () => ({ contents: 'export const tag = "virtual-" + Math.random();', loader: 'js' }));
    } }]`;
    try {
      const r = build(other, virtual);
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /would be in both bundles: virtual:state/);
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
  });
});
