// A small JSON-with-comments reader that keeps positions, so errors in environment files can point at
// file:line:column. Accepts // and /* */ comments and trailing commas (as VS Code does for .json settings).

export interface JsonPos {
  line: number;
  column: number;
}

export type JsonNode =
  | { type: 'object'; properties: Array<{ key: string; keyPos: JsonPos; value: JsonNode }>; pos: JsonPos }
  | { type: 'array'; items: JsonNode[]; pos: JsonPos }
  | { type: 'string'; value: string; pos: JsonPos }
  | { type: 'number'; value: number; raw: string; pos: JsonPos }
  | { type: 'boolean'; value: boolean; pos: JsonPos }
  | { type: 'null'; pos: JsonPos };

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly pos: JsonPos,
  ) {
    super(message);
  }
}

const MAX_DEPTH = 256;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

export function parseJsonc(text: string): JsonNode {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;

  // Position from offset, computed incrementally (offsets only ever grow).
  let posOffset = 0;
  let posLine = 1;
  let posLineStart = 0;
  const posAt = (offset: number): JsonPos => {
    if (offset < posOffset) {
      posOffset = 0;
      posLine = 1;
      posLineStart = 0;
    }
    for (let k = posOffset; k < offset && k < n; k++) {
      if (text.charCodeAt(k) === 10) {
        posLine++;
        posLineStart = k + 1;
      }
    }
    posOffset = Math.max(posOffset, Math.min(offset, n));
    return { line: posLine, column: offset - posLineStart + 1 };
  };
  const fail = (message: string, offset: number): never => {
    throw new JsonSyntaxError(message, posAt(Math.min(offset, n)));
  };

  const skip = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else if (c === 47 && text.charCodeAt(i + 1) === 47) {
        const nl = text.indexOf('\n', i);
        i = nl < 0 ? n : nl + 1;
      } else if (c === 47 && text.charCodeAt(i + 1) === 42) {
        const end = text.indexOf('*/', i + 2);
        if (end < 0) fail('unterminated /* comment (expected */)', i);
        i = end + 2;
      } else break;
    }
  };

  const str = (): string => {
    const start = i;
    i++; // opening quote
    let out = '';
    let chunk = i;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 34) {
        out += text.slice(chunk, i);
        i++;
        return out;
      }
      if (c === 10 || c === 13) fail('unterminated string (expected ")', start);
      if (c === 92) {
        out += text.slice(chunk, i);
        const e = text[i + 1];
        switch (e) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case '/': out += '/'; break;
          case 'b': out += '\b'; break;
          case 'f': out += '\f'; break;
          case 'n': out += '\n'; break;
          case 'r': out += '\r'; break;
          case 't': out += '\t'; break;
          case 'u': {
            const hex = text.slice(i + 2, i + 6);
            if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape (expected 4 hex digits)', i);
            out += String.fromCharCode(parseInt(hex, 16));
            i += 4;
            break;
          }
          default:
            fail('bad escape in string (expected one of \\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)', i);
        }
        i += 2;
        chunk = i;
        continue;
      }
      i++;
    }
    return fail('unterminated string (expected ")', start);
  };

  const value = (depth: number): JsonNode => {
    if (depth > MAX_DEPTH) fail(`nesting deeper than ${MAX_DEPTH} levels`, i);
    skip();
    if (i >= n) fail('unexpected end of file (expected a value)', i);
    const pos = posAt(i);
    const c = text[i];
    if (c === '{') {
      i++;
      const properties: Array<{ key: string; keyPos: JsonPos; value: JsonNode }> = [];
      skip();
      while (text[i] !== '}') {
        if (i >= n) fail('unexpected end of file (expected } or a property)', i);
        if (text[i] !== '"') fail('expected a "property name" or }', i);
        const keyPos = posAt(i);
        const key = str();
        skip();
        if (text[i] !== ':') fail('expected : after the property name', i);
        i++;
        properties.push({ key, keyPos, value: value(depth + 1) });
        skip();
        if (text[i] === ',') {
          i++;
          skip();
        } else if (text[i] !== '}') fail('expected , or }', i);
      }
      i++;
      return { type: 'object', properties, pos };
    }
    if (c === '[') {
      i++;
      const items: JsonNode[] = [];
      skip();
      while (text[i] !== ']') {
        if (i >= n) fail('unexpected end of file (expected ] or a value)', i);
        items.push(value(depth + 1));
        skip();
        if (text[i] === ',') {
          i++;
          skip();
        } else if (text[i] !== ']') fail('expected , or ]', i);
      }
      i++;
      return { type: 'array', items, pos };
    }
    if (c === '"') return { type: 'string', value: str(), pos };
    if (text.startsWith('true', i)) {
      i += 4;
      return { type: 'boolean', value: true, pos };
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return { type: 'boolean', value: false, pos };
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return { type: 'null', pos };
    }
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(text);
    if (m && m[0].length) {
      i += m[0].length;
      return { type: 'number', value: Number(m[0]), raw: m[0], pos };
    }
    return fail(`unexpected character ${JSON.stringify(c)} (expected a JSON value)`, i);
  };

  const root = value(0);
  skip();
  if (i < n) fail('unexpected text after the end of the JSON value', i);
  return root;
}

/** The plain JavaScript value of a node ("__proto__" keys are dropped). */
export function toPlain(node: JsonNode): unknown {
  switch (node.type) {
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const p of node.properties) if (p.key !== '__proto__') o[p.key] = toPlain(p.value);
      return o;
    }
    case 'array':
      return node.items.map(toPlain);
    case 'null':
      return null;
    default:
      return node.value;
  }
}
