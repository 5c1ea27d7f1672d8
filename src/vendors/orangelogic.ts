// Orange Logic (Cortex DAM): full impersonation (one session per principal: start once, use its token,
// always stop it) and lite impersonation (an attribution header on writes only). Everything Orange
// Logic-specific — paths, header names, response shapes — lives in this file.

import { BehalfError } from '../core/errors';
import type { ActAs, AssetVersion, Explanation, HttpResponse, PreparedRequest, Principal } from '../core/model';
import { isMutating } from '../core/model';
import { bearer, serviceToken, tokenCacheKey, vendorMessage } from '../core/oauth';
import { retryAfterMs } from '../core/transport';
import {
  baseOf,
  describePrincipal,
  parseJsonBody,
  pickField,
  textOf,
  setIdentityHeader,
  type AdapterContext,
  type CheckProbe,
  type ConnectionAdapter,
  type ConnectionCheck,
  type DisposeOptions,
  type ImpersonationSession,
  type OwnEndpoint,
  type UnendedSession,
  type VendorDefinition,
} from '../core/vendor';

const LITE_HEADER = 'X-Cortex-Save-Changes-As-User';
const START_PATH = '/webapi/security/authentication/startimpersonation_4CN_v1';
const STOP_PATH = '/webapi/security/authentication/stopimpersonation_4CO_v1';
const TOKEN_PATH = '/webapi/security/clientcredentialsauthentication/authenticate_46H_v1';
const HISTORY_PATH = '/webapi/versioning/assetversioning/get_asset_versioning_49U_v1';
/** The Search API; any version matches (`/API/search/v4.0/search`, a later v4.1). */
const SEARCH_PATH_PATTERN = '/api/search/v[0-9.]+/search';
/** What identifies an asset in a Search API answer [assumed: SystemIdentifier, always returned; RecordID when asked for]. */
const SEARCH_RECORD_KEYS = ['SystemIdentifier', 'RecordID'] as const;
const SEARCH_RIGHT = '"Access to the Search API"';
const LITE_READ_NOTE = 'Lite impersonation only marks writes: this read went out as the service account (your own permissions).';
const LITE_SEARCH_NOTE =
  'Lite impersonation does not apply to the Search API: these are the assets the service account can find (your own permissions), not the principal\'s. Search with "# @mode full" to see what the principal can find.';
export const DEFAULT_IMPERSONATION_PARAM = 'UserAPIID';
const IMPERSONATE_RIGHT = '"Impersonate Another User"';
const DEFAULT_TIMEOUT_MS = 30_000;
/**
 * A session start is never abandoned half-way: the vendor may open the session after the client gave up, and
 * nobody would hold its token to stop it. Interrupted or past the connection's timeout, the caller stops
 * waiting, but the start itself runs on this much longer, and whatever it opens is stopped.
 */
const START_GRACE_MS = 5_000;
/** The connection checks' search: one result at most, of any asset. */
const CHECK_SEARCH_PATH = '/API/search/v4.0/search';
const CHECK_SEARCH_QUERY = '';
/** Stopping a session: at most this many tries within the time given (5 s by default), each at most this long. */
const STOP_ATTEMPTS = 3;
const STOP_BUDGET_MS = 5_000;
const STOP_ATTEMPT_TIMEOUT_MS = 2_500;
const STOP_BACKOFF_MS = [200, 600];

export const orangeLogic: VendorDefinition = {
  id: 'orangelogic',
  displayName: 'Orange Logic',
  modesNote: "full starts a session with the principal's privileges; lite keeps yours and attributes writes to the principal.",
  create: (ctx) => new OrangeLogicAdapter(ctx),
};

interface OpenSession extends ImpersonationSession {
  token: string;
  principal: Principal;
  idleTimer?: NodeJS.Timeout;
}

interface StartInFlight {
  principal: Principal;
  since: number;
  done: Promise<OpenSession>;
  settled: boolean;
}

/** How a stop ended: confirmed by the vendor, or not (and why). */
type StopOutcome = { confirmed: true; note?: string } | { confirmed: false; reason: string };

class OrangeLogicAdapter implements ConnectionAdapter {
  readonly modes = ['lite', 'full'] as const;
  readonly impersonationHeaders = [LITE_HEADER];
  // No hidesWithNotFound: searches and listings leave out what a user may not find (a matrix counts the items); a
  // 404 is an asset that does not exist.
  /** The token endpoint and every version of start/stop impersonation: Behalf opens and ends sessions itself. */
  get ownEndpoints(): OwnEndpoint[] {
    const base = baseOf(this.ctx.connection);
    const example = this.ctx.connection.principals[0]?.id ?? '<principal>';
    const session = (action: 'start' | 'stop', path: string, hint: string): OwnEndpoint => ({
      url: `${base}${path}`,
      pathPattern: impersonationPathPattern(base, action),
      name: `${action} impersonation`,
      kind: 'session',
      hint,
    });
    return [
      { url: this.tokenUrl(), name: 'the token endpoint', kind: 'token' },
      session('start', START_PATH, `use "# @as ${example}" with "# @mode full": Behalf starts and stops the session`),
      session('stop', STOP_PATH, 'Behalf stops the sessions it starts (when idle, on exit, or End Session in the Sessions view)'),
    ];
  }
  private readonly tokenKey: string;
  private readonly searchPath: RegExp;
  /**
   * One session per principal: alternating or concurrent requests for Jane and Raj each keep their own
   * session (started once, each with its own idle timer), instead of stopping each other's token mid-flight.
   * Lite mode, sending as self, dispose and the user's "End session" stop them.
   */
  private readonly open = new Map<string, OpenSession>();
  private readonly starting = new Map<string, StartInFlight>();
  /** Sessions whose stop the vendor did not confirm (by token): retried at dispose, reported if still unconfirmed. */
  private readonly unconfirmed = new Map<string, { session: OpenSession; reason: string }>();
  private disposed = false;

