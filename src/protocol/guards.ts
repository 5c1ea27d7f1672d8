// Small type guards shared by the webview protocols. Messages cross a trust boundary both ways: the host must
// not trust a page (it renders server data), and a page checks what it renders so a malformed view fails
// loudly instead of half-drawing. Free of 'vscode' and of Node APIs: pages import this too.

export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A plain object whose values are all strings (headers, action args). */
export function isStringRecord(x: unknown, maxEntries = Number.POSITIVE_INFINITY, maxLength = Number.POSITIVE_INFINITY): x is Record<string, string> {
  if (!isRecord(x)) return false;
  const proto: unknown = Object.getPrototypeOf(x);
  if (proto !== Object.prototype && proto !== null) return false;
  const entries = Object.entries(x);
  if (entries.length > maxEntries) return false;
  return entries.every(([key, value]) => typeof value === 'string' && key.length <= maxLength && value.length <= maxLength);
}

export function isNonEmptyString(x: unknown, max: number): x is string {
  return typeof x === 'string' && x.length > 0 && x.length <= max;
}

export function isOptionalString(x: unknown): x is string | undefined {
  return x === undefined || typeof x === 'string';
}

export function isOptionalBoolean(x: unknown): x is boolean | undefined {
  return x === undefined || typeof x === 'boolean';
}

export function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

export function isOptionalNumber(x: unknown): x is number | undefined {
  return x === undefined || isFiniteNumber(x);
}

export function isArrayOf<T>(x: unknown, check: (item: unknown) => item is T): x is T[] {
  return Array.isArray(x) && x.every((item) => check(item));
}
