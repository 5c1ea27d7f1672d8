// Generic OAuth2 / in-house APIs: impersonation by a header template
// (`X-Impersonate-User: {{principal.email}}`) or by RFC 8693 token exchange (Keycloak, Auth0 and others).

import { BehalfError } from '../core/errors';
import type { ActAs, Connection, Explanation, HttpResponse, ImpersonationMode, PreparedRequest, Principal } from '../core/model';
import { isMutating } from '../core/model';
import { bearer, readIssuedToken, requireSecret, serviceToken, tokenCacheKey, vendorMessage } from '../core/oauth';
import {
  describePrincipal,
  parseJsonBody,
  setIdentityHeader,
  type AdapterContext,
  type ConnectionAdapter,
  type OwnEndpoint,
  type VendorDefinition,
} from '../core/vendor';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** Generic impersonation strategies, for in-house APIs and Keycloak-style servers. */
export type GenericImpersonation =
  | {
      kind: 'header';
      /** Header name → template, e.g. {"X-Impersonate-User": "{{principal.email}}"}. */
      headers: Record<string, string>;
      /** Only send the headers on mutating requests (a "lite"-style attribution header). */
      writesOnly?: boolean;
    }
  | {
      kind: 'tokenExchange';
      /** Token endpoint for the exchange; defaults to the connection's token URL. */
      tokenUrl?: string;
      /** Template for the requested subject, default "{{principal.userId}}" falling back to id. */
      subject?: string;
      /** Form field carrying the subject: RFC 8693 servers differ (Keycloak: requested_subject). */
      subjectParam?: string;
      audience?: string;
    };

/** The connection's "impersonation" setting (its shape was checked by the schema). */
export function impersonationOf(connection: Connection): GenericImpersonation | undefined {
  const value = connection.settings?.impersonation;
  return value && typeof value === 'object' ? (value as GenericImpersonation) : undefined;
}

export const generic: VendorDefinition = {
  id: 'generic',
  displayName: 'Generic API',
  modesNote: "the connection's impersonation settings decide: a header on writes only is lite, otherwise full.",
  create: (ctx) => new GenericAdapter(ctx),
};

class GenericAdapter implements ConnectionAdapter {
  readonly modes: readonly ImpersonationMode[];
  get impersonationHeaders(): string[] {
    const imp = impersonationOf(this.ctx.connection);
    return imp?.kind === 'header' ? Object.keys(imp.headers) : [];
  }
  /** The token endpoints Behalf calls itself: client credentials, and the token exchange's when it has its own. */
  get ownEndpoints(): OwnEndpoint[] {
    const { connection } = this.ctx;
    const imp = impersonationOf(connection);
    const endpoints: OwnEndpoint[] = [];
    if (connection.tokenUrl) endpoints.push({ url: connection.tokenUrl, name: 'the token endpoint', kind: 'token' });
    if (imp?.kind === 'tokenExchange' && imp.tokenUrl && imp.tokenUrl !== connection.tokenUrl) {
      endpoints.push({ url: imp.tokenUrl, name: 'the token exchange endpoint', kind: 'token' });
    }
    if (imp?.kind === 'tokenExchange') {
      const example = connection.principals[0]?.id ?? '<principal>';
      for (const e of endpoints) e.hint = `use "# @as ${example}": Behalf exchanges the token for the principal's itself`;
    }
    return endpoints;
  }
  private readonly serviceKey: string;

  constructor(private readonly ctx: AdapterContext) {
    const imp = impersonationOf(ctx.connection);
    // A header sent on writes only attributes changes (lite); otherwise the principal's identity applies (full).
    this.modes = imp?.kind === 'header' && imp.writesOnly ? ['lite'] : ['full'];
    const { connection } = ctx;
    this.serviceKey = tokenCacheKey(connection.id, 'service', {
      tokenUrl: connection.tokenUrl,
      clientId: connection.clientId,
      scopes: connection.scopes ?? [],
    });
  }

  async authorize(request: PreparedRequest, actAs: ActAs, signal?: AbortSignal): Promise<void> {
    const { principal } = actAs;
    const imp = impersonationOf(this.ctx.connection);
    if (principal && imp?.kind === 'tokenExchange') {
      setIdentityHeader(request, 'Authorization', bearer(await this.exchangedToken(principal, signal)));
      return;
    }
    const token = await this.serviceToken(signal);
    if (token) setIdentityHeader(request, 'Authorization', bearer(token));
    if (principal) {
      if (!imp)
        throw new BehalfError(
          'config',
          `Connection "${this.ctx.connection.id}" has no "impersonation" settings, so it cannot send as ${describePrincipal(principal)}.`,
          { position: this.ctx.connection.position },
        );
      if (imp.kind === 'header' && (!imp.writesOnly || isMutating(request.method))) {
        for (const [name, template] of Object.entries(imp.headers)) setIdentityHeader(request, name, expandPrincipal(template, principal));
      } else if (imp.kind === 'header') {
        (request.notes ??= []).push(
          `Lite impersonation only marks writes (${Object.keys(imp.headers).join(', ')} on writes only): this read went out as the service account (its own permissions).`,
        );
      }
    }
  }

