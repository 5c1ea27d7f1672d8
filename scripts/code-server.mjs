// Starts code-server (VS Code server + browser workbench) and headless Chromium for tests on a headless box.
// Shared by scripts/run-vscode-tests.mjs (mocha in the extension host) and scripts/ui.mjs (Playwright UI tests).
// The tools come from scripts/tools.mjs (call ensureTools() first).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { chromiumPath, codeServerBin, isProcessAlive, loadPlaywright, node24Path, toolsDir } from './tools.mjs';

/** Chromium flags for a sandbox-less, offline, headless box (no GPU, no Google services to call home to). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Starts code-server on a free port of 127.0.0.1 and waits until it answers /healthz.
 *
 * @param {object} [options]
 * @param {boolean} [options.smokeTestDriver] start with `--vscode-option enable-smoke-test-driver`: needed for
 *   the `payload` URL parameter (extensionTestsPath...) to be honoured; it also hides notification toasts.
 * @param {string} [options.extensionsDir] defaults to a fresh temp folder
 * @param {string} [options.userDataDir] defaults to a fresh temp folder
 * @param {Record<string, string>} [options.env] extra environment for the server (and so the extension host)
 * @param {string[]} [options.installExtensions] .vsix files or extension folders to install before starting
 * @param {Record<string, unknown>} [options.settings] user settings (written to <user-data>/User/settings.json)
 * @param {(line: string) => void} [options.onOutput] receives the server's stdout/stderr lines
 * @param {number} [options.port] the port to use if it is free (e.g. `npm run demo`'s 8080); else, and by
 *   default, any free port
 * @returns {Promise<{ url: string, port: number, pid: number, tempDir: string, scratchDir: string,
 *   exited: Promise<{ code: number | null, signal: string | null }>, stop: () => Promise<void> }>}
 *   `exited` settles if the server ends (by itself or through stop()); stop() resolves once no process is left
 *   and the temp folder is removed. `scratchDir` is an empty folder inside it, e.g. to open as the workspace.
 */
export async function startCodeServer({
  smokeTestDriver = false,
  extensionsDir,
  userDataDir,
  env = {},
  installExtensions = [],
  settings,
  onOutput,
  port: preferredPort,
} = {}) {
  const tempDir = mkdtempSync(join(tmpdir(), 'behalf-code-server-'));
  try {
    extensionsDir ??= join(tempDir, 'extensions');
    userDataDir ??= join(tempDir, 'user-data');
    const scratchDir = join(tempDir, 'scratch');
    for (const dir of [extensionsDir, userDataDir, scratchDir]) mkdirSync(dir, { recursive: true });
    if (settings) {
      mkdirSync(join(userDataDir, 'User'), { recursive: true });
      writeFileSync(join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
    }
    // Without XDG_CONFIG_HOME, code-server writes ~/.config/code-server/config.yaml on every start.
    const serverEnv = { ...process.env, XDG_CONFIG_HOME: join(tempDir, 'xdg-config'), ...env };
    const dirArgs = ['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
    for (const ext of installExtensions) installExtension(ext, { extensionsDir, dirArgs, env: serverEnv });
    const flags = [
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      ...dirArgs,
      ...(smokeTestDriver ? ['--vscode-option', 'enable-smoke-test-driver'] : []),
    ];

    // The free port is only free until someone else takes it: with parallel runs, try again on a new one.
    for (let attempt = 1; ; attempt++) {
      // Checked before starting: a taken port may belong to another code-server that would answer /healthz.
      const port = attempt === 1 && preferredPort && (await isPortFree(preferredPort)) ? preferredPort : await freePort();
      const server = spawnServer([...flags, '--bind-addr', `127.0.0.1:${port}`], serverEnv, onOutput);
      const url = `http://127.0.0.1:${port}`;
      let stopped;
      const stop = () => (stopped ??= stopProcessTree(server.pid, server.exited).finally(() => rmSync(tempDir, { recursive: true, force: true })));
      try {
        await waitForHealthz(url, server);
        return { url, port, pid: server.pid, tempDir, scratchDir, exited: server.exited, stop };
      } catch (err) {
        await stopProcessTree(server.pid, server.exited);
        if (attempt < 3 && server.output.some((line) => line.includes('EADDRINUSE'))) continue;
        throw err;
      }
    }
  } catch (err) {
    rmSync(tempDir, { recursive: true, force: true });
    throw err;
  }
}

function spawnServer(flags, env, onOutput) {
  // detached: its own process group, so that stop() reaches the server and every child (extension host,
  // file watcher, pty host) at once.
  const child = spawn(node24Path(), [codeServerBin(), ...flags], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = []; // the last lines, for error messages
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      for (const line of chunk.split('\n').filter(Boolean)) {
        output.push(line);
        if (output.length > 200) output.shift();
        onOutput?.(line);
      }
    });
  }
  return { pid: child.pid, exited, output };
}

