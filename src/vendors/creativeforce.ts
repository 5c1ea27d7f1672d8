// Creative Force Gateway API: an app is registered on behalf of one user, so acting as another user
// means using that user's app (its own client id and secret). Per-endpoint Developer API permissions
// are None (fails) or Access (succeeds); the table below is the seed's, and lives only here.

import { BehalfError } from '../core/errors';
import type { ActAs, Explanation, HttpResponse, PreparedRequest, Principal, RequestSpec } from '../core/model';
import { bearer, clientCredentialsToken, tokenCacheKey, vendorMessage } from '../core/oauth';
import { findHeader } from '../core/transport';
import {
  describePrincipal,
  parseJsonBody,
  setIdentityHeader,
  type AdapterContext,
  type CheckProbe,
  type ConnectionAdapter,
  type ConnectionCheck,
  type OwnEndpoint,
  type VendorDefinition,
} from '../core/vendor';

export const DEFAULT_TOKEN_URL = 'https://accounts.creativeforce.io/connect/token';
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
  modesNote: "each principal is its own registered app, carrying that user's role and permissions (full).",
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
  // No hidesWithNotFound: the gateway checks the app's role first and answers 403 (see the permission probes); a
  // 404 is a resource that does not exist.

  constructor(private readonly ctx: AdapterContext) {}

  /** The bulk-get-* routes (assets, files, specs) are POSTs that only read: a matrix may send them. */
  isRead(method: string, url: string): boolean {
    return method.toUpperCase() === 'POST' && /\/bulk-get-[a-z-]+\/?(?:[?#]|$)/i.test(url);
  }

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

  /**
   * Per registered app (the connection's own and each principal's): its token, then its Developer API permissions
   * against the External Post-Production table, probed without side effects (see probeSpec).
   */
  async *checks(probe: CheckProbe): AsyncIterable<ConnectionCheck> {
    const { connection } = this.ctx;
    const apps: Array<{ label: string; principal?: Principal }> = [];
    if (connection.clientId && probe.serviceToken !== 'failed') apps.push({ label: connection.clientId });
    for (const principal of connection.principals) if (principal.clientId) apps.push({ label: principal.id, principal });
    const routes = [...new Map(DEVELOPER_API_PERMISSIONS.map((p) => [`${p.method} ${p.path}`, p])).values()];
    const answers = new Map<string, Map<string, RouteAnswer>>();
    for (const app of apps) {
      const id = app.principal ? `creativeforce.token.${app.principal.id}` : 'creativeforce.token';
      const title = `Token of app ${app.label}`;
      const clientId = app.principal?.clientId ?? connection.clientId;
      const probed = await Promise.all(routes.map((route) => this.probeRoute(probe, route, app.principal)));
      const refused = probed.find((a) => a.tokenError);
      yield refused
        ? { id, title, status: 'fail', principal: app.principal?.id, detail: refused.tokenError! }
        : { id, title, status: 'pass', principal: app.principal?.id, detail: `App ${clientId} got a token (scope=${SCOPE}).` };
      if (!refused) answers.set(app.label, new Map(routes.map((route, i) => [`${route.method} ${route.path}`, probed[i]])));
    }
    // [assumed] A permitted call answers 404 to an id that cannot exist; a route that answers 404 for every app may not exist here.
    const everywhere404 = new Set(
      routes
        .map((r) => `${r.method} ${r.path}`)
        .filter((key) => answers.size > 0 && [...answers.values()].every((byRoute) => byRoute.get(key)?.status === 404)),
    );
    for (const [label, byRoute] of answers) {
      const principal = apps.find((a) => a.label === label)?.principal;
      const modules = (['ECOMM', 'EDITORIAL'] as const).map((module) => tally(module, byRoute, everywhere404));
      // A module none of whose own routes is granted (only those it shares with the other) is one the app is not set up for.
      const ownGranted = (m: ModuleTally) => m.required.granted.filter((key) => !modules.some((o) => o !== m && o.routes.has(key))).length;
      for (const m of modules) {
        const notForIt = ownGranted(m) === 0 && modules.some((o) => o !== m && ownGranted(o) > 0);
        const status = m.required.missing.length === 0 ? (m.unknown.length ? 'warn' : 'pass') : notForIt ? 'skip' : 'fail';
        const notSetUp = notForIt ? ` — not set up for ${m.module} (only the routes it shares with the other module are granted)` : '';
        yield {
          id: `creativeforce.permissions.${principal?.id ?? 'self'}.${m.module.toLowerCase()}`,
          title: `Developer API permissions of ${label}: ${m.module}`,
          status,
          principal: principal?.id,
          permission: m.module,
          detail: `${label}: ${m.module} ${countText('required', m.required)}; ${countText('optional', m.optional)}${notSetUp}${m.unknown.length ? `; not known: ${m.unknown.join(', ')}` : ''}.`,
          ...(status === 'fail'
            ? {
                fix: {
                  title: `Set ${m.required.missing.join(', ')} to "Access" in the Developer API tab of ${label}'s on-behalf user's role (changes can take up to 10 minutes)`,
                },
              }
            : {}),
        };
      }
    }
    if (everywhere404.size > 0) {
      yield {
        id: 'creativeforce.routes',
        title: 'Routes answering 404 for every app',
        status: 'warn',
        detail: `${[...everywhere404].join(', ')} answered 404 for every app. With an id that cannot exist that is what a permitted call answers, but a route that no app is refused may also not exist on this gateway: not counted as Access.`,
      };
    }
  }

  /** One side-effect-free call of a route as an app; a token the app could not get comes back as tokenError. */
  private async probeRoute(probe: CheckProbe, route: Permission, principal: Principal | undefined): Promise<RouteAnswer> {
    try {
      const record = await probe.send(probeSpec(route), {
        principal,
        sideEffectFree: 'a permission probe: an id that cannot exist, or a body the gateway rejects',
      });
      return { status: record.status };
    } catch (e) {
      if (e instanceof BehalfError && e.code === 'cancelled') throw e;
      const message = e instanceof Error ? e.message : String(e);
      return e instanceof BehalfError && ['token', 'secret-missing', 'secret-store', 'config'].includes(e.code) ? { tokenError: message } : { error: message };
    }
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

/** An id no Creative Force item has (the all-zero GUID). */
const PROBE_ID = '00000000-0000-0000-0000-000000000000';

/**
 * A call of a route that cannot change anything [assumed: the gateway checks the on-behalf user's role before the
 * resource]: ids that cannot exist in the path, and a body it must reject (bulk reads: no ids; other POSTs: empty).
 */
function probeSpec(route: Permission): RequestSpec {
  const url = route.path.replace(/\{[^}]+\}/g, PROBE_ID);
  const body = route.method === 'GET' ? undefined : /\/bulk-get-/.test(route.path) ? '{"ids":[]}' : '{}';
  return { name: 'permission probe', method: route.method, url, headers: body ? { 'Content-Type': 'application/json' } : {}, body };
}

interface RouteAnswer {
  status?: number;
  error?: string;
  tokenError?: string;
}

interface ModuleTally {
  module: Module;
  required: { granted: string[]; missing: string[]; total: number };
  optional: { granted: string[]; missing: string[]; total: number };
  /** Routes whose answer says nothing: 404 for every app, an error, a 429 or 5xx. */
  unknown: string[];
  /** Every route of the module ("METHOD /path"). */
  routes: Set<string>;
}

/** Which of a module's routes an app may call: 403 is None; 404, 400, 409 and 2xx are Access (the role let it through). */
function tally(module: Module, byRoute: Map<string, RouteAnswer>, everywhere404: Set<string>): ModuleTally {
  const result: ModuleTally = {
    module,
    required: { granted: [], missing: [], total: 0 },
    optional: { granted: [], missing: [], total: 0 },
    unknown: [],
    routes: new Set(),
  };
  for (const p of DEVELOPER_API_PERMISSIONS.filter((x) => x.module === module)) {
    const key = `${p.method} ${p.path}`;
    result.routes.add(key);
    const level = p.required ? result.required : result.optional;
    level.total++;
    const answer = byRoute.get(key);
    const status = answer?.status;
    if (status === 403) level.missing.push(key);
    else if (status === undefined || status === 401 || status === 429 || status >= 500 || everywhere404.has(key)) {
      result.unknown.push(`${key} (${status === undefined ? (answer?.error ?? 'no answer') : everywhere404.has(key) ? '404 for every app' : status})`);
    } else level.granted.push(key);
  }
  return result;
}

function countText(level: string, counts: ModuleTally['required']): string {
  return `${level} ${counts.granted.length} / ${counts.total}${counts.missing.length ? ` — missing ${counts.missing.join(', ')}` : ''}`;
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
