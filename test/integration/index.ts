// Test index loaded by VS Code's extension host as `extensionTestsPath` (the same file works under
// scripts/run-vscode-tests.mjs on headless machines and under @vscode/test-electron on desktops).
// It runs every compiled `*.test.js` found next to it (recursively) with mocha's bdd UI (describe/it).
//
// Built by scripts/build-tests.mjs, with `vscode` and `mocha` left external: `vscode` is provided by the
// extension host, `mocha` resolves from the repository's node_modules (mocha 12 is ESM: loading it with
// require() needs a Node with require(esm), i.e. >= 20.19 / 22.12 — code-server's Node 24 has it).
//
// Environment: BEHALF_TEST_GREP runs only the tests whose full title matches; BEHALF_TEST_TIMEOUT (ms)
// changes the per-test timeout (default 20 s); BEHALF_TEST_LOG_PREFIX is set by scripts/run-vscode-tests.mjs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';

export function run(): Promise<void> {
  if (process.env.BEHALF_TEST_LOG_PREFIX) prefixConsole(process.env.BEHALF_TEST_LOG_PREFIX);
  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    color: false, // the output ends up in a log, not a terminal
    timeout: Number(process.env.BEHALF_TEST_TIMEOUT) || 20_000,
  });
  if (process.env.BEHALF_TEST_GREP) mocha.grep(process.env.BEHALF_TEST_GREP);

  const files = findTestFiles(__dirname);
  if (files.length === 0) return Promise.reject(new Error(`no *.test.js files under ${__dirname}`));
  for (const file of files) mocha.addFile(file);

  return new Promise<void>((resolve, reject) => {
    try {
      // mocha.run() loads the files with require(), so `import 'vscode'` in a test goes through the
      // extension host's module interception like in any extension.
      const runner = mocha.run((failures) => {
        // Last line, summed by .ci/run-style tooling.
        console.log(`${runner.stats?.passes ?? 0} passed, ${failures} failed`);
        if (failures > 0) reject(withoutStack(new Error(`${failures} test(s) failed`)));
        else resolve();
      });
    } catch (err) {
      // A test file that throws while loading.
      console.error(err);
      console.log('0 passed, 1 failed');
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

/**
 * The browser workbench hands the extension host's console output to the runner mixed with its own log lines
 * and without any mark; prefixing every line written in this process lets the runner keep exactly these.
 * The extension host makes console.log & co. unassignable (its forwarder ignores writes), so the global
 * `console` itself is replaced by one that formats, prefixes and hands over to the original. Formatting here
 * also keeps output whose first argument is not a string (the workbench drops that).
 */
function prefixConsole(prefix: string): void {
  const original = globalThis.console;
  const prefixed = Object.create(original) as Console;
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    // defineProperty: a plain assignment would hit the inherited no-op setter.
    Object.defineProperty(prefixed, level, { value: (...args: unknown[]) => original[level](prefix + format(...args)) });
  }
  globalThis.console = prefixed;
  // The reporters captured console.log when mocha was loaded.
  Mocha.reporters.Base.consoleLog = prefixed.log;
}

/** VS Code prints the rejection; mocha already reported the details, so skip the stack pointing in here. */
function withoutStack(err: Error): Error {
  err.stack = `${err.name}: ${err.message}`;
  return err;
}

function findTestFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return findTestFiles(full);
      return entry.name.endsWith('.test.js') ? [full] : [];
    })
    .sort();
}
