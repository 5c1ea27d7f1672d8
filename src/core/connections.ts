// The connections file (`behalf.connections.json`, see docs/connections.md): JSONC parsing, schema validation
// and the cross-field rules, every problem reported with the field it is about and its line:column.
//
// Vendor rules live in the schema as data (schemas/connections.schema.json, composed at build time from each
// vendor's declared settings by connectionsSchema.ts; if/then); nothing here names a
// vendor. This is the only module that uses ajv.

// Callbacks, not fs.promises: its first use loads a module every CLI start-up would pay for.
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import Ajv, { type AnySchema, type ValidateFunction } from 'ajv';
import { getNodeValue, parseTree, type Node, type ParseError } from 'jsonc-parser';
import { jsonSyntaxMessage, LineIndex } from './jsonText';
import connectionsSchema from '../../schemas/connections.schema.json';
import { BehalfError } from './errors';
import { CORE_CONNECTION_KEYS, type Connection, type ConnectionsFile, type SourcePosition } from './model';
import { describeSchemaError, forbiddenSecretNames, urlHasPassword, urlPasswordMessage } from './connectionsMessages';
import { principalSecretEnvName, secretEnvName, secretEnvPart } from './ports';
import {
  childNode,
  dedupe,
  diag,
  formatField,
  isObject,
  safeLocationField,
  sortDiagnostics,
  type ConnectionDiagnostic,
  type JsonObject,
  type Segment,
} from './connectionsPositions';

export const CONNECTIONS_FILE_NAME = 'behalf.connections.json';

/**
 * Keywords the schema uses for editors (VS Code's JSON language service) and for the loader's messages.
 * They carry no validation; ajv is told about them so that strict mode accepts the schema.
 */
export const SCHEMA_ANNOTATION_KEYWORDS: readonly string[] = [
  'errorMessage',
  'patternErrorMessage',
  'enumDescriptions',
  'markdownDescription',
  'deprecationMessage',
  'doNotSuggest',
  'defaultSnippets',
  // The file is JSONC: these tell VS Code not to flag comments and trailing commas in a .json file.
  'allowComments',
  'allowTrailingCommas',
];

export interface ParsedConnections {
  file: string;
  /** The connections that passed every check (a connection with a problem anywhere inside it is left out). */
  connections: Connection[];
  diagnostics: ConnectionDiagnostic[];
}

/** A connections file that did not pass its checks: a BehalfError (code 'config') that also carries every diagnostic. */
export class ConnectionsFileError extends BehalfError {
  readonly diagnostics: readonly ConnectionDiagnostic[];

  constructor(file: string, diagnostics: readonly ConnectionDiagnostic[]) {
    const count = diagnostics.length === 1 ? '1 problem' : `${diagnostics.length} problems`;
    const lines = diagnostics.map((d) => `${d.position.file}:${d.position.line}:${d.position.column}: ${d.message}`);
    super('config', [`${file} is not a valid connections file (${count}):`, ...lines].join('\n'), {
      position: diagnostics[0]?.position,
      hint: 'the format is described in docs/connections.md',
    });
    this.name = 'ConnectionsFileError';
    this.diagnostics = diagnostics;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Parsing

export type { ConnectionDiagnostic } from './connectionsPositions';

/**
 * Parse and check the text of a connections file. Never throws: every problem (syntax, schema, duplicate ids)
 * becomes a diagnostic with a position. Connections with a problem inside them are not returned.
 */
export function parseConnections(text: string, file: string): ParsedConnections {
  try {
    // A byte-order mark is not JSON whitespace for jsonc-parser; blank it out without moving any offset.
    const source = text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
    // Strict JSON without a problem (the usual case, and the large files): JSON.parse, no syntax tree, and
    // positions for the connections only. Anything else (comments, trailing commas, any problem at all) takes
    // the jsonc-parser path, which reports every problem with its position.
    return checkStrictJson(source, file) ?? check(source, file, new LineIndex(source, file));
  } catch (e) {
    // Only reachable for pathological input (e.g. nesting deep enough to exhaust the stack).
    const reason = e instanceof RangeError ? 'it is nested too deeply' : `of an internal error (${e instanceof Error ? e.message : String(e)})`;
    return {
      file,
      connections: [],
      diagnostics: [{ message: `the file could not be checked because ${reason}`, field: '', position: { file, line: 1, column: 1 } }],
    };
  }
}

function check(text: string, file: string, lines: LineIndex): ParsedConnections {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: true });

