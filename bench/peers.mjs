// The tools Behalf is compared against, installed with npm into a cache folder of their own — never into
// this package's dependencies. Each peer gets its own folder (an `npm install` in a shared folder prunes what
// it did not install itself) and a marker file recording the version that finished installing, so only the
// first run pays; a missing marker (interrupted install) or another version means wipe and install again.
//
//   node bench/peers.mjs ensure      install what is missing
//   node bench/peers.mjs paths       print where each peer's entry script is
//
// Cache folder: BEHALF_BENCH_DIR, default ~/.cache/behalf-bench.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Pinned versions (the issue names httpyac 6.16.x and newman 6.2.x: the newest patch of each). */
export const PEERS = {
  httpyac: { pkg: 'httpyac', version: '6.16.7', entry: ['bin', 'httpyac.js'] },
  newman: { pkg: 'newman', version: '6.2.2', entry: ['bin', 'newman.js'] },
};

const MARKER = '.behalf-bench-peer.json';

export function benchDir() {
  return resolve(process.env.BEHALF_BENCH_DIR || join(homedir(), '.cache', 'behalf-bench'));
}

function peerDir(name) {
  return join(benchDir(), name);
}

/** The script to run with `node` (no npx or shell wrapper: one process to time and measure). */
export function peerEntry(name) {
  const peer = PEERS[name];
  return join(peerDir(name), 'node_modules', peer.pkg, ...peer.entry);
}

export function peerInstalled(name) {
  const peer = PEERS[name];
  const marker = readJson(join(peerDir(name), MARKER));
  const installed = readJson(join(peerDir(name), 'node_modules', peer.pkg, 'package.json'));
  return marker?.version === peer.version && installed?.version === peer.version && existsSync(peerEntry(name));
}

/** Installs the peers that are missing; returns { name: version } of what is there afterwards. */
export function ensurePeers({ names = Object.keys(PEERS), log = (line) => console.error(`bench: ${line}`) } = {}) {
  const out = {};
  for (const name of names) {
    const peer = PEERS[name];
    if (!peerInstalled(name)) {
      const dir = peerDir(name);
      const started = Date.now();
      log(`installing ${peer.pkg}@${peer.version} into ${dir} (first run only)`);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `behalf-bench-${name}`, private: true }, null, 2));
      // Without the npm_* variables an enclosing `npm run bench` exports (they would point npm at this project).
      const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
      const r = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--save-exact', '--omit=dev', `${peer.pkg}@${peer.version}`], {
        cwd: dir,
        env,
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      if (r.error) throw r.error;
      if (r.status !== 0) throw new Error(`npm install ${peer.pkg}@${peer.version} failed (exit ${r.status ?? r.signal})`);
      if (!existsSync(peerEntry(name))) throw new Error(`${peer.pkg} installed but ${peerEntry(name)} is missing`);
      writeFileSync(join(dir, MARKER), JSON.stringify({ pkg: peer.pkg, version: peer.version, installedAt: new Date().toISOString() }, null, 2));
      log(`${peer.pkg}@${peer.version} installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
    out[name] = peer.version;
  }
  return out;
}

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const command = process.argv[2];
  if (command === 'ensure') ensurePeers();
  else if (command === 'paths') console.log(JSON.stringify(Object.fromEntries(Object.keys(PEERS).map((n) => [n, peerEntry(n)])), null, 2));
  else {
    console.error('usage: node bench/peers.mjs ensure|paths');
    process.exitCode = 2;
  }
}
