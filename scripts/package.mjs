// `npm run package`: a production build and `vsce package` → behalf-<version>.vsix in the repository root.
//
//   node scripts/package.mjs [--out <file.vsix>]
//
// The production bundles are built into a staging folder together with copies of the manifest, README,
// LICENSE, media/ and schemas/, and vsce packs that folder. So packaging never rewrites dist/, the development
// build (with source maps) that `npm run build`, the integration tests and other runs on the same checkout use.
// What goes into the .vsix is still decided by .vscodeignore.
//
// vsce runs non-interactively: --no-dependencies (everything is bundled by esbuild; no node_modules in the
// package), --allow-missing-repository (the manifest names no public repository) and
// --no-rewrite-relative-links (README's images stay relative: docs/images ships in the package).
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** What the staging folder gets from the repository (.vscodeignore then filters it). */
const STAGED = ['package.json', 'README.md', 'LICENSE', '.vscodeignore', 'media', 'schemas', 'docs/images'];

/** behalf-<version>.vsix in the repository root: what `npm run package` writes. */
export function defaultVsixPath() {
  const { name, version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  return join(ROOT, `${name}-${version}.vsix`);
}

/**
 * Builds the extension for production and packs it with vsce.
 * @param {{ out?: string, log?: (line: string) => void, quiet?: boolean }} [options] out: the .vsix to write
 *   (default behalf-<version>.vsix in the repository root); quiet: keep vsce's output unless it fails
 * @returns {Promise<{ vsix: string, bytes: number, seconds: number }>}
 */
export async function packageExtension({ out = defaultVsixPath(), log = (line) => console.log(`package: ${line}`), quiet = false } = {}) {
  const started = Date.now();
  out = resolve(out);
  const stage = mkdtempSync(join(tmpdir(), 'behalf-package-'));
  try {
    for (const item of STAGED) {
      if (existsSync(join(ROOT, item))) cpSync(join(ROOT, item), join(stage, item), { recursive: true });
    }
    run([process.execPath, join(ROOT, 'scripts', 'build.mjs'), '--production', '--outdir', join(stage, 'dist')], { cwd: ROOT, quiet });
    const vsce = join(dirname(createRequire(import.meta.url).resolve('@vscode/vsce/package.json')), 'vsce');
    rmSync(out, { force: true });
    run([process.execPath, vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--no-rewrite-relative-links', '--out', out], {
      cwd: stage,
      quiet,
    });
    const bytes = statSync(out).size;
    const seconds = (Date.now() - started) / 1000;
    log(`${relative(process.cwd(), out) || out}: ${(bytes / 1024).toFixed(0)} KiB, in ${seconds.toFixed(1)}s`);
    return { vsix: out, bytes, seconds };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

function run([cmd, ...args], { cwd, quiet }) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', stdio: quiet ? 'pipe' : 'inherit' });
  if (r.error) throw r.error;
  if (r.status !== 0)
    throw new Error(
      `${relative(ROOT, args[0] ?? cmd)} ${args.slice(1).join(' ')} failed (exit ${r.status ?? r.signal})${quiet ? `:\n${r.stdout}${r.stderr}` : ''}`,
    );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  try {
    await packageExtension({ out: values.out });
  } catch (err) {
    console.error(`package: ${err instanceof Error ? err.message : err}`);
    process.exitCode = 1;
  }
}