  if (errors.length > 0) {
    const seen = new Set<string>();
    const diagnostics: ConnectionDiagnostic[] = [];
    for (const error of errors) {
      // One message per place: the parser's follow-up errors at the same offset repeat the first one.
      const key = String(error.offset);
      if (seen.has(key)) continue;
      seen.add(key);
      const field = safeLocationField(text, error.offset);
      diagnostics.push(diag(field, `syntax error: ${jsonSyntaxMessage(error, text)}`, lines.at(error.offset)));
    }
    return { file, connections: [], diagnostics: sortDiagnostics(diagnostics) };
  }
  if (!root) {
    return {
      file,
      connections: [],
      diagnostics: [diag('', 'the file is empty; it needs an object like { "connections": [ ... ] }', lines.at(0))],
    };
  }

  const value: unknown = getNodeValue(root);
  const diagnostics: ConnectionDiagnostic[] = [];
  const { validate, secretNames } = schemaValidator();
  if (!validate(value)) {
    for (const error of validate.errors ?? []) {
      const d = describeSchemaError(error, root, value, lines, secretNames);
      if (d) diagnostics.push(d);
    }
  }
  diagnostics.push(...duplicateKeys(root, lines), ...crossFieldRules(root, value, lines));
  const unique = dedupe(diagnostics);

  const connections: Connection[] = [];
  const connectionNodes = root.type === 'object' ? childNode(root, 'connections') : undefined;
  if (connectionNodes?.type === 'array' && connectionNodes.children) {
    connectionNodes.children.forEach((node, index) => {
      const prefix = `connections[${index}]`;
      const broken = unique.some((d) => d.field === prefix || d.field.startsWith(`${prefix}.`) || d.field.startsWith(`${prefix}[`));
      if (broken || node.type !== 'object') return;
      connections.push(toConnection(getNodeValue(node) as JsonObject, lines.at(node.offset)));
    });
  }
  return { file, connections, diagnostics: sortDiagnostics(unique) };
}

/**
 * The fast path: the text is strict JSON (JSON.parse reads it) and has no problem at all — no duplicated key, no
 * schema error, no clash of ids or secret variables. Then the result is what check() would return, without
 * building jsonc-parser's tree or a line index of the whole text. Undefined when anything is off: check() then
 * finds and positions every problem.
 */
function checkStrictJson(text: string, file: string): ParsedConnections | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined; // comments, trailing commas, syntax errors, an empty file
  }
  if (!isObject(value) || !Array.isArray(value.connections) || !value.connections.every(isObject)) return undefined;
  const scan = scanStrictJson(text);
  // JSON.parse keeps the last of a duplicated key silently: fewer keys in the value than in the text means one.
  if (scan.keys !== countKeys(value) || scan.connectionOffsets.length !== value.connections.length) return undefined;
  if (!schemaValidator().validate(value)) return undefined;
  if (!crossFieldRulesHold(value.connections)) return undefined;
  const positions = positionsAt(text, scan.connectionOffsets, file);
  const connections = value.connections.map((raw, i) => toConnection(raw, positions[i], false));
  return { file, connections, diagnostics: [] };
}

/**
 * One pass over text that JSON.parse has accepted: how many property keys it holds, and where each item of the
 * top-level "connections" array starts (its "{"). Strings are skipped with indexOf; nothing else can hold a quote.
 */
function scanStrictJson(text: string): { keys: number; connectionOffsets: number[] } {
  let keys = 0;
  const connectionOffsets: number[] = [];
  const stack: number[] = []; // char codes of the open "{" and "["
  let rootKey: string | undefined; // the last key of the top-level object
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 34 /* " */) {
      let end = text.indexOf('"', i + 1);
      for (;;) {
        let backslashes = 0;
        while (text.charCodeAt(end - 1 - backslashes) === 92 /* \ */) backslashes++;
        if (backslashes % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      let next = end + 1;
      while (next < text.length && isJsonWhitespace(text.charCodeAt(next))) next++;
      if (text.charCodeAt(next) === 58 /* : */) {
        keys++;
        if (stack.length === 1) rootKey = JSON.parse(text.slice(i, end + 1)) as string;
      }
      i = end;
    } else if (ch === 123 /* { */ || ch === 91 /* [ */) {
      if (ch === 123 && stack.length === 2 && stack[1] === 91 && rootKey === 'connections') connectionOffsets.push(i);
      stack.push(ch);
    } else if (ch === 125 /* } */ || ch === 93 /* ] */) {
      stack.pop();
    }
  }
  return { keys, connectionOffsets };
}

