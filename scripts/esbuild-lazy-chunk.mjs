// A part of the extension that few sessions use, as a bundle of its own that the main bundle requires on first
// need (as it does dist/xpathQuery.js), without any module in both: two copies of a module would mean two copies
// of its state (a registry, a cache, a class that `instanceof` must recognise).
//
// In the source, the main bundle's module does `require('./extras')` (src/extension/extras.ts) when it first needs
// it. The build makes that require a small module of the main bundle which requires dist/extension-extras.js and
// hands it the main bundle's own copies of every module the chunk imports ("linking"); the chunk holds only the
// modules the main bundle does not. Three esbuild passes:
//   1. the main bundle without the chunk (write: false): which modules it holds;
//   2. the chunk, each import of a module of (1) replaced by the linked copy;
//   3. the main bundle, with the table of the modules (2) links.
// The build fails when a module would be in both bundles.
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

/**
 * @param {typeof import('esbuild')} esbuild
 * @param {object} common  the esbuild options both bundles share
 * @param {{ main: object, chunk: { entry: string, outfile: string, importer: string, request: string } }} options
 *   main: the main bundle's own options (entryPoints, outfile, external); chunk.entry: the chunk's module
 *   (src/extension/extras.ts); chunk.importer + chunk.request: where the main bundle requires it
 *   (src/extension/main.ts, './extras'); chunk.outfile: next to the main bundle.
 */
