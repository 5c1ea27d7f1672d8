// The connections file (`behalf.connections.json`, see docs/connections.md): JSONC parsing, schema validation
// and the cross-field rules, every problem reported with the field it is about and its line:column.
//
// Vendor rules live in the schema (schemas/connections.schema.json, if/then) as data; nothing here names a
// vendor. This is the only module that uses ajv.

import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import Ajv, { type AnySchema, type ErrorObject, type ValidateFunction } from 'ajv';
import { getLocation, getNodeValue, parseTree, type Node, type ParseError } from 'jsonc-parser';
import { jsonSyntaxMessage, LineIndex } from './jsonText';
import connectionsSchema from '../../schemas/connections.schema.json';
import { BehalfError } from './errors';
import type { Connection, ConnectionsFile, SourcePosition } from './model';
import { secretEnvName } from './ports';

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

/** One problem in a connections file. `message` starts with `field` (when there is one) and is a sentence a user can act on. */
export interface ConnectionDiagnostic {
  message: string;
  /** Where in the document, e.g. `connections[0].principals[1].email`; '' for the document itself. */
  field: string;
  position: SourcePosition;
}

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

type Segment = string | number;
type JsonObject = Record<string, unknown>;

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
  if (Array.isArray(value)) {
    let n = 0;
    for (const item of value) n += countKeys(item);
    return n;
  }
  if (value === null || typeof value !== 'object') return 0;
  let n = 0;
  for (const key of Object.keys(value)) n += 1 + countKeys((value as JsonObject)[key]);
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