  async onUnauthorized(actAs: ActAs): Promise<boolean> {
    if (this.ctx.connection.auth === 'none') return false;
    this.ctx.tokens.invalidate(this.serviceKey);
    // An exchanged token is cached and can be exchanged again even when the service token is static.
    const exchanged = !!actAs.principal && impersonationOf(this.ctx.connection)?.kind === 'tokenExchange';
    if (actAs.principal) this.ctx.tokens.invalidate(this.exchangeKey(actAs.principal));
    return this.ctx.connection.auth !== 'token' || exchanged;
  }

  explain(response: HttpResponse, _request: PreparedRequest, actAs: ActAs): Explanation | undefined {
    const message = vendorMessage(parseJsonBody(response));
    if (actAs.principal && (response.status === 401 || response.status === 403)) {
      return {
        message: `The API refused the request as ${describePrincipal(actAs.principal)} (${response.status})${message ? `: "${message}"` : ''}. The service client may not be allowed to impersonate this user.`,
      };
    }
    return message ? { message: `The API said: "${message}" (${response.status}).` } : undefined;
  }

  async dispose(): Promise<void> {}

  /** Per principal, and per everything the exchanged token depends on (the subject sent, the service token's key). */
  private exchangeKey(principal: Principal): string {
    const { connection } = this.ctx;
    const imp = impersonationOf(connection);
    if (imp?.kind !== 'tokenExchange') return tokenCacheKey(connection.id, 'exchange', { principal: principal.id });
    return tokenCacheKey(connection.id, 'exchange', {
      principal: principal.id,
      tokenUrl: imp.tokenUrl ?? connection.tokenUrl,
      clientId: connection.clientId,
      subjectParam: imp.subjectParam,
      subject: expandPrincipal(imp.subject ?? '{{principal.userId}}', principal),
      audience: imp.audience,
      service: this.serviceKey,
    });
  }

  /** RFC 8693: trade the service token for one that acts as the principal; cached per principal. */
  private exchangedToken(principal: Principal, signal?: AbortSignal): Promise<string> {
    const { connection } = this.ctx;
    const imp = impersonationOf(connection);
    if (imp?.kind !== 'tokenExchange') throw new Error('unreachable');
    const tokenUrl = imp.tokenUrl ?? connection.tokenUrl;
    if (!tokenUrl)
      throw new BehalfError('config', `Connection "${connection.id}" needs "tokenUrl" (or impersonation.tokenUrl) for token exchange.`, {
        position: connection.position,
      });
    return this.ctx.tokens.get(this.exchangeKey(principal), async () => {
      const subjectToken = await this.serviceToken(signal);
      if (!subjectToken) throw new BehalfError('config', `Token exchange needs a service token; connection "${connection.id}" has "auth": "none".`);
      const form: Record<string, string> = {
        grant_type: TOKEN_EXCHANGE,
        subject_token: subjectToken,
        subject_token_type: ACCESS_TOKEN_TYPE,
        requested_token_type: ACCESS_TOKEN_TYPE,
        [imp.subjectParam ?? 'requested_subject']: expandPrincipal(imp.subject ?? '{{principal.userId}}', principal),
      };
      if (imp.audience) form['audience'] = imp.audience;
      // The client authenticates with its own credentials (RFC 8693 §2.1, RFC 6749 §2.3): with client credentials,
      // the secret that obtained the subject token. A static API token ("auth": "token") is the subject_token, a
      // bearer credential: it is never also sent as client_secret, so the client is only named (a public client).
      if (connection.clientId) {
        form['client_id'] = connection.clientId;
        if (connection.auth !== 'token') form['client_secret'] = await requireSecret(this.ctx, { connectionId: connection.id }, 'client secret');
      }
      const response = await this.ctx.call({ method: 'POST', url: tokenUrl, form }, signal);
      return readIssuedToken(this.ctx, response, `${describePrincipal(principal)} (token exchange)`);
    });
  }

  private serviceToken(signal?: AbortSignal): Promise<string | undefined> {
    const { connection } = this.ctx;
    return serviceToken(this.ctx, {
      cacheKey: this.serviceKey,
      tokenUrl: connection.tokenUrl,
      secretName: 'client secret',
      missingClientCredentials: '"clientId" and "tokenUrl" for client credentials (or "auth": "token" / "none").',
      form: connection.scopes?.length ? { scope: connection.scopes.join(' ') } : {},
      signal,
    });
  }
}

/** `{{principal.email}}`, `{{principal.userId}}` (falls back to id), `{{principal.id}}`, `{{principal.name}}`. */
export function expandPrincipal(template: string, principal: Principal): string {
  return template.replace(/\{\{\s*principal\.(\w+)\s*\}\}/g, (whole, field: string) => {
    const value = field === 'userId' ? (principal.userId ?? principal.id) : (principal as unknown as Record<string, unknown>)[field];
    if (typeof value !== 'string' || !value) {
      throw new BehalfError('config', `Principal "${principal.id}" has no "${field}" for the impersonation template ${whole}.`);
    }
    return value;
  });
}