  constructor(private readonly ctx: AdapterContext) {
    this.tokenKey = tokenCacheKey(ctx.connection.id, 'service', { tokenUrl: this.tokenUrl(), clientId: ctx.connection.clientId });
    this.searchPath = pathUnderBase(baseOf(ctx.connection), SEARCH_PATH_PATTERN);
  }

  async authorize(request: PreparedRequest, actAs: ActAs, signal?: AbortSignal): Promise<void> {
    const { principal, mode } = actAs;
    const search = this.isSearch(request.url);
    if (search) this.checkSearchRequest(request);
    const searchParam = search ? this.searchImpersonationParam() : undefined;
    if (principal && mode === 'full' && searchParam) {
      // A site that names the searching user in the query [assumed, per connection]: the service token, no session.
      if (!principal.userId) {
        throw new BehalfError('config', `Principal "${principal.id}" has no "userId": a full-mode search sends the principal's API id in ${searchParam}.`);
      }
      setIdentityHeader(request, 'Authorization', bearer(await this.serviceToken(signal)));
      const url = new URL(request.url);
      url.searchParams.set(searchParam, principal.userId);
      request.url = url.toString();
      return;
    }
    if (principal && mode === 'full') {
      const session = await this.sessionFor(principal, signal);
      setIdentityHeader(request, 'Authorization', bearer(session.token));
      session.lastUsedAt = this.ctx.clock.now();
      this.armIdleTimer(session);
      return;
    }
    // Lite mode or the service user itself: no session may stay open across the change.
    await this.stopAll('identity changed');
    setIdentityHeader(request, 'Authorization', bearer(await this.serviceToken(signal)));
    // A search by POST reads: no attribution header, and the lite note.
    if (principal && isMutating(request.method) && !search) {
      if (!principal.email) {
        throw new BehalfError('config', `Principal "${principal.id}" has no "email": lite impersonation sends ${LITE_HEADER} with the principal's email.`);
      }
      setIdentityHeader(request, LITE_HEADER, principal.email);
    } else if (principal) {
      // Nothing in a lite read names the principal: the record must not let "Sent as Jane · lite" suggest otherwise.
      (request.notes ??= []).push(search ? LITE_SEARCH_NOTE : LITE_READ_NOTE);
    }
  }

  /** The Search API by POST (form or JSON parameters) reads, like its GET. */
  isRead(method: string, url: string): boolean {
    return method === 'POST' && this.isSearch(url);
  }

  /** Search API items are matched by their identifier, SystemIdentifier (or RecordID when a site returns that). */
  recordKeyFields(url: string): readonly string[] | undefined {
    return this.isSearch(url) ? SEARCH_RECORD_KEYS : undefined;
  }

  private isSearch(url: string): boolean {
    return this.searchPath.test(pathOf(url));
  }

  private searchImpersonationParam(): string | undefined {
    const setting = this.ctx.connection.settings?.searchImpersonationParam;
    return typeof setting === 'string' && setting ? setting : undefined;
  }

  /**
   * A search that names its user by hand in the site's impersonation parameter is refused like a hand-written
   * identity header; one without format=JSON gets a note (the Search API answers XML then).
   */
  private checkSearchRequest(request: PreparedRequest): void {
    const query = searchParameters(request.url, typeof request.body === 'string' ? request.body : undefined, request.headers);
    const param = this.searchImpersonationParam();
    if (param && query.has(param.toLowerCase())) {
      throw new BehalfError(
        'identity-header',
        `This search sets ${param} by hand: Behalf would not know whom it searches as. Remove it and use "# @as <principal>" with "# @mode full" instead.`,
      );
    }
    if (query.get('format')?.toLowerCase() !== 'json') {
      (request.notes ??= []).push(
        'The Search API answers XML without format=JSON: add format=JSON to get JSON (Compare matches JSON results by SystemIdentifier).',
      );
    }
  }

  async onUnauthorized(actAs: ActAs, request: PreparedRequest): Promise<boolean> {
    if (actAs.principal && actAs.mode === 'full') {
      // Only the session whose token was refused: a concurrent retry may already have started a new one.
      const session = this.open.get(actAs.principal.id);
      if (session && authorizationOf(request) === bearer(session.token)) await this.stopSession(session, 'token rejected');
    }
    if (this.ctx.connection.auth === 'token') return actAs.mode === 'full' && !!actAs.principal;
    this.ctx.tokens.invalidate(this.tokenKey);
    return true;
  }

