// DealCloud double (prefix /dealcloud): client-credentials tokens with scopes, proxy assignments (GET paged,
// POST replaces), entry rows filtered per user, and AS-USER proxying that needs a proxy assignment.

import type { ConnectionJson, SandboxConfig, SandboxConnection, VendorDouble } from './doubles';
import { RateWindow } from './rateWindow';
import { type Reply, json, messageReply, refuse } from './replies';
import { type SandboxRequest, MalformedRequest, integerQuery, isPlainObject } from './requests';
import { type RouteParams, createRouter } from './router';
import { TokenStore, tokenLifetime } from './tokens';

const TOKEN_LIFETIME_SECONDS = 900;
/** DealCloud sandbox sites allow 60 token calls per minute per client. */
const TOKEN_CALLS_PER_MINUTE = 60;
const MAX_PAGE_SIZE = 1000;
const MAX_ROW_LIMIT = 1000;
/** Fields the API maintains itself; a PATCH may not set them. */
const READ_ONLY_FIELDS = new Set(['EntryId', 'CreatedBy', 'ModifiedBy', 'Owner']);

interface DealCloudUser {
  id: number;
  email: string;
  fullName: string;
}

const USERS: DealCloudUser[] = [
  { id: 6001, email: 'svc@acme.test', fullName: 'Integration Service' },
  { id: 6002, email: 'report@acme.test', fullName: 'Reporting Service' },
  { id: 6045, email: 'jane@acme.test', fullName: 'Jane Doe' },
  { id: 6046, email: 'raj@acme.test', fullName: 'Raj Patel' },
  { id: 6047, email: 'lee@acme.test', fullName: 'Lee Wong' },
  { id: 6048, email: 'ana@acme.test', fullName: 'Ana Silva' },
  { id: 6049, email: 'omar@acme.test', fullName: 'Omar Haddad' },
  // Users without any assignment or row of their own: the access-matrix benchmark assigns them (10 identities).
  ...['Mia Chen', 'Noah Berg', 'Ivy Laurent', 'Theo Marsh', 'Zoe Park', 'Ravi Nair'].map((fullName, i) => ({
    id: 6050 + i,
    email: `${fullName.split(' ')[0].toLowerCase()}@acme.test`,
    fullName,
  })),
];
const USERS_BY_ID = new Map(USERS.map((user) => [user.id, user]));

/** Service users: the API keys the double accepts, and the scopes each may be granted. */
const SERVICE_USERS = [
  { clientId: 'svc-integration', secret: 'dc-sandbox-secret-7f3a', userId: 6001, scopes: ['data', 'user_management', 'publish', 'backup'] },
  { clientId: 'svc-reporting', secret: 'dc-sandbox-secret-r2d2', userId: 6002, scopes: ['data'] },
  // Another API key of the reporting user whose token endpoint grants what it may and silently drops the rest
  // (the token answer's "scope" says what was granted): calls needing a dropped scope get 403 Missing scope.
  { clientId: 'svc-limited', secret: 'dc-sandbox-secret-l1m1', userId: 6002, scopes: ['data'], dropsScopes: true },
];
const SERVICE_USER_IDS = new Set(SERVICE_USERS.map((s) => s.userId));

/** Proxy user → the users it may act as. */
const SEED_PROXY_ASSIGNMENTS: Array<[number, number[]]> = [
  [6001, [6045, 6046]],
  [6002, [6048]],
  [6049, [6047]],
];

type Visibility = number[] | 'everyone';
const SEED_ROWS: Record<string, Array<{ EntryId: number; Name: string; visibleTo: Visibility }>> = {
  Deals: [
    { EntryId: 1, Name: 'Project Atlas', visibleTo: [6045, 6046] },
    { EntryId: 2, Name: 'Project Borealis', visibleTo: [6045] },
    { EntryId: 3, Name: 'Project Cedar', visibleTo: [6046] },
    { EntryId: 4, Name: 'Project Delta', visibleTo: [6047] },
    { EntryId: 5, Name: 'Project Echo', visibleTo: 'everyone' },
  ],
  Companies: [
    { EntryId: 101, Name: 'Acme Corp', visibleTo: 'everyone' },
    { EntryId: 102, Name: 'Globex', visibleTo: [6045] },
  ],
};

