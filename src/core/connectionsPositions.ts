// Where things are in a connections file: the diagnostics' type, the JSON tree walks that turn a schema error's
// path into a field name and a line:column, and the ordering and de-duplication of what is reported.

import { getLocation, type Node } from 'jsonc-parser';
import type { SourcePosition } from './model';

export type Segment = string | number;
export type JsonObject = Record<string, unknown>;

/** One problem in a connections file. `message` starts with `field` (when there is one) and is a sentence a user can act on. */
export interface ConnectionDiagnostic {
  message: string;
  /** Where in the document, e.g. `connections[0].principals[1].email`; '' for the document itself. */
  field: string;
  position: SourcePosition;
}

// ---------------------------------------------------------------------------------------------------------
// Syntax errors

export function safeLocationField(text: string, offset: number): string {
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
export function childNode(node: Node | undefined, segment: Segment): Node | undefined {
  if (!node?.children) return undefined;
  if (typeof segment === 'number') return node.type === 'array' ? node.children[segment] : undefined;
  return node.type === 'object' ? propertyNode(node, segment)?.children?.[1] : undefined;
}

/** The property node (key + value) of `key`, last occurrence first. */
export function propertyNode(objectNode: Node | undefined, key: string): Node | undefined {
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

export function resolvePath(root: Node, segments: Segment[]): Node | undefined {
  let node: Node | undefined = root;
  for (const segment of segments) node = childNode(node, segment);
  return node;
}

/** An ajv instancePath (JSON pointer) → path segments (numbers for array items), the node, and the deepest node found. */
export function resolvePointer(root: Node, pointer: string): { path: Segment[]; node: Node | undefined; deepest: Node } {
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
export function formatField(segments: readonly Segment[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------------------
// Positions and diagnostics

export function diag(field: string, text: string, position: SourcePosition): ConnectionDiagnostic {
  return { message: field ? `${field}: ${text}` : text, field, position };
}

export function dedupe(diagnostics: ConnectionDiagnostic[]): ConnectionDiagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const key = `${d.position.line}:${d.position.column}:${d.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function sortDiagnostics(diagnostics: ConnectionDiagnostic[]): ConnectionDiagnostic[] {
  return diagnostics
    .map((d, i) => ({ d, i }))
    .sort((a, b) => a.d.position.line - b.d.position.line || a.d.position.column - b.d.position.column || a.i - b.i)
    .map(({ d }) => d);
}
