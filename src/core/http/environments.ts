// Named environments for .http files (http-client.env.json + http-client.private.env.json, the shape
// httpYac and the JetBrains client read; REST Client's `rest-client.environmentVariables` setting has the
// same shape) and `.env` files for {{$dotenv NAME}}.

import * as fs from 'fs';
import * as path from 'path';
import { BehalfError } from '../errors';
import type { SourcePosition } from '../model';
import { getNodeValue, parseTree, type Node, type ParseError } from 'jsonc-parser';
import { jsonSyntaxMessage, LineIndex } from '../jsonText';

export const ENV_FILE = 'http-client.env.json';
export const PRIVATE_ENV_FILE = 'http-client.private.env.json';
export const SHARED = '$shared';

export interface HttpEnvironments {
  /** Environment names, `$shared` excluded, in the order first defined. */
  names: string[];
  /**
   * The variables of environment `name` over `$shared` (the environment wins); `$shared` alone when no name.
   * `{{$shared x}}` in a value is replaced by `$shared`'s x. A fresh object on every call.
   * Throws BehalfError (code 'environment') for an unknown name.
   */
  get(name?: string): Record<string, string>;
  /** Files (or the labels of objects) the environments came from, lowest precedence first. */
  sources: string[];
}

type EnvTable = Map<string, Map<string, string>>;

interface Layer {
  source: string;
  table: EnvTable;
}

function envError(message: string, position?: SourcePosition, hint?: string): BehalfError {
  const options: { position?: SourcePosition; hint?: string } = {};
  if (position) options.position = position;
  if (hint) options.hint = hint;
  return new BehalfError('environment', message, options);
}

function stringValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Environments from a parsed JSON document (jsonc-parser's tree), with positions for shape errors. */
function tableFromNode(root: Node, text: string, file: string): EnvTable {
  const lines = new LineIndex(text, file);
  if (root.type !== 'object') {
    throw envError(`${path.basename(file)} must be a JSON object (expected {"$shared": {...}, "dev": {...}})`, lines.at(root.offset));
  }
  const table: EnvTable = new Map();
  for (const property of root.children ?? []) {
    const [keyNode, valueNode] = property.children ?? [];
    if (!keyNode || !valueNode) continue;
    const key = String(keyNode.value);
    if (key === '__proto__') continue;
    if (valueNode.type !== 'object') {
      throw envError(`environment "${key}" must be an object of variables (expected "${key}": {"name": "value"})`, lines.at(valueNode.offset));
    }
    const vars = table.get(key) ?? new Map<string, string>();
    for (const variable of valueNode.children ?? []) {
      const [nameNode, value] = variable.children ?? [];
      if (!nameNode || !value || nameNode.value === '__proto__') continue;
      // Numbers keep their written form (1.50 stays "1.50").
      vars.set(String(nameNode.value), value.type === 'number' ? text.slice(value.offset, value.offset + value.length) : stringValue(getNodeValue(value)));
    }
    table.set(key, vars);
  }
  return table;
}

function tableFromObject(settings: unknown, source: string): EnvTable {
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings)) {
    throw envError(`${source}: environments must be an object (expected {"$shared": {...}, "dev": {...}})`);
  }
  const table: EnvTable = new Map();
  for (const [name, vars] of Object.entries(settings as Record<string, unknown>)) {
    if (name === '__proto__') continue;
    if (vars === null || typeof vars !== 'object' || Array.isArray(vars)) {
      throw envError(`${source}: environment "${name}" must be an object of variables (expected "${name}": {"name": "value"})`);
    }
    const m = new Map<string, string>();
    for (const [k, v] of Object.entries(vars as Record<string, unknown>)) if (k !== '__proto__') m.set(k, stringValue(v));
    table.set(name, m);
  }
  return table;
}

function replaceSharedRefs(value: string, shared: Map<string, string>): string {
  if (!value.includes('$shared')) return value;
  // `{{$shared name}}` (REST Client): single pass, no recursion; unknown names stay for the resolver to report.
  return value.replace(/\{\{\s*\$shared\s+([^\s{}]+)\s*\}\}/g, (whole: string, name: string) => shared.get(name) ?? whole);
}

function combine(layers: Layer[]): HttpEnvironments {
  const merged: EnvTable = new Map();
  for (const layer of layers) {
    for (const [name, vars] of layer.table) {
      let target = merged.get(name);
      if (!target) merged.set(name, (target = new Map<string, string>()));
      for (const [k, v] of vars) target.set(k, v);
    }
  }
  const names = [...merged.keys()].filter((n) => !n.startsWith('$'));
  const shared = merged.get(SHARED) ?? new Map<string, string>();
  return {
    names,
    sources: layers.map((l) => l.source),
    get(name?: string): Record<string, string> {
      const out: Record<string, string> = {};
      for (const [k, v] of shared) out[k] = v;
      if (name === undefined || name === '' || name === SHARED) return out;
      const env = merged.get(name);
      if (!env || name.startsWith('$')) {
        throw envError(`Unknown environment "${name}" (expected ${names.length ? `one of: ${names.join(', ')}` : `an environment defined in ${ENV_FILE}`})`);
      }
      for (const [k, v] of env) out[k] = replaceSharedRefs(v, shared);
      return out;
    },
  };
}

