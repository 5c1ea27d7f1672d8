// Bundles the extension, the CLI, the sandbox and the webviews with esbuild.
import * as esbuild from 'esbuild';
import { createHash } from 'node:crypto';
import { chmod, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ajvStandalone } from './esbuild-ajv-standalone.mjs';
import { buildWithLazyChunk } from './esbuild-lazy-chunk.mjs';

// --outdir: bundle somewhere else than dist/ (scripts/package.mjs builds the .vsix contents in a staging folder,
// so that packaging never rewrites the development build other runs are using).
const { values: args } = parseArgs({ options: { production: { type: 'boolean', default: false }, outdir: { type: 'string', default: 'dist' } } });
const production = args.production;
const outdir = resolve(args.outdir);
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
  plugins: [ajvStandalone(), silentDebug(), lazyModules()],
};

/**
 * Modules that bundles carry as files of their own, required on first use: src/core/http/requestVariables.ts
 * requires './xpathQuery' only when an XPath is read (xpath and @xmldom/xmldom, ~170 KB minified), and
 * src/core/transport.ts requires './proxyAgents' only for a request through a proxy (the proxy agents, ~12 KB).
 * Those requires stay requires of dist/xpathQuery.js and dist/proxyAgents.js (entries below), so the CLI and the
 * extension load none of it until then.
 */
const LAZY_MODULES = { './xpathQuery': 'requestVariables.ts', './proxyAgents': 'transport.ts' };
function lazyModules() {
  return {
    name: 'lazy-modules',
    setup(build) {
      build.onResolve({ filter: /^\.\/\w+$/ }, (args) => {
        const importer = LAZY_MODULES[args.path];
        return importer && args.importer.endsWith(importer) ? { path: `${args.path}.js`, external: true } : undefined;
      });
    },
  };
}

/**
 * The proxy agents log through the `debug` package (with supports-color and ms, ~10 KB minified), enabled only by a
 * DEBUG environment variable nobody sets for Behalf. Bundles get a no-op logger instead; Behalf's own --verbose says
 * which proxy each request used.
 */
function silentDebug() {
  return {
    name: 'silent-debug',
    setup(build) {
      build.onResolve({ filter: /^debug$/ }, () => ({ path: 'debug', namespace: 'silent-debug' }));
      build.onLoad({ filter: /.*/, namespace: 'silent-debug' }, () => ({
        loader: 'js',
        contents:
          'const off = Object.assign(() => {}, { enabled: false, extend: () => off }); module.exports = Object.assign(() => off, { default: () => off });',
      }));
    },
  };
}

const entries = [
  // 'vscode' is provided by the editor at run time. The extension is two files: a shell that activates at
  // once (extension.js) and the rest, which the shell requires on first need (extension-main.js).
  { entryPoints: ['src/extension/extension.ts'], outfile: join(outdir, 'extension.js'), external: ['vscode'] },
  // The CLI is two files: dist/cli.js (src/cli/launcher.ts, built below) compiles dist/cli-main.js with a V8 code
  // cache. The code-cached script has no dynamic-import loader, so import() becomes require here.
  { entryPoints: ['src/cli/bin.ts'], outfile: join(outdir, 'cli-main.js'), supported: { 'dynamic-import': false } },
  { entryPoints: ['src/sandbox/main.ts'], outfile: join(outdir, 'sandbox.js'), banner: { js: '#!/usr/bin/env node' } },
  { entryPoints: ['src/core/http/xpathQuery.ts'], outfile: join(outdir, 'xpathQuery.js') },
  { entryPoints: ['src/core/proxyAgents.ts'], outfile: join(outdir, 'proxyAgents.js') },
];

// The connections schema first: the bundles' validator is compiled from it (esbuild-ajv-standalone).
await (await import('./build-schema.mjs')).buildSchema();
// extension-main.js requires the commands few sessions use (src/extension/extras.ts) as a chunk of its own,
// extension-extras.js, on first need; no module is in both (scripts/esbuild-lazy-chunk.mjs).
const extensionMain = {
  main: { entryPoints: ['src/extension/main.ts'], outfile: join(outdir, 'extension-main.js'), external: ['vscode'] },
  chunk: { entry: 'src/extension/extras.ts', importer: 'src/extension/main.ts', request: './extras', outfile: join(outdir, 'extension-extras.js') },
};
await Promise.all([...entries.map((e) => esbuild.build({ ...common, ...e })), buildWithLazyChunk(esbuild, common, extensionMain)]);
// The launcher carries the digest of the bundle it starts, so that a new build never uses an old build's cache.
const cliDigest = createHash('sha256')
  .update(await readFile(join(outdir, 'cli-main.js')))
  .digest('hex');
await esbuild.build({
  ...common,
  entryPoints: ['src/cli/launcher.ts'],
  outfile: join(outdir, 'cli.js'),
  banner: { js: '#!/usr/bin/env node' },
  define: { BEHALF_CLI_MAIN_DIGEST: JSON.stringify(cliDigest) },
});
await chmod(join(outdir, 'cli.js'), 0o755);
await chmod(join(outdir, 'sandbox.js'), 0o755);
await (await import('./build-webviews.mjs')).buildWebviews({ production, outdir: join(outdir, 'webviews') });
