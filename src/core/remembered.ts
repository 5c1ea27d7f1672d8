// A small memo for pure answers about strings (URLs, mostly).

/**
 * `compute(key)`, remembered for the next call with the same key: a pure answer about a URL that every request
 * asks again (the connection's base URL, the vendor's endpoints, a request sent as many principals). A URL parse
 * is microseconds, but a run asks several per request. At most 256 keys of up to 2,048 characters are kept.
 */
export function remembered<T>(memo: Map<string, T>, key: string, compute: () => T): T {
  const known = memo.get(key);
  if (known !== undefined) return known;
  const value = compute();
  if (key.length <= 2048) {
    if (memo.size >= 256) memo.clear();
    memo.set(key, value);
  }
  return value;
}
