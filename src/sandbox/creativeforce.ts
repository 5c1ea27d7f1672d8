// Creative Force double: an IdentityServer-style token endpoint (prefix /creativeforce/accounts) and the
// Gateway API (prefix /creativeforce/gateway/v1). Each registered app acts on behalf of one user whose
// per-endpoint Developer API skills are None or Access; the gateway allows N requests per second per IP.

import type { ConnectionJson, SandboxConfig, SandboxConnection, VendorDouble } from './doubles';
import { RateWindow } from './rateWindow';
import { type Reply, json, messageReply, refuse } from './replies';
import { type SandboxRequest, isPlainObject } from './requests';
import { type RouteParams, createRouter } from './router';
import { TokenStore, tokenLifetime } from './tokens';

const TOKEN_LIFETIME_SECONDS = 3600;
const SCOPE = 'cfgateway';
const TOKEN_PATH = '/accounts/connect/token';
const GATEWAY_PREFIX = '/gateway/v1';

type Module = 'ECOMM' | 'EDITORIAL';
type SkillLevel = 'required' | 'optional';

interface GatewayEndpoint {
  method: string;
  /** As the permission matrix names it, e.g. `/extpost/tasks/{taskId}`. */
  path: string;
  resource: string;
  /** Where the matrix lists it; endpoints shared by both modules are allowed when either grants them. */
  skills: Array<{ module: Module; level: SkillLevel }>;
  /** What the handler does once the role allowed the call: read one item, read a list by ids, or change a task / create an upload. */
  kind?: 'bulk' | 'start' | 'submit' | 'presign';
}

const ecomm = (level: SkillLevel) => ({ module: 'ECOMM' as const, level });
const editorial = (level: SkillLevel) => ({ module: 'EDITORIAL' as const, level });

const ENDPOINTS: GatewayEndpoint[] = [
  { method: 'GET', path: '/extpost/tasks/{taskId}', resource: 'task', skills: [ecomm('required')] },
  { method: 'PUT', path: '/extpost/tasks/{taskId}/start', resource: 'task', skills: [ecomm('required')], kind: 'start' },
  { method: 'POST', path: '/extpost/tasks/{taskId}/submit-assets', resource: 'task', skills: [ecomm('required')], kind: 'submit' },
  { method: 'POST', path: '/assets/bulk-get-assets', resource: 'assets', skills: [ecomm('required'), editorial('required')], kind: 'bulk' },
  { method: 'POST', path: '/files/bulk-get-files', resource: 'files', skills: [ecomm('required'), editorial('required')], kind: 'bulk' },
  { method: 'POST', path: '/specs/bulk-get-specs', resource: 'specs', skills: [ecomm('required')], kind: 'bulk' },
  { method: 'POST', path: '/assets/get-presigned-url', resource: 'presignedUrl', skills: [ecomm('required'), editorial('required')], kind: 'presign' },
  { method: 'GET', path: '/jobs/{jobId}', resource: 'job', skills: [ecomm('optional')] },
  { method: 'GET', path: '/products/{productId}', resource: 'product', skills: [ecomm('optional')] },
  { method: 'GET', path: '/editorial/extpost/tasks/{taskId}', resource: 'editorialTask', skills: [editorial('required')] },
  { method: 'PUT', path: '/editorial/extpost/tasks/{taskId}/start', resource: 'editorialTask', skills: [editorial('required')], kind: 'start' },
  { method: 'POST', path: '/editorial/extpost/tasks/{taskId}/submit-assets', resource: 'editorialTask', skills: [editorial('required')], kind: 'submit' },
  { method: 'POST', path: '/editorial/specs/bulk-get-specs', resource: 'editorialSpecs', skills: [editorial('required')], kind: 'bulk' },
  { method: 'GET', path: '/editorial/projects/{projectId}', resource: 'project', skills: [editorial('optional')] },
  { method: 'GET', path: '/editorial/deliverables/{deliverableId}', resource: 'deliverable', skills: [editorial('optional')] },
];