  explain(response: HttpResponse, request: PreparedRequest, actAs: ActAs): Explanation | undefined {
    const body = parseJsonBody(response);
    const code = textOf(pickField(body, 'APIResponse', 'Code'));
    const message = vendorMessage(body);
    const { principal, mode } = actAs;
    if (response.status === 403 && /impersonat/i.test(`${code} ${message ?? ''}`)) return { message: missingRightMessage(this.ctx.connection.label) };
    if (response.status === 403 && this.isSearch(request.url) && /search api/i.test(message ?? '')) {
      const who = principal && mode === 'full' ? describePrincipal(principal) : `The service account of ${this.ctx.connection.label}`;
      return {
        message: `${who} lacks Orange Logic's ${SEARCH_RIGHT} security function, which the Search API needs. Ask an Orange Logic administrator to grant it.`,
      };
    }
    if (response.status === 403 && principal && mode === 'full') {
      return {
        message: `${describePrincipal(principal)} may not do this: full impersonation applies the principal's own privileges${message ? ` (Orange Logic said: "${message}")` : ''}.`,
      };
    }
    if (response.status === 403 && principal && mode === 'lite') {
      return {
        message: `The service account may not do this: lite impersonation applies your own privileges, only attribution changes${message ? ` ("${message}")` : ''}.`,
      };
    }
    if (response.status === 401)
      return {
        message: `Orange Logic did not accept the credentials of ${this.ctx.connection.id} even after a fresh token${message ? ` ("${message}")` : ''}.`,
      };
    if (response.status === 503) return { message: 'Orange Logic is not accepting API calls right now (503). Retry later.' };
    if (response.status === 403 && request.url.startsWith('http:'))
      return { message: 'Orange Logic answers 403 to http on an https server, and to over-long URLs; check the base URL.' };
    return message ? { message: `Orange Logic said: "${message}" (${response.status}).` } : undefined;
  }

  async identityChanged(actAs: ActAs): Promise<void> {
    // Another principal in full mode keeps every session (each ends when idle); lite or self ends them all.
    if (!(actAs.mode === 'full' && actAs.principal)) await this.stopAll('identity changed');
  }

  sessions(): ImpersonationSession[] {
    return [...this.open.values()].map(({ token: _token, principal: _principal, idleTimer: _timer, ...info }) => info);
  }

  async endSession(principalId: string, options: DisposeOptions = {}): Promise<UnendedSession | undefined> {
    const session = this.open.get(principalId);
    return session ? this.stopSession(session, 'ended by the user', options) : undefined;
  }

  unendedSessions(): UnendedSession[] {
    return [...this.unconfirmed.values()].map(({ session, reason }) => this.unended(session, reason));
  }

  async retryEnd(principalId: string, options: DisposeOptions = {}): Promise<UnendedSession[]> {
    const again = [...this.unconfirmed.values()].filter(({ session }) => session.principalId === principalId);
    const results = await Promise.all(again.map(({ session }) => this.stopToken(session, 'ended again by the user', options)));
    return results.filter((r) => r !== undefined);
  }

  /**
   * Starts in flight finish first (bounded by the deadline): what they open is stopped with the rest. Every open
   * session is stopped, and every earlier stop the vendor did not confirm is tried again. What is still not
   * confirmed ended comes back, for the host to report.
   */
  async dispose(options: DisposeOptions = {}): Promise<UnendedSession[]> {
    this.disposed = true;
    const deadline = options.deadline ?? this.ctx.clock.now() + STOP_BUDGET_MS;
    const inFlight = [...this.starting.values()];
    await settleBy(
      inFlight.map((s) => s.done),
      deadline - this.ctx.clock.now(),
      options.signal,
    );
    const unended: UnendedSession[] = inFlight
      .filter((s) => !s.settled)
      .map((s) => ({
        connectionId: this.ctx.connection.id,
        connectionLabel: this.ctx.connection.label,
        principalId: s.principal.id,
        principalLabel: describePrincipal(s.principal),
        startedAt: s.since,
        lastUsedAt: s.since,
        reason:
          'its start impersonation call had not answered when Behalf had to stop waiting, so Orange Logic may have opened it without Behalf getting its token',
        howToEnd: this.howToEnd(),
      }));
    const retries = [...this.unconfirmed.values()].map(({ session }) => this.stopToken(session, 'exit', { deadline, signal: options.signal }));
    const stops = [...this.open.values()].map((session) => this.stopSession(session, 'exit', { deadline, signal: options.signal }));
    for (const result of await Promise.all([...stops, ...retries])) if (result) unended.push(result);
    return unended;
  }

