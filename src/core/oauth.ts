// OAuth helpers every adapter shares: the service secret, client-credentials tokens (cached,
// single flight) and the error sentence when a token endpoint refuses. Vendor-neutral.

import { BehalfError } from './errors';
import type { HttpResponse } from './model';
import type { SecretKey } from './ports';
import { parseJsonBody, pickField, readTokenResponse, type AdapterContext } from './vendor';

export async function requireSecret(ctx: AdapterContext, key: SecretKey, what: string): Promise<string> {
  let secret: string | undefined;
  try {
    secret = await ctx.secrets.get(key);
  } catch (e) {
    throw new BehalfError('secret-store', `Could not read the ${what} from the secret store: ${e instanceof Error ? e.message : String(e)}.`, {
      hint: 'check that the system keyring is available',
    });
  }
  if (!secret) {
    const owner = `connection "${ctx.connection.id}"${key.principalId ? ` principal "${key.principalId}"` : ''}`;
    throw new BehalfError('secret-missing', `No ${what} for ${owner}: ${ctx.secrets.whereToSet(key)}.`);
  }
  ctx.redactor.add(secret);
  return secret;
}

/**
 * A token cache key that changes whenever what the token was issued for changes: a new token URL, client id,
 * scope set (order and duplicates ignored) or impersonation subject gets its own token instead of reusing the
 * old one until it expires. Never put a secret in it: a changed secret is handled by the host, which clears the
 * cache when it stores one (TokenCache.invalidateAll).
 */
export function tokenCacheKey(connectionId: string, kind: string, issuedFor: Record<string, string | readonly string[] | undefined>): string {
  const parts = Object.keys(issuedFor)
    .sort()
    .map((name) => {
      const value = issuedFor[name];
      return [name, Array.isArray(value) ? [...new Set(value as readonly string[])].sort() : (value ?? null)];
    });
  return `${connectionId}:${kind}:${JSON.stringify(parts)}`;
}

export interface ClientCredentialsRequest {
  cacheKey: string;
  tokenUrl: string;
  clientId: string;
  secretKey: SecretKey;
  /** Extra form fields (scope, grant_type variants, audience). */
  form?: Record<string, string>;
  /** Name of the credential in messages ("API key", "app secret"). */
  secretName: string;
  signal?: AbortSignal;
}

/** A client-credentials token from the cache, fetched once when missing or expiring. */
export function clientCredentialsToken(ctx: AdapterContext, req: ClientCredentialsRequest): Promise<string> {
  return ctx.tokens.get(req.cacheKey, async () => {
    const secret = await requireSecret(ctx, req.secretKey, req.secretName);
    const response = await ctx.call(
      {
        method: 'POST',
        url: req.tokenUrl,
        form: { grant_type: 'client_credentials', client_id: req.clientId, client_secret: secret, ...req.form },
      },
      req.signal,
    );
    return readIssuedToken(ctx, response, `client ${req.clientId}`);
  });
}

/** How a vendor's service authenticates, for serviceToken(): what differs between vendors is passed in. */
export interface ServiceTokenOptions {
  cacheKey: string;
  /** Where client-credentials tokens come from (undefined: the vendor has no default and none is set). */
  tokenUrl: string | undefined;
  /** Extra form fields of the client-credentials request (scope). */
  form?: Record<string, string>;
  /** The credential's name in messages ("API key (client secret)", "client secret"). */
  secretName: string;
  /** What "clientId" (and "tokenUrl", where there is no default) the connection lacks, after 'Connection "id" needs'. */
  missingClientCredentials: string;
  /**
   * `"auth": "none"`: `undefined` means the vendor can be called without a token; a string is the error to raise
   * (Orange Logic always needs a service token, so "none" there is a configuration error, not "no token").
   */
  noneError?: string;
  signal?: AbortSignal;
}

/**
 * The service account's own token, the one way every vendor gets it: `"auth": "token"` → the stored API token;
 * `"clientCredentials"` (the default) → a cached client-credentials token; `"none"` → no token, or the vendor's error.
 */
export function serviceToken(ctx: AdapterContext, options: ServiceTokenOptions & { noneError: string }): Promise<string>;
export function serviceToken(ctx: AdapterContext, options: ServiceTokenOptions): Promise<string | undefined>;
export async function serviceToken(ctx: AdapterContext, options: ServiceTokenOptions): Promise<string | undefined> {
  const { connection } = ctx;
  switch (connection.auth ?? 'clientCredentials') {
    case 'none':
      if (options.noneError !== undefined) throw new BehalfError('config', options.noneError, { position: connection.position });
      return undefined;
    case 'token':
      return requireSecret(ctx, { connectionId: connection.id }, 'API token');
    case 'clientCredentials':
      if (!connection.clientId || !options.tokenUrl) {
        throw new BehalfError('config', `Connection "${connection.id}" needs ${options.missingClientCredentials}`, { position: connection.position });
      }
      return clientCredentialsToken(ctx, {
        cacheKey: options.cacheKey,
        tokenUrl: options.tokenUrl,
        clientId: connection.clientId,
        secretKey: { connectionId: connection.id },
        secretName: options.secretName,
        form: options.form,
        signal: options.signal,
      });
  }
}

/** Read a token endpoint's answer, registering the token for redaction, or explain its refusal. */
export function readIssuedToken(ctx: AdapterContext, response: HttpResponse, who: string): { token: string; expiresInSeconds?: number } {
  const body = parseJsonBody(response);
  if (response.status >= 200 && response.status < 300) {
    const issued = readTokenResponse(body);
    if (issued) {
      ctx.redactor.add(issued.token);
      return issued;
    }
    throw new BehalfError('token', `The token endpoint of ${ctx.connection.label} answered ${response.status} without an access token.`, {
      hint: "check the connection's tokenUrl",
    });
  }
  const reason = vendorMessage(body) ?? `HTTP ${response.status}`;
  const hint =
    response.status === 429
      ? 'too many token requests; wait a minute'
      : response.status === 400 || response.status === 401
        ? 'check the client id, the secret and the scopes'
        : undefined;
  throw new BehalfError('token', `${ctx.connection.label} refused a token for ${who}: ${ctx.redactor.text(reason).replace(/[.!]+$/, '')}.`, { hint });
}

/** The human part of an error body, whatever the vendor called it. */
export function vendorMessage(body: unknown): string | undefined {
  for (const path of [['message'], ['error_description'], ['APIResponse', 'Message'], ['error', 'message'], ['error'], ['title']]) {
    const value = pickField(body, ...path);
    if (typeof value === 'string' && value.trim()) return value.trim();
  }
  return undefined;
}

export function bearer(token: string): string {
  return `Bearer ${token}`;
}
