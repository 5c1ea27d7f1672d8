// Experiment behind the bench report (nothing here ships): how much would the CLI and the extension gain if the
// connections schema's validator were generated ahead of time (ajv standalone code) instead of compiled by ajv
// at every start? Nothing in src/ changes: this bundles dist-like cli.js and extension.js in which the 'ajv'
// module is replaced by a stub whose compile() returns the pre-generated validator (same options as
// src/core/connections.ts, so the same errors). Compare in one run:
//
//   node bench/experiments/ajv-standalone.mjs
//   node bench/run.mjs --cases 1,2,3 --skip-peers --skip-vscode --compare-cli bench/.build/experiments/cli.js --out /tmp/ajv
//
// Output in bench/.build/experiments/: connections.validate.cjs, cli.js, extension.js (sizes printed).
import * as esbuild from 'esbuild';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { leanAxios } from '../../scripts/esbuild-lean.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT = join(ROOT, 'bench', '.build', 'experiments');
mkdirSync(OUT, { recursive: true });
const require = createRequire(join(ROOT, 'package.json'));

// The annotation keywords connections.ts registers, read from the source itself.
await esbuild.build({ entryPoints: [join(ROOT, 'src', 'core', 'connections.ts')], outfile: join(OUT, 'connections.cjs'), bundle: true, platform: 'node', format: 'cjs', mainFields: ['module', 'main'], logLevel: 'error' });
const { SCHEMA_ANNOTATION_KEYWORDS } = require(join(OUT, 'connections.cjs'));

const Ajv = require('ajv').default;
const standalone = require('ajv/dist/standalone').default;
const schema = require(join(ROOT, 'schemas', 'connections.schema.json'));
const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false, strictTypes: false, logger: false, code: { source: true } });
ajv.addVocabulary([...SCHEMA_ANNOTATION_KEYWORDS]);
const validatorFile = join(OUT, 'connections.validate.cjs');
writeFileSync(validatorFile, standalone(ajv, ajv.compile(schema)));

const stub = {
  name: 'ajv-standalone',
  setup(build) {
    build.onResolve({ filter: /^ajv$/ }, () => ({ path: 'ajv', namespace: 'ajv-standalone' }));
    build.onLoad({ filter: /.*/, namespace: 'ajv-standalone' }, () => ({
      resolveDir: ROOT,
      loader: 'js',
      contents: `const validate = require(${JSON.stringify(validatorFile)});
        class Ajv { addVocabulary() {} compile() { return validate; } }
        module.exports = { __esModule: true, default: Ajv };`,
    }));
  },
};
// scripts/build.mjs's production settings.
const common = { bundle: true, platform: 'node', target: 'node20', format: 'cjs', minify: true, legalComments: 'none', mainFields: ['module', 'main'], plugins: [leanAxios, stub], logLevel: 'error', absWorkingDir: ROOT };
await esbuild.build({ ...common, entryPoints: ['src/cli/bin.ts'], outfile: join(OUT, 'cli.js'), banner: { js: '#!/usr/bin/env node' } });
await esbuild.build({ ...common, entryPoints: ['src/extension/extension.ts'], outfile: join(OUT, 'extension.js'), external: ['vscode'] });
for (const f of ['cli.js', 'extension.js']) console.log(`${f}: ${(statSync(join(OUT, f)).size / 1024).toFixed(1)} KB`);