  /**
   * The Search API as the service account; "Impersonate Another User" (one session started for one principal and
   * always stopped); lite, which only a write could show. Nothing is written.
   */
  async *checks(probe: CheckProbe): AsyncIterable<ConnectionCheck> {
    const { connection } = this.ctx;
    if (probe.serviceToken === 'failed') {
      yield { id: 'orangelogic', title: 'Orange Logic checks', status: 'skip', detail: 'Not tried: the service account got no token (see above).' };
      return;
    }
    const search = `${CHECK_SEARCH_PATH}?query=${encodeURIComponent(CHECK_SEARCH_QUERY)}&countperpage=1&format=JSON`;
    try {
      const record = await probe.send({ name: 'connection check', method: 'GET', url: search, headers: {} });
      const total = pickField(jsonOf(record.body), 'APIResponse', 'GlobalInfo', 'TotalCount');
      const ok = record.status === 200;
      yield {
        id: 'orangelogic.search',
        title: 'Search API access',
        status: ok ? 'pass' : 'fail',
        permission: 'Access to the Search API',
        detail: ok
          ? `GET ${CHECK_SEARCH_PATH} as the service account answered 200${typeof total === 'number' ? ` (${total} asset${total === 1 ? '' : 's'} found)` : ''}.`
          : record.status === 403
            ? `GET ${CHECK_SEARCH_PATH} as the service account answered 403: it lacks the ${SEARCH_RIGHT} security function. Ask an Orange Logic administrator to grant it.`
            : `GET ${CHECK_SEARCH_PATH} as the service account answered ${record.status}${record.explanation ? `: ${record.explanation.message}` : '.'}`,
      };
    } catch (e) {
      if (e instanceof BehalfError && e.code === 'cancelled') throw e;
      yield { id: 'orangelogic.search', title: 'Search API access', status: 'fail', permission: 'Access to the Search API', detail: messageOf(e) };
    }
    yield await this.impersonateCheck(probe, search);
    yield {
      id: 'orangelogic.lite',
      title: 'Lite attribution',
      status: 'skip',
      permission: LITE_HEADER,
      detail: `Not verifiable without a write: ${LITE_HEADER} only marks changes, and only where Orange Logic switched lite on for the account. Checks never write. To verify it, send one write as a principal in lite mode (Behalf reads the asset's history before and after and says whom it was recorded as), or run Verify Attribution on an asset changed that way.`,
      fix: {
        title: 'Verify attribution of a lite write',
        action: { kind: 'verifyAttribution', title: 'Verify Attribution…', args: { connectionId: connection.id } },
      },
    };
  }

  /**
   * Start one full session for one principal (a search as them, through the pipeline) and stop it, whatever happens:
   * a start still in flight when the check ends (cancelled, timed out) is waited for and what it opens is stopped.
   */
  private async impersonateCheck(probe: CheckProbe, search: string): Promise<ConnectionCheck> {
    const id = 'orangelogic.impersonate';
    const title = 'Impersonate Another User';
    const permission = 'Impersonate Another User';
    const principal = this.ctx.connection.principals.find((p) => p.userId && !this.open.has(p.id)) ?? this.ctx.connection.principals.find((p) => p.userId);
    if (!principal) return { id, title, status: 'skip', permission, detail: 'No principal has a "userId" (API id) to start a full session with.' };
    if (this.open.has(principal.id)) {
      return {
        id,
        title,
        status: 'pass',
        permission,
        principal: principal.id,
        detail: `A full session as ${describePrincipal(principal)} is open already: the right is held.`,
      };
    }
    let outcome: ConnectionCheck;
    try {
      // A site whose Search API names the user in a parameter searches without a session: start one directly then.
      if (this.searchImpersonationParam()) await this.sessionFor(principal, probe.signal);
      else await probe.send({ name: 'connection check', method: 'GET', url: search, headers: {} }, { principal, mode: 'full' });
      outcome = {
        id,
        title,
        status: 'pass',
        permission,
        principal: principal.id,
        detail: `A full session as ${describePrincipal(principal)} started, and was stopped.`,
      };
    } catch (e) {
      if (e instanceof BehalfError && e.code === 'cancelled') {
        await this.stopCheckSession(principal);
        throw e;
      }
      const refused = e instanceof BehalfError && e.code === 'impersonation-right';
      outcome = {
        id,
        title,
        status: 'fail',
        permission,
        principal: principal.id,
        detail: refused ? missingRightMessage(this.ctx.connection.label) : messageOf(e),
      };
    }
    const unended = await this.stopCheckSession(principal);
    if (unended)
      return {
        ...outcome,
        status: 'fail',
        detail: `${outcome.detail.replace(/, and was stopped\.$/, '.')} Its stop was not confirmed: ${unended.reason}; ${unended.howToEnd}.`,
      };
    return outcome;
  }

  /** The check's session, stopped: a start in flight is waited for first (bounded), so what it opens is stopped too. */
  private async stopCheckSession(principal: Principal): Promise<UnendedSession | undefined> {
    const pending = this.starting.get(principal.id);
    if (pending) await settleBy([pending.done], (this.ctx.connection.timeoutMs ?? DEFAULT_TIMEOUT_MS) + START_GRACE_MS, undefined);
    const session = this.open.get(principal.id);
    return session ? this.stopSession(session, 'connection check done') : undefined;
  }

