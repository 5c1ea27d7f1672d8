// What a connections file's schema errors say: ajv's errors turned into sentences a user can act on (the
// field, what is wrong, what to write instead, a near-miss property name), and the rule that secrets never go
// in the file (which property names count as secrets, and which environment variable to use instead).

import { editDistance } from './editDistance';
import type { ErrorObject } from 'ajv';
import type { Node } from 'jsonc-parser';
import type { LineIndex } from './jsonText';
import { secretEnvName } from './ports';
import {
  childNode,
  diag,
  formatField,
  isObject,
  propertyNode,
  resolvePath,
  resolvePointer,
  type ConnectionDiagnostic,
  type JsonObject,
  type Segment,
} from './connectionsPositions';

// ---------------------------------------------------------------------------------------------------------
// Secrets never go in the file

export const FORBIDDEN_SECRET_REF = '#/definitions/forbiddenSecret';

export function forbiddenSecretNames(schema: unknown): Set<string> {
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

export function isSecretLike(name: string, secretNames: ReadonlySet<string>): boolean {
  const n = normalizeName(name);
  return secretNames.has(n) || SECRET_NAME_ENDINGS.some((w) => n.endsWith(w));
}

// ---------------------------------------------------------------------------------------------------------
// Schema errors → diagnostics

export function describeSchemaError(
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
  // A client key's passphrase (inside "tls") has a secret of its own.
  const tlsPassphrase = objectPath.length === 3 && objectPath[2] === 'tls' && name === 'passphrase';
  return `"${name}" is not allowed here — secrets never go in this file; set ${secretVariable(objectPath, value)}${tlsPassphrase ? '_TLS_PASSPHRASE' : ''} instead`;
}

/**
 * `must not hold a password ("user:password@" in the URL) — …` for a URL field (baseUrl, tokenUrl) with userinfo:
 * a password there is a secret in the file, like "clientSecret".
 */
export function urlPasswordMessage(objectPath: Segment[], value: unknown, field: readonly string[] = []): string {
  if (field.length === 1 && field[0] === 'proxy')
    return 'must not hold a password ("user:password@" in the URL) — secrets never go in this file; give the proxy credentials in HTTPS_PROXY or --proxy (http://user:password@host:port)';
  return `must not hold a password ("user:password@" in the URL) — secrets never go in this file; remove it and keep the connection's secret in ${secretVariable(objectPath, value)}`;
}

/** True when `value` is an http(s) URL whose userinfo has a password (`https://u:p@host`). */
export function urlHasPassword(value: unknown): boolean {
  if (typeof value !== 'string' || !/^https?:\/\//i.test(value.trim())) return false;
  try {
    return new URL(value.trim()).password !== '';
  } catch {
    return false;
  }
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
    const distance = key.toLowerCase() === name.toLowerCase() ? 0 : editDistance(key, name, 2);
    if (distance <= Math.min(2, Math.floor(key.length / 3)) && (!best || distance < best.distance)) best = { key, distance };
  }
  if (best) return `; did you mean "${best.key}"?`;
  return `; allowed: ${allowed.join(', ')}`;
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
