// One redaction function for everything that leaves the engine: logs, history, cURL exports,
// error messages, webview HTML. Secrets are known two ways: by the header or parameter that carries
// them, and by value (every secret and token the engine handled is registered here).

export const REDACTED = '«redacted»';

const SENSITIVE_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-api-key', 'api-key', 'x-auth-token', 'x-access-token']);

const SENSITIVE_PARAMS = /^(token|access_token|id_token|refresh_token|api_key|apikey|client_secret|subject_token|actor_token|password|secret|code)$/i;

/** Shorter values are not registered: redacting "1" everywhere would destroy output without protecting anything. */
const MIN_SECRET_LENGTH = 6;

export class Redactor {
  private readonly secrets = new Set<string>();
  private pattern: RegExp | undefined;

  /** Remember a secret value so it is redacted wherever it appears. */
  add(value: string | undefined): void {
    if (!value || value.length < MIN_SECRET_LENGTH || this.secrets.has(value)) return;
    this.secrets.add(value);
    this.pattern = undefined;
  }

  get size(): number {
    return this.secrets.size;
  }

  text(input: string): string {
    if (this.secrets.size === 0 || input.length === 0) return input;
    if (!this.pattern) {
      // Longest first so a token that contains another secret is replaced whole.
      const parts = [...this.secrets].sort((a, b) => b.length - a.length).map(escapeRegExp);
      this.pattern = new RegExp(parts.join('|'), 'g');
    }
    return input.replace(this.pattern, REDACTED);
  }

  headers(headers: Record<string, string>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) {
      out[name] = isSensitiveHeader(name) ? redactHeaderValue(value) : this.text(value);
    }
    return out;
  }

  url(raw: string): string {
    let parsed: URL;
    try {
      parsed = new URL(raw);
    } catch {
      return this.text(raw);
    }
    if (parsed.username || parsed.password) {
      parsed.username = parsed.username ? 'redacted' : '';
      parsed.password = '';
    }
    let changed = false;
    for (const key of [...parsed.searchParams.keys()]) {
      if (SENSITIVE_PARAMS.test(key)) {
        parsed.searchParams.set(key, REDACTED);
        changed = true;
      }
    }
    return this.text(changed || parsed.username ? parsed.toString() : raw);
  }

  /** Form bodies carry client secrets and subject tokens: redact the sensitive fields by name too. */
  body(body: string, contentType: string | undefined): string {
    if (contentType && /application\/x-www-form-urlencoded/i.test(contentType)) {
      const params = new URLSearchParams(body);
      let changed = false;
      for (const key of [...params.keys()]) {
        if (SENSITIVE_PARAMS.test(key)) {
          params.set(key, REDACTED);
          changed = true;
        }
      }
      if (changed) body = params.toString();
    }
    return this.text(body);
  }
}

export function isSensitiveHeader(name: string): boolean {
  return SENSITIVE_HEADERS.has(name.toLowerCase());
}

/** Keep the scheme ("Bearer") so a reader still sees what kind of credential was sent. */
function redactHeaderValue(value: string): string {
  const scheme = /^(Bearer|Basic|Digest|Token)\s+/i.exec(value);
  return scheme ? `${scheme[1]} ${REDACTED}` : REDACTED;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
