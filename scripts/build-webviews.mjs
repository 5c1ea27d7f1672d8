// Bundles the webview pages (browser code under media/) with esbuild. Called from scripts/build.mjs;
// also runnable on its own: node scripts/build-webviews.mjs [--production]
import * as esbuild from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Page entry → bundle name in the output folder (dist/webviews by default), and its stylesheet → one CSS bundle
 * (its @import of media/shared/base.css resolved): a page inlines both (src/extension/webviewShell.ts), so it
 * loads no resource through the webview's service worker.
 */
export const WEBVIEWS = [
  { entry: 'media/response/main.ts', out: 'response.js', style: 'media/response/response.css', styleOut: 'response.css' },
  { entry: 'media/history/main.ts', out: 'history.js', style: 'media/history/history.css', styleOut: 'history.css' },
  { entry: 'media/compare/main.ts', out: 'compare.js', style: 'media/compare/compare.css', styleOut: 'compare.css' },
  { entry: 'media/matrix/main.ts', out: 'matrix.js', style: 'media/matrix/matrix.css', styleOut: 'matrix.css' },
];

/** Text that would end an inline <script> or <style> early (esbuild escapes it in strings; checked anyway). */
const CLOSES_INLINE = /<\/(script|style)/i;

/**
 * @param {{ production?: boolean, outdir?: string }} [options] outdir: tests bundle into a folder of their own.
 */
export async function buildWebviews({ production = false, outdir = join(root, 'dist', 'webviews') } = {}) {
  // A production build writes no source map: drop one left by an earlier development build.
  if (production) await Promise.all(WEBVIEWS.map((w) => rm(join(outdir, `${w.out}.map`), { force: true })));
  const common = { absWorkingDir: root, bundle: true, minify: production, legalComments: 'none', logLevel: 'warning' };
  await Promise.all([
    ...WEBVIEWS.map((w) =>
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
    // No source map: the page gets the CSS as text, and the sources are plain CSS anyway.
    ...WEBVIEWS.map((w) => esbuild.build({ ...common, entryPoints: [join(root, w.style)], outfile: join(outdir, w.styleOut), loader: { '.css': 'css' } })),
  ]);
  for (const file of WEBVIEWS.flatMap((w) => [w.out, w.styleOut])) {
    const text = await readFile(join(outdir, file), 'utf8');
    if (CLOSES_INLINE.test(text)) throw new Error(`dist/webviews/${file} contains "${CLOSES_INLINE.exec(text)?.[0]}": it cannot be inlined in the page's HTML`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  buildWebviews({ production: process.argv.includes('--production') }).catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
