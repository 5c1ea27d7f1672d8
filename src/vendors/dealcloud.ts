// DealCloud (Intapp): a service user acts as a principal with the `AS-USER: <userId>` header, allowed
// only where a proxy assignment (service user → principal) exists. Everything DealCloud-specific lives here.

import { BehalfError } from '../core/errors';
import type { ActAs, Connection, Explanation, HttpResponse, PreparedRequest, Principal, ResponseRecord } from '../core/model';
import { findHeader } from '../core/transport';
import { bearer, serviceToken, tokenCacheKey, vendorMessage } from '../core/oauth';
import {
  baseOf,
  describePrincipal,
  parseJsonBody,
  pickField,
  setIdentityHeader,
  type AdapterCall,
  type AdapterContext,
  type CheckProbe,
  type ConnectionAdapter,
  type ConnectionCheck,
  type OwnEndpoint,
  type VendorDefinition,
} from '../core/vendor';

const AS_USER = 'AS-USER';
const PROXY_PATH = '/api/rest/v1/management/user/proxy';
/** A read every user with the data scope may make (v4/schema): the connection checks' data call. */
const ENTRY_TYPES_PATH = '/api/rest/v4/schema/entrytypes';
const PAGE_SIZE = 1000;
const MAX_PAGES = 1000;
export const DEFAULT_SCOPES = ['data', 'user_management'];
const MAX_QUERY_STRING = 2040;
/** A token younger than this is not refetched after an AS-USER 401 (tokens last 900 s; the token endpoint is limited). */
const FRESH_TOKEN_MS = 30_000;

export interface ProxyAssignment {
  proxyUser: DealCloudUser;
  users: DealCloudUser[];
}

interface DealCloudUser {
  id: string;
  email?: string;
  fullName?: string;
}

export const dealCloud: VendorDefinition = {
  id: 'dealcloud',
  displayName: 'DealCloud',
  modesNote: "AS-USER applies the principal's own permissions and audit identity (full).",
  create: (ctx) => new DealCloudAdapter(ctx),
};

class DealCloudAdapter implements ConnectionAdapter {
  readonly modes = ['full'] as const;
  readonly impersonationHeaders = [AS_USER];
  // No hidesWithNotFound: DealCloud leaves the rows a user may not see out of a read (the matrix counts rows); a
  // 404 on a read means the entry type does not exist.