function toConnection(raw: JsonObject, position: SourcePosition, copy = true): Connection {
  const plain = (copy ? toPlain(raw) : raw) as JsonObject;
  const principals = Array.isArray(plain.principals) ? (plain.principals as JsonObject[]) : [];
  return {
    ...(plain as unknown as Connection),
    principals: principals.map((p) => ({ ...(p as unknown as Connection['principals'][number]), source: 'file' as const })),
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

const FORBIDDEN_SECRET_REF = '#/definitions/forbiddenSecret';

function forbiddenSecretNames(schema: unknown): Set<string> {
  const names = new Set<string>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (node === null || typeof node !== 'object') return;
    const properties = (node as JsonObject).properties;
    if (properties && typeof properties === 'object') {
      for (const [name, sub] of Object.entries(properties)) {
        if (isForbiddenSecretSchema(sub)) names.add(normalizeName(name));
      }
    }
    Object.values(node).forEach(visit);
  };
  visit(schema);
  return names;
}

function isForbiddenSecretSchema(schema: unknown): boolean {
  return !!schema && typeof schema === 'object' && (schema as JsonObject).$ref === FORBIDDEN_SECRET_REF;
}

function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** Words that make a property name look like it holds a secret (client_secret, bearerToken, API-KEY, ...). */
const SECRET_NAME_ENDINGS = ['secret', 'password', 'passwd', 'token', 'apikey'];

function isSecretLike(name: string, secretNames: ReadonlySet<string>): boolean {
  const n = normalizeName(name);
  return secretNames.has(n) || SECRET_NAME_ENDINGS.some((w) => n.endsWith(w));
}

// ---------------------------------------------------------------------------------------------------------
// Schema errors → diagnostics

function describeSchemaError(
  error: ErrorObject,
  root: Node,
  value: unknown,
  lines: LineIndex,
  secretNames: ReadonlySet<string>,
): ConnectionDiagnostic | undefined {
  // "if" only says which "then" failed (its own errors follow); errors inside propertyNames repeat the
  // propertyNames error, which is the one that names the property.
  if (error.keyword === 'if' || error.propertyName !== undefined) return undefined;

  const { path: segments, node, deepest } = resolvePointer(root, error.instancePath);
  const field = formatField(segments);
  const parentSchema = (error.parentSchema ?? {}) as JsonObject;
  const params = error.params as Record<string, unknown>;
  const at = (n: Node | undefined) => lines.at((n ?? node ?? deepest).offset);
  const last = segments[segments.length - 1];

  switch (error.keyword) {
    case 'required': {
      const missing = String(params.missingProperty);
      const properties = (parentSchema.properties ?? {}) as JsonObject;
      const why = stringOf(parentSchema.errorMessage) ?? firstSentence(stringOf((properties[missing] as JsonObject | undefined)?.description));
      return diag(field, `missing "${missing}"${why ? ` — ${why}` : ''}`, at(node));
    }
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const keyNode = propertyNode(node, name)?.children?.[0];
      if (isSecretLike(name, secretNames)) return diag(field, secretMessage(name, segments, value), at(keyNode));
      return diag(field, `"${name}" is not allowed here${suggestion(name, parentSchema)}`, at(keyNode));
    }
    case 'not':
    case 'false schema': {
      if (typeof last === 'string') {
        const parentPath = segments.slice(0, -1);
        const keyNode = propertyNode(resolvePath(root, parentPath), last)?.children?.[0];
        if (isSecretLike(last, secretNames)) return diag(formatField(parentPath), secretMessage(last, parentPath, value), at(keyNode));
        return diag(field, sentence(stringOf(parentSchema.errorMessage)) ?? 'is not allowed here', at(keyNode));
      }
      return diag(field, sentence(stringOf(parentSchema.errorMessage)) ?? 'is not allowed here', at(node));
    }
    case 'type': {
      const expected = Array.isArray(params.type) ? params.type.map(String) : String(params.type).split(',');
      const found = jsonType(error.data);
      if (expected.includes('integer') && found === 'number') return diag(field, 'must be a whole number', at(node));
      const quoteHint = expected.includes('string') && (found === 'number' || found === 'integer') ? ' (put it in double quotes)' : '';
      return diag(field, `must be ${expected.map(typeName).join(' or ')}, not ${found === 'integer' ? 'a number' : typeName(found)}${quoteHint}`, at(node));
    }
    case 'enum': {
      const allowed = Array.isArray(params.allowedValues) ? params.allowedValues : [];
      return diag(field, `must be one of ${allowed.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ')}`, at(node));
    }
    case 'const':
      return diag(field, `must be ${JSON.stringify(params.allowedValue)}`, at(node));
    case 'pattern':
      return diag(field, sentence(stringOf(parentSchema.patternErrorMessage)) ?? `must match the pattern ${String(params.pattern)}`, at(node));
    case 'propertyNames': {
      const name = String(params.propertyName);
      const keyNode = propertyNode(node, name)?.children?.[0];
      const names = (parentSchema.propertyNames ?? {}) as JsonObject;
      const why = sentence(stringOf(names.patternErrorMessage) ?? stringOf(names.errorMessage));
      return diag(field, `"${name}" is not a valid name here${why ? `: ${why}` : ''}`, at(keyNode));
    }
    case 'minLength': {
      const limit = Number(params.limit);
      return diag(field, limit === 1 ? 'must not be empty' : `must be at least ${limit} characters long`, at(node));
    }
    case 'minProperties':
    case 'minItems': {
      const limit = Number(params.limit);
      const why = sentence(stringOf(parentSchema.errorMessage));
      return diag(field, why ?? `needs at least ${limit} ${limit === 1 ? 'entry' : 'entries'}`, at(node));
    }
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum': {
      const words = { minimum: 'at least', exclusiveMinimum: 'more than', maximum: 'at most', exclusiveMaximum: 'less than' } as const;
      return diag(field, `must be ${words[error.keyword]} ${String(params.limit)}`, at(node));
    }
    case 'uniqueItems': {
      const i = Number(params.i);
      const j = Number(params.j);
      const later = Math.max(i, j);
      const earlier = Math.min(i, j);
      return diag(`${field}[${later}]`, `repeats ${field}[${earlier}]; list each value once`, at(childNode(node, later)));
    }
    default:
      return diag(field, sentence(stringOf(parentSchema.errorMessage)) ?? error.message ?? 'is not valid', at(node));
  }
}

/** `"clientSecret" is not allowed here — secrets never go in this file; set BEHALF_SECRET_CF_SANDBOX_EVE instead` */
function secretMessage(name: string, objectPath: Segment[], value: unknown): string {
  return `"${name}" is not allowed here — secrets never go in this file; set ${secretVariable(objectPath, value)} instead`;
}

