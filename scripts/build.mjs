// Bundles the extension, the CLI, the sandbox and the webviews with esbuild.
import * as esbuild from 'esbuild';
import { chmod } from 'node:fs/promises';
import { leanAxios } from './esbuild-lean.mjs';

const production = process.argv.includes('--production');
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
  // jsonc-parser's default (UMD) entry breaks when bundled; its ESM build does not.
  mainFields: ['module', 'main'],
  plugins: [leanAxios],
};

const entries = [
  // 'vscode' is provided by the editor at run time.
  { entryPoints: ['src/extension/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] },
  { entryPoints: ['src/cli/bin.ts'], outfile: 'dist/cli.js', banner: { js: '#!/usr/bin/env node' } },
  { entryPoints: ['src/sandbox/main.ts'], outfile: 'dist/sandbox.js', banner: { js: '#!/usr/bin/env node' } },
];

await Promise.all(entries.map((e) => esbuild.build({ ...common, ...e })));
await chmod('dist/cli.js', 0o755);
await chmod('dist/sandbox.js', 0o755);
await (await import('./build-webviews.mjs')).buildWebviews({ production });