  async assetHistory(assetId: string, _actAs: ActAs, signal?: AbortSignal): Promise<AssetVersion[]> {
    const url = `${baseOf(this.ctx.connection)}${HISTORY_PATH}?RecordID=${encodeURIComponent(assetId)}&format=JSON`;
    let response = await this.ctx.call({ method: 'GET', url, headers: { Authorization: bearer(await this.serviceToken(signal)) } }, signal);
    if (response.status === 401 && this.ctx.connection.auth !== 'token') {
      this.ctx.tokens.invalidate(this.tokenKey);
      response = await this.ctx.call({ method: 'GET', url, headers: { Authorization: bearer(await this.serviceToken(signal)) } }, signal);
    }
    if (response.status !== 200) {
      const message = vendorMessage(parseJsonBody(response)) ?? `HTTP ${response.status}`;
      throw new BehalfError('vendor', `Could not read the version history of ${assetId}: Orange Logic said "${message}" (${response.status}).`);
    }
    return normaliseVersionHistory(response.body.toString('utf8'), assetId);
  }

  /**
   * The open session for this principal, starting one (once, even for concurrent requests). The caller's signal
   * and the connection's timeout end the caller's wait, never the start itself (see START_GRACE_MS): a session
   * that opens after the caller gave up is kept for the next request, or stopped at dispose.
   */
  private sessionFor(principal: Principal, signal?: AbortSignal): Promise<OpenSession> {
    const open = this.open.get(principal.id);
    if (open) return Promise.resolve(open);
    let pending = this.starting.get(principal.id);
    if (!pending) {
      // Check and claim synchronously, so concurrent first requests share one start.
      const start: StartInFlight = { principal, since: this.ctx.clock.now(), settled: false, done: undefined as unknown as Promise<OpenSession> };
      start.done = (async () => {
        const session = await this.startSession(principal);
        this.open.set(principal.id, session);
        this.ctx.sessionsChanged();
        // Opened after dispose gave up waiting: stop it at once (best effort, the host is going away).
        if (this.disposed) void this.stopSession(session, 'exit');
        return session;
      })().finally(() => {
        start.settled = true;
        if (this.starting.get(principal.id) === start) this.starting.delete(principal.id);
      });
      // Nobody may be waiting any more (cancelled, timed out): the failure is the waiter's to report.
      start.done.catch(() => undefined);
      this.starting.set(principal.id, start);
      pending = start;
    }
    return this.waitForStart(pending.done, principal, signal);
  }

