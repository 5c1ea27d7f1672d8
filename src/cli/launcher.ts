// dist/cli.js: starts the CLI (dist/cli-main.js) from a V8 code cache kept in the user's cache folder, so that a
// run does not compile the whole bundle again. Compiling it was the largest single cost of a run's start-up. Node
// 22.1+ has module.enableCompileCache for this; Node 20 does not, so the bundle is compiled here as a vm.Script with
// cached data, which V8 checks (its version, flags and the source) and refuses when it does not fit.
//
// The data is made when the run ends, not when the bundle is compiled: it then holds the functions the run
// compiled on first call too (most of what a run uses), not only the code compiled eagerly. Those differ by
// command, so each command has its own cache (`send`, `matrix`, …).
//
// It also sets two of V8's flags for a short run (tuneV8ForAShortRun, below), before compiling.
//
// The cache is an optimisation only: a cache that cannot be read, written or used never changes what a run does
// or prints. NODE_DISABLE_COMPILE_CACHE=1 turns it off and NODE_COMPILE_CACHE=<dir> moves it (Node's own
// variables for its compile cache); NODE_DEBUG=behalf says on stderr what happened to it.
// Only a few small built-ins are used here (start-up is what this file is for), and node:http, which nearly every
// run needs, loaded before the flags change (loadCommonBuiltins).

import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import * as util from 'node:util';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

/** sha-256 of dist/cli-main.js, written in by scripts/build.mjs: a new build never meets an old cache. */
declare const BEHALF_CLI_MAIN_DIGEST: string;

const debugging = /(^|[\s,])behalf($|[\s,])/i.test(process.env.NODE_DEBUG ?? '');
const debug = (message: string) => {
  if (debugging) process.stderr.write(`BEHALF ${process.pid}: ${message}\n`);
};

/** Where the user's caches go, by platform convention; NODE_COMPILE_CACHE wins. */
function cacheFolder(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.NODE_COMPILE_CACHE) return path.join(env.NODE_COMPILE_CACHE, 'behalf');
  if (platform === 'win32') return path.join(env.LOCALAPPDATA || path.join(os.homedir(), 'AppData', 'Local'), 'behalf', 'Cache');
  if (platform === 'darwin') return path.join(os.homedir(), 'Library', 'Caches', 'behalf');
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'behalf');
}

/** How much bytecode a function runs before V8 considers optimising it: V8's default is 66 KB (67,584). */
const SHORT_RUN_INTERRUPT_BUDGET = 400_000;

/**
 * `--save`: a download streamed to a file is one long hot loop, which the optimising compiler should take early
 * (a 500 MB download was 6 % slower with the later start); it is not the many short requests the later start is for.
 */
function savesToFile(): boolean {
  return process.argv.slice(2).some((a) => a === '--save' || a.startsWith('--save='));
}

/**
 * V8's defaults suit a long-running process; a CLI run is short, and on it two of them cost more than they win.
 * - The young generation doubles when many young objects survive: in a CLI run that is only fresh memory (a 10 MB
 *   .http file made the run's peak RSS 78 MB instead of 71, and it was no faster).
 * - The optimising compiler (TurboFan) starts on functions that have run ~66 KB of bytecode; for a run of a few
 *   hundred requests most of what it compiles is never used long enough to pay for the compiling, which runs on a
 *   second thread next to the run and takes memory (500 GETs: 12 MB of peak RSS). Starting it later keeps it for
 *   what is really hot: a long run still gets its loops optimised.
 * The later start is not for --save (savesToFile). Neither is set when the user sets it (NODE_OPTIONS or node's own
 * flags), and only on the V8 versions known to have both flags (Node 20 to 24), so that no other V8 complains of an
 * unknown flag.
 */
function tuneV8ForAShortRun(): string[] {
  const v8Major = Number.parseInt(process.versions.v8, 10);
  if (v8Major < 11 || v8Major > 13) {
    debug(`V8 ${process.versions.v8}: its flags left as they are`);
    return [];
  }
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ''].join(' ');
  const flags = [
    /semi[-_]space/.test(given) ? undefined : '--semi-space-growth-factor=1',
    /interrupt[-_]budget|--(no-)?(opt|turbofan)\b/.test(given) || savesToFile() ? undefined : `--interrupt-budget=${SHORT_RUN_INTERRUPT_BUDGET}`,
  ].filter((f) => f !== undefined);
  for (const flag of flags) v8.setFlagsFromString(flag);
  debug(`V8 flags for a short run: ${flags.join(' ') || 'none (the user sets them)'}`);
  return flags;
}

/** The command a run is for (its cache's name): `send`, `matrix`, …; `other` for options alone or anything odd. */
function commandOf(argv: string[] = process.argv): string {
  const first = argv[2] ?? '';
  return /^[a-z][a-z-]{0,31}$/.test(first) ? first : 'other';
}