/**
 * Environments from REST Client settings-style objects (`{"$shared": {...}, "dev": {...}}`), e.g. the value of
 * `rest-client.environmentVariables`. Later objects override earlier ones, variable by variable.
 */
export function environmentsFromObject(settings: unknown, source = 'settings'): HttpEnvironments {
  const list = Array.isArray(settings) ? settings : [settings];
  return combine(list.map((s, i) => ({ source: list.length > 1 ? `${source}[${i}]` : source, table: tableFromObject(s, source) })));
}

function readLayer(file: string): Layer | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw envError(`Cannot read ${file} (${code ?? String(e)})`, { file, line: 1, column: 1 }, 'check the file permissions');
  }
  // A byte-order mark is not JSON whitespace; blank it without moving offsets.
  if (text.charCodeAt(0) === 0xfeff) text = ` ${text.slice(1)}`;
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length || !root) {
    const first = errors[0];
    const what = first ? jsonSyntaxMessage(first, text) : 'the file is empty (expected {"$shared": {...}, "dev": {...}})';
    throw envError(`${path.basename(file)}: ${what}`, new LineIndex(text, file).at(first?.offset ?? 0));
  }
  return { source: file, table: tableFromNode(root, text, file) };
}

/** Directories from `start` up to `root` (inclusive); only `start` when root is not an ancestor of it. */
function searchDirs(start: string, root: string | undefined): string[] {
  const dirs: string[] = [];
  const within = root === undefined || start === root || start.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
  let dir = start;
  for (;;) {
    dirs.push(dir);
    if (!within || dir === root) break;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return dirs;
}

/**
 * Loads http-client.env.json and http-client.private.env.json from the .http file's directory and each parent
 * up to `rootDir` (default: the filesystem root). Precedence, lowest first: `options.settings` (REST Client
 * settings-style object), then files from the farthest directory to the nearest, public before private.
 * Throws BehalfError (code 'environment', with file:line:column) for unreadable or malformed files.
 *
 * Synchronous on purpose: these are a few small files, mostly absent, read once per send. Asynchronous reads
 * queue each of them on libuv's thread pool in turn, and the CLI's start-up paid ~3 ms for the first and a
 * round trip for each of the others (2 per directory up to the root), before its first request.
 */
export function loadEnvironments(httpFileDir: string, rootDir?: string, options: { settings?: unknown } = {}): HttpEnvironments {
  const layers: Layer[] = [];
  if (options.settings !== undefined) layers.push({ source: 'settings', table: tableFromObject(options.settings, 'settings') });
  const dirs = searchDirs(path.resolve(httpFileDir), rootDir === undefined ? undefined : path.resolve(rootDir));
  for (let k = dirs.length - 1; k >= 0; k--) {
    for (const name of [ENV_FILE, PRIVATE_ENV_FILE]) {
      const layer = readLayer(path.join(dirs[k], name));
      if (layer) layers.push(layer);
    }
  }
  return combine(layers);
}

/**
 * Parses .env text: `NAME=value`, optional `export `, `#` comments, 'single' (literal) and "double" quoted
 * values (\n, \r, \t, \", \\ escapes; may span lines), unquoted values end at ` #`.
 */
export function parseDotenv(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  for (let li = 0; li < lines.length; li++) {
    let line = lines[li].trim();
    if (!line || line[0] === '#') continue;
    if (line.startsWith('export ')) line = line.slice(7).trimStart();
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    if (!key || key === '__proto__') continue;
    let rest = line.slice(eq + 1).trimStart();
    const q = rest[0];
    if (q === '"' || q === "'" || q === '`') {
      let close = rest.indexOf(q, 1);
      if (q === '"') {
        while (close > 0 && isEscaped(rest, close)) close = rest.indexOf(q, close + 1);
      }
      // Multi-line quoted value: join following lines until the closing quote.
      while (close < 0 && li + 1 < lines.length) {
        rest += `\n${lines[++li]}`;
        close = rest.indexOf(q, 1);
        if (q === '"') while (close > 0 && isEscaped(rest, close)) close = rest.indexOf(q, close + 1);
      }
      let value = close < 0 ? rest.slice(1) : rest.slice(1, close);
      if (q === '"') value = value.replace(/\\([nrt"\\])/g, (_m: string, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : c));
      out.set(key, value);
    } else {
      const hash = rest.search(/\s#/);
      out.set(key, (hash >= 0 ? rest.slice(0, hash) : rest).trim());
    }
  }
  return out;
}

function isEscaped(s: string, at: number): boolean {
  let backslashes = 0;
  for (let k = at - 1; k >= 0 && s[k] === '\\'; k--) backslashes++;
  return backslashes % 2 === 1;
}

/**
 * Lookup in `<dir>/.env` for {{$dotenv NAME}}. The file is read once, on the first lookup; a missing or
 * unreadable file means every name is undefined.
 */
export function loadDotenv(dir: string): (name: string) => string | undefined {
  let values: Map<string, string> | undefined;
  return (name: string) => {
    if (!values) {
      try {
        values = parseDotenv(fs.readFileSync(path.join(dir, '.env'), 'utf8'));
      } catch {
        values = new Map();
      }
    }
    return values.get(name);
  };
}
