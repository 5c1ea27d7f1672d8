// Generic OAuth2 / in-house APIs: impersonation by a header template
// (`X-Impersonate-User: {{principal.email}}`) or by RFC 8693 token exchange (Keycloak, Auth0 and others).

import { BehalfError } from '../core/errors';
import type { ActAs, Explanation, HttpResponse, ImpersonationMode, PreparedRequest, Principal } from '../core/model';
import { isMutating } from '../core/model';
import { bearer, clientCredentialsToken, readIssuedToken, requireSecret, tokenCacheKey, vendorMessage } from '../core/oauth';
import { describePrincipal, parseJsonBody, setIdentityHeader, type AdapterContext, type ConnectionAdapter, type VendorDefinition } from '../core/vendor';

const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

export const generic: VendorDefinition = {
  id: 'generic',
  displayName: 'Generic API',
  modesNote: "the connection's impersonation settings decide: a header on writes only is lite, otherwise full.",
  setup: {
    principalFields: ['userId', 'email'],
    principalPrompts: { userId: 'The user id the API expects (token exchange subject)', email: 'The user\'s email (header templates often use it)' },
  },
  create: (ctx) => new GenericAdapter(ctx),
};

class GenericAdapter implements ConnectionAdapter {
  readonly modes: readonly ImpersonationMode[];
  get impersonationHeaders(): string[] { const imp = this.ctx.connection.impersonation; return imp?.kind === 'header' ? Object.keys(imp.headers) : []; }
  private readonly serviceKey: string;

  constructor(private readonly ctx: AdapterContext) {
    const imp = ctx.connection.impersonation;
    // A header sent on writes only attributes changes (lite); otherwise the principal's identity applies (full).
    this.modes = imp?.kind === 'header' && imp.writesOnly ? ['lite'] : ['full'];
    const { connection } = ctx;
    this.serviceKey = tokenCacheKey(connection.id, 'service', { tokenUrl: connection.tokenUrl, clientId: connection.clientId, scopes: connection.scopes ?? [] });
  }

  async authorize(request: PreparedRequest, actAs: ActAs, signal?: AbortSignal): Promise<void> {
    const { principal } = actAs;
    const imp = this.ctx.connection.impersonation;
    if (principal && imp?.kind === 'tokenExchange') {
      setIdentityHeader(request, 'Authorization', bearer(await this.exchangedToken(principal, signal)));
      return;
    }
    const token = await this.serviceToken(signal);
    if (token) setIdentityHeader(request, 'Authorization', bearer(token));
    if (principal) {
      if (!imp) throw new BehalfError('config', `Connection "${this.ctx.connection.id}" has no "impersonation" settings, so it cannot send as ${describePrincipal(principal)}.`, { position: this.ctx.connection.position });
      if (imp.kind === 'header' && (!imp.writesOnly || isMutating(request.method))) {
        for (const [name, template] of Object.entries(imp.headers)) setIdentityHeader(request, name, expandPrincipal(template, principal));
      } else if (imp.kind === 'header') {
        (request.notes ??= []).push(`Lite impersonation only marks writes (${Object.keys(imp.headers).join(', ')} on writes only): this read went out as the service account (its own permissions).`);
      }
    }
  }

  async onUnauthorized(actAs: ActAs): Promise<boolean> {
    if (this.ctx.connection.auth === 'none') return false;
    this.ctx.tokens.invalidate(this.serviceKey);
    // An exchanged token is cached and can be exchanged again even when the service token is static.
    const exchanged = !!actAs.principal && this.ctx.connection.impersonation?.kind === 'tokenExchange';
    if (actAs.principal) this.ctx.tokens.invalidate(this.exchangeKey(actAs.principal));
    return this.ctx.connection.auth !== 'token' || exchanged;
  }

  explain(response: HttpResponse, _request: PreparedRequest, actAs: ActAs): Explanation | undefined {
    const message = vendorMessage(parseJsonBody(response));
    if (actAs.principal && (response.status === 401 || response.status === 403)) {
      return { message: `The API refused the request as ${describePrincipal(actAs.principal)} (${response.status})${message ? `: "${message}"` : ''}. The service client may not be allowed to impersonate this user.` };
    }
    return message ? { message: `The API said: "${message}" (${response.status}).` } : undefined;
  }

  async dispose(): Promise<void> {}

  /** Per principal, and per everything the exchanged token depends on (the subject sent, the service token's key). */
  private exchangeKey(principal: Principal): string {
    const { connection } = this.ctx;
    const imp = connection.impersonation;
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
    const imp = connection.impersonation;
    if (imp?.kind !== 'tokenExchange') throw new Error('unreachable');
    const tokenUrl = imp.tokenUrl ?? connection.tokenUrl;
    if (!tokenUrl) throw new BehalfError('config', `Connection "${connection.id}" needs "tokenUrl" (or impersonation.tokenUrl) for token exchange.`, { position: connection.position });
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
      if (connection.clientId) {
        form['client_id'] = connection.clientId;
        form['client_secret'] = await requireSecret(this.ctx, { connectionId: connection.id }, 'client secret');
      }
      const response = await this.ctx.call({ method: 'POST', url: tokenUrl, form }, signal);
      return readIssuedToken(this.ctx, response, `${describePrincipal(principal)} (token exchange)`);
    });
  }

  private async serviceToken(signal?: AbortSignal): Promise<string | undefined> {
    const { connection } = this.ctx;
    if (connection.auth === 'none') return undefined;
    if (connection.auth === 'token') return requireSecret(this.ctx, { connectionId: connection.id }, 'API token');
    if (!connection.clientId || !connection.tokenUrl) {
      throw new BehalfError('config', `Connection "${connection.id}" needs "clientId" and "tokenUrl" for client credentials (or "auth": "token" / "none").`, { position: connection.position });
    }
    return clientCredentialsToken(this.ctx, {
      cacheKey: this.serviceKey,
      tokenUrl: connection.tokenUrl,
      clientId: connection.clientId,
      secretKey: { connectionId: connection.id },
      secretName: 'client secret',
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
