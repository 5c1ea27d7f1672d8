// Requests as the doubles see them: a SandboxRequest (method, path under the vendor prefix, query, headers,
// body) with the body and credential parsers, and MalformedRequest for what the sandbox cannot read.

/** Bodies beyond this are drained and answered 413, so a runaway client cannot exhaust memory. */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** A body or query the sandbox cannot read; answered 400 in the vendor's error shape. */
export class MalformedRequest extends Error {}

export class SandboxRequest {
  constructor(
    readonly method: string,
    /** Path after the vendor prefix, e.g. `/api/rest/v1/oauth/token`. */
    readonly path: string,
    readonly query: Record<string, string>,
    /** Lower-case names. */
    readonly headers: Record<string, string>,
    readonly body: Buffer,
    readonly remoteAddress: string,
  ) {}

  /** The same request under another path (a double routing a sub-prefix of its own). */
  withPath(path: string): SandboxRequest {
    return new SandboxRequest(this.method, path || '/', this.query, this.headers, this.body, this.remoteAddress);
  }

  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()];
  }

  text(): string {
    return this.body.toString('utf8');
  }

  hasBody(): boolean {
    return this.body.length > 0;
  }

  json(): unknown {
    if (!this.hasBody()) throw new MalformedRequest('Expected a JSON body.');
    try {
      return JSON.parse(this.text());
    } catch (e) {
      throw new MalformedRequest(`Malformed JSON body: ${(e as Error).message}`);
    }
  }

  /** The body as an application/x-www-form-urlencoded form (first value of each field). */
  form(): Record<string, string> {
    if (this.isJson()) throw new MalformedRequest('Expected a form-encoded body (application/x-www-form-urlencoded).');
    return firstValues(new URLSearchParams(this.text()));
  }

  /** Form fields, or the top-level string fields of a JSON object body (for endpoints that take either). */
  formOrJson(): Record<string, string> {
    if (!this.isJson()) return this.form();
    const value = this.json();
    if (!isPlainObject(value)) throw new MalformedRequest('Expected a JSON object.');
    const fields: Record<string, string> = {};
    for (const [key, field] of Object.entries(value)) {
      if (typeof field === 'string' || typeof field === 'number') fields[key] = String(field);
    }
    return fields;
  }

  bearerToken(): string | undefined {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(this.header('authorization') ?? '');
    return match?.[1];
  }

  basicCredentials(): { id: string; secret: string } | undefined {
    const match = /^Basic\s+(\S+)\s*$/i.exec(this.header('authorization') ?? '');
    if (!match) return undefined;
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return undefined;
    return { id: safeDecode(decoded.slice(0, colon)), secret: safeDecode(decoded.slice(colon + 1)) };
  }

  private isJson(): boolean {
    return /\bjson\b/i.test(this.header('content-type') ?? '');
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An integer query parameter within [min, max], or the default when absent. */
export function integerQuery(req: SandboxRequest, name: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = req.query[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `between ${min} and ${max}`;
    throw new MalformedRequest(`${name} must be an integer ${range}.`);
  }
  return value;
}

export function firstValues(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of params) if (!(key in out)) out[key] = value;
  return out;
}

export function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