  /** Row queries too long for a query string are a POST that only reads (…/entrydata/rows/query/{entryType}): a matrix may send them. */
  isRead(method: string, url: string): boolean {
    return method.toUpperCase() === 'POST' && /\/api\/rest\/v4\/data\/entrydata\/rows\/query\/[^/?#]+\/?(?:[?#]|$)/i.test(url);
  }
  /** The OAuth token endpoint Behalf calls itself. */
  get ownEndpoints(): OwnEndpoint[] {
    return [{ url: this.tokenUrl(), name: 'the token endpoint', kind: 'token' }];
  }
  private readonly tokenKey: string;
  /** User ids the service user may act as, from the last proxy assignment list read; undefined until one is read. */
  private assignedUserIds: Set<string> | undefined;
  /** The one read of the assignment list an explanation started (shared by concurrent refusals). */
  private assignmentsRead: Promise<void> | undefined;

  constructor(private readonly ctx: AdapterContext) {
    const { connection } = ctx;
    this.tokenKey = tokenCacheKey(connection.id, 'service', { tokenUrl: this.tokenUrl(), clientId: connection.clientId, scopes: this.scopes() });
  }

  async authorize(request: PreparedRequest, actAs: ActAs, signal?: AbortSignal): Promise<void> {
    const token = await this.serviceToken(signal);
    if (token) setIdentityHeader(request, 'Authorization', bearer(token));
    if (actAs.principal) setIdentityHeader(request, AS_USER, userIdOf(actAs.principal));
    const longQuery = longQueryNote(request);
    if (longQuery) (request.notes ??= []).push(longQuery);
  }

  async onUnauthorized(actAs: ActAs): Promise<boolean> {
    if (this.ctx.connection.auth === 'none' || this.ctx.connection.auth === 'token') return false;
    // An AS-USER 401 with a token issued seconds ago is not its age (tokens last 900 s) but most likely a missing
    // proxy assignment: refetching would spend the token endpoint's small budget (60 calls/min in sandbox sites).
    const issuedAt = this.ctx.tokens.issuedAt(this.tokenKey);
    if (actAs.principal && issuedAt !== undefined && this.ctx.clock.now() - issuedAt < FRESH_TOKEN_MS) {
      this.ctx.log.log(
        'info',
        `${this.ctx.connection.id}: 401 as ${describePrincipal(actAs.principal)} with a token issued ${Math.round((this.ctx.clock.now() - issuedAt) / 1000)} s ago: not refreshed.`,
      );
      return false;
    }
    this.ctx.tokens.invalidate(this.tokenKey);
    return true;
  }

  async explain(response: HttpResponse, _request: PreparedRequest, actAs: ActAs, signal?: AbortSignal): Promise<Explanation | undefined> {
    const message = vendorMessage(parseJsonBody(response)) ?? '';
    const said = message ? ` (DealCloud said: "${message}")` : '';
    const inStatus = message ? `: "${message}"` : '';
    const { principal, connection } = actAs;
    if (/proxy user with provided id does not exist/i.test(message)) return { message: unknownProxyUserMessage(connection) };
    if (/scope/i.test(message) && !saysNoAssignment(message)) {
      return {
        message: `The token lacks a scope this endpoint needs (DealCloud said: "${message}"). Add it to "scopes" on ${connection.id} (data, user_management, publish, backup).`,
      };
    }
    if (principal && [400, 401, 403].includes(response.status)) {
      const userId = principal.userId ?? '?';
      if (/user with provided id does not exist/i.test(message)) {
        return { message: `DealCloud has no user with id ${userId} (sent as AS-USER for ${describePrincipal(principal)}). Check the principal's userId.` };
      }
      const service = serviceUserIdOf(connection) ? ` (${serviceUserIdOf(connection)})` : '';
      const noAssignment = `No proxy assignment lets the service user${service} act as ${userId}${principal.name ? ` (${principal.name})` : ''}`;
      const create = `Create one in Admin > User Management > User Proxy Assignments, or with "Create proxy assignment".`;
      const action = { kind: 'createProxyAssignment', title: 'Create proxy assignment', args: { connectionId: connection.id, userId } };
      // What DealCloud answers without an assignment is not settled (400, 401 or 403): the assignment list decides
      // when the connection can read it; the message and the status when it cannot.
      const assigned = await this.assignedUserIdsForExplain(signal);
      const listed = assigned?.has(userId);
      const fromList = `the proxy assignments read from DealCloud have none for ${userId}`;
      const usual = `DealCloud refused this call as ${describePrincipal(principal)} (${response.status}${inStatus}). Usually a missing scope (${connection.id} asks for ${this.scopes().join(', ')}) or a missing "API" capability, on the service user or on ${principal.name ?? userId}, whose permissions AS-USER applies.`;
      if (saysNoAssignment(message)) {
        const stale = listed
          ? ` The proxy assignment list read earlier has ${userId}: it may have changed since.`
          : listed === false
            ? ` And ${fromList}.`
            : '';
        return { message: `${noAssignment}: DealCloud said "${message}" (${response.status}).${stale} ${create}`, action };
      }
      if (listed === false) {
        const why =
          response.status === 401
            ? `, most likely: DealCloud answered 401 to AS-USER ${userId} even with a fresh token${said}, and ${fromList}.`
            : `: ${fromList}, and DealCloud answered ${response.status}${inStatus} to AS-USER ${userId}.`;
        return { message: `${noAssignment}${why} ${create}`, action };
      }
      if (listed === true) {
        if (response.status === 400) return { message: `DealCloud rejected the request (400${inStatus}).` };
        return { message: `${usual} (The proxy assignment for ${userId} exists.)` };
      }
      if (response.status === 401) {
        // A 401 on an AS-USER call with a fresh token is most likely a missing assignment, not an expired token.
        return { message: `${noAssignment}, most likely: DealCloud answered 401 to AS-USER ${userId} even with a fresh token${said}. ${create}`, action };
      }
      if (response.status === 403) return { message: usual };
      return { message: `DealCloud rejected the request (${response.status}${inStatus}).` };
    }
    if (response.status === 401)
      return { message: `DealCloud rejected the service credentials of ${connection.id} (401) even after a fresh token. Check the client id and API key.` };
    if (response.status === 403)
      return { message: `DealCloud refused (403${message ? `: "${message}"` : ''}). The service user may lack the "API" capability or a scope.` };
    if (response.status === 429) {
      const retryAfter = findHeader(response.headers, 'retry-after');
      return {
        message:
          retryAfter !== undefined
            ? `DealCloud is rate limiting this client (429, Retry-After: ${retryAfter}); Behalf retries a few times when the wait is short, then stops. Wait and retry.`
            : 'DealCloud is rate limiting this client: it answered 429 with no Retry-After, so Behalf did not retry. Wait a moment and retry.',
      };
    }
    return undefined;
  }

  /**
   * The user ids the service user may act as, for explaining a refusal: the list read earlier in this run, else read
   * now (once) when the connection can (scope user_management and "serviceUserId" set); undefined when it cannot.
   */
  private async assignedUserIdsForExplain(signal?: AbortSignal): Promise<ReadonlySet<string> | undefined> {
    if (this.assignedUserIds) return this.assignedUserIds;
    if (!this.canListPrincipals()) return undefined;
    this.assignmentsRead ??= this.listPrincipals(signal).then(
      () => undefined,
      (e: unknown) => {
        // Not retried on the next refusal: once per run.
        this.ctx.log.log(
          'warn',
          `${this.ctx.connection.id}: could not read the proxy assignments to explain a refusal: ${e instanceof Error ? e.message : String(e)}`,
        );
      },
    );
    await this.assignmentsRead;
    return this.assignedUserIds;
  }

  /** Whether this connection may read its service user's proxy assignments (scope user_management, "serviceUserId" set). */
  canListPrincipals(): boolean {
    return this.ctx.connection.auth !== 'none' && this.scopes().includes('user_management') && serviceUserIdOf(this.ctx.connection) !== undefined;
  }

  async dispose(): Promise<void> {
    // Nothing held but cached tokens, which simply expire.
  }

  /** Principals = users the service user has proxy assignments for. */
  async listPrincipals(signal?: AbortSignal): Promise<Principal[]> {
    const assignments = await this.readAssignments(signal);
    const serviceUserId = serviceUserIdOf(this.ctx.connection);
    const mine = serviceUserId ? assignments.filter((a) => a.proxyUser.id === serviceUserId) : assignments;
    if (!serviceUserId && assignments.length > 1) {
      this.ctx.log.log('warn', `${this.ctx.connection.id}: no "serviceUserId" set; listing the users of every proxy user (${assignments.length}).`);
    }
    const seen = new Set<string>();
    this.assignedUserIds = seen;
    const principals: Principal[] = [];
    for (const user of mine.flatMap((a) => a.users)) {
      if (seen.has(user.id)) continue;
      seen.add(user.id);
      principals.push({ id: user.id, userId: user.id, email: user.email, name: user.fullName, source: 'vendor' });
    }
    return principals;
  }

  /** Read, merge, write: the POST replaces the proxy user's whole list, so never drop existing users. */
  async createProxyAssignment(userId: string, signal?: AbortSignal): Promise<Principal[]> {
    const serviceUserId = serviceUserIdOf(this.ctx.connection);
    if (!serviceUserId) {
      throw new BehalfError(
        'config',
        `Set "serviceUserId" on connection "${this.ctx.connection.id}" (the service user's DealCloud user id) to create proxy assignments.`,
        {
          position: this.ctx.connection.position,
        },
      );
    }
    const existing = (await this.readAssignments(signal)).find((a) => a.proxyUser.id === serviceUserId)?.users.map((u) => u.id) ?? [];
    if (!existing.includes(userId)) {
      const response = await this.managementCall(
        {
          method: 'POST',
          url: `${baseOf(this.ctx.connection)}${PROXY_PATH}`,
          json: { proxyUserId: toIdValue(serviceUserId), users: [...existing, userId].map(toIdValue) },
        },
        signal,
      );
      if (response.status >= 300) throw this.managementError(response, `create a proxy assignment for ${userId}`);
    }
    return this.listPrincipals(signal);
  }

  /**
   * Each configured scope granted (a call that needs it succeeds), the service user known to the assignment list,
   * a proxy assignment per principal and one AS-USER read per principal. Reads only.
   */
  async *checks(probe: CheckProbe): AsyncIterable<ConnectionCheck> {
    const { connection } = this.ctx;
    if (probe.serviceToken === 'failed') {
      yield { id: 'dealcloud', title: 'DealCloud checks', status: 'skip', detail: 'Not tried: the service user got no token (see above).' };
      return;
    }
    const scopes = this.scopes();
    const calls: Record<string, string> = { data: ENTRY_TYPES_PATH, user_management: `${PROXY_PATH}?pageNumber=1&pageSize=1` };
    const granted = new Set<string>();
    for (const scope of scopes) {
      const id = `dealcloud.scope.${scope}`;
      const title = `Scope ${scope} granted`;
      const path = calls[scope];
      if (!path) {
        yield { id, title, status: 'skip', permission: scope, detail: `The token endpoint accepted it; Behalf knows no read-only call that needs ${scope}.` };
        continue;
      }
      const sent = await this.checkRead(probe, path);
      if (sent.ok) granted.add(scope);
      yield { id, title, status: sent.ok ? 'pass' : 'fail', permission: scope, detail: sent.detail };
    }
    if (!granted.has('user_management')) {
      const why = scopes.includes('user_management')
        ? 'the user_management scope is not granted (above)'
        : `${connection.id} does not ask for the user_management scope`;
      yield {
        id: 'dealcloud.assignments',
        title: 'Proxy assignments readable',
        status: 'warn',
        permission: 'user_management',
        detail: `Not checked: ${why}, so the service user's proxy assignments cannot be read. Add "user_management" to "scopes" to check who it may act as.`,
      };
    } else {
      yield* this.assignmentChecks(probe);
    }
    for (const principal of connection.principals) {
      const id = `dealcloud.asUser.${principal.id}`;
      const title = `AS-USER read as ${principal.id}`;
      if (!granted.has('data')) {
        yield { id, title, status: 'skip', principal: principal.id, detail: 'Not tried: it reads with the data scope, which is not granted.' };
        continue;
      }
      const sent = await this.checkRead(probe, ENTRY_TYPES_PATH, principal);
      const action = sent.record?.explanation?.action;
      yield {
        id,
        title,
        status: sent.ok ? 'pass' : 'fail',
        principal: principal.id,
        detail: sent.detail,
        ...(action ? { fix: { title: action.title, action } } : {}),
      };
    }
  }

  /** The service user in the assignment list, and a proxy assignment for each principal of the file. */
  private async *assignmentChecks(probe: CheckProbe): AsyncIterable<ConnectionCheck> {
    const { connection } = this.ctx;
    const serviceUserId = serviceUserIdOf(connection);
    if (!serviceUserId) {
      yield {
        id: 'dealcloud.serviceUser',
        title: 'serviceUserId set',
        status: 'warn',
        detail: `${connection.id} has no "serviceUserId": Behalf cannot tell which proxy assignments are the service user's, nor create one. Set it to the service user's numeric DealCloud user id.`,
      };
      return;
    }
    const assignments = await this.readAssignments(probe.signal);
    const mine = assignments.find((a) => a.proxyUser.id === serviceUserId);
    this.assignedUserIds = new Set(mine?.users.map((u) => u.id) ?? []);
    yield mine
      ? {
          id: 'dealcloud.serviceUser',
          title: `Service user ${serviceUserId} in the assignment list`,
          status: 'pass',
          detail: `${mine.proxyUser.fullName ?? serviceUserId}${mine.proxyUser.email ? ` <${mine.proxyUser.email}>` : ''} may act as ${mine.users.length} user${mine.users.length === 1 ? '' : 's'}.`,
        }
      : {
          id: 'dealcloud.serviceUser',
          title: `Service user ${serviceUserId} in the assignment list`,
          status: 'warn',
          detail: `No proxy assignment has ${serviceUserId} as its proxy user (${assignments.length} read): either the service user has none yet, or "serviceUserId" is not its id (it must be the service user's own numeric id, not a principal's).`,
        };
    for (const principal of connection.principals) {
      const userId = principal.userId ?? '';
      const assigned = this.assignedUserIds.has(userId);
      yield {
        id: `dealcloud.assignment.${principal.id}`,
        title: `Proxy assignment for ${principal.id}`,
        status: assigned ? 'pass' : 'fail',
        principal: principal.id,
        detail: assigned
          ? `The service user (${serviceUserId}) may act as ${describePrincipal(principal)}.`
          : `No proxy assignment lets the service user (${serviceUserId}) act as ${describePrincipal(principal)}: every request as ${principal.id} is refused.`,
        ...(assigned
          ? {}
          : {
              fix: {
                title: 'Create proxy assignment',
                action: { kind: 'createProxyAssignment', title: 'Create proxy assignment', args: { connectionId: connection.id, userId } },
              },
            }),
      };
    }
  }

  /** One GET through the pipeline (as the service user or a principal): ok on 2xx, else what DealCloud said. */
  private async checkRead(probe: CheckProbe, path: string, principal?: Principal): Promise<{ ok: boolean; detail: string; record?: ResponseRecord }> {
    const who = principal ? `as ${describePrincipal(principal)}` : 'as the service user';
    const shown = path.split('?')[0];
    try {
      const record = await probe.send({ name: 'connection check', method: 'GET', url: path, headers: {} }, { principal });
      const ok = record.status >= 200 && record.status < 300;
      const said = record.explanation?.message ?? (ok ? '' : `DealCloud answered ${record.status} ${record.statusText}.`);
      return { ok, record, detail: `GET ${shown} ${who} answered ${record.status}${said ? `: ${said}` : '.'}` };
    } catch (e) {
      if (e instanceof BehalfError && e.code === 'cancelled') throw e;
      return { ok: false, detail: `GET ${shown} ${who} failed: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  private async readAssignments(signal?: AbortSignal): Promise<ProxyAssignment[]> {
    const all: ProxyAssignment[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const response = await this.managementCall(
        { method: 'GET', url: `${baseOf(this.ctx.connection)}${PROXY_PATH}?pageNumber=${page}&pageSize=${PAGE_SIZE}` },
        signal,
      );
      if (response.status !== 200) throw this.managementError(response, 'list proxy assignments');
      const items = parseProxyAssignments(parseJsonBody(response));
      if (!items) {
        throw new BehalfError(
          'vendor-shape',
          `DealCloud answered the proxy assignment list with an unexpected shape (expected a JSON array of {proxyUser, users}).`,
        );
      }
      all.push(...items);
      if (items.length < PAGE_SIZE) break;
    }
    return all;
  }

  private managementError(response: HttpResponse, what: string): BehalfError {
    const message = vendorMessage(parseJsonBody(response)) ?? `HTTP ${response.status}`;
    if (/proxy user with provided id does not exist/i.test(message)) {
      return new BehalfError('vendor', `Could not ${what}: ${unknownProxyUserMessage(this.ctx.connection)}`, {
        hint: 'check "serviceUserId" on the connection',
        position: this.ctx.connection.position,
      });
    }
    const hint = response.status === 403 ? 'the connection needs the "user_management" scope and an admin service user' : undefined;
    return new BehalfError('vendor', `Could not ${what}: DealCloud said "${message}" (${response.status}).`, { hint });
  }

  /**
   * A proxy-assignment call with the service token. A 401 means the cached token is no longer accepted (revoked, or the
   * site reset): fetch a fresh one and retry once, as sends do, instead of failing Fetch Principals until it expires.
   */
  private async managementCall(request: Omit<AdapterCall, 'headers'>, signal?: AbortSignal): Promise<HttpResponse> {
    const send = async () => this.ctx.call({ ...request, headers: { Authorization: bearer(await this.requireToken(signal)) } }, signal);
    const response = await send();
    if (response.status !== 401 || this.ctx.connection.auth === 'token') return response;
    this.ctx.tokens.invalidate(this.tokenKey);
    return send();
  }

  private async requireToken(signal?: AbortSignal): Promise<string> {
    const token = await this.serviceToken(signal);
    if (!token) throw new BehalfError('config', `Connection "${this.ctx.connection.id}" has "auth": "none"; managing proxy assignments needs a token.`);
    return token;
  }

  private serviceToken(signal?: AbortSignal): Promise<string | undefined> {
    return serviceToken(this.ctx, {
      cacheKey: this.tokenKey,
      tokenUrl: this.tokenUrl(),
      secretName: 'API key (client secret)',
      missingClientCredentials: 'a "clientId" (the API client id) for client credentials.',
      form: { scope: this.scopes().join(' ') },
      signal,
    });
  }

  private tokenUrl(): string {
    return this.ctx.connection.tokenUrl ?? `${baseOf(this.ctx.connection)}/api/rest/v1/oauth/token`;
  }

  private scopes(): readonly string[] {
    return this.ctx.connection.scopes ?? DEFAULT_SCOPES;
  }
}

/** The connection's "serviceUserId" setting (the schema checked it is a non-empty string). */
export function serviceUserIdOf(connection: Connection): string | undefined {
  const value = connection.settings?.serviceUserId;
  return typeof value === 'string' ? value : undefined;
}

/**
 * DealCloud's message says the service user may not act as the principal ("User 1001 is not allowed to act as user
 * 6047", "not allowed to proxy as", "no proxy assignment"), whatever the status.
 */
function saysNoAssignment(message: string): boolean {
  return (
    /proxy/i.test(message) ||
    /\b(?:not|never)\s+(?:be\s+)?(?:allowed|permitted|authori[sz]ed|able)\s+to\s+(?:act|impersonate|log\s*in|work)\b/i.test(message) ||
    /\b(?:may|can|could)\s*not\s+(?:act|impersonate)\b/i.test(message) ||
    /\bcan't\s+(?:act|impersonate)\b/i.test(message)
  );
}

/** "Proxy user with provided id does not exist." is about the proxy (service) user of an assignment call, not a principal. */
function unknownProxyUserMessage(connection: Connection): string {
  const id = serviceUserIdOf(connection) ? `"serviceUserId": ${serviceUserIdOf(connection)}` : 'no "serviceUserId" set';
  return `DealCloud has no user with the proxy user id sent (the service user's own id; ${connection.id} has ${id}). Check "serviceUserId" on the connection: it must be the service user's numeric DealCloud user id, not a principal's.`;
}

/** DealCloud takes query strings up to 2040 characters; longer row queries go as POST …/rows/query/{entryType}. */
function longQueryNote(request: PreparedRequest): string | undefined {
  const question = request.url.indexOf('?');
  if (question < 0) return undefined;
  const length = request.url.length - question - 1;
  if (length <= MAX_QUERY_STRING) return undefined;
  const rows = /\/api\/rest\/v4\/data\/entrydata\/rows\/([^/?#]+)(?=[?#]|$)/.exec(request.url);
  const instead = rows
    ? `send it as POST /api/rest/v4/data/entrydata/rows/query/${rows[1]} with the parameters in the body`
    : 'for row queries use POST /api/rest/v4/data/entrydata/rows/query/{entryType} with the parameters in the body';
  return `The query string is ${length} characters; DealCloud accepts at most ${MAX_QUERY_STRING}: ${instead}.`;
}

function userIdOf(principal: Principal): string {
  if (!principal.userId) {
    throw new BehalfError('config', `Principal "${principal.id}" has no "userId": DealCloud's AS-USER header needs the principal's numeric user id.`);
  }
  return principal.userId;
}

/** DealCloud ids are numbers; keep strings that are not. */
function toIdValue(id: string): number | string {
  return /^\d+$/.test(id) ? Number(id) : id;
}

/** The proxy assignment list, tolerant of casing and of a wrapping object. */
export function parseProxyAssignments(body: unknown): ProxyAssignment[] | undefined {
  const list = Array.isArray(body) ? body : (['items', 'data', 'rows', 'proxies'].map((k) => pickField(body, k)).find(Array.isArray) as unknown[] | undefined);
  if (!list) return undefined;
  const out: ProxyAssignment[] = [];
  for (const item of list) {
    const proxyUser = readUser(pickField(item, 'proxyUser'));
    const users = pickField(item, 'users');
    if (!proxyUser || !Array.isArray(users)) return undefined;
    out.push({ proxyUser, users: users.map(readUser).filter((u): u is DealCloudUser => u !== undefined) });
  }
  return out;
}

function readUser(value: unknown): DealCloudUser | undefined {
  const id = pickField(value, 'id');
  if (typeof id !== 'number' && typeof id !== 'string') return undefined;
  const email = pickField(value, 'email');
  const fullName = pickField(value, 'fullName') ?? pickField(value, 'name');
  return { id: String(id), email: typeof email === 'string' ? email : undefined, fullName: typeof fullName === 'string' ? fullName : undefined };
}
