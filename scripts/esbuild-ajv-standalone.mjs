// An esbuild plugin that compiles the connections schema at build time (ajv "standalone" code) instead of at
// every start: the bundles then carry a generated validator rather than ajv's compiler (~120 KB), and the CLI
// saves the ~100 ms ajv spends compiling the schema in each process. src/core/connections.ts is unchanged: it
// still does `new Ajv(options).compile(schema)`; in the bundles `ajv` is a shim whose compile() returns the
// validator generated here with the very same options, so errors and messages are identical.
//
// Two things keep it small. The generated code declares the schema objects it reads (enum lists, property sets;
// with `verbose` every error's parentSchema) as literals, among them the whole schema again: here they become
// references into the schema module the loader imports anyway, so the bundle holds the schema once. And that
// module is the schema without what only editors read (titles, $comments, markdown and enum descriptions,
// snippets): runtimeSchema() below, applied to schemas/connections.schema.json in the bundles.
import * as esbuild from 'esbuild';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(join(ROOT, 'package.json'));
const SCHEMA_FILE = join(ROOT, 'schemas/connections.schema.json');
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
    const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));
    return shareSchemaLiterals(standalone(ajv, ajv.compile(schema)), schema);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `const schema12 = {...};` in the generated code → `const schema12 = require(<the schema>).definitions.connection;`
 * for every literal that is a part of the schema (found by its JSON text, which is how ajv writes it). A literal
 * not found stays as it is: bigger, never wrong.
 */
function shareSchemaLiterals(source, schema) {
  const parts = new Map(); // JSON text of a part of the schema → a JS expression for it
  const visit = (node, expression) => {
    if (node === null || typeof node !== 'object') return;
    const text = JSON.stringify(node);
    if (!parts.has(text)) parts.set(text, expression);
    for (const [key, value] of Object.entries(node)) visit(value, `${expression}[${JSON.stringify(Array.isArray(node) ? Number(key) : key)}]`);
  };
  visit(schema, 'connectionsSchema');
  const declaration = /const (schema\d+) = (?=[[{])/g;
  let out = '';
  let from = 0;
  for (let m = declaration.exec(source); m; m = declaration.exec(source)) {
    const literalAt = m.index + m[0].length;
    const text = [...parts.keys()].find((t) => source.startsWith(`${t};`, literalAt));
    if (text === undefined) continue;
    out += `${source.slice(from, m.index)}const ${m[1]} = ${parts.get(text)}`;
    from = literalAt + text.length;
    declaration.lastIndex = from;
  }
  if (from === 0) return source;
  return `const connectionsSchema = require(${JSON.stringify(SCHEMA_FILE)});\n${out}${source.slice(from)}`;
}

/** Keywords only editors read (hover, completion, snippets) or that only document the schema. */
const EDITOR_ONLY = new Set([
  'title',
  '$comment',
  'markdownDescription',
  'enumDescriptions',
  'defaultSnippets',
  'doNotSuggest',
  'deprecationMessage',
  'examples',
  'allowComments',
  'allowTrailingCommas',
]);

/** Keywords whose value is a map of names (not keywords) to schemas. */
const SCHEMA_MAPS = new Set(['properties', 'definitions', 'patternProperties', 'dependencies']);
/** Keywords whose value is data, copied as it is. */
const DATA = new Set(['enum', 'const', 'default', 'required']);

/**
 * The schema as the bundles need it: every validation keyword and what the loader's messages read
 * (src/core/connectionsMessages.ts: errorMessage, patternErrorMessage, property names, $ref), without EDITOR_ONLY.
 * A description stays only where a "missing" message quotes it: a required property's, in a schema without its
 * own errorMessage.
 */
export function runtimeSchema(node, keepDescription = false) {
  if (Array.isArray(node)) return node.map((item) => runtimeSchema(item));
  if (node === null || typeof node !== 'object') return node;
  const quoted = (name) => Array.isArray(node.required) && node.required.includes(name) && typeof node.errorMessage !== 'string';
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (EDITOR_ONLY.has(key) || (key === 'description' && !keepDescription)) continue;
    if (DATA.has(key) || value === null || typeof value !== 'object') out[key] = value;
    else if (SCHEMA_MAPS.has(key) && !Array.isArray(value))
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, runtimeSchema(sub, key === 'properties' && quoted(name))]));
    else out[key] = runtimeSchema(value);
  }
  return out;
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
      build.onLoad({ filter: /connections\.schema\.json$/ }, (args) =>
        args.path === SCHEMA_FILE ? { loader: 'json', contents: JSON.stringify(runtimeSchema(JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')))) } : undefined,
      );
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