export async function buildWithLazyChunk(esbuild, options, { main, chunk }) {
  const root = options.absWorkingDir ?? process.cwd();
  const common = { ...options, absWorkingDir: root };
  const entry = resolve(root, chunk.entry);
  const importer = resolve(root, chunk.importer);
  const chunkRequest = `./${relative(dirname(main.outfile), chunk.outfile).split('\\').join('/')}`;
  const isChunkRequire = (args) => args.path === chunk.request && args.importer === importer;
  const key = (file) => relative(root, file).split('\\').join('/');

  // 1. What the main bundle holds without the chunk.
  const alone = await esbuild.build({
    ...common,
    ...main,
    write: false,
    metafile: true,
    plugins: [
      {
        name: 'lazy-chunk-cut',
        setup: (b) => b.onResolve({ filter: /.*/ }, (args) => (isChunkRequire(args) ? { path: args.path, external: true } : undefined)),
      },
      ...common.plugins,
    ],
  });
  const inMain = new Set(Object.keys(alone.metafile.inputs).map((file) => resolve(root, file)));

  // 2. The chunk: its own modules, and the main bundle's copies of the others.
  /** The main bundle's module an import of the chunk resolves to, if it is one. */
  const mainModule = async (b, args) => {
    if (args.pluginData?.lazyChunk || args.namespace !== 'file' || args.kind === 'entry-point') return undefined;
    const found = await b.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: { lazyChunk: true } });
    return found.errors.length > 0 || found.external || found.namespace !== 'file' || !inMain.has(found.path) ? undefined : found.path;
  };
  // Which names the chunk imports from each of them: the chunk as ES modules, those imports left in (not minified).
  const asModules = await esbuild.build({
    ...common,
    entryPoints: [entry],
    format: 'esm',
    minify: false,
    sourcemap: false,
    write: false,
    outfile: chunk.outfile,
    external: main.external,
    plugins: [
      {
        name: 'lazy-chunk-imports',
        setup: (b) =>
          b.onResolve({ filter: /.*/ }, async (args) => {
            const file = await mainModule(b, args);
            return file && { path: `lazy-chunk-linked:${file}`, external: true };
          }),
      },
      ...common.plugins,
    ],
  });
  /** Module file → the names the chunk imports from it. */
  const linked = new Map();
  const text = asModules.outputFiles.find((f) => f.path.endsWith('.js')).text;
  for (const m of text.matchAll(/^import\s+([^;]*?)\s*from\s*"lazy-chunk-linked:([^"]+)";/gms)) {
    const names = linked.get(m[2]) ?? new Set();
    linked.set(m[2], names);
    const clause = m[1];
    const named = /\{([^}]*)\}/.exec(clause);
    for (const item of named ? named[1].split(',') : []) if (item.trim()) names.add(item.trim().split(/\s+as\s+/)[0]);
    const rest = clause.replace(/\{[^}]*\}/, '').trim();
    if (/^\*\s+as\s/.test(rest) || /,\s*\*\s+as\s/.test(rest)) names.add('*');
    else if (rest.replace(/,$/, '').trim()) names.add('default');
  }
  const chunkBuild = await esbuild.build({
    ...common,
    ...chunk.options,
    entryPoints: ['lazy-chunk-entry'],
    outfile: chunk.outfile,
    external: main.external,
    metafile: true,
    plugins: [
      {
        name: 'lazy-chunk-link',
        setup(b) {
          b.onResolve({ filter: /^lazy-chunk-(entry|table)$/ }, (args) => ({ path: args.path, namespace: 'lazy-chunk' }));
          b.onLoad({ filter: /^lazy-chunk-entry$/, namespace: 'lazy-chunk' }, () => ({
            resolveDir: root,
            loader: 'js',
            // The chunk's modules are evaluated only once the table is set.
            contents: `const table = require('lazy-chunk-table');
              exports.link = (modules) => { table.modules = modules; return require(${JSON.stringify(entry)}); };`,
          }));
          b.onLoad({ filter: /^lazy-chunk-table$/, namespace: 'lazy-chunk' }, () => ({ loader: 'js', contents: 'exports.modules = undefined;' }));
          b.onResolve({ filter: /.*/ }, async (args) => {
            const file = await mainModule(b, args);
            return file && { path: key(file), namespace: 'lazy-chunk-linked' };
          });
          b.onLoad({ filter: /.*/, namespace: 'lazy-chunk-linked' }, (args) => ({
            resolveDir: root,
            loader: 'js',
            contents: `module.exports = require('lazy-chunk-table').modules[${JSON.stringify(args.path)}];`,
          }));
        },
      },
      ...common.plugins,
    ],
  });
  const mainInputs = new Set(Object.keys(alone.metafile.inputs));
  const both = Object.keys(chunkBuild.metafile.inputs).filter((input) => mainInputs.has(input));
  if (both.length > 0) throw new Error(`lazy chunk ${chunk.outfile}: these modules would be in both bundles: ${both.join(', ')}`);

  // 3. The main bundle, whose `require('./extras')` is the linking module.
  const exportNames = await exportsOf(esbuild, entry);
  const modules = [...linked.keys()].sort();
  const table = modules.map((file, i) => {
    const names = [...linked.get(file)].sort();
    if (names.includes('*')) return { file, imports: `import * as m${i} from ${JSON.stringify(file)};`, value: `m${i}` };
    // Getters: the chunk sees what the module's bindings hold when it reads them, as an import would.
    const local = (name) => `m${i}_${name}`;
    return {
      file,
      imports: `import { ${names.map((name) => `${name} as ${local(name)}`).join(', ')} } from ${JSON.stringify(file)};`,
      value: `{ ${names.map((name) => `get ${name}() { return ${local(name)}; }`).join(', ')} }`,
    };
  });
  const linking = [
    ...table.map((t) => t.imports),
    `const modules = { ${table.map((t) => `${JSON.stringify(key(t.file))}: ${t.value}`).join(', ')} };`,
    'let chunk;',
    `const load = () => (chunk ??= require(${JSON.stringify(chunkRequest)}).link(modules));`,
    ...exportNames.map((name) => `export function ${name}(...args) { return load().${name}(...args); }`),
  ].join('\n');
  const mainBuild = await esbuild.build({
    ...common,
    ...main,
    plugins: [
      {
        name: 'lazy-chunk-require',
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) => {
            if (isChunkRequire(args)) return { path: 'lazy-chunk-require', namespace: 'lazy-chunk' };
            if (args.namespace === 'lazy-chunk' && args.path === chunkRequest) return { path: chunkRequest, external: true };
            return undefined;
          });
          b.onLoad({ filter: /^lazy-chunk-require$/, namespace: 'lazy-chunk' }, () => ({ resolveDir: root, loader: 'js', contents: linking }));
        },
      },
      ...common.plugins,
    ],
  });
  return { linked: modules.map(key), alone: alone.metafile, chunk: chunkBuild.metafile, main: mainBuild.metafile };
}

/** The names a module exports (the chunk's interface: functions only, each forwarded by name). */
async function exportsOf(esbuild, file) {
  const out = await esbuild.build({
    entryPoints: [file],
    bundle: false,
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'error',
    outdir: dirname(file),
  });
  const names = Object.values(out.metafile.outputs).flatMap((o) => o.exports);
  const source = readFileSync(file, 'utf8');
  for (const name of names) {
    if (!new RegExp(`export (async )?function ${name}\\b`).test(source))
      throw new Error(`${file}: the lazy chunk's exports must be functions (${name} is not)`);
  }
  return names;
}