  /** Wait for a start, giving up at the connection's timeout or on the signal (the start itself goes on). */
  private waitForStart(done: Promise<OpenSession>, principal: Principal, signal?: AbortSignal): Promise<OpenSession> {
    const timeoutMs = this.ctx.connection.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    return new Promise<OpenSession>((resolve, reject) => {
      const finish = (error: unknown, session?: OpenSession) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (session) resolve(session);
        else reject(error instanceof Error ? error : new Error(String(error)));
      };
      const onAbort = () => finish(new BehalfError('cancelled', 'The request was cancelled.'));
      const timer = setTimeout(
        () =>
          finish(
            new BehalfError('timeout', `Orange Logic did not start impersonating ${describePrincipal(principal)} within ${timeoutMs} ms.`, {
              hint: 'Behalf still waits a little for the start, and stops the session if it opens; retry, or raise the connection timeout',
            }),
          ),
        timeoutMs,
      );
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      done.then(
        (session) => finish(undefined, session),
        (e: unknown) => finish(e),
      );
    });
  }

  private async startSession(principal: Principal): Promise<OpenSession> {
    if (!principal.userId) {
      throw new BehalfError(
        'config',
        `Principal "${principal.id}" has no "userId": full impersonation starts a session with the principal's Orange Logic API id.`,
      );
    }
    const setting = this.ctx.connection.settings?.impersonationParam;
    const param = typeof setting === 'string' ? setting : DEFAULT_IMPERSONATION_PARAM;
    const url = `${baseOf(this.ctx.connection)}${START_PATH}?${encodeURIComponent(param)}=${encodeURIComponent(principal.userId)}&format=JSON`;
    const timeoutMs = (this.ctx.connection.timeoutMs ?? DEFAULT_TIMEOUT_MS) + START_GRACE_MS;
    const call = async () => this.ctx.call({ method: 'GET', url, headers: { Authorization: bearer(await this.serviceToken()) }, timeoutMs });
    let response = await call();
    if (response.status === 401 && this.ctx.connection.auth !== 'token') {
      this.ctx.tokens.invalidate(this.tokenKey);
      response = await call();
    }
    const body = parseJsonBody(response);
    const token = pickField(body, 'APIResponse', 'Token') ?? pickField(body, 'Token');
    if (response.status === 200 && typeof token === 'string' && token) {
      this.ctx.redactor.add(token);
      const now = this.ctx.clock.now();
      this.ctx.log.log('info', `${this.ctx.connection.id}: started full impersonation of ${describePrincipal(principal)}.`);
      return {
        connectionId: this.ctx.connection.id,
        principalId: principal.id,
        principalLabel: describePrincipal(principal),
        principal,
        token,
        startedAt: now,
        lastUsedAt: now,
      };
    }
    const code = textOf(pickField(body, 'APIResponse', 'Code'));
    const message = vendorMessage(body);
    if (response.status === 403 || /SecurityFunction|Impersonat/i.test(code)) {
      throw new BehalfError('impersonation-right', missingRightMessage(this.ctx.connection.label), { hint: 'or use lite mode, which does not need it' });
    }
    throw new BehalfError(
      'impersonation-start',
      `Orange Logic did not start impersonating ${describePrincipal(principal)}: ${message ?? `HTTP ${response.status}`}.`,
      {
        hint: response.status === 400 ? `check the principal's API id (sent as ${param})` : undefined,
      },
    );
  }

  private async stopAll(reason: string): Promise<void> {
    await Promise.all([...this.open.values()].map((session) => this.stopSession(session, reason)));
  }

  /**
   * Stop one open session. Never throws: a stop the vendor does not confirm is remembered (tried again at
   * dispose) and returned as an UnendedSession.
   */
  private async stopSession(session: OpenSession, reason: string, options: DisposeOptions = {}): Promise<UnendedSession | undefined> {
    if (session.idleTimer) clearTimeout(session.idleTimer);
    session.idleTimer = undefined;
    if (this.open.get(session.principalId) !== session) return undefined;
    this.open.delete(session.principalId);
    this.ctx.sessionsChanged();
    return this.stopToken(session, reason, options);
  }

  /** Send the stop for a session no longer in use: retried within the bound, confirmed only by a success code. */
  private async stopToken(session: OpenSession, reason: string, options: DisposeOptions): Promise<UnendedSession | undefined> {
    const outcome = await this.sendStop(session, options.deadline ?? this.ctx.clock.now() + STOP_BUDGET_MS, options.signal);
    const who = `${this.ctx.connection.id}: ${session.principalLabel}`;
    if (outcome.confirmed) {
      // Hosts list the unconfirmed sessions (the Sessions view): tell them one is gone.
      if (this.unconfirmed.delete(session.token)) this.ctx.sessionsChanged();
      this.ctx.log.log('info', `${who}: stopped impersonating (${reason})${outcome.note ? `: ${outcome.note}` : ''}.`);
      return undefined;
    }
    this.unconfirmed.set(session.token, { session, reason: outcome.reason });
    this.ctx.sessionsChanged();
    this.ctx.log.log('debug', `${who}: the stop of the session (${reason}) was not confirmed: ${outcome.reason}.`);
    return this.unended(session, outcome.reason);
  }

  private unended(session: OpenSession, reason: string): UnendedSession {
    return {
      connectionId: session.connectionId,
      connectionLabel: this.ctx.connection.label,
      principalId: session.principalId,
      principalLabel: session.principalLabel,
      startedAt: session.startedAt,
      lastUsedAt: session.lastUsedAt,
      reason,
      howToEnd: this.howToEnd(),
    };
  }

  private async sendStop(session: OpenSession, deadline: number, signal?: AbortSignal): Promise<StopOutcome> {
    const url = `${baseOf(this.ctx.connection)}${STOP_PATH}?format=JSON`;
    const perTry = Math.min(this.ctx.connection.timeoutMs ?? DEFAULT_TIMEOUT_MS, STOP_ATTEMPT_TIMEOUT_MS);
    const failures: string[] = [];
    const gaveUp = (why: string): StopOutcome => ({ confirmed: false, reason: [...countedOnce(failures), why].filter(Boolean).join('; ') });
    for (let attempt = 1; ; attempt++) {
      const left = deadline - this.ctx.clock.now();
      if (left <= 0) return gaveUp(failures.length ? 'no time left to try again' : 'no time left to send the stop');
      let waitMs: number | undefined;
      try {
        const response = await this.ctx.call(
          { method: 'GET', url, headers: { Authorization: bearer(session.token) }, timeoutMs: Math.max(1, Math.min(left, perTry)), max429Retries: 0 },
          signal,
        );
        const body = parseJsonBody(response);
        const code = textOf(pickField(body, 'APIResponse', 'Code') ?? pickField(body, 'Code'));
        if (response.status === 200 && /^success$/i.test(code)) return { confirmed: true };
        // The session token is no longer accepted at all: nobody can act with it any more.
        if (response.status === 401) return { confirmed: true, note: 'Orange Logic no longer accepts its token (401)' };
        const message = vendorMessage(body);
        failures.push(
          response.status === 200
            ? `the stop answered 200 without a success code (${code ? `Code "${code}"` : 'no Code'}${message ? `: "${message}"` : ''})`
            : `the stop answered ${response.status}${message ? ` ("${message}")` : ''}`,
        );
        if (response.status === 429) {
          waitMs = retryAfterMs(response.headers['retry-after'], this.ctx.clock.now()) ?? STOP_BACKOFF_MS[attempt - 1];
        } else if (response.status >= 400 && response.status < 500) {
          return gaveUp(''); // a refusal that a retry would not change
        }
      } catch (e) {
        if (e instanceof BehalfError && e.code === 'cancelled') return gaveUp('Behalf was told to stop waiting');
        failures.push(`the stop failed: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (attempt >= STOP_ATTEMPTS) return gaveUp('');
      const wait = waitMs ?? STOP_BACKOFF_MS[attempt - 1] ?? 1000;
      if (wait >= deadline - this.ctx.clock.now()) return gaveUp(`a retry in ${(wait / 1000).toFixed(1)} s would come too late`);
      try {
        await this.ctx.clock.sleep(wait, signal);
      } catch {
        return gaveUp('Behalf was told to stop waiting');
      }
    }
  }

  private howToEnd(): string {
    return `it ends when Orange Logic expires it; to end it sooner, ask an Orange Logic administrator of ${this.ctx.connection.label} to end the service account's impersonation sessions`;
  }

  private armIdleTimer(session: OpenSession): void {
    if (session.idleTimer) clearTimeout(session.idleTimer);
    session.idleTimer = setTimeout(() => void this.stopSession(session, 'idle'), this.ctx.idleSessionTimeoutMs);
    session.idleTimer.unref?.();
  }

  private serviceToken(signal?: AbortSignal): Promise<string> {
    const { connection } = this.ctx;
    return serviceToken(this.ctx, {
      cacheKey: this.tokenKey,
      tokenUrl: this.tokenUrl(),
      secretName: 'client secret',
      missingClientCredentials: 'a "clientId" for client credentials (or "auth": "token").',
      noneError: `Connection "${connection.id}" has "auth": "none", but Orange Logic always needs a service token: use client credentials ("clientId") or "auth": "token".`,
      signal,
    });
  }

  private tokenUrl(): string {
    return this.ctx.connection.tokenUrl ?? `${baseOf(this.ctx.connection)}${TOKEN_PATH}`;
  }
}

function jsonOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function messageOf(e: unknown): string {
  return e instanceof BehalfError ? e.describe() : e instanceof Error ? e.message : String(e);
}

/** ["a", "a", "b"] → ["a (2 times)", "b"]: the same failure once, with how often. */
function countedOnce(items: string[]): string[] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts].map(([item, n]) => (n > 1 ? `${item} (${n} times)` : item));
}