/** The environment variable that holds the secret of whatever `objectPath` points into. */
function secretVariable(objectPath: Segment[], value: unknown): string {
  const strip = (env: string) => env.slice('BEHALF_SECRET_'.length);
  const idOf = (v: unknown) => (isObject(v) && typeof v.id === 'string' && v.id !== '' ? v.id : undefined);
  if (objectPath[0] !== 'connections' || typeof objectPath[1] !== 'number') return 'BEHALF_SECRET_<CONNECTION_ID>';
  const connectionValue = isObject(value) && Array.isArray(value.connections) ? (value.connections as unknown[])[objectPath[1]] : undefined;
  const connectionId = idOf(connectionValue);
  const connectionPart = connectionId ? strip(secretEnvName({ connectionId })) : '<CONNECTION_ID>';
  if (objectPath[2] === 'principals' && typeof objectPath[3] === 'number') {
    const principals = isObject(connectionValue) && Array.isArray(connectionValue.principals) ? connectionValue.principals : [];
    const principalId = idOf(principals[objectPath[3]]);
    return `BEHALF_SECRET_${connectionPart}_${principalId ? strip(secretEnvName({ connectionId: principalId })) : '<PRINCIPAL_ID>'}`;
  }
  return `BEHALF_SECRET_${connectionPart}`;
}

/** "; did you mean "baseUrl"?" for a near miss, else the list of what is allowed. */
function suggestion(name: string, parentSchema: JsonObject): string {
  const properties = parentSchema.properties;
  if (!properties || typeof properties !== 'object') return '';
  const allowed = Object.entries(properties)
    .filter(([, sub]) => !isForbiddenSecretSchema(sub))
    .map(([key]) => key);
  if (allowed.length === 0) return '';
  let best: { key: string; distance: number } | undefined;
  for (const key of allowed) {
    const distance = key.toLowerCase() === name.toLowerCase() ? 0 : editDistance(key, name);
    if (distance <= Math.min(2, Math.floor(key.length / 3)) && (!best || distance < best.distance)) best = { key, distance };
  }
  if (best) return `; did you mean "${best.key}"?`;
  return `; allowed: ${allowed.join(', ')}`;
}

