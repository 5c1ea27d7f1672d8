// Runs a compiled mocha suite inside a real VS Code extension host on a headless machine, the way
// @vscode/test-electron does on a desktop: code-server + headless Chromium (see scripts/code-server.mjs).
//
//   node scripts/run-vscode-tests.mjs --extension <ext root> --tests <compiled test index .js>
//     [--workspace <folder>] [--env '{"NAME":"value"}'] [--timeout <seconds, default 600>] [--verbose]
//     [--paint-log <file>]   (bench: one JSON line per first paint of a Behalf response view, see PAINT_PROBE)
//
// Exit code 0 when every test passed, 1 otherwise (failures, load errors, timeout, crash).
//
// How: code-server has no --extensionTestsPath flag, but its browser workbench reads the same options from
// the `payload` URL parameter — only when the server runs with `--vscode-option enable-smoke-test-driver`.
// The workbench then reports the extension host's console output through window.codeAutomationLog and the
// test run's result through window.codeAutomationExit, both of which we provide with page.exposeFunction.
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { format, parseArgs } from 'node:util';
import { launchChromium, startCodeServer } from './code-server.mjs';
import { ensureTools } from './tools.mjs';

/**
 * @param {object} options
 * @param {string} options.extension extension root (folder with package.json)
 * @param {string} options.tests compiled test index (exports run(): Promise<void>)
 * @param {string} [options.workspace] folder to open; an empty temp folder when omitted
 * @param {Record<string, string>} [options.env] environment of the extension host (extensionEnvironment)
 * @param {number} [options.timeoutMs] overall limit for the run, default 10 minutes
 * @param {boolean} [options.verbose] also print the workbench's log and code-server's output
 * @param {string} [options.paintLog] bench only: append {"paintedAt": <epoch ms>} to this file whenever a webview
 *   paints a new response view (PAINT_PROBE), so that a suite in the host can time a send to the panel's paint
 * @returns {Promise<number>} 0 when the suite passed, 1 otherwise
 */
export async function runVSCodeTests({ extension, tests, workspace, env = {}, timeoutMs = 600_000, verbose = false, paintLog }) {
  const started = Date.now();
  const say = (line) => console.log(`run-vscode-tests: ${line}`);
  extension = resolve(extension);
  tests = resolve(tests);
  for (const [what, file] of [
    ['extension manifest', join(extension, 'package.json')],
    ['test index', tests],
  ]) {
    if (!existsSync(file)) throw new Error(`${what} not found: ${file}`);
  }
  await ensureTools({ quiet: true });

  // test/integration/index.ts prefixes every console line of the extension host with this, so that we can
  // tell them from the workbench's own log lines, which arrive through the same codeAutomationLog.
  const prefix = `[behalf-test-${randomBytes(4).toString('hex')}] `;
  let sawTestOutput = false;
  const workbenchErrors = []; // shown when the run fails before the test index says anything
  const onLog = (level, args) => {
    const message = format(...(Array.isArray(args) ? args : [args]));
    if (message.startsWith(prefix)) {
      sawTestOutput = true;
      console.log(message.slice(prefix.length));
    } else if (verbose) {
      console.log(`[workbench ${level}] ${message}`);
    } else if (level === 'error') {
      workbenchErrors.push(message);
    }
  };
  const explain = () => {
    if (sawTestOutput || verbose) return;
    say(`no output from the test index (is it built from test/integration/index.ts?)${workbenchErrors.length ? '; workbench errors:' : ''}`);
    for (const message of workbenchErrors) console.log(`  ${message.split('\n').join('\n  ')}`);
    say('rerun with --verbose for the whole workbench and code-server log');
  };

  let server;
  let browser;
  let timer;
  let cleaned;
  const cleanup = () =>
    (cleaned ??= (async () => {
      clearTimeout(timer);
      await browser?.close().catch(() => {});
      await server?.stop();
    })());
  // Ctrl-C / CI cancellation: leave no server or browser behind (Playwright's own handlers, which would
  // exit before code-server is stopped, are turned off below).
  const onSignal = (signal) => void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);

  try {
    server = await startCodeServer({ smokeTestDriver: true, onOutput: verbose ? (line) => console.log(`[server] ${line}`) : undefined });
    browser = await launchChromium({ handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false });
    const page = await browser.newPage();

    /** @type {(result: { code: number } | { error: string }) => void} */
    let settle;
    const outcome = new Promise((resolve) => (settle = resolve));
    // Registered before page.goto: the workbench looks for them when it starts.
    await page.exposeFunction('codeAutomationExit', (code) => settle({ code: Number(code) }));
    await page.exposeFunction('codeAutomationLog', onLog);
    if (paintLog) {
      // In every frame, the webviews' inner frames included (they are where the response panel's page runs).
      await page.exposeFunction('behalfBenchPaint', (entry) => appendFileSync(paintLog, `${JSON.stringify(entry)}\n`));
      // Armed by the suite (it writes <paintLog>.arm) for the send-to-paint test only: a probe in every frame costs
      // the shared CPU, and would slow the other figures of the run (the Connections tree) with it. Frames made
      // after arming carry it: each send opens its panel anew. Acknowledged by <paintLog>.armed.
      const arming = setInterval(() => {
        if (!existsSync(`${paintLog}.arm`)) return;
        clearInterval(arming);
        void page
          .context()
          .addInitScript(PAINT_PROBE)
          .then(() => writeFileSync(`${paintLog}.armed`, ''));
      }, 50);
      void outcome.finally(() => clearInterval(arming));
    }
    page.on('crash', () => settle({ error: 'the workbench page crashed' }));
    void server.exited.then(({ code, signal }) => settle({ error: `code-server exited (${code ?? signal})` }));
    timer = setTimeout(
      () => settle({ error: `timed out after ${Math.round(timeoutMs / 1000)}s without a result from the extension host (codeAutomationExit)` }),
      timeoutMs,
    );
    if (verbose) page.on('pageerror', (err) => console.log(`[page error] ${err.message}`));

    // The workbench addresses the server's files as vscode-remote://<authority><path>.
    const remote = (path) => `vscode-remote://127.0.0.1:${server.port}${pathToFileURL(path).pathname}`;
    const payload = [
      ['extensionDevelopmentPath', remote(extension)],
      ['extensionTestsPath', remote(tests)],
      ['extensionEnvironment', JSON.stringify({ ...env, BEHALF_TEST_LOG_PREFIX: prefix })],
    ];
    const query = new URLSearchParams({ folder: resolve(workspace ?? server.scratchDir), payload: JSON.stringify(payload) });
    say(`VS Code (code-server) at ${server.url}, tests ${tests}`);
    await page.goto(`${server.url}/?${query}`);

    const result = await outcome;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if ('error' in result) {
      explain();
      say(`FAILED: ${result.error}`);
      return 1;
    }
    if (result.code !== 0) explain();
    say(`${result.code === 0 ? 'passed' : `failed (extension host exit code ${result.code})`} in ${seconds}s`);
    return result.code === 0 ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await cleanup();
  }
}