function isJsonWhitespace(ch: number): boolean {
  return ch === 32 || ch === 9 || ch === 10 || ch === 13;
}

function countKeys(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const item of value) n += countKeys(item);
    return n;
  }
  // for...in, not Object.keys: no array per object. JSON.parse's objects have no enumerable inherited keys.
  for (const key in value) n += 1 + countKeys((value as JsonObject)[key]);
  return n;
}

/** line:column of ascending offsets, counting line ends as LineIndex does, reading the text only up to the last one. */
function positionsAt(text: string, offsets: readonly number[], file: string): SourcePosition[] {
  const out: SourcePosition[] = [];
  let line = 1;
  let lineStart = 0;
  let i = 0;
  for (const offset of offsets) {
    for (; i < offset; i++) {
      const ch = text.charCodeAt(i);
      if (ch === 13) {
        if (text.charCodeAt(i + 1) === 10) i++;
        line++;
        lineStart = i + 1;
      } else if (ch === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    out.push({ file, line, column: Math.max(0, offset - lineStart) + 1 });
  }
  return out;
}

const CORE_KEYS: ReadonlySet<string> = new Set(CORE_CONNECTION_KEYS);

function toConnection(raw: JsonObject, position: SourcePosition, copy = true): Connection {
  const plain = (copy ? toPlain(raw) : raw) as JsonObject;
  const principals = Array.isArray(plain.principals) ? (plain.principals as JsonObject[]) : [];
  // The shared fields on the connection itself; every other property (the schema let through only those its
  // vendor declares) is one of the vendor's own settings.
  const shared: JsonObject = {};
  const settings: JsonObject = {};
  for (const [key, value] of Object.entries(plain)) (CORE_KEYS.has(key) ? shared : settings)[key] = value;
  // The principals are this parse's own objects (JSON.parse's, or toPlain's copies): marked in place, not copied.
  for (const principal of principals) principal.source = 'file';
  return {
    ...(shared as unknown as Connection),
    ...(Object.keys(settings).length > 0 ? { settings } : {}),
    principals: principals as unknown as Connection['principals'],
    position,
  };
}

/** Ordinary objects (jsonc-parser builds prototype-less ones); Object.fromEntries keeps a "__proto__" key a plain key. */
function toPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPlain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPlain(v)]));
  }
  return value;
}

// ---------------------------------------------------------------------------------------------------------
// Schema (ajv): compiled once, lazily

interface CompiledSchema {
  validate: ValidateFunction;
  /** Normalised names of the properties the schema forbids as secrets (those referring to #/definitions/forbiddenSecret). */
  secretNames: ReadonlySet<string>;
}

let compiled: CompiledSchema | undefined;

function schemaValidator(): CompiledSchema {
  if (!compiled) {
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictRequired: false, strictTypes: false, logger: false });
    ajv.addVocabulary([...SCHEMA_ANNOTATION_KEYWORDS]);
    const validate = ajv.compile(connectionsSchema as AnySchema);
    compiled = { validate, secretNames: forbiddenSecretNames(connectionsSchema) };
  }
  return compiled;
}

// ---------------------------------------------------------------------------------------------------------
// Rules the schema cannot express

