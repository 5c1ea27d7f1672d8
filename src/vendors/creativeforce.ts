// Creative Force Gateway API: an app is registered on behalf of one user, so acting as another user
// means using that user's app (its own client id and secret). Per-endpoint Developer API permissions
// are None (fails) or Access (succeeds); the table below is the seed's, and lives only here.

import { BehalfError } from '../core/errors';
import { setupFieldPatterns } from '../core/connectionSetup';
import type { ActAs, Explanation, HttpResponse, PreparedRequest } from '../core/model';
import { bearer, clientCredentialsToken, tokenCacheKey, vendorMessage } from '../core/oauth';
import { findHeader } from '../core/transport';
import {
  describePrincipal,
  parseJsonBody,
  setIdentityHeader,
  type AdapterContext,
  type ConnectionAdapter,
  type OwnEndpoint,
  type VendorDefinition,
} from '../core/vendor';

const DEFAULT_TOKEN_URL = 'https://accounts.creativeforce.io/connect/token';
const DEFAULT_GATEWAY_URL = 'https://gateway.creativeforce.io/v1';
const SCOPE = 'cfgateway';
/** The published limit is 20/s per IP; a steady 19/s keeps any 1 s window under it. */
const REQUESTS_PER_SECOND = 19;

type Module = 'ECOMM' | 'EDITORIAL';
interface Permission {
  method: string;
  path: string;
  module: Module;
  required: boolean;
}

/** Developer API permissions from the seed (External Post-Production), paths relative to /v1. */
export const DEVELOPER_API_PERMISSIONS: readonly Permission[] = [
  ...(
    [
      ['GET', '/extpost/tasks/{taskId}', true],
      ['POST', '/assets/bulk-get-assets', true],
      ['POST', '/files/bulk-get-files', true],
      ['POST', '/specs/bulk-get-specs', true],
      ['PUT', '/extpost/tasks/{taskId}/start', true],
      ['POST', '/assets/get-presigned-url', true],
      ['POST', '/extpost/tasks/{taskId}/submit-assets', true],
      ['GET', '/jobs/{jobId}', false],
      ['GET', '/products/{productId}', false],
    ] as const
  ).map(([method, path, required]) => ({ method, path, module: 'ECOMM' as const, required })),
  ...(
    [
      ['GET', '/editorial/extpost/tasks/{taskId}', true],
      ['POST', '/assets/bulk-get-assets', true],
      ['POST', '/files/bulk-get-files', true],
      ['POST', '/editorial/specs/bulk-get-specs', true],
      ['PUT', '/editorial/extpost/tasks/{taskId}/start', true],
      ['POST', '/assets/get-presigned-url', true],
      ['POST', '/editorial/extpost/tasks/{taskId}/submit-assets', true],
      ['GET', '/editorial/projects/{projectId}', false],
      ['GET', '/editorial/deliverables/{deliverableId}', false],
    ] as const
  ).map(([method, path, required]) => ({ method, path, module: 'EDITORIAL' as const, required })),
];