interface StoredRow {
  visibleTo: Visibility;
  /** What the API answers: EntryId, Name, Owner, CreatedBy/ModifiedBy once written, any other fields. */
  values: Record<string, unknown> & { EntryId: number };
}

interface DealCloudToken {
  userId: number;
  scopes: Set<string>;
}

export function createDealCloud(config: SandboxConfig): VendorDouble {
  const tokens = new TokenStore<DealCloudToken>('dc', tokenLifetime(config, TOKEN_LIFETIME_SECONDS));
  const tokenCalls = new RateWindow(TOKEN_CALLS_PER_MINUTE, 60_000);
  let proxyAssignments = new Map<number, number[]>();
  let rows = new Map<string, StoredRow[]>();

  function seed(): void {
    proxyAssignments = new Map(SEED_PROXY_ASSIGNMENTS.map(([proxy, users]) => [proxy, [...users]]));
    rows = new Map(
      Object.entries(SEED_ROWS).map(([entryType, seedRows]) => [
        entryType,
        seedRows.map(({ EntryId, Name, visibleTo }) => ({
          visibleTo,
          // Owner: the first user the row belongs to; shared rows belong to the integration service.
          values: { EntryId, Name, Owner: visibleTo === 'everyone' ? 6001 : visibleTo[0] },
        })),
      ]),
    );
  }

  function issueToken(req: SandboxRequest): Reply {
    const form = req.form();
    const limit = tokenCalls.hit(form.client_id ?? '');
    if (!limit.allowed) {
      return messageReply(429, 'Too many requests.', { headers: { 'retry-after': String(limit.retryAfterSeconds) } });
    }
    if (form.grant_type !== 'client_credentials') return messageReply(400, 'Unsupported grant type.');
    const service = SERVICE_USERS.find((s) => s.clientId === form.client_id && s.secret === form.client_secret);
    if (!service) return messageReply(401, 'Invalid client credentials.');
    const asked = (form.scope ?? '').split(/\s+/).filter(Boolean);
    const notAllowed = asked.find((scope) => !service.scopes.includes(scope));
    if (notAllowed !== undefined && !('dropsScopes' in service)) return messageReply(400, `Invalid scope: ${notAllowed}`);
    const scopes = asked.filter((scope) => service.scopes.includes(scope));
    const { token, expiresIn } = tokens.issue({ userId: service.userId, scopes: new Set(scopes) });
    const granted = 'dropsScopes' in service ? { scope: scopes.join(' ') } : {};
    return json(200, { access_token: token, token_type: 'Bearer', expires_in: expiresIn, ...granted });
  }

  /** Who the call runs as: the token's user, or the AS-USER principal when a proxy assignment allows it. */
  function actingUser(req: SandboxRequest, scope: string): DealCloudUser {
    const token = tokens.lookup(req.bearerToken());
    if (!token) throw refuse(401, 'Unauthorized');
    if (!token.scopes.has(scope)) throw refuse(403, `Missing scope ${scope}.`);
    const asUser = req.header('as-user');
    if (asUser === undefined) return userById(token.userId);
    const principal = /^\s*\d+\s*$/.test(asUser) ? USERS_BY_ID.get(Number(asUser)) : undefined;
    if (!principal) throw refuse(400, 'User with provided id does not exist.');
    if (principal.id !== token.userId && !proxyAssignments.get(token.userId)?.includes(principal.id)) {
      const status = config.asUserDenialStatus;
      const message = config.asUserDenialMessage ?? (status === 401 ? 'Unauthorized' : 'User is not allowed to proxy as the provided user.');
      throw refuse(status, message.replaceAll('{proxyUserId}', String(token.userId)).replaceAll('{userId}', String(principal.id)));
    }
    return principal;
  }

  function proxyItem(proxyUserId: number) {
    return { proxyUser: userById(proxyUserId), users: (proxyAssignments.get(proxyUserId) ?? []).map(userById) };
  }

  function listProxyAssignments(req: SandboxRequest): Reply {
    const user = actingUser(req, 'user_management');
    const pageNumber = integerQuery(req, 'pageNumber', 1, 1);
    const pageSize = integerQuery(req, 'pageSize', 100, 1, MAX_PAGE_SIZE);
    // searchByName is accepted and has no effect: queries already match id, email and name.
    const proxyQuery = req.query.proxyQuery ?? '';
    const userQuery = req.query.userQuery ?? '';
    const items = [...proxyAssignments.keys()]
      .sort((a, b) => a - b)
      .map(proxyItem)
      .filter((item) => userMatches(item.proxyUser, proxyQuery))
      .filter((item) => userQuery === '' || item.users.some((u) => userMatches(u, userQuery)));
    const page = items.slice((pageNumber - 1) * pageSize, pageNumber * pageSize);
    return json(200, page, { effectiveUser: user.email });
  }

  function replaceProxyAssignments(req: SandboxRequest): Reply {
    const user = actingUser(req, 'user_management');
    const body = req.json();
    const shape = 'Expected {"proxyUserId": number, "users": [number]}.';
    if (!isPlainObject(body) || !Array.isArray(body.users)) throw new MalformedRequest(shape);
    const proxyUserId = userIdOf(body.proxyUserId);
    const userIds = body.users.map(userIdOf);
    if (proxyUserId === undefined || userIds.includes(undefined)) throw new MalformedRequest(shape);
    if (!USERS_BY_ID.has(proxyUserId)) return messageReply(400, 'Proxy user with provided id does not exist.');
    if (userIds.some((id) => !USERS_BY_ID.has(id as number))) return messageReply(400, 'User with provided id does not exist.');
    const users = [...new Set(userIds as number[])];
    // The list is replaced, not merged: that is the vendor's behaviour clients must cope with.
    if (users.length > 0) proxyAssignments.set(proxyUserId, users);
    else proxyAssignments.delete(proxyUserId);
    return json(200, proxyItem(proxyUserId), { effectiveUser: user.email });
  }

  /** The entry types (v4/schema): a read any user with the data scope may make. */
  function entryTypes(req: SandboxRequest): Reply {
    const user = actingUser(req, 'data');
    const types = [...rows.keys()].map((name, index) => ({ id: 2001 + index, apiName: name, name, singularName: name.replace(/s$/, '') }));
    return json(200, types, { effectiveUser: user.email });
  }

  function entryRows(entryType: string): StoredRow[] {
    const found = rows.get(entryType);
    if (!found) throw refuse(404, `Entry type ${entryType} does not exist.`);
    return found;
  }

  function canSee(user: DealCloudUser, row: StoredRow): boolean {
    return SERVICE_USER_IDS.has(user.id) || row.visibleTo === 'everyone' || row.visibleTo.includes(user.id);
  }

  function readRows(req: SandboxRequest, { entryType }: RouteParams): Reply {
    const user = actingUser(req, 'data');
    const visible = entryRows(entryType).filter((row) => canSee(user, row));
    const limit = integerQuery(req, 'limit', MAX_ROW_LIMIT, 1, MAX_ROW_LIMIT);
    const skip = integerQuery(req, 'skip', 0, 0);
    if (skip % limit !== 0) throw new MalformedRequest('skip must be a multiple of limit.');
    const page = visible.slice(skip, skip + limit).map((row) => ({ ...row.values }));
    return json(200, { totalRecords: visible.length, rows: page }, { effectiveUser: user.email });
  }

  function createRows(req: SandboxRequest, { entryType }: RouteParams): Reply {
    const user = actingUser(req, 'data');
    const table = entryRows(entryType);
    const requested = rowArray(req);
    for (const fields of requested) {
      if (typeof fields.Name !== 'string' || fields.Name === '') throw new MalformedRequest('Every new row needs a "Name".');
      rejectReadOnly(fields);
    }
    let nextId = Math.max(0, ...table.map((row) => row.values.EntryId)) + 1;
    const created = requested.map((fields) => {
      const row: StoredRow = {
        visibleTo: [user.id],
        values: { ...fields, EntryId: nextId++, Owner: user.id, CreatedBy: user.id },
      };
      table.push(row);
      return { ...row.values };
    });
    return json(200, created, { effectiveUser: user.email });
  }

  function updateRows(req: SandboxRequest, { entryType }: RouteParams): Reply {
    const user = actingUser(req, 'data');
    const table = entryRows(entryType);
    const changes = rowArray(req).map((fields) => {
      const { EntryId: entryId, ...rest } = fields;
      if (typeof entryId !== 'number') throw new MalformedRequest('Every updated row needs a numeric "EntryId".');
      rejectReadOnly(rest);
      if ('Name' in rest && (typeof rest.Name !== 'string' || rest.Name === '')) throw new MalformedRequest('"Name" must be a non-empty string.');
      // A row the user cannot see does not exist for them.
      const row = table.find((r) => r.values.EntryId === entryId && canSee(user, r));
      if (!row) throw refuse(404, `Entry with id ${entryId} does not exist.`, { effectiveUser: user.email });
      return { row, fields: rest };
    });
    // Validate everything first so a bad row leaves the table untouched.
    const written = changes.map(({ row, fields }) => {
      Object.assign(row.values, fields, { ModifiedBy: user.id });
      return { ...row.values };
    });
    return json(200, written, { effectiveUser: user.email });
  }

  const route = createRouter([
    { method: 'POST', path: '/api/rest/v1/oauth/token', handle: issueToken },
    { method: 'GET', path: '/api/rest/v1/management/user/proxy', handle: listProxyAssignments },
    { method: 'POST', path: '/api/rest/v1/management/user/proxy', handle: replaceProxyAssignments },
    { method: 'GET', path: '/api/rest/v4/schema/entrytypes', handle: entryTypes },
    { method: 'GET', path: '/api/rest/v4/data/entrydata/rows/{entryType}', handle: readRows },
    { method: 'POST', path: '/api/rest/v4/data/entrydata/rows/{entryType}', handle: createRows },
    { method: 'PATCH', path: '/api/rest/v4/data/entrydata/rows/{entryType}', handle: updateRows },
  ]);

  seed();
  return {
    vendor: 'dealcloud',
    prefix: '/dealcloud',
    handle: route,
    reset() {
      seed();
      tokens.expireAll();
      tokenCalls.clear();
    },
    expireTokens: () => tokens.expireAll(),
    connections: (sandboxUrl) => [dealCloudConnection(sandboxUrl)],
  };
}