/** Wait until every promise settled, `ms` passed or the signal aborted, whichever comes first. */
async function settleBy(promises: Promise<unknown>[], ms: number, signal?: AbortSignal): Promise<void> {
  if (promises.length === 0 || ms <= 0 || signal?.aborted) return;
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  await Promise.race([
    Promise.allSettled(promises),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      onAbort = resolve;
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
  ]);
  clearTimeout(timer);
  if (onAbort) signal?.removeEventListener('abort', onAbort);
}

/** Any version of start or stop impersonation under the base URL's path (…/startimpersonation_4CN_v1, a later _v2), decoded and lower case. */
function impersonationPathPattern(base: string, action: 'start' | 'stop'): RegExp {
  return pathUnderBase(base, `/webapi/security/authentication/${action}impersonation(_[a-z0-9]+)*`);
}

/** A path pattern (regular expression source) under the base URL's path, any case (IIS). */
function pathUnderBase(base: string, pattern: string): RegExp {
  let basePath = '';
  try {
    basePath = new URL(base).pathname.replace(/\/+$/, '').toLowerCase();
  } catch {
    // an invalid baseUrl is reported by the loader; nothing under it can be called either
  }
  const escaped = basePath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped}${pattern}$`, 'i');
}

/** A URL's path, percent-decoded, without a trailing slash ('' when it is not a URL). */
function pathOf(url: string): string {
  try {
    const path = new URL(url).pathname.replace(/\/+$/, '');
    try {
      return decodeURIComponent(path);
    } catch {
      return path;
    }
  } catch {
    return '';
  }
}

/** The parameters of a search, lower-case names: the query string and a form or JSON body (a POST search), the body winning. */
function searchParameters(url: string, body: string | undefined, headers: Record<string, string>): Map<string, string> {
  const params = new Map<string, string>();
  try {
    for (const [name, value] of new URL(url).searchParams) params.set(name.toLowerCase(), value);
  } catch {
    return params;
  }
  const text = body?.trim();
  if (!text) return params;
  const contentType = Object.entries(headers).find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? '';
  if (/json/i.test(contentType) || text.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        for (const [name, value] of Object.entries(parsed)) params.set(name.toLowerCase(), textOf(value));
      }
    } catch {
      // not JSON after all: the vendor answers it
    }
    return params;
  }
  for (const [name, value] of new URLSearchParams(text)) params.set(name.toLowerCase(), value);
  return params;
}

function authorizationOf(request: PreparedRequest): string | undefined {
  const name = Object.keys(request.headers).find((k) => k.toLowerCase() === 'authorization');
  return name === undefined ? undefined : request.headers[name];
}

function missingRightMessage(label: string): string {
  return `The service account of ${label} lacks Orange Logic's ${IMPERSONATE_RIGHT} security function, which full impersonation needs. Ask an Orange Logic administrator to grant it.`;
}

/**
 * The asset versioning response, normalised. Shapes vary [assumed in vendors.md]: a wrapping
 * `APIResponse` or none, any casing, `Versions` / `Items` / a bare array, and XML when `format=JSON` is
 * ignored. Oldest first.
 */
