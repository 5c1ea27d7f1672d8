// Generic OAuth2 / in-house APIs: impersonation by a header template
// (`X-Impersonate-User: {{principal.email}}`) or by RFC 8693 token exchange (Keycloak, Auth0 and others).

import { BehalfError } from '../core/errors';
import { setupFieldPatterns } from '../core/connectionSetup';
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

/** Secret-like property names refused inside "impersonation" as everywhere in the file (the base schema's rule). */
const NO_SECRETS_HERE = Object.fromEntries(
  ['clientSecret', 'secret', 'token', 'password', 'apiKey', 'accessToken', 'refreshToken'].map((name) => [name, { $ref: '#/definitions/forbiddenSecret' }]),
);

export const generic: VendorDefinition = {
  id: 'generic',
  displayName: 'Generic API',
  summary: 'Any other API: impersonation by header or OAuth token exchange, configured with "impersonation".',
  settings: {
    properties: { impersonation: { $ref: '#/definitions/impersonation' } },
    definitions: {
      impersonation: {
        type: 'object',
        description:
          'Generic vendor only: how to send a request as someone else, by header ({"kind": "header"}) or OAuth token exchange ({"kind": "tokenExchange"}).',
        required: ['kind'],
        properties: {
          kind: {
            type: 'string',
            enum: ['header', 'tokenExchange'],
            enumDescriptions: [
              'Send headers naming the principal, e.g. X-Impersonate-User.',
              "Exchange the service token for one of the principal's (OAuth 2.0 token exchange, RFC 8693; Keycloak style).",
            ],
            description: 'How to impersonate: header (send headers naming the principal) or tokenExchange (OAuth 2.0 token exchange).',
          },
        },
        allOf: [
          {
            if: {
              required: ['kind'],
              properties: {
                kind: {
                  const: 'header',
                },
              },
            },
            then: {
              $ref: '#/definitions/headerImpersonation',
            },
          },
          {
            if: {
              required: ['kind'],
              properties: {
                kind: {
                  const: 'tokenExchange',
                },
              },
            },
            then: {
              $ref: '#/definitions/tokenExchangeImpersonation',
            },
          },
        ],
      },
      headerImpersonation: {
        type: 'object',
        description: 'Impersonate by sending headers that name the principal.',
        additionalProperties: false,
        required: ['kind', 'headers'],
        properties: {
          kind: {
            const: 'header',
            description: 'header: send headers naming the principal.',
          },
          headers: {
            type: 'object',
            description: 'Header name → value template, e.g. {"X-Impersonate-User": "{{principal.email}}"}.',
            propertyNames: {
              pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
              patternErrorMessage: "Header names are made of letters, digits and !#$%&'*+.^_`|~- (no spaces or colons).",
            },
            additionalProperties: {
              type: 'string',
              description: 'The header\'s value template, e.g. "{{principal.email}}".',
            },
            allOf: [
              {
                minProperties: 1,
                errorMessage: 'kind "header" needs at least one header, e.g. {"X-Impersonate-User": "{{principal.email}}"}',
              },
            ],
          },
          writesOnly: {
            type: 'boolean',
            description: 'true: send the headers only on mutating requests (POST, PUT, PATCH, DELETE), as an attribution header.',
          },
          ...NO_SECRETS_HERE,
        },
      },
      tokenExchangeImpersonation: {
        type: 'object',
        description: 'Impersonate with an OAuth 2.0 token exchange (RFC 8693): the service token is exchanged for a token of the principal.',
        additionalProperties: false,
        required: ['kind'],
        properties: {
          kind: {
            const: 'tokenExchange',
            description: 'tokenExchange: OAuth 2.0 token exchange (RFC 8693).',
          },
          tokenUrl: {
            type: 'string',
            pattern: '^https?://[^\\s/?#]+[^\\s]*$',
            patternErrorMessage: 'Must be an http:// or https:// URL with a host and no spaces, e.g. https://acme.dealcloud.com.',
            description: "Token endpoint for the exchange; defaults to the connection's token URL.",
          },
          subject: {
            type: 'string',
            minLength: 1,
            description: 'Template for the requested subject; default "{{principal.userId}}", falling back to the principal\'s id.',
          },
          subjectParam: {
            type: 'string',
            minLength: 1,
            description: 'Form field that carries the subject; servers differ (Keycloak: "requested_subject").',
          },
          audience: {
            type: 'string',
            minLength: 1,
            description: 'The audience to request the exchanged token for.',
          },
          ...NO_SECRETS_HERE,
        },
      },
    },
    elsewhere: { impersonation: 'the other vendors impersonate their own way' },
  },
  modesNote: "the connection's impersonation settings decide: a header on writes only is lite, otherwise full.",
  setup: {
    connectionFields: [
      {
        key: 'baseUrl',
        title: 'base URL',
        prompt: 'The API; requests like "/api/..." are relative to it',
        placeholder: 'https://api.example.com',
        type: 'url',
        ...setupFieldPatterns.url,
      },
      {
        key: 'auth',
        title: 'authentication',
        prompt: 'How Behalf authenticates as the service client',
        choices: [
          { value: 'clientCredentials', label: 'OAuth2 client credentials', detail: 'A client id and token URL here; the client secret in secret storage' },
          { value: 'token', label: 'Static bearer token', detail: 'An API token, kept in secret storage' },
          { value: 'none', label: 'None', detail: 'No authentication' },
        ],
      },
      {
        key: 'impersonation.kind',
        title: 'impersonation',
        prompt: 'How a request is sent as someone else',
        choices: [
          { value: 'header', label: 'Header', detail: 'Send a header naming the principal, e.g. X-Impersonate-User: {{principal.email}}' },
          {
            value: 'tokenExchange',
            label: 'OAuth token exchange (RFC 8693)',
            detail: "Exchange the service token for one of the principal's (Keycloak, Auth0 and others)",
            when: [{ auth: ['clientCredentials', 'token'] }],
          },
        ],
      },
      {
        key: 'tokenUrl',
        title: 'token URL',
        prompt: 'The OAuth token endpoint (client credentials and token exchange)',
        placeholder: 'https://auth.example.com/realms/acme/protocol/openid-connect/token',
        type: 'url',
        ...setupFieldPatterns.url,
        when: [{ auth: ['clientCredentials'] }, { 'impersonation.kind': ['tokenExchange'] }],
      },
      {
        key: 'clientId',
        title: 'client id',
        prompt: 'The OAuth client id (its secret is asked last and kept in secret storage)',
        ...setupFieldPatterns.nonEmpty,
        when: [{ auth: ['clientCredentials'] }],
      },
      {
        key: 'clientId',
        title: 'client id',
        prompt: 'Optional: the client id to name in the token exchange (the API token is the subject_token; it is never sent as a client secret)',
        optional: true,
        when: [{ auth: ['token'], 'impersonation.kind': ['tokenExchange'] }],
      },
      {
        key: 'scopes',
        title: 'scopes',
        prompt: 'Optional: OAuth scopes to request, separated by spaces',
        type: 'list',
        optional: true,
        when: [{ auth: ['clientCredentials'] }],
      },
      {
        key: 'impersonation.headers',
        title: 'impersonation header',
        prompt: 'The header and its value template: {{principal.email}}, {{principal.userId}}, {{principal.id}} or {{principal.name}}',
        default: 'X-Impersonate-User: {{principal.email}}',
        type: 'header',
        pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+\\s*:\\s*\\S",
        patternMessage: 'Name: value, e.g. X-Impersonate-User: {{principal.email}}',
        when: [{ 'impersonation.kind': ['header'] }],
      },
      {
        key: 'impersonation.writesOnly',
        title: 'header on',
        prompt: 'Which requests carry the header',
        type: 'boolean',
        choices: [
          { value: 'false', label: 'Every request', detail: "The principal's identity applies (full)" },
          { value: 'true', label: 'Writes only (POST, PUT, PATCH, DELETE)', detail: 'Attribution only; reads go out as the service client (lite)' },
        ],
        when: [{ 'impersonation.kind': ['header'] }],
      },
      {
        key: 'impersonation.subjectParam',
        title: 'subject parameter',
        prompt: 'The form field that names the principal in the exchange (Keycloak: requested_subject)',
        default: 'requested_subject',
        pattern: '^[A-Za-z0-9_.-]+$',
        patternMessage: 'A form field name: letters, digits, "_", "." and "-"',
        when: [{ 'impersonation.kind': ['tokenExchange'] }],
      },
      {
        key: 'impersonation.subject',
        title: 'subject',
        prompt: "Optional: the template of the subject sent; leave empty for {{principal.userId}} (the principal's id when it has no userId)",
        placeholder: '{{principal.userId}}',
        optional: true,
        when: [{ 'impersonation.kind': ['tokenExchange'] }],
      },
      {
        key: 'impersonation.audience',
        title: 'audience',
        prompt: 'Optional: the audience to request the exchanged token for',
        optional: true,
        when: [{ 'impersonation.kind': ['tokenExchange'] }],
      },
    ],
    secretPrompts: {
      clientCredentials: 'The OAuth client secret',
      token: 'The API token (sent as Authorization: Bearer, and as subject_token in a token exchange)',
    },
    principalFields: ['userId', 'email'],
    principalPrompts: { userId: 'The user id the API expects (token exchange subject)', email: "The user's email (header templates often use it)" },
  },
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