function dealCloudConnection(sandboxUrl: string): SandboxConnection {
  const service = SERVICE_USERS[0];
  const principal = (id: string, userId: number) => {
    const user = userById(userId);
    return { id, userId: String(user.id), email: user.email, name: user.fullName };
  };
  const connection: ConnectionJson = {
    id: 'dc-sandbox',
    vendor: 'dealcloud',
    label: 'DealCloud (sandbox)',
    baseUrl: `${sandboxUrl}/dealcloud`,
    clientId: service.clientId,
    scopes: ['data', 'user_management'],
    defaultMode: 'full',
    production: false,
    serviceUserId: String(service.userId),
    // lee has no proxy assignment from the service user: requests as lee are refused (negative demos).
    principals: [principal('jane', 6045), principal('raj', 6046), principal('lee', 6047)],
  };
  return { connection, secret: service.secret };
}

function userById(id: number): DealCloudUser {
  const user = USERS_BY_ID.get(id);
  if (!user) throw new Error(`DealCloud seed refers to unknown user ${id}`);
  return { ...user };
}

function userMatches(user: DealCloudUser, query: string): boolean {
  const needle = query.trim().toLowerCase();
  return needle === '' || [String(user.id), user.email, user.fullName].some((field) => field.toLowerCase().includes(needle));
}

/** A user id from JSON: a number or a numeric string. */
function userIdOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

function rowArray(req: SandboxRequest): Array<Record<string, unknown>> {
  const body = req.json();
  if (!Array.isArray(body) || !body.every(isPlainObject)) throw new MalformedRequest('Expected a JSON array of row objects.');
  return body;
}

function rejectReadOnly(fields: Record<string, unknown>): void {
  const readOnly = Object.keys(fields).find((field) => field !== 'EntryId' && READ_ONLY_FIELDS.has(field));
  if (readOnly) throw new MalformedRequest(`Field ${readOnly} is read-only.`);
}