export function normaliseVersionHistory(text: string, assetId: string): AssetVersion[] {
  const trimmed = text.trim();
  let raw: unknown[] | undefined;
  if (trimmed.startsWith('<')) {
    raw = readVersionsFromXml(trimmed);
  } else {
    let body: unknown;
    try {
      body = JSON.parse(trimmed);
    } catch {
      throw new BehalfError('vendor-shape', `The version history of ${assetId} is not JSON or XML.`);
    }
    const candidates = [body, pickField(body, 'APIResponse'), pickField(body, 'Response'), pickField(body, 'data')];
    for (const c of candidates) {
      if (Array.isArray(c)) raw = c;
      else
        for (const key of ['Versions', 'AssetVersions', 'Items', 'VersionHistory']) {
          const v = pickField(c, key);
          if (Array.isArray(v)) raw = v;
        }
      if (raw) break;
    }
  }
  if (!raw) throw new BehalfError('vendor-shape', `The version history of ${assetId} has an unexpected shape (expected a "Versions" list).`);
  const versions = raw.map((item, index) => {
    const number = Number(pickField(item, 'VersionNumber') ?? pickField(item, 'Version') ?? pickField(item, 'Number') ?? index + 1);
    const changes = pickField(item, 'Changes') ?? pickField(item, 'FieldChanges');
    return {
      version: Number.isFinite(number) ? number : index + 1,
      date: textOf(pickField(item, 'Date') ?? pickField(item, 'ModifiedDate') ?? pickField(item, 'CreatedDate')),
      user: textOf(pickField(item, 'User') ?? pickField(item, 'UserEmail') ?? pickField(item, 'ModifiedBy')),
      changes: (Array.isArray(changes) ? changes : []).map((c) => ({
        field: textOf(pickField(c, 'Field') ?? pickField(c, 'FieldName')),
        oldValue: stringify(pickField(c, 'OldValue') ?? pickField(c, 'Old')),
        newValue: stringify(pickField(c, 'NewValue') ?? pickField(c, 'New')),
      })),
    };
  });
  return versions.sort((a, b) => a.version - b.version);
}

function stringify(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** Just enough XML for the versioning response: <Version> elements with child fields and <Change> items. */
function readVersionsFromXml(xml: string): unknown[] {
  const versions: unknown[] = [];
  for (const block of xml.matchAll(/<(?:Asset)?Version>([\s\S]*?)<\/(?:Asset)?Version>/gi)) {
    const inner = block[1];
    const field = (name: string, within = inner) => decodeXml(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'i').exec(within)?.[1] ?? '');
    const changes = [...inner.matchAll(/<Change>([\s\S]*?)<\/Change>/gi)].map((m) => ({
      Field: field('Field', m[1]),
      OldValue: field('OldValue', m[1]),
      NewValue: field('NewValue', m[1]),
    }));
    versions.push({ VersionNumber: field('VersionNumber'), Date: field('Date'), User: field('User'), Changes: changes });
  }
  return versions;
}

function decodeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

// --- which asset a request or response is about (for "History of…", "Verify attribution") --------------------

const RECORD_ID = 'RecordID';
const MAX_ASSET_ID_LENGTH = 200;

function usableAssetId(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const id = String(value).trim();
  // Unresolved {{variables}} are not ids (CodeLens reads requests as written).
  return id && id.length <= MAX_ASSET_ID_LENGTH && !/[{}\s]/.test(id) ? id : undefined;
}

/**
 * The asset a request touches: `RecordID` in the query (reads, history) or in a JSON or form body (updates),
 * any casing. Works on requests as written (relative URLs) and as sent (absolute, redacted).
 */
export function assetIdOfRequest(request: { url: string; body?: string }): string | undefined {
  const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1).split('#')[0] : '';
  for (const pair of query.split('&')) {
    const [name, value = ''] = pair.split('=');
    if (name?.toLowerCase() === RECORD_ID.toLowerCase()) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(value.replace(/\+/g, ' '));
      } catch {
        decoded = value;
      }
      const id = usableAssetId(decoded);
      if (id) return id;
    }
  }
  const body = request.body?.trim();
  if (!body) return undefined;
  if (body.startsWith('{')) {
    try {
      return usableAssetId(pickField(JSON.parse(body), RECORD_ID));
    } catch {
      return undefined;
    }
  }
  if (/^[^=&\s]+=/.test(body)) {
    for (const [name, value] of new URLSearchParams(body)) if (name.toLowerCase() === RECORD_ID.toLowerCase()) return usableAssetId(value);
  }
  return undefined;
}

/** The asset a response describes: a read that returned exactly one item with a RecordID (or a bare RecordID). */
export function assetIdOfResponse(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const items = pickField(parsed, 'APIResponse', 'Items') ?? pickField(parsed, 'Items');
  // Items of a read, or of a search (whose items carry SystemIdentifier).
  if (Array.isArray(items)) return items.length === 1 ? usableAssetId(pickField(items[0], RECORD_ID) ?? pickField(items[0], 'SystemIdentifier')) : undefined;
  return usableAssetId(pickField(parsed, 'APIResponse', RECORD_ID) ?? pickField(parsed, RECORD_ID));
}