export const creativeForce: VendorDefinition = {
  id: 'creativeforce',
  displayName: 'Creative Force',
  summary: 'Creative Force: each principal is its own registered app (principals need clientId).',
  settings: {
    properties: {},
    serviceClientOptional:
      'a Creative Force connection may have no app of its own ("clientId"): every principal is a registered app, and each request names the app to send as.',
    rules: [
      {
        comment: 'Without an app of its own ("clientId"), every request goes out as one of the principals\' apps: there must be one.',
        when: { not: { required: ['clientId'] } },
        then: {
          required: ['principals'],
          properties: {
            principals: {
              minItems: 1,
              errorMessage:
                'a creativeforce connection without "clientId" (its own app) sends every request as one of its principals\' apps: add a principal with its app\'s "clientId", or set "clientId"',
            },
          },
          errorMessage:
            'a creativeforce connection without "clientId" (its own app) sends every request as one of its principals\' apps: add "principals", or set "clientId"',
        },
      },
      {
        comment: 'Creative Force principals are registered apps with their own client id.',
        then: {
          properties: {
            principals: {
              items: {
                required: ['clientId'],
                errorMessage:
                  'creativeforce principals need "clientId": each principal is its own registered app (its secret goes in BEHALF_SECRET_<CONNECTION_ID>_<PRINCIPAL_ID>)',
              },
            },
          },
        },
      },
    ],
  },
  modesNote: "each principal is its own registered app, carrying that user's role and permissions (full).",
  setup: {
    connectionFields: [
      {
        key: 'baseUrl',
        title: 'gateway URL',
        prompt: 'The Creative Force Gateway API; requests like "/extpost/tasks/..." are relative to it',
        placeholder: DEFAULT_GATEWAY_URL,
        default: DEFAULT_GATEWAY_URL,
        type: 'url',
        ...setupFieldPatterns.url,
      },
      {
        key: 'tokenUrl',
        title: 'token URL',
        prompt: 'Where app tokens come from (scope cfgateway)',
        placeholder: DEFAULT_TOKEN_URL,
        default: DEFAULT_TOKEN_URL,
        type: 'url',
        ...setupFieldPatterns.url,
      },
      {
        key: 'clientId',
        title: 'Application ID',
        prompt: "The Application ID of the registered app used when sending as yourself; each principal's own app is added with Add Principal",
        ...setupFieldPatterns.nonEmpty,
      },
    ],
    secretPrompts: { clientCredentials: "The registered app's Secret Key" },
    principalFields: ['clientId', 'email'],
    principalPrompts: {
      clientId: 'The Application ID of the app registered on behalf of this user',
      email: "The on-behalf user's email (optional, for display)",
    },
  },
  create: (ctx) => new CreativeForceAdapter(ctx),
};

class CreativeForceAdapter implements ConnectionAdapter {
  readonly modes = ['full'] as const;
  readonly impersonationHeaders = []; // the principal's own app token: nothing a request could set by hand
  /** The accounts server's token endpoint, where Behalf gets every app's token. */
  get ownEndpoints(): OwnEndpoint[] {
    return [{ url: this.tokenUrl(), name: 'the token endpoint', kind: 'token' }];
  }
  readonly requestsPerSecond = REQUESTS_PER_SECOND;

  constructor(private readonly ctx: AdapterContext) {}

  async authorize(request: PreparedRequest, actAs: ActAs, signal?: AbortSignal): Promise<void> {
    setIdentityHeader(request, 'Authorization', bearer(await this.appToken(actAs, signal)));
  }

  async onUnauthorized(actAs: ActAs): Promise<boolean> {
    this.ctx.tokens.invalidate(this.app(actAs).cacheKey);
    return true;
  }

  explain(response: HttpResponse, request: PreparedRequest, actAs: ActAs): Explanation | undefined {
    const app = this.app(actAs);
    const onBehalf = actAs.principal ? describePrincipal(actAs.principal) : "the connection's own on-behalf user";
    if (response.status === 403) {
      const permissions = permissionsFor(request.method, pathWithinGateway(request.url, this.ctx.connection.baseUrl));
      if (permissions.length === 0) {
        return {
          message: `Creative Force refused app ${app.clientId} (${onBehalf}) with 403; this endpoint is not in the Developer API permission table Behalf knows. The user's role, groups or workspace access may not allow it.`,
        };
      }
      const where = permissions.map((p) => `${p.module}, ${p.required ? 'required' : 'optional'}`).join('; ');
      // Calls carry the user's role (Developer API permissions), groups and workspace access: either can refuse.
      return {
        message:
          `Creative Force refused app ${app.clientId} (${onBehalf}) with 403. Most likely the Developer API permission ${permissions[0].method} ${permissions[0].path} (${where}) is "None" ` +
          `in that user's role: set it to "Access" (Developer API tab; changes can take up to 10 minutes). Otherwise the user lacks access to this item's workspace or group.`,
      };
    }
    if (response.status === 401) return { message: `Creative Force did not accept the token of app ${app.clientId} even after a fresh one.` };
    if (response.status === 429) {
      const retryAfter = findHeader(response.headers, 'retry-after');
      return {
        message:
          retryAfter !== undefined
            ? `Creative Force allows 20 requests per second per IP and still answered 429 (Retry-After: ${retryAfter}); Behalf retries a few times when the wait is short, then stops. Another client on this IP may share the budget; slow down and retry.`
            : 'Creative Force allows 20 requests per second per IP and answered 429 with no Retry-After, so Behalf did not retry. Another client on this IP may share the budget; wait a moment and retry.',
      };
    }
    const message = vendorMessage(parseJsonBody(response));
    return message ? { message: `Creative Force said: "${message}" (${response.status}).` } : undefined;
  }