/** Edit distance counting a swap of two neighbouring letters as one edit (optimal string alignment). */
function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function typeName(type: string): string {
  switch (type) {
    case 'string':
      return 'a string';
    case 'boolean':
      return 'true or false';
    case 'integer':
      return 'a whole number';
    case 'number':
      return 'a number';
    case 'object':
      return 'an object';
    case 'array':
      return 'an array';
    case 'null':
      return 'null';
    default:
      return type;
  }
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A schema message (written for editors as a sentence) as the tail of "field: ...". */
function sentence(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const trimmed = text.replace(/\.\s*$/, '');
  return /^[A-Z][a-z]/.test(trimmed) ? trimmed[0].toLowerCase() + trimmed.slice(1) : trimmed;
}

function firstSentence(text: string | undefined): string | undefined {
  if (!text) return undefined;
  // A sentence ends at ". " before a capital (not at "e.g. "), or at the end.
  const end = text.search(/\.(\s+[A-Z]|\s*$)/);
  return sentence(end >= 0 ? text.slice(0, end) : text);
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
 * crossFieldRules() for a value that passed the schema, without positions: true when it would report nothing
 * (unique connection ids, unique principal ids within a connection, no two ids sharing a secret variable).
 */
function crossFieldRulesHold(connections: readonly JsonObject[]): boolean {
  const connectionIds = new Set<string>();
  const secrets = new Set<string>();
  const claim = (env: string) => !secrets.has(env) && !!secrets.add(env);
  for (const connection of connections) {
    const connectionId = connection.id;
    if (typeof connectionId !== 'string' || connectionId === '') continue;
    if (connectionIds.has(connectionId)) return false;
    connectionIds.add(connectionId);
    if (!claim(secretEnvName({ connectionId }))) return false;
    if (!Array.isArray(connection.principals)) continue;
    const principalIds = new Set<string>();
    for (const principal of connection.principals) {
      if (!isObject(principal) || typeof principal.id !== 'string' || principal.id === '') continue;
      if (principalIds.has(principal.id)) return false;
      principalIds.add(principal.id);
      if (!claim(secretEnvName({ connectionId, principalId: principal.id }))) return false;
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
// Syntax errors

function safeLocationField(text: string, offset: number): string {
  try {
    const segments = getLocation(text, offset).path;
    while (segments.length > 0 && segments[segments.length - 1] === '') segments.pop();
    return formatField(segments);
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Tree helpers

/** The value node of `key` in an object. Like getNodeValue, the last occurrence of a duplicated key wins. */
function childNode(node: Node | undefined, segment: Segment): Node | undefined {
  if (!node?.children) return undefined;
  if (typeof segment === 'number') return node.type === 'array' ? node.children[segment] : undefined;
  return node.type === 'object' ? propertyNode(node, segment)?.children?.[1] : undefined;
}

/** The property node (key + value) of `key`, last occurrence first. */
function propertyNode(objectNode: Node | undefined, key: string): Node | undefined {
  if (objectNode?.type !== 'object' || !objectNode.children) return undefined;
  for (let i = objectNode.children.length - 1; i >= 0; i--) {
    const property = objectNode.children[i];
    if (property.children?.[0]?.value === key && property.children.length === 2) return property;
  }
  for (let i = objectNode.children.length - 1; i >= 0; i--) {
    if (objectNode.children[i].children?.[0]?.value === key) return objectNode.children[i];
  }
  return undefined;
}

function resolvePath(root: Node, segments: Segment[]): Node | undefined {
  let node: Node | undefined = root;
  for (const segment of segments) node = childNode(node, segment);
  return node;
}

/** An ajv instancePath (JSON pointer) → path segments (numbers for array items), the node, and the deepest node found. */
function resolvePointer(root: Node, pointer: string): { path: Segment[]; node: Node | undefined; deepest: Node } {
  const raw =
    pointer === ''
      ? []
      : pointer
          .split('/')
          .slice(1)
          .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const segments: Segment[] = [];
  let node: Node | undefined = root;
  let deepest = root;
  for (const part of raw) {
    const segment: Segment = node?.type === 'array' && /^\d+$/.test(part) ? Number(part) : part;
    segments.push(segment);
    node = childNode(node, segment);
    if (node) deepest = node;
  }
  return { path: segments, node, deepest };
}

/** connections[0].principals[1].email; keys that are not identifiers in brackets: headers["X-Impersonate-User"]. */
function formatField(segments: readonly Segment[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------------
// Positions and diagnostics

function diag(field: string, text: string, position: SourcePosition): ConnectionDiagnostic {
  return { message: field ? `${field}: ${text}` : text, field, position };
}

function dedupe(diagnostics: ConnectionDiagnostic[]): ConnectionDiagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.position.line}:${d.position.column}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function sortDiagnostics(diagnostics: ConnectionDiagnostic[]): ConnectionDiagnostic[] {
  return diagnostics
    .map((d, i) => ({ d, i }))
    .sort((a, b) => a.d.position.line - b.d.position.line || a.d.position.column - b.d.position.column || a.i - b.i)
    .map(({ d }) => d);
}

// ---------------------------------------------------------------------------------------------------------
// Files

/**
 * Read and check a connections file. Throws a BehalfError (code 'config') when the file cannot be read, and a
 * ConnectionsFileError (also code 'config', positioned at the first problem) listing every problem as
 * `file:line:col: message` when it is not valid.
 */
export async function loadConnections(file: string): Promise<ConnectionsFile> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
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
export async function findConnectionsFile(startDir: string, stopDir?: string): Promise<string | undefined> {
  let dir = path.resolve(startDir);
  const stop = stopDir === undefined ? undefined : path.resolve(stopDir);
  for (;;) {
    const candidate = path.join(dir, CONNECTIONS_FILE_NAME);
    if (await isFile(candidate)) return candidate;
    if (stop !== undefined && samePath(dir, stop)) return undefined;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await fs.stat(file)).isFile();
  } catch {
    return false;
  }
}

function samePath(a: string, b: string): boolean {
  return process.platform === 'win32' || process.platform === 'darwin' ? a.toLowerCase() === b.toLowerCase() : a === b;
}
