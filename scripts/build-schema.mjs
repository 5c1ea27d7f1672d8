// Writes schemas/connections.schema.json: the vendor-neutral base (src/core/connections.base.schema.json) with
// each vendor's own settings, rules and summary (VendorDefinition.settings in src/vendors/<vendor>.ts) composed
// in by src/core/connectionsSchema.ts. The file is committed (editors and package.json's jsonValidation read it);
// `--check` fails when it is not what the vendors declare (run by `npm run lint`).
//
//   node scripts/build-schema.mjs           write it
//   node scripts/build-schema.mjs --check   exit 1 if it is out of date
import * as esbuild from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SCHEMA_FILE = join(ROOT, 'schemas', 'connections.schema.json');
const require_ = createRequire(join(ROOT, 'package.json'));

/** The schema's text as the vendors declare it today. */
export async function composedSchemaText() {
  const out = await esbuild.build({
    stdin: {
      contents: `export { composeConnectionsSchema } from './src/core/connectionsSchema'; export { allVendorsWithSetup as allVendors } from './src/vendors/setup';`,
      resolveDir: ROOT,
      loader: 'ts',
    },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    write: false,
    mainFields: ['module', 'main'],
    logLevel: 'error',
  });
  const module = { exports: {} };
  // The bundle is CommonJS; run it here with a require for the packages it leaves external (none today).
  new Function('module', 'exports', 'require', out.outputFiles[0].text)(module, module.exports, require_);
  const { composeConnectionsSchema, allVendors } = module.exports;
  return `${JSON.stringify(composeConnectionsSchema(allVendors), null, 2)}\n`;
}

export async function buildSchema({ check = false } = {}) {
  const text = await composedSchemaText();
  let current = '';
  try {
    current = readFileSync(SCHEMA_FILE, 'utf8');
  } catch {
    // Missing: written below, or reported as out of date.
  }
  if (current === text) return { changed: false };
  if (check) {
    console.error(`schemas/connections.schema.json is not what the vendors declare: run "npm run build" (or node scripts/build-schema.mjs) and commit it.`);
    process.exitCode = 1;
    return { changed: true };
  }
  writeFileSync(SCHEMA_FILE, text);
  return { changed: true };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const check = process.argv.includes('--check');
  const { changed } = await buildSchema({ check });
  if (!check) console.log(changed ? 'schemas/connections.schema.json written' : 'schemas/connections.schema.json up to date');
}
