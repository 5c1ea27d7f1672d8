// `npm run test:e2e`: end-to-end tests of the packaged extension in a real VS Code (code-server) driven by
// playwright-core and Debian's Chromium — no smoke-test driver, no development extension: Behalf is installed
// from the .vsix this script packages, as a user would install it.
//
//   node scripts/test-e2e.mjs [--grep <pattern>] [test/e2e/x.test.ts ...]
//
// Prints mocha's spec report, its "N passing" / "N failing" lines, and a last line with the counts and the
// time. Screenshots go to test-results/. Exit code 0 when every test passed.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Mocha from 'mocha';
import { packageExtension } from './package.mjs';
import { ensureTools } from './tools.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

const { values, positionals } = parseArgs({ options: { grep: { type: 'string' } }, allowPositionals: true });
const started = Date.now();
const seconds = () => `${((Date.now() - started) / 1000).toFixed(0)}s`;

await ensureTools({ quiet: true });
const vsixDir = mkdtempSync(join(tmpdir(), 'behalf-e2e-'));
let exitCode = 1;
try {
  const { vsix, bytes } = await packageExtension({ out: join(vsixDir, 'behalf.vsix'), quiet: true, log: () => {} });
  console.log(`test-e2e: packaged ${(bytes / 1024).toFixed(0)} KiB in ${seconds()}`);
  process.env.BEHALF_E2E_VSIX = vsix;

  require('tsx/cjs'); // the tests are TypeScript, as in the unit suite
  const support = require(join(ROOT, 'test', 'e2e', 'support.ts'));
  // Ctrl+C / CI cancellation: stop every code-server and browser the tests started, then exit.
  const onSignal = (signal) => {
    console.log(`\ntest-e2e: ${signal}: stopping code-server and Chromium…`);
    void support.cleanupAll().finally(() => {
      rmSync(vsixDir, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);

  const mocha = new Mocha({ reporter: 'spec', timeout: 300_000, slow: 30_000, grep: values.grep });
  const files = positionals.length
    ? positionals.map((f) => resolve(f))
    : readdirSync(join(ROOT, 'test', 'e2e'))
        .filter((f) => f.endsWith('.test.ts'))
        .sort()
        .map((f) => join(ROOT, 'test', 'e2e', f));
  for (const file of files) mocha.addFile(file);
  await mocha.loadFilesAsync();
  const stats = await new Promise((done) => {
    const runner = mocha.run(() => done(runner.stats));
  });
  await support.cleanupAll();
  process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  console.log(`test-e2e: ${stats.passes} passing, ${stats.failures} failing${stats.pending ? `, ${stats.pending} pending` : ''} (${seconds()})`);
  exitCode = stats.failures === 0 && stats.passes > 0 ? 0 : 1;
} catch (err) {
  console.error(`test-e2e: ${err instanceof Error ? err.stack : err}`);
} finally {
  rmSync(vsixDir, { recursive: true, force: true });
}
process.exit(exitCode);