/**
 * Installs a .vsix with code-server's CLI, or copies an extension folder into the extensions dir as
 * `<publisher>.<name>-<version>` (what an installed extension looks like; there is no vsce here to pack one).
 */
function installExtension(source, { extensionsDir, dirArgs, env }) {
  if (source.endsWith('.vsix')) {
    const r = spawnSync(node24Path(), [codeServerBin(), ...dirArgs, '--install-extension', source], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`installing ${source} failed:\n${r.stdout}${r.stderr}`);
    return;
  }
  const manifest = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8'));
  const target = join(extensionsDir, `${manifest.publisher}.${manifest.name}-${manifest.version}`.toLowerCase());
  // Leave out what an installed extension never carries and what can be huge.
  const skip = new Set(['.git', 'node_modules', '.vscode-test', 'test-results']);
  cpSync(source, target, { recursive: true, filter: (src) => !skip.has(basename(src)) || src === source });
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Whether nothing listens on 127.0.0.1:<port> now. */
async function isPortFree(port) {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function waitForHealthz(url, { exited, output }, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let exit;
  void exited.then((e) => (exit = e));
  while (Date.now() < deadline) {
    if (exit) throw new Error(`code-server exited (${exit.code ?? exit.signal}) before it was ready:\n${output.join('\n')}`);
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`code-server did not answer ${url}/healthz within ${timeoutMs / 1000}s:\n${output.join('\n')}`);
}

/**
 * Stops a detached process and everything it started: SIGTERM to its process group and to every descendant
 * (some, like terminals, start their own session), then SIGKILL whatever is still there after 5 s.
 * Resolves once none of them is left.
 */
async function stopProcessTree(pid, exited) {
  const pids = new Set([pid, ...descendants(pid)]);
  signalAll(pid, pids, 'SIGTERM');
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && [...pids].some(isProcessAlive)) await sleep(100);
  if ([...pids].some(isProcessAlive)) {
    for (const p of descendants(pid)) pids.add(p);
    signalAll(pid, pids, 'SIGKILL');
    while ([...pids].some(isProcessAlive)) await sleep(50);
  }
  await exited;
}

function signalAll(groupId, pids, signal) {
  try {
    process.kill(-groupId, signal);
  } catch {
    // group already gone
  }
  for (const p of pids) {
    try {
      process.kill(p, signal);
    } catch {
      // already gone
    }
  }
}

/** Descendants of a process, from /proc (Linux). */
export function descendants(root) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // Field 4 is the parent pid; field 2 (the name) may contain spaces, so parse after its closing ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(entry));
  }
  const found = [];
  const queue = [root];
  while (queue.length) {
    for (const child of children.get(queue.shift()) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Launches Debian's Chromium through playwright-core (never `playwright install`: no CDN access here).
 * @param {object} [options] playwright's LaunchOptions; `args` are added to CHROMIUM_ARGS
 */
export async function launchChromium({ args = [], ...options } = {}) {
  const { chromium } = loadPlaywright();
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Chromium's crash handler keeps its database under $XDG_CONFIG_HOME/chromium: not in the user's ~/.config.
    env: { ...process.env, XDG_CONFIG_HOME: join(toolsDir(), 'chromium-config') },
    ...options,
    args: [...CHROMIUM_ARGS, ...args],
  });
}