function crossFieldRules(root: Node, value: unknown, lines: LineIndex): ConnectionDiagnostic[] {
  const out: ConnectionDiagnostic[] = [];
  const connectionsNode = root.type === 'object' ? childNode(root, 'connections') : undefined;
  if (!isObject(value) || !Array.isArray(value.connections) || connectionsNode?.type !== 'array') return out;

  const connectionIds = new Map<string, { field: string; line: number }>();
  // Distinct ids can still share a secret variable (dc-sandbox and dc_sandbox → BEHALF_SECRET_DC_SANDBOX).
  const secretOwners = new Map<string, { field: string; line: number }>();
  const claimSecret = (env: string, field: string, idNode: Node) => {
    const position = lines.at(idNode.offset);
    const owner = secretOwners.get(env);
    if (owner) {
      out.push(
        diag(
          `${field}.id`,
          `would share the secret variable ${env} with ${owner.field} (line ${owner.line}); ids that differ only in case or punctuation cannot both have secrets`,
          position,
        ),
      );
      return false;
    }
    secretOwners.set(env, { field, line: position.line });
    return true;
  };

  value.connections.forEach((connection, c) => {
    const connectionField = `connections[${c}]`;
    const connectionNode = connectionsNode.children?.[c];
    const idNode = childNode(connectionNode, 'id');
    if (!isObject(connection) || typeof connection.id !== 'string' || connection.id === '' || !idNode) return;
    const connectionId = connection.id;
    const position = lines.at(idNode.offset);
    const first = connectionIds.get(connectionId);
    if (first) {
      out.push(
        diag(`${connectionField}.id`, `"${connectionId}" is already the id of ${first.field} (line ${first.line}); connection ids must be unique`, position),
      );
      return;
    }
    connectionIds.set(connectionId, { field: connectionField, line: position.line });
    for (const { path: fieldPath, node } of urlsWithPassword(connectionNode)) {
      out.push(diag(`${connectionField}.${fieldPath.join('.')}`, urlPasswordMessage(['connections', c], value, fieldPath), lines.at(node.offset)));
    }
    // When the connection's own variable clashes, its principals' variables clash too: report it once.
    const ownSecret = claimSecret(secretEnvName({ connectionId }), connectionField, idNode);

    const principalsNode = childNode(connectionNode, 'principals');
    if (!Array.isArray(connection.principals) || principalsNode?.type !== 'array') return;
    const principalIds = new Map<string, { field: string; line: number }>();
    connection.principals.forEach((principal, p) => {
      const principalField = `${connectionField}.principals[${p}]`;
      const principalIdNode = childNode(principalsNode.children?.[p], 'id');
      if (!isObject(principal) || typeof principal.id !== 'string' || principal.id === '' || !principalIdNode) return;
      const principalPosition = lines.at(principalIdNode.offset);
      const earlier = principalIds.get(principal.id);
      if (earlier) {
        out.push(
          diag(
            `${principalField}.id`,
            `"${principal.id}" is already the id of ${earlier.field} (line ${earlier.line}); principal ids must be unique within a connection`,
            principalPosition,
          ),
        );
        return;
      }
      principalIds.set(principal.id, { field: principalField, line: principalPosition.line });
      if (ownSecret) claimSecret(secretEnvName({ connectionId, principalId: principal.id }), principalField, principalIdNode);
    });
  });
  return out;
}

/**
 * The URL fields of a connection (baseUrl, tokenUrl, a vendor's own such as impersonation.tokenUrl: any string
 * outside "principals") whose userinfo holds a password.
 */
function urlsWithPassword(connectionNode: Node | undefined): Array<{ path: string[]; node: Node }> {
  const found: Array<{ path: string[]; node: Node }> = [];
  const visit = (node: Node | undefined, at: string[]) => {
    if (!node || at.length > 8) return;
    if (node.type === 'string' && urlHasPassword(node.value)) found.push({ path: at, node });
    if (node.type !== 'object') return;
    for (const property of node.children ?? []) {
      const key: unknown = property.children?.[0]?.value;
      if (typeof key !== 'string' || (at.length === 0 && key === 'principals')) continue;
      visit(property.children?.[1], [...at, key]);
    }
  };
  visit(connectionNode, []);
  return found;
}

function anyUrlWithPassword(value: unknown, depth = 0): boolean {
  if (depth > 8) return false;
  if (typeof value === 'string') return urlHasPassword(value);
  if (!isObject(value)) return false;
  return Object.entries(value).some(([key, v]) => !(depth === 0 && key === 'principals') && anyUrlWithPassword(v, depth + 1));
}

/**
 * crossFieldRules() for a value that passed the schema, without positions: true when it would report nothing
 * (unique connection ids, unique principal ids within a connection, no two ids sharing a secret variable, no URL
 * with a password). Equal ids have equal secret variables, so one set of variable names finds both kinds of clash.
 */
function crossFieldRulesHold(connections: readonly JsonObject[]): boolean {
  const secrets = new Set<string>();
  const claim = (env: string) => !secrets.has(env) && !!secrets.add(env);
  const ownSecrets = connections.map((c) => (typeof c.id === 'string' && c.id !== '' ? secretEnvName({ connectionId: c.id }) : undefined));
  // A principal's variable is <connection's>_<principal id's part>: two connections' principal variables (or one's
  // and another connection's own) can only meet when one connection's variable begins with the other's and "_"
  // (ids "x" and "x_y"). Otherwise the principals are told apart by their parts, without making every name.
  const nested = ownSecrets.some((a, i) => a !== undefined && ownSecrets.some((b, j) => i !== j && b?.startsWith(`${a}_`)));
  for (const [c, connection] of connections.entries()) {
    const connectionSecret = ownSecrets[c];
    if (connectionSecret === undefined) continue;
    if (anyUrlWithPassword(connection)) return false;
    if (!claim(connectionSecret)) return false;
    if (!Array.isArray(connection.principals)) continue;
    const parts = new Set<string>();
    for (const principal of connection.principals) {
      if (!isObject(principal) || typeof principal.id !== 'string' || principal.id === '') continue;
      if (nested) {
        if (!claim(principalSecretEnvName(connectionSecret, principal.id))) return false;
        continue;
      }
      const part = secretEnvPart(principal.id);
      if (parts.has(part)) return false;
      parts.add(part);
    }
  }
  return true;
}

