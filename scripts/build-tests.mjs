// Compiles integration tests (tests that run inside a real VS Code extension host) with esbuild.
//
//   node scripts/build-tests.mjs                      test/integration/**/*.test.ts -> out/integration/
//   node scripts/build-tests.mjs --tests <dir> --out <dir>   another suite (e.g. a fixture extension's)
//
// Output: <out>/index.js (from test/integration/index.ts: the mocha runner VS Code loads as
// extensionTestsPath) and one bundled <out>/<relative path>.test.js per test file; for the default suite also
// <out>/runElectron.js (the @vscode/test-electron launcher for desktops). The output folder is emptied first
// so deleted tests do not keep running. Kept apart from scripts/build.mjs (the extension's own bundles).
//
// `vscode` (provided by the extension host) and `mocha` (resolved from the repository's node_modules, so that
// the index and the test files share one mocha and its describe/it globals) stay external.
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const INTEGRATION_DIR = join(ROOT, 'test', 'integration');

/**
 * @param {{ testsDir?: string, outDir?: string }} [options] relative paths are relative to the current folder;
 *   the defaults are the repository's test/integration and out/integration
 * @returns {Promise<{ outDir: string, index: string, testFiles: string[] }>}
 */
export async function buildIntegrationTests({ testsDir = INTEGRATION_DIR, outDir = join(ROOT, 'out', 'integration') } = {}) {
  testsDir = resolve(testsDir);
  outDir = resolve(outDir);
  const testFiles = findFiles(testsDir, '.test.ts');
  const entryPoints = [
    { in: join(INTEGRATION_DIR, 'index.ts'), out: 'index' },
    ...testFiles.map((file) => ({ in: file, out: relative(testsDir, file).replace(/\.ts$/, '') })),
  ];
  if (testsDir === INTEGRATION_DIR) entryPoints.push({ in: join(INTEGRATION_DIR, 'runElectron.ts'), out: 'runElectron' });

  rmSync(outDir, { recursive: true, force: true });
  await esbuild.build({
    entryPoints,
    outdir: outDir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // For debuggers; stack traces stay on the .js (the extension host owns Error.prepareStackTrace, which
    // turns off Node's source-map support).
    sourcemap: 'inline',
    external: ['vscode', 'mocha', '@vscode/test-electron'],
    // As scripts/build.mjs: jsonc-parser's default (UMD) entry breaks when bundled; its ESM build does not.
    mainFields: ['module', 'main'],
    logLevel: 'warning',
  });
  return { outDir, index: join(outDir, 'index.js'), testFiles };
}

function findFiles(dir, suffix) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : findFiles(full, suffix);
      return entry.name.endsWith(suffix) ? [full] : [];
    })
    .sort();
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { tests: { type: 'string' }, out: { type: 'string' } } });
  const { outDir, testFiles } = await buildIntegrationTests({ testsDir: values.tests, outDir: values.out });
  console.log(`build-tests: ${testFiles.length} test file(s) -> ${relative(process.cwd(), outDir) || '.'}`);
}
