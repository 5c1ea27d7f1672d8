// Bundles the webview pages (browser code under media/) with esbuild. Called from scripts/build.mjs;
// also runnable on its own: node scripts/build-webviews.mjs [--production]
import * as esbuild from 'esbuild';
import { rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Page entry → bundle name in the output folder (dist/webviews by default). */
export const WEBVIEWS = [
  { entry: 'media/response/main.ts', out: 'response.js' },
  { entry: 'media/history/main.ts', out: 'history.js' },
  { entry: 'media/compare/main.ts', out: 'compare.js' },
  { entry: 'media/matrix/main.ts', out: 'matrix.js' },
];

/**
 * @param {{ production?: boolean, outdir?: string }} [options] outdir: tests bundle into a folder of their own.
 */
export async function buildWebviews({ production = false, outdir = join(root, 'dist', 'webviews') } = {}) {
  // A production build writes no source map: drop one left by an earlier development build.
  if (production) await Promise.all(WEBVIEWS.map((w) => rm(join(outdir, `${w.out}.map`), { force: true })));
  await Promise.all(
    WEBVIEWS.map((w) =>
      esbuild.build({
        absWorkingDir: root,
        entryPoints: [join(root, w.entry)],
        outfile: join(outdir, w.out),
        bundle: true,
        platform: 'browser',
        format: 'iife',
        target: 'es2020',
        minify: production,
        sourcemap: production ? false : 'linked',
        legalComments: 'none',
        logLevel: 'warning',
      }),
    ),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  buildWebviews({ production: process.argv.includes('--production') }).catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