interface RegisteredApp {
  clientId: string;
  secret: string;
  /** The on-behalf user. */
  name: string;
  email: string;
  /** Skill levels set to Access per module; everything else is None. */
  access: Partial<Record<Module, SkillLevel[]>>;
  /** Single endpoints set to None inside an otherwise granted level ("METHOD /path"). */
  denied?: string[];
  /** The principal id this app stands for in the sandbox's cf-sandbox connection (the service app has none). */
  principalId?: string;
}

const APPS: RegisteredApp[] = [
  {
    clientId: 'cf-app-ops',
    secret: 'cf-sandbox-secret-ops1',
    name: 'Ops Service',
    email: 'ops@studio.test',
    access: { ECOMM: ['required', 'optional'], EDITORIAL: ['required', 'optional'] },
  },
  {
    clientId: 'cf-app-ecomm',
    secret: 'cf-sandbox-secret-ecm2',
    name: 'Eve Commerce',
    email: 'eve@studio.test',
    access: { ECOMM: ['required', 'optional'] },
    principalId: 'eve',
  },
  {
    clientId: 'cf-app-editorial',
    secret: 'cf-sandbox-secret-edt3',
    name: 'Ed Torres',
    email: 'ed@studio.test',
    access: { EDITORIAL: ['required', 'optional'] },
    principalId: 'ed',
  },
  {
    clientId: 'cf-app-partial',
    secret: 'cf-sandbox-secret-prt4',
    name: 'Pat Partial',
    email: 'pat@studio.test',
    access: { ECOMM: ['required'] },
    denied: ['PUT /extpost/tasks/{taskId}/start'],
    principalId: 'pat',
  },
];

function hasAccess(app: RegisteredApp, endpoint: GatewayEndpoint): boolean {
  if (app.denied?.includes(`${endpoint.method} ${endpoint.path}`)) return false;
  return endpoint.skills.some(({ module, level }) => app.access[module]?.includes(level) ?? false);
}

/**
 * The seed's items: every id shaped like the seed's (letters, a dash, digits: T-1, J-12, PR-9) exists; any other id
 * does not (404). A permission probe uses an id that cannot exist.
 */
const EXISTING_ID = /^[A-Z]{1,4}-\d+$/;

/** What changed on the gateway, for tests to assert that a probe changed nothing. */
export interface CreativeForceState {
  /** Task ids started (PUT …/start), in order. */
  startedTasks: string[];
  /** Uploads created (POST /assets/get-presigned-url). */
  uploads: Array<{ fileName: string; by: string }>;
  /** One entry per change, by whom: the audit trail. */
  audit: Array<{ action: string; by: string }>;
}

export interface CreativeForceDouble extends VendorDouble {
  state(): CreativeForceState;
}