/**
 * Runs in every frame before its own scripts (the webview CSP does not apply to init scripts): whenever the
 * response panel's page (media/response: a response's banner is .banner-self / .banner-impersonated; the
 * "Sending as …" state shown before the response arrives has neither, so it is never counted) puts a new banner
 * in the DOM, it waits for the next frame to be painted (requestAnimationFrame, then a task: as the webview suite
 * times first paint) and reports the wall-clock time (epoch ms, the same clock as Date.now() in the host).
 */
const PAINT_PROBE = () => {
  /* global document, window, requestAnimationFrame, MutationObserver -- runs in the browser */
  let last = null;
  const check = () => {
    const banner = document.querySelector('.banner-self, .banner-impersonated');
    if (!banner || banner === last) return;
    last = banner;
    requestAnimationFrame(() =>
      setTimeout(() => {
        const report = window.behalfBenchPaint;
        if (typeof report === 'function') void report({ paintedAt: performance.timeOrigin + performance.now() });
      }, 0),
    );
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
  // VS Code writes a webview's page into its inner frame (about:blank when this runs) with document.open(),
  // which drops the observer: in frames, also look every 2 ms (the paint is timed from the frame after).
  if (window !== window.top) setInterval(check, 2);
};

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      extension: { type: 'string' },
      tests: { type: 'string' },
      workspace: { type: 'string' },
      env: { type: 'string' },
      timeout: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      'paint-log': { type: 'string' },
    },
  });
  if (!values.extension || !values.tests) {
    console.error(
      'usage: node scripts/run-vscode-tests.mjs --extension <ext root> --tests <compiled test index .js> [--workspace <folder>] [--env JSON] [--timeout <s>] [--verbose]',
    );
    process.exit(2);
  }
  try {
    const code = await runVSCodeTests({
      extension: values.extension,
      tests: values.tests,
      workspace: values.workspace,
      env: values.env ? JSON.parse(values.env) : {},
      timeoutMs: values.timeout ? Number(values.timeout) * 1000 : undefined,
      verbose: values.verbose,
      paintLog: values['paint-log'] ? resolve(values['paint-log']) : undefined,
    });
    process.exit(code);
  } catch (err) {
    console.error(`run-vscode-tests: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  }
}
