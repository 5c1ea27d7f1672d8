// A lazy view over JSON text for the response panel's tree. No DOM here (unit-tested in Node).
//
// Why not walk the result of JSON.parse: the tree shows the body as the server sent it. JSON.parse loses
// member order for integer-like keys ({"b":1,"2":2} comes back as 2, b), rounds numbers beyond 2^53 (ids!),
// rewrites 1.50 as 1.5 and drops duplicate keys; and a 5 MB body becomes tens of MB of objects nobody looks at.
// So JSON.parse only validates; the tree reads offsets into the text and scans a container only when it is
// expanded, one page of members at a time.

export type JsonKind = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';

export interface JsonEntry {
  /** Decoded member name (objects only). */
  key?: string;
  /** Position among its siblings (0-based). */
  index: number;
  /** Offsets of the value in the text: [start, end). */
  start: number;
  end: number;
  kind: JsonKind;
  /** Direct children of an object or array; 0 for primitives. */
  count: number;
}

export interface EntryPage {
  entries: JsonEntry[];
  /** Offset to continue from with the next page, or -1 when the container is exhausted. */
  next: number;
}

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

export class JsonText {
  private constructor(readonly text: string) {}

  /**
   * Valid JSON → a JsonText; anything else → the parser's complaint. The scanner below assumes validity,
   * so this is the only way in.
   */
  static parse(text: string): JsonText | { error: string } {
    try {
      JSON.parse(text);
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) };
    }
    return new JsonText(text);
  }

  root(): JsonEntry {
    const start = this.skipWs(0);
    return this.entryAt(start, 0, undefined);
  }

  /** Members of `container` starting at `from` (default: its first), at most `limit` of them. */
  page(container: JsonEntry, limit: number, from?: number, firstIndex = 0): EntryPage {
    const text = this.text;
    const isObject = container.kind === 'object';
    const entries: JsonEntry[] = [];
    let i = from ?? container.start + 1;
    let index = firstIndex;
    for (;;) {
      i = this.skipWs(i);
      const c = text.charCodeAt(i);
      if (c === COMMA) i = this.skipWs(i + 1);
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET || i >= container.end) return { entries, next: -1 };
      if (entries.length >= limit) return { entries, next: i };
      let key: string | undefined;
      if (isObject) {
        const keyEnd = this.stringEnd(i);
        key = JSON.parse(text.slice(i, keyEnd)) as string;
        i = this.skipWs(keyEnd);
        if (text.charCodeAt(i) === COLON) i = this.skipWs(i + 1);
      }
      const entry = this.entryAt(i, index++, key);
      entries.push(entry);
      i = entry.end;
    }
  }

  /** The value's text exactly as sent. */
  source(entry: JsonEntry): string {
    return this.text.slice(entry.start, entry.end);
  }

  /** A string entry's decoded value. */
  stringValue(entry: JsonEntry): string {
    return JSON.parse(this.source(entry)) as string;
  }

  private entryAt(start: number, index: number, key: string | undefined): JsonEntry {
    const c = this.text.charCodeAt(start);
    let kind: JsonKind;
    let end: number;
    let count = 0;
    if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      kind = c === OPEN_BRACE ? 'object' : 'array';
      [end, count] = this.containerEnd(start);
    } else if (c === QUOTE) {
      kind = 'string';
      end = this.stringEnd(start);
    } else {
      end = this.primitiveEnd(start);
      kind = c === 116 || c === 102 ? 'boolean' : c === 110 ? 'null' : 'number';
    }
    const entry: JsonEntry = { index, start, end, kind, count };
    if (key !== undefined) entry.key = key;
    return entry;
  }

  private skipWs(i: number): number {
    const text = this.text;
    while (i < text.length && isWs(text.charCodeAt(i))) i++;
    return i;
  }

  /** `i` at an opening quote → offset just past the closing one. */
  private stringEnd(i: number): number {
    const text = this.text;
    let from = i + 1;
    for (;;) {
      const q = text.indexOf('"', from);
      if (q < 0) return text.length;
      let backslashes = 0;
      for (let k = q - 1; text.charCodeAt(k) === BACKSLASH; k--) backslashes++;
      if (backslashes % 2 === 0) return q + 1;
      from = q + 1;
    }
  }

  private primitiveEnd(i: number): number {
    const text = this.text;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isWs(c)) break;
      i++;
    }
    return i;
  }

  /** `i` at `{` or `[` → [offset past the matching close, number of direct children]. */
  private containerEnd(i: number): [number, number] {
    const text = this.text;
    const n = text.length;
    let depth = 0;
    let commas = 0;
    let empty = true;
    let j = i;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === QUOTE) {
        if (depth === 1) empty = false;
        j = this.stringEnd(j);
        continue;
      }
      if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        depth++;
        if (depth === 2) empty = false;
      } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return [j + 1, empty ? 0 : commas + 1];
      } else if (depth === 1) {
        if (c === COMMA) commas++;
        else if (!isWs(c)) empty = false;
      }
      j++;
    }
    return [n, empty ? 0 : commas + 1];
  }
}