/** JSON allows a key twice and keeps the last one silently; in a config file that is always a mistake. */
function duplicateKeys(root: Node, lines: LineIndex): ConnectionDiagnostic[] {
  const out: ConnectionDiagnostic[] = [];
  const stack: Array<{ node: Node; path: Segment[] }> = [{ node: root, path: [] }];
  while (stack.length > 0) {
    const { node, path: nodePath } = stack.pop()!;
    if (node.type === 'object') {
      const seen = new Map<string, Node>();
      for (const property of node.children ?? []) {
        const keyNode = property.children?.[0];
        const valueNode = property.children?.[1];
        if (!keyNode || typeof keyNode.value !== 'string') continue;
        const key = keyNode.value;
        const first = seen.get(key);
        if (first) {
          out.push(
            diag(
              formatField(nodePath),
              `"${key}" appears more than once (first on line ${lines.at(first.offset).line}); only the last one would count, so remove the other`,
              lines.at(keyNode.offset),
            ),
          );
        } else {
          seen.set(key, keyNode);
        }
        if (valueNode) stack.push({ node: valueNode, path: [...nodePath, key] });
      }
    } else if (node.type === 'array') {
      (node.children ?? []).forEach((child, i) => stack.push({ node: child, path: [...nodePath, i] }));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Files

/**
 * Read and check a connections file. Throws a BehalfError (code 'config') when the file cannot be read, and a
 * ConnectionsFileError (also code 'config', positioned at the first problem) listing every problem as
 * `file:line:col: message` when it is not valid. Synchronous, as loadEnvironments is (and for the same reason:
 * one small file, and the CLI's start-up waits for it).
 */
export function loadConnections(file: string): ConnectionsFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw readError(file, e);
  }
  const parsed = parseConnections(text, file);
  if (parsed.diagnostics.length > 0) throw new ConnectionsFileError(file, parsed.diagnostics);
  return { file: parsed.file, connections: parsed.connections };
}

function readError(file: string, e: unknown): BehalfError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new BehalfError('config', `connections file not found: ${file}`, {
        hint: `create ${CONNECTIONS_FILE_NAME} (see docs/connections.md) or point --config / BEHALF_CONFIG at an existing one`,
        cause: e,
      });
    case 'EISDIR':
      return new BehalfError('config', `${file} is a directory, not a connections file`, {
        hint: `point at the ${CONNECTIONS_FILE_NAME} file inside it`,
        cause: e,
      });
    case 'EACCES':
    case 'EPERM':
      return new BehalfError('config', `cannot read the connections file ${file}: permission denied`, { cause: e });
    default:
      return new BehalfError('config', `cannot read the connections file ${file}: ${code ?? (e instanceof Error ? e.message : String(e))}`, {
        cause: e,
      });
  }
}

/**
 * The nearest `behalf.connections.json` in `startDir` or one of its parents. The walk stops after `stopDir`
 * when that is `startDir` or one of its ancestors (e.g. the workspace folder), else at the filesystem root.
 */
export function findConnectionsFile(startDir: string, stopDir?: string): string | undefined {
  let dir = path.resolve(startDir);
  const stop = stopDir === undefined ? undefined : path.resolve(stopDir);
  for (;;) {
    const candidate = path.join(dir, CONNECTIONS_FILE_NAME);
    if (isFile(candidate)) return candidate;
    if (stop !== undefined && samePath(dir, stop)) return undefined;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

function isFile(file: string): boolean {
  return statSync(file, { throwIfNoEntry: false })?.isFile() ?? false;
}

function samePath(a: string, b: string): boolean {
  return process.platform === 'win32' || process.platform === 'darwin' ? a.toLowerCase() === b.toLowerCase() : a === b;
}
