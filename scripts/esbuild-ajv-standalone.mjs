// An esbuild plugin that compiles the connections schema at build time (ajv "standalone" code) instead of at
// every start: the bundles then carry a ~30 KB generated validator rather than ajv's compiler (~120 KB), and
// the CLI saves the ~100 ms ajv spends compiling the schema in each process. src/core/connections.ts is
// unchanged: it still does `new Ajv(options).compile(schema)`; in the bundles `ajv` is a shim whose compile()
// returns the validator generated here with the very same options, so errors and messages are identical.
import * as esbuild from 'esbuild';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(join(ROOT, 'package.json'));
// Must match the options in src/core/connections.ts (the shim ignores the ones it is given).
const AJV_OPTIONS = { allErrors: true, verbose: true, strict: true, strictRequired: false, strictTypes: false, logger: false };

/** The generated validator's source: CommonJS that requires ajv's small runtime helpers. */
async function generateValidator() {
  // The annotation keywords are declared in connections.ts; read them from there rather than copy the list.
  const dir = mkdtempSync(join(tmpdir(), 'behalf-ajv-'));
  try {
    const out = join(dir, 'connections.cjs');
    await esbuild.build({
      entryPoints: [join(ROOT, 'src/core/connections.ts')],
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      mainFields: ['module', 'main'],
      logLevel: 'error',
    });
    const { SCHEMA_ANNOTATION_KEYWORDS } = require(out);
    const Ajv = require('ajv').default;
    const standalone = require('ajv/dist/standalone').default;
    const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
    ajv.addVocabulary([...SCHEMA_ANNOTATION_KEYWORDS]);
    const schema = JSON.parse(readFileSync(join(ROOT, 'schemas/connections.schema.json'), 'utf8'));
    return standalone(ajv, ajv.compile(schema));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function ajvStandalone() {
  let source;
  return {
    name: 'ajv-standalone',
    setup(build) {
      build.onResolve({ filter: /^ajv$/ }, () => ({ path: 'ajv', namespace: 'ajv-standalone' }));
      build.onResolve({ filter: /^behalf-connections-validator$/ }, () => ({ path: 'validator', namespace: 'ajv-standalone' }));
      build.onLoad({ filter: /^validator$/, namespace: 'ajv-standalone' }, async () => {
        source ??= await generateValidator();
        return { contents: source, loader: 'js', resolveDir: ROOT };
      });
      build.onLoad({ filter: /^ajv$/, namespace: 'ajv-standalone' }, () => ({
        resolveDir: ROOT,
        loader: 'js',
        contents: `const validate = require('behalf-connections-validator');
          class Ajv { addVocabulary() {} compile() { return validate; } }
          module.exports = { __esModule: true, default: Ajv };`,
      }));
    },
  };
}
