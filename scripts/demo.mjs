// `npm run demo`: Behalf in a real VS Code in your browser, with the vendor sandbox and a sample workspace.
//
//   node scripts/demo.mjs [--port 8080]
//
// 1. installs the tools if missing (scripts/tools.mjs: Chromium, Node 24, code-server; ~3 min the first time),
// 2. builds and packages the extension (scripts/package.mjs → behalf-<version>.vsix),
// 3. copies demo/workspace to a temp folder for this run (the repository stays clean),
// 4. starts code-server on 127.0.0.1 (port 8080 if free, else any free port) with Behalf installed from the
//    .vsix, and prints the URL to open.
// When the workspace opens in the browser, Behalf starts its vendor sandbox by itself: the workspace's
// .vscode/settings.json sets `behalf.startSandboxOnOpen`, so the extension runs "Start the Vendor Sandbox" on
// activation — the sandbox's connections go into behalf.connections.json and its test secrets into VS Code's
// secret storage, exactly as when a user clicks that button. The sandbox is a child of the extension host.
// Ctrl+C stops code-server and everything under it (extension host, sandbox), removes the temp folders, and
// checks that no process is left.
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { descendants, startCodeServer } from './code-server.mjs';
import { packageExtension } from './package.mjs';
import { isProcessAlive, ensureTools } from './tools.mjs';
import { QUIET_SETTINGS } from './ui.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DEMO_WORKSPACE = join(ROOT, 'demo', 'workspace');
export const DEFAULT_PORT = 8080;

/**
 * Starts the demo and returns once code-server answers (the sandbox starts when a browser opens `url`).
 *
 * @param {object} [options]
 * @param {number} [options.port] preferred port (default 8080); any free port when it is taken
 * @param {string} [options.vsix] an already packaged .vsix; by default the extension is built and packaged
 * @param {(line: string) => void} [options.log]
 * @returns {Promise<{ url: string, workspace: string, vsix: string, serverPid: number,
 *   processes: () => Array<{ pid: number, command: string }>, stop: () => Promise<void> }>}
 *   processes(): code-server and everything it started (extension host, sandbox…), for checks; stop() resolves
 *   once none of them is left and the temp folders are gone.
 */
export async function startDemo({ port = DEFAULT_PORT, vsix, log = (line) => console.log(`demo: ${line}`) } = {}) {
  await ensureTools({ quiet: true, log });
  if (!vsix) {
    log('building and packaging the extension…');
    vsix = (await packageExtension({ quiet: true, log })).vsix;
  }
  const runDir = mkdtempSync(join(tmpdir(), 'behalf-demo-'));
  const workspace = join(runDir, 'workspace');
  let server;
  try {
    cpSync(DEMO_WORKSPACE, workspace, { recursive: true, filter: (src) => !src.endsWith('behalf.connections.json') });
    server = await startCodeServer({ installExtensions: [resolve(vsix)], settings: QUIET_SETTINGS, port });
  } catch (err) {
    rmSync(runDir, { recursive: true, force: true });
    throw err;
  }
  // Slashes left as they are: a URL that reads like the path it opens.
  const url = `${server.url}/?folder=${workspace.split('/').map(encodeURIComponent).join('/')}`;
  // Everything of this run: the server's process tree while the server runs (once it has exited, its pid may
  // be another process's), and whatever names this run's folders (a sandbox whose extension host died is no
  // longer a descendant, but its command line holds the extensions folder).
  let serverExited = false;
  void server.exited.then(() => (serverExited = true));
  const ours = () => pidsMentioning([server.tempDir, runDir]);
  const processes = () => {
    const pids = new Set([...(serverExited ? [] : [server.pid, ...descendants(server.pid)]), ...ours()]);
    return [...pids].filter(isProcessAlive).map((pid) => ({ pid, command: commandLine(pid) }));
  };
  let stopped;
  const stop = () =>
    (stopped ??= (async () => {
      const before = processes();
      await server.stop();
      // Belt and braces: whatever of this run outlived its server is ended too.
      for (const pid of ours()) signal(pid, 'SIGKILL');
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && before.some((p) => isProcessAlive(p.pid))) await new Promise((r) => setTimeout(r, 100));
      rmSync(runDir, { recursive: true, force: true });
      const left = before.filter((p) => isProcessAlive(p.pid));
      if (left.length) throw new Error(`processes left after stopping: ${left.map((p) => `${p.pid} ${p.command}`).join('; ')}`);
    })());
  return { url, workspace, vsix, serverPid: server.pid, processes, stop };
}

function pidsMentioning(markers) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const command = commandLine(Number(entry));
    if (markers.some((m) => command.includes(m))) pids.push(Number(entry));
  }
  return pids;
}

function commandLine(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

function signal(pid, name) {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { port: { type: 'string' } } });
  const started = Date.now();
  let demo;
  let stopRequested;
  const stopAndExit = async () => {
    console.log('\ndemo: stopping VS Code and the sandbox…');
    try {
      await demo?.stop();
      console.log('demo: stopped; no process left.');
      process.exit(0);
    } catch (err) {
      console.error(`demo: ${err instanceof Error ? err.message : err}`);
      process.exit(1);
    }
  };
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(name, () => {
      // Before the demo is up, the start finishes first (then stops): code-server may be starting.
      if (!stopRequested && demo) void stopAndExit();
      stopRequested = true;
    });
  }
  try {
    demo = await startDemo({ port: values.port ? Number(values.port) : DEFAULT_PORT });
  } catch (err) {
    console.error(`demo: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  }
  if (stopRequested) {
    await stopAndExit();
  } else {
    console.log(
      [
        '',
        `Behalf demo is ready (${((Date.now() - started) / 1000).toFixed(0)} s). Open in your browser:`,
        '',
        `  ${demo.url}`,
        '',
        'VS Code opens the sample workspace (a fresh copy for this run). Behalf then starts its vendor sandbox',
        '(local doubles of DealCloud, Orange Logic and Creative Force) and writes ready connections: open the',
        'Behalf view in the activity bar and dealcloud.http, and follow README.md there.',
        '',
        'Press Ctrl+C to stop.',
      ].join('\n'),
    );
  }
}