  async dispose(): Promise<void> {
    // Tokens only; they expire on their own.
  }

  /** Acting as a principal = using that principal's registered app. */
  private app(actAs: ActAs): { clientId: string; principalId?: string; cacheKey: string } {
    const { connection, principal } = actAs;
    const clientId = principal ? principal.clientId : connection.clientId;
    if (!clientId) {
      if (principal) {
        throw new BehalfError(
          'config',
          `Principal "${principal.id}" has no "clientId": on Creative Force each principal is a registered app with its own client id.`,
          { position: connection.position },
        );
      }
      // An apps-only connection: Creative Force has no service user, so there is nothing to send as but an app.
      const apps = connection.principals.map((p) => p.id);
      throw new BehalfError(
        'principal',
        `Not sent: ${connection.label} has no app of its own (no "clientId"), so pick the app (principal) to send as${apps.length ? ` (${apps.join(', ')})` : ''}.`,
        {
          position: connection.position,
          hint: `add "# @as <principal>" above the request (CLI: --as <principal>), or give ${connection.id} a "clientId" of its own`,
        },
      );
    }
    return { clientId, principalId: principal?.id, cacheKey: tokenCacheKey(connection.id, 'app', { tokenUrl: this.tokenUrl(), clientId, scopes: [SCOPE] }) };
  }

  private tokenUrl(): string {
    return this.ctx.connection.tokenUrl ?? DEFAULT_TOKEN_URL;
  }

  private appToken(actAs: ActAs, signal?: AbortSignal): Promise<string> {
    const app = this.app(actAs);
    return clientCredentialsToken(this.ctx, {
      cacheKey: app.cacheKey,
      tokenUrl: this.tokenUrl(),
      clientId: app.clientId,
      secretKey: { connectionId: this.ctx.connection.id, principalId: app.principalId },
      secretName: app.principalId ? 'app secret key' : 'secret key',
      form: { scope: SCOPE },
      signal,
    });
  }
}

/** The request's path below the gateway's /v1, e.g. "/extpost/tasks/42". */
function pathWithinGateway(url: string, baseUrl: string): string {
  let path: string;
  try {
    path = new URL(url).pathname;
  } catch {
    return url;
  }
  const basePath = new URL(baseUrl).pathname.replace(/\/+$/, '');
  if (basePath && path.startsWith(basePath)) path = path.slice(basePath.length);
  return path.replace(/^\/v1(?=\/)/, '');
}

export function permissionsFor(method: string, path: string): Permission[] {
  return DEVELOPER_API_PERMISSIONS.filter((p) => p.method === method.toUpperCase() && templateMatches(p.path, path));
}

function templateMatches(template: string, path: string): boolean {
  const a = template.split('/');
  const b = path.replace(/\/+$/, '').split('/');
  return a.length === b.length && a.every((seg, i) => (seg.startsWith('{') ? b[i].length > 0 : seg === b[i]));
}