/**
 * Loads the built-ins nearly every run uses while V8's flags are still Node's own. Node loads its built-ins from a
 * code cache in its binary, which V8 refuses once any flag has changed: loaded after tuneV8ForAShortRun, node:http
 * and what it needs were compiled from source, 3× slower (8 ms of a `send`). What a run may not need (https, zlib,
 * crypto) is still loaded when it is.
 */
function loadCommonBuiltins(): void {
  // Each read loads what it names (util.parseArgs is loaded on first read, the std streams are made on it); a
  // condition, so that the bundler keeps the reads.
  if (typeof http.request !== 'function' || typeof util.parseArgs !== 'function' || !process.stdout || !process.stderr) debug('a built-in is missing');
}

function launch(): void {
  loadCommonBuiltins();
  // Before compiling: V8's flags are part of what a code cache must match.
  const flags = tuneV8ForAShortRun();
  const file = path.join(__dirname, 'cli-main.js');
  const fd = fs.openSync(file, 'r');
  let source: string;
  let stat: fs.Stats;
  try {
    stat = fs.fstatSync(fd);
    source = fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
  const off = process.env.NODE_DISABLE_COMPILE_CACHE;
  // The build's digest, and the file's size and time: a bundle edited by hand after the build gets its own entry.
  const build = `cli-${BEHALF_CLI_MAIN_DIGEST.slice(0, 16)}-${stat.size}-${Math.trunc(stat.mtimeMs)}-${process.version}-${process.arch}-`;
  // V8 refuses a cache made under other flags: a `send --save` (default budget) and a plain `send` keep one each,
  // rather than each replacing the other's.
  const tag = flags.length === 2 ? '' : `-v8${flags.map((f) => f.replace(/^--|[^a-z]/g, '').slice(0, 4)).join('') || 'own'}`;
  const cacheFile = off && off !== '0' ? undefined : path.join(cacheFolder(), `${build}${commandOf()}${tag}.cache`);
  let cachedData: Buffer | undefined;
  if (cacheFile) {
    try {
      cachedData = fs.readFileSync(cacheFile);
    } catch (e) {
      debug(`compile cache: none yet (${(e as NodeJS.ErrnoException).code ?? String(e)}) at ${cacheFile}`);
    }
  } else debug('compile cache: off (NODE_DISABLE_COMPILE_CACHE)');

  // Compiled as Node compiles a CommonJS module: a function of its five parameters. The bundle has no import()
  // (built with it turned into require), so the script needs no dynamic-import loader.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  if (cacheFile && cachedData && script.cachedDataRejected) {
    fs.rmSync(cacheFile, { force: true });
    debug(`compile cache: refused by V8 (other Node flags): removed ${cacheFile}`);
  } else if (cachedData) debug('compile cache: used');
  // At the end of the run, with what the run compiled: 'exit' runs however the CLI ends (its own process.exit too).
  if (cacheFile && (!cachedData || script.cachedDataRejected)) process.once('exit', () => writeCache(cacheFile, build, () => script.createCachedData()));
  const main = script.runInThisContext() as (...args: unknown[]) => void;
  main.call(module.exports, module.exports, require, module, file, __dirname);
}

function writeCache(cacheFile: string, build: string, make: () => Buffer): void {
  const temp = `${cacheFile}.${process.pid}.tmp`;
  try {
    const data = make();
    if (data.length === 0) throw new Error('V8 made no cached data');
    fs.mkdirSync(path.dirname(cacheFile), { recursive: true, mode: 0o700 });
    fs.writeFileSync(temp, data, { mode: 0o600 });
    // Renamed into place: a run starting meanwhile reads the old file or the whole new one, never half of it.
    fs.renameSync(temp, cacheFile);
    debug(`compile cache: written to ${cacheFile}`);
    pruneOthers(path.dirname(cacheFile), build);
  } catch (e) {
    try {
      fs.rmSync(temp, { force: true });
    } catch {
      // No folder, so no temporary file either.
    }
    debug(`compile cache: not written (${(e as NodeJS.ErrnoException).code ?? String(e)}) to ${cacheFile}`);
  }
}

/**
 * Caches of other builds that nobody wrote for a fortnight: one set per build would otherwise pile up. This
 * build's caches (every command's) stay: a cache that fits is read, never written again, so its age says nothing.
 */
function pruneOthers(folder: string, build: string): void {
  const old = Date.now() - 14 * 24 * 3600 * 1000;
  for (const name of fs.readdirSync(folder)) {
    if (name.startsWith(build) || !/^cli-.*\.cache$/.test(name)) continue;
    const file = path.join(folder, name);
    try {
      if (fs.statSync(file).mtimeMs < old) fs.rmSync(file, { force: true });
    } catch {
      // Another run pruned it first.
    }
  }
}

launch();