export function createCreativeForce(config: SandboxConfig): CreativeForceDouble {
  const tokens = new TokenStore<RegisteredApp>('cf', tokenLifetime(config, TOKEN_LIFETIME_SECONDS));
  const gatewayRate = new RateWindow(config.cfRequestsPerSecond, 1000);
  let changes: CreativeForceState = { startedTasks: [], uploads: [], audit: [] };

  function issueToken(req: SandboxRequest): Reply {
    const form = req.form();
    if (form.grant_type !== 'client_credentials') return json(400, { error: 'unsupported_grant_type' });
    const app = APPS.find((a) => a.clientId === form.client_id && a.secret === form.client_secret);
    if (!app) return json(400, { error: 'invalid_client' });
    // Like IdentityServer: no scope means every scope the client may have, which is cfgateway.
    const scope = form.scope ?? SCOPE;
    if (scope.split(/\s+/).some((s) => s !== SCOPE)) return json(400, { error: 'invalid_scope' });
    const { token, expiresIn } = tokens.issue(app);
    return json(200, { access_token: token, expires_in: expiresIn, token_type: 'Bearer', scope: SCOPE });
  }

  function gatewayCall(endpoint: GatewayEndpoint, req: SandboxRequest, params: RouteParams): Reply {
    const app = tokens.lookup(req.bearerToken());
    if (!app) throw refuse(401, 'Unauthorized');
    const actedAs = { effectiveUser: app.email };
    // [assumed] The role is checked before the resource: a refused skill is 403 whatever the id or body.
    if (!hasAccess(app, endpoint)) {
      return messageReply(403, 'The on-behalf user of this app is not allowed to perform this action.', actedAs);
    }
    const missing = Object.entries(params).find(([, id]) => !EXISTING_ID.test(id));
    if (missing) return messageReply(404, `No ${endpoint.resource} with ${missing[0]} ${missing[1]}.`, actedAs);
    const body = req.hasBody() ? req.json() : undefined;
    if (endpoint.kind === 'bulk') {
      const ids = isPlainObject(body) ? body.ids : undefined;
      if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => typeof id === 'string' && id !== '')) {
        return messageReply(400, 'Expected {"ids": ["…"]} with at least one id.', actedAs);
      }
    }
    if (endpoint.kind === 'presign') {
      const fileName = isPlainObject(body) ? body.fileName : undefined;
      if (typeof fileName !== 'string' || fileName === '') return messageReply(400, 'Expected {"fileName": "…"}.', actedAs);
      changes.uploads.push({ fileName, by: app.email });
    }
    if (endpoint.kind === 'start') changes.startedTasks.push(params.taskId);
    if (endpoint.kind && endpoint.kind !== 'bulk')
      changes.audit.push({ action: `${endpoint.method} ${endpoint.path.replace('{taskId}', params.taskId ?? '')}`, by: app.email });
    const request = body !== undefined ? { request: body } : {};
    return json(200, { endpoint: `${endpoint.method} ${endpoint.path}`, resource: endpoint.resource, ...params, ...request, actedBy: app.email }, actedAs);
  }

  const routeGateway = createRouter(
    ENDPOINTS.map((endpoint) => ({
      method: endpoint.method,
      path: endpoint.path,
      handle: (req: SandboxRequest, params: RouteParams) => gatewayCall(endpoint, req, params),
    })),
  );
  const routeAccounts = createRouter([{ method: 'POST', path: TOKEN_PATH, handle: issueToken }]);

  function handle(req: SandboxRequest): Reply | Promise<Reply> {
    if (!isGateway(req)) return routeAccounts(req);
    const rate = gatewayRate.hit(req.remoteAddress);
    if (!rate.allowed) return messageReply(429, 'Too many requests.', { headers: { 'retry-after': '1' } });
    // Routes are written under the gateway prefix, so they read like the permission matrix.
    return routeGateway(req.withPath(req.path.slice(GATEWAY_PREFIX.length)));
  }

  return {
    vendor: 'creativeforce',
    prefix: '/creativeforce',
    handle,
    badRequest: (message, req) => (isGateway(req) ? messageReply(400, message) : json(400, { error: 'invalid_request', error_description: message })),
    reset() {
      tokens.expireAll();
      gatewayRate.clear();
      changes = { startedTasks: [], uploads: [], audit: [] };
    },
    state: () => structuredClone(changes),
    expireTokens: () => tokens.expireAll(),
    connections: (sandboxUrl) => [creativeForceConnection(sandboxUrl)],
  };
}

function isGateway(req: SandboxRequest): boolean {
  return req.path === GATEWAY_PREFIX || req.path.startsWith(`${GATEWAY_PREFIX}/`);
}

function creativeForceConnection(sandboxUrl: string): SandboxConnection {
  const service = APPS[0];
  const principalApps = APPS.filter((app): app is RegisteredApp & { principalId: string } => app.principalId !== undefined);
  const connection: ConnectionJson = {
    id: 'cf-sandbox',
    vendor: 'creativeforce',
    label: 'Creative Force (sandbox)',
    baseUrl: `${sandboxUrl}/creativeforce${GATEWAY_PREFIX}`,
    tokenUrl: `${sandboxUrl}/creativeforce${TOKEN_PATH}`,
    clientId: service.clientId,
    scopes: [SCOPE],
    defaultMode: 'full',
    production: false,
    principals: principalApps.map((app) => ({ id: app.principalId, clientId: app.clientId, email: app.email, name: app.name })),
  };
  const principalSecrets = Object.fromEntries(principalApps.map((app) => [app.principalId, app.secret]));
  return { connection, secret: service.secret, principalSecrets };
}
