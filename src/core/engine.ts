import { jsonBodyNote } from './bodyCheck';
import { BehalfError, isBehalfError } from './errors';
import type { ActAs, AssetVersion, Connection, ImpersonationMode, PreparedRequest, Principal, RequestSpec, ResponseRecord, SentAs } from './model';
import { isMutating, urlOnConnection } from './model';
import { silentLog, systemClock, type Clock, type Log, type Prompt, type SecretStore } from './ports';
import { RateLimiter } from './rateLimiter';
import { urlForDisplay } from './printable';
import { Redactor } from './redact';
import { TokenCache } from './tokenCache';
import { connectionNetwork } from './connectionNetwork';
import { proxySecrets } from './proxy';
import { DEFAULT_MAX_BODY_BYTES, findHeader, formatBytes, originOf, sendHttp, type BodyFile, type NetworkOptions } from './transport';
import {
  describePrincipal,
  ownEndpointAt,
  tokenShapedValues,
  type AdapterCall,
  type ConnectionAdapter,
  type ImpersonationSession,
  type UnendedSession,
  type VendorDefinition,
} from './vendor';

export interface EngineOptions {
  vendors: readonly VendorDefinition[];
  secrets: SecretStore;
  prompt: Prompt;
  log?: Log;
  clock?: Clock;
  maxBodyBytes?: number;
  idleSessionTimeoutMs?: number;
  max429Retries?: number;
  /** The proxy and extra CAs of this host (the CLI: environment and flags): every request goes out on it. */
  network?: NetworkOptions;
  /** Called when impersonation sessions open or close. */
  onSessionsChanged?: () => void;
}

export interface SendOptions {
  signal?: AbortSignal;
  /** Progress notes (rate-limit waits, dropped headers) as they happen. */
  onNote?: (note: string) => void;
  /**
   * The response as received, before redaction (for .http request variables, which read tokens from it).
   * The caller keeps it in memory only and never shows or logs it.
   */
  onRawResponse?: (response: { status: number; headers: Record<string, string>; body: Buffer }) => void;
  /**
   * Write the response body to this file as it arrives (behalf send --save, Save body… of a big response): the
   * size limit then bounds only what the record keeps for display, not what is saved.
   */
  saveBody?: BodyFile;
  /**
   * Why this request cannot change data although its method is not safe (a connection check's permission probe: an
   * id that cannot exist, an empty body). The write confirmation then does not apply; a production connection still
   * confirms every request sent as someone else.
   */
  sideEffectFree?: string;
}

interface Bound {
  key: string;
  adapter: ConnectionAdapter;
  limiter?: RateLimiter;
}

const DEFAULT_IDLE_SESSION_MS = 5 * 60_000;
/** How long dispose() may spend ending sessions by default: short enough for a process that is going away. */
export const DEFAULT_DISPOSE_MS = 5_000;

/**
 * The body bytes as received, per record (the record's body is decoded as UTF-8 and redacted): the response
 * panel saves them byte-exact. Held weakly, in memory only: gone with the record, never serialised.
 */
const rawBodies = new WeakMap<ResponseRecord, Buffer>();

/** The body of a record this engine produced, exactly as received (undefined for records from elsewhere). */
export function rawBodyOf(record: ResponseRecord): Buffer | undefined {
  return rawBodies.get(record);
}

/** A Buffer request body as the record shows it: its text, or a placeholder when it is not UTF-8 (an uploaded image). */
function bufferText(body: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return `«binary body: ${body.length} bytes, not shown»`;
  }
}

/** A URL for messages: origin and path, without the query (it may carry an id or a token). */
function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * The Host header a request sets by hand when it names another host than its URL (as Node would send it: the
 * header wins over the URL, and over https it becomes the TLS server name). Undefined when there is none or it
 * names the URL's own host (the default port may be left out). The value comes back quoted, control characters
 * escaped, for messages.
 */
function differingHost(headers: Record<string, string>, url: string): { written: string; urlHost: string } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  for (const key of Object.keys(headers)) {
    if (key.toLowerCase() !== 'host') continue;
    const value = headers[key].trim();
    let host: string | undefined;
    try {
      host = /^[^\s/?#@\\]+$/.test(value) ? new URL(`${parsed.protocol}//${value}`).host : undefined;
    } catch {
      host = undefined;
    }
    if (host !== parsed.host) return { written: JSON.stringify(value.length > 100 ? `${value.slice(0, 100)}…` : value), urlHost: parsed.host };
  }
  return undefined;
}

function hostRefusal(spec: RequestSpec, host: { written: string; urlHost: string }, how: string): BehalfError {
  return new BehalfError(
    'host-header',
    `Not sent: the Host header says ${host.written} but the URL's host is ${host.urlHost}. Sent ${how}, the identity and token would go to another virtual host (and over https, TLS SNI would name it).`,
    { position: spec.position, hint: "remove the Host header: Behalf sets it from the URL's host" },
  );
}

/**
 * The send pipeline: guard → authenticate → act as → transport → explain → record. One engine per
 * host (the CLI run, the extension); adapters are created per connection and hold its tokens and
 * sessions until dispose().
 */
export class BehalfEngine {
  readonly redactor = new Redactor();
  readonly tokens: TokenCache;
  private readonly clock: Clock;
  private readonly log: Log;
  private readonly bound = new Map<string, Bound>();
  private readonly limiters = new Map<string, RateLimiter>();
  private readonly settingsKeys = new WeakMap<Connection, string>();
  private readonly networks = new WeakMap<Connection, Promise<NetworkOptions | undefined>>();
  private readonly vendors: Map<string, VendorDefinition>;
  /** Adapters replaced or released while the engine runs, still ending their sessions: dispose() waits for them. */
  private readonly retiring = new Set<Promise<UnendedSession[]>>();
  /** Adapters (retired or disposed) that could not confirm every session ended: dispose() tries them again. */
  private readonly unsettled = new Map<ConnectionAdapter, string>();

  constructor(private readonly options: EngineOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLog;
    this.tokens = new TokenCache(this.clock);
    this.vendors = new Map(options.vendors.map((v) => [v.id, v]));
    // A proxy password is a secret like any other: redacted wherever it could show.
    for (const secret of options.network?.proxy ? proxySecrets(options.network.proxy) : []) this.redactor.add(secret);
  }

  vendor(connection: Connection): VendorDefinition {
    const vendor = this.vendors.get(connection.vendor);
    if (!vendor) {
      throw new BehalfError('config', `Connection "${connection.id}" uses vendor "${connection.vendor}", which Behalf does not know.`, {
        hint: `use one of ${[...this.vendors.keys()].join(', ')}`,
        position: connection.position,
      });
    }
    return vendor;
  }

  /** The adapter for a connection, created on first use and replaced when the connection's settings change. */
  adapter(connection: Connection): ConnectionAdapter {
    const key = this.settingsKey(connection);
    const existing = this.bound.get(connection.id);
    if (existing && existing.key === key) return existing.adapter;
    if (existing) void this.retire(existing.adapter, connection.id);
    const adapter = this.vendor(connection).create({
      connection,
      secrets: this.options.secrets,
      tokens: this.tokens,
      redactor: this.redactor,
      log: this.log,
      clock: this.clock,
      idleSessionTimeoutMs: this.options.idleSessionTimeoutMs ?? DEFAULT_IDLE_SESSION_MS,
      call: (call, signal) => this.adapterCall(connection, call, signal),
      sessionsChanged: () => this.options.onSessionsChanged?.(),
    });
    const limiter = adapter.requestsPerSecond ? this.limiterFor(connection, adapter.requestsPerSecond) : undefined;
    this.bound.set(connection.id, { key, adapter, limiter });
    return adapter;
  }

  /**
   * One limiter per origin and rate, shared by every connection (and every replacement adapter) that talks to it:
   * vendors count per client IP (Creative Force: 20 requests/s per IP), so two connections to one gateway, or a
   * connection whose settings just changed, must not each get the whole budget. Per origin rather than per process:
   * different origins (a sandbox and production) are different servers with their own counts.
   */
  private limiterFor(connection: Connection, perSecond: number): RateLimiter {
    const key = `${originOf(connection.baseUrl)} ${perSecond}`;
    let limiter = this.limiters.get(key);
    if (!limiter) this.limiters.set(key, (limiter = new RateLimiter(perSecond, this.clock)));
    return limiter;
  }

  /**
   * What identifies a connection's settings. Connections are values (the CLI and the extension's store load new
   * objects when the file changes, nothing edits one in place), so the key is computed once per object: with
   * 10,000 principals it is a megabyte of JSON, and the Connections tree asks for it for every node it draws.
   */
  private settingsKey(connection: Connection): string {
    let key = this.settingsKeys.get(connection);
    if (key === undefined) {
      key = JSON.stringify({ ...connection, position: undefined });
      this.settingsKeys.set(connection, key);
    }
    return key;
  }

  modes(connection: Connection): readonly ImpersonationMode[] {
    return this.adapter(connection).modes;
  }

  /** The mode to use when none is given: the connection's default if the vendor supports it. */
  defaultMode(connection: Connection): ImpersonationMode {
    const modes = this.modes(connection);
    return connection.defaultMode && modes.includes(connection.defaultMode) ? connection.defaultMode : modes[modes.length - 1];
  }

  /**
   * The mode for reading as someone (compare, the access matrix): `wanted` if the vendor has it, else full where the
   * vendor has it — a lite read goes out with the service user's own permissions, so it would not show what the
   * principal sees — else the default.
   */
  readMode(connection: Connection, wanted?: ImpersonationMode): ImpersonationMode {
    const modes = this.modes(connection);
    if (wanted && modes.includes(wanted)) return wanted;
    return modes.includes('full') ? 'full' : this.defaultMode(connection);
  }

  /** Send a request as a principal (or as the service user when actAs.principal is undefined). */
  async sendAs(spec: RequestSpec, actAs: ActAs, options: SendOptions = {}): Promise<ResponseRecord> {
    const { connection, principal } = actAs;
    const adapter = this.adapter(connection);
    if (principal && !adapter.modes.includes(actAs.mode)) {
      throw new BehalfError('mode', `${this.vendor(connection).displayName} has no ${actAs.mode} mode; it supports ${adapter.modes.join(' and ')}.`, {
        hint: adapter.modes.length === 1 ? `use "# @mode ${adapter.modes[0]}" or leave @mode out` : undefined,
        position: spec.position,
      });
    }
    const url = this.absoluteUrl(spec, connection);
    const method = spec.method.toUpperCase();
    const hostNote = this.refuseUnseenIdentity(spec, url, actAs, adapter);
    await this.guard(method, url, actAs, options.sideEffectFree !== undefined, spec.note);

    const trustedOrigin = originOf(connection.baseUrl);
    const ownOrigin = originOf(url) === trustedOrigin;
    const notes: string[] = [];
    const onNote = (n: string, level: 'info' | 'warn' = 'info') => {
      notes.push(n);
      this.log.log(level, n);
      options.onNote?.(n);
    };
    if (connection.verifyTls === false && url.startsWith('https:')) {
      onNote(
        `TLS verification is off for ${connection.label} ("verifyTls": false): anyone on the network path could read or change this request. Use it only for test servers.`,
        'warn',
      );
    }
    if (!ownOrigin) {
      onNote(`${originOf(url)} is not ${connection.label}'s origin (${trustedOrigin}): sent without authentication or impersonation headers.`);
    }
    const prepare = async (): Promise<PreparedRequest> => {
      const prepared: PreparedRequest = {
        method,
        url,
        headers: { ...spec.headers },
        body: spec.body,
        // Headers the user wrote that carry identity are dropped on a cross-origin redirect too.
        identityHeaders: ['Authorization', 'Cookie', 'Proxy-Authorization'],
        trustedOrigin,
      };
      if (ownOrigin) await adapter.authorize(prepared, actAs, options.signal);
      // A plain request with another Host (checked before anything was sent): still refused if the adapter authenticated it.
      const host = hostNote ? differingHost(spec.headers, url) : undefined;
      if (
        host &&
        prepared.identityHeaders.some((h) => {
          const added = findHeader(prepared.headers, h);
          return added !== undefined && added !== findHeader(spec.headers, h);
        })
      ) {
        throw hostRefusal(spec, host, `with ${connection.label}'s authentication`);
      }
      return prepared;
    };

    const bound = this.bound.get(connection.id);
    const send = async (prepared: PreparedRequest) => {
      await bound?.limiter?.acquire(options.signal);
      return sendHttp(prepared, {
        clock: this.clock,
        signal: options.signal,
        timeoutMs: connection.timeoutMs,
        verifyTls: connection.verifyTls,
        maxBodyBytes: this.options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
        max429Retries: this.options.max429Retries,
        // `# @no-redirect`: the 3xx is the answer (nothing goes to its Location, so no identity header either).
        ...(spec.followRedirects === false ? { maxRedirects: 0 } : {}),
        onNote,
        network: await this.networkFor(connection),
        onRoute: this.logRoute(method),
        saveBody: options.saveBody,
      });
    };

    const sentAs = this.sentAs(actAs);
    let prepared: PreparedRequest | undefined;
    try {
      prepared = await prepare();
      if (hostNote) onNote(hostNote);
      let response = await send(prepared);
      if (response.status === 401 && ownOrigin && (await adapter.onUnauthorized(actAs, prepared))) {
        onNote('401 Unauthorized: fetched fresh credentials and retried once.');
        prepared = await prepare();
        response = await send(prepared);
      }
      options.onRawResponse?.({ status: response.status, headers: response.headers, body: response.body });
      for (const note of prepared.notes ?? []) onNote(note);
      const saved = response.saved;
      const shownOnly = saved !== undefined && saved.bytes > response.body.length;
      if (saved)
        onNote(
          `Body saved to ${saved.path} (${formatBytes(saved.bytes)})${shownOnly ? `; only its first ${formatBytes(response.body.length)} are shown` : ''}.`,
        );
      // A body cut at the display limit is not judged as JSON: the cut makes any JSON look broken.
      const bodyText = response.body.toString('utf8');
      const bodyNote = shownOnly ? undefined : jsonBodyNote(response.headers, bodyText);
      if (bodyNote) onNote(bodyNote);
      const explanation = response.status >= 400 && ownOrigin ? await adapter.explain(response, prepared, actAs, options.signal) : undefined;
      const record: ResponseRecord = {
        name: spec.name,
        request: this.redactRequest(prepared),
        status: response.status,
        statusText: response.statusText,
        headers: this.redactor.headers(response.headers),
        body: this.redactor.text(bodyText),
        bodyBytes: saved?.bytes ?? response.body.length,
        durationMs: response.durationMs,
        sentAs,
        explanation,
        notes: [...notes],
        via: response.via,
        saved,
      };
      // A cut body is not the body: "Save body…" would save the cut; the whole body is in the saved file.
      if (!shownOnly) rawBodies.set(record, response.body);
      this.log.log(
        'info',
        `${method} ${this.shownUrl(response.url)} as ${sentAs.who} [${sentAs.mode}] → ${response.status} in ${response.durationMs.toFixed(0)} ms${explanation ? ` — ${explanation.message}` : ''}`,
      );
      return record;
    } catch (e) {
      const error = this.asBehalfError(e);
      this.log.log(error.code === 'cancelled' ? 'info' : 'error', `${method} ${this.shownUrl(url)} as ${sentAs.who}: ${error.message}`);
      throw error;
    }
  }

  /** Who a request goes out as, for banners, logs and CLI output. */
  sentAs(actAs: ActAs): SentAs {
    return {
      connectionId: actAs.connection.id,
      connectionLabel: actAs.connection.label,
      vendor: actAs.connection.vendor,
      who: describePrincipal(actAs.principal),
      principalId: actAs.principal?.id,
      mode: actAs.principal ? actAs.mode : 'self',
    };
  }

  /** Find a principal by id, email, vendor user id, app client id or name; ask the vendor when it keeps the list. */
  async resolvePrincipal(connection: Connection, ref: string, signal?: AbortSignal): Promise<Principal> {
    const match = (list: Principal[]) => {
      const lower = ref.toLowerCase();
      return (
        list.find((p) => p.id === ref) ??
        list.find((p) => p.email?.toLowerCase() === lower || p.userId === ref || p.clientId === ref) ??
        list.find((p) => p.name?.toLowerCase() === lower)
      );
    };
    const local = match(connection.principals);
    if (local) return local;
    const adapter = this.adapter(connection);
    if (adapter.listPrincipals) {
      const remote = match(await adapter.listPrincipals(signal));
      if (remote) return remote;
    }
    const known = connection.principals.map((p) => p.id).join(', ') || 'none in the connections file';
    throw new BehalfError('principal', `No principal "${ref}" on connection "${connection.id}" (known: ${known}).`, {
      hint: adapter.listPrincipals ? 'the vendor does not list it either: create a proxy assignment first' : 'add it to the connection\'s "principals"',
    });
  }

  /** Principals as the vendor lists them (DealCloud: proxy assignments); undefined where the vendor keeps no list. */
  async vendorPrincipals(connection: Connection, signal?: AbortSignal): Promise<Principal[] | undefined> {
    const adapter = this.adapter(connection);
    return adapter.listPrincipals ? this.wrap(adapter.listPrincipals(signal)) : undefined;
  }

  /** A URL as Behalf shows it (records, prompts, the log): secrets redacted, control characters escaped. */
  private shownUrl(url: string): string {
    return urlForDisplay(this.redactor.url(url));
  }

  /** Whether the vendor's list of principals can be read on this connection now (a host may read it unasked). */
  canListPrincipals(connection: Connection): boolean {
    const adapter = this.adapter(connection);
    return adapter.listPrincipals !== undefined && adapter.canListPrincipals?.() === true;
  }

  /** The file's principals plus those only the vendor knows. */
  async listPrincipals(connection: Connection, signal?: AbortSignal): Promise<Principal[]> {
    const remote = await this.vendorPrincipals(connection, signal);
    if (!remote) return connection.principals;
    // Principals in the file keep their ids; vendor-only ones are added.
    const merged = [...connection.principals];
    for (const p of remote) if (!merged.some((m) => m.userId !== undefined && m.userId === p.userId)) merged.push(p);
    return merged;
  }

  async createProxyAssignment(connection: Connection, userId: string, signal?: AbortSignal): Promise<Principal[]> {
    const adapter = this.adapter(connection);
    if (!adapter.createProxyAssignment) {
      throw new BehalfError('unsupported', `${this.vendor(connection).displayName} has no proxy assignments.`);
    }
    await this.confirmChange(connection, `Create a proxy assignment letting the service user act as ${userId}`);
    return this.wrap(adapter.createProxyAssignment(userId, signal));
  }

  async assetHistory(connection: Connection, assetId: string, actAs?: ActAs, signal?: AbortSignal): Promise<AssetVersion[]> {
    const adapter = this.adapter(connection);
    if (!adapter.assetHistory) {
      throw new BehalfError('unsupported', `${this.vendor(connection).displayName} has no asset version history in Behalf.`);
    }
    return this.wrap(adapter.assetHistory(assetId, actAs ?? { connection, mode: this.defaultMode(connection) }, signal));
  }

  /** The UI changed the identity in use: adapters release sessions that no longer apply. */
  async identityChanged(actAs: ActAs): Promise<void> {
    await this.adapter(actAs.connection).identityChanged?.(actAs);
  }

  sessions(): ImpersonationSession[] {
    return [...this.bound.values()].flatMap((b) => b.adapter.sessions?.() ?? []);
  }

  /** End a principal's open session (within `timeoutMs`, default 5 s); returns it when the vendor did not confirm the stop. */
  async endSession(connection: Connection, principalId: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<UnendedSession[]> {
    const deadline = this.clock.now() + (options.timeoutMs ?? DEFAULT_DISPOSE_MS);
    const unended = await this.adapter(connection).endSession?.(principalId, { deadline, signal: options.signal });
    return unended ? [unended] : [];
  }

  /**
   * Sessions that may still be open: their stop was not confirmed (when ended by the user, when idle, on an identity
   * change, when a connection changed, or at dispose). They stay listed until retryEnd (or dispose) confirms them.
   */
  unendedSessions(): UnendedSession[] {
    const adapters = new Set([...[...this.bound.values()].map((b) => b.adapter), ...this.unsettled.keys()]);
    return [...adapters].flatMap((adapter) => adapter.unendedSessions?.() ?? []);
  }

  /** Send the stop again for a principal's sessions on a connection that were not confirmed ended (also after dispose). */
  async retryEnd(connectionId: string, principalId: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<UnendedSession[]> {
    const deadline = this.clock.now() + (options.timeoutMs ?? DEFAULT_DISPOSE_MS);
    const bound = this.bound.get(connectionId)?.adapter;
    const adapters = new Set([...(bound ? [bound] : []), ...[...this.unsettled].filter(([, id]) => id === connectionId).map(([a]) => a)]);
    const results = await Promise.all([...adapters].map((a) => a.retryEnd?.(principalId, { deadline, signal: options.signal }) ?? Promise.resolve([])));
    for (const adapter of adapters) if (this.unsettled.has(adapter) && (adapter.unendedSessions?.().length ?? 0) === 0) this.unsettled.delete(adapter);
    return results.flat();
  }

  /** Forget a connection: end its sessions and drop its adapter (a removed or replaced connection). */
  async release(connectionId: string): Promise<void> {
    const bound = this.bound.get(connectionId);
    this.bound.delete(connectionId);
    if (bound) await this.retire(bound.adapter, connectionId);
  }

  /**
   * End every impersonation session and timer, within `timeoutMs` (default 5 s; `signal` gives up at once), and
   * return the sessions the vendor did not confirm ended: they may still be open, and the host must say so.
   * Safe to call more than once.
   */
  async dispose(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<UnendedSession[]> {
    const adapters: Array<[ConnectionAdapter, string]> = [
      ...[...this.bound.entries()].map(([id, b]): [ConnectionAdapter, string] => [b.adapter, id]),
      ...this.unsettled,
    ];
    this.bound.clear();
    this.unsettled.clear();
    const deadline = this.clock.now() + (options.timeoutMs ?? DEFAULT_DISPOSE_MS);
    const ending = adapters.map(([adapter, id]) => this.endAdapter(adapter, id, { deadline, signal: options.signal }));
    const results = await Promise.all([...ending, ...this.retiring]);
    return results.flat();
  }

  /** Dispose an adapter that is no longer bound; what it could not end, dispose() tries again and reports. */
  private retire(adapter: ConnectionAdapter, connectionId: string): Promise<UnendedSession[]> {
    const ending = this.endAdapter(adapter, connectionId, {}).finally(() => this.retiring.delete(ending));
    this.retiring.add(ending);
    return ending;
  }

  private async endAdapter(adapter: ConnectionAdapter, connectionId: string, options: { deadline?: number; signal?: AbortSignal }): Promise<UnendedSession[]> {
    try {
      const unended = (await adapter.dispose(options)) ?? [];
      // Kept, so that the next dispose() tries these sessions again (and reports them while they stay unconfirmed).
      if (unended.length > 0) this.unsettled.set(adapter, connectionId);
      return unended;
    } catch (e) {
      this.log.log('warn', `Ending the sessions of ${connectionId} failed: ${this.message(e)}`);
      return [];
    }
  }

  /**
   * Refuse what would act as someone without Behalf knowing it: an impersonation header written by hand (the vendor
   * would act as that user while the record says "the service user"), or a principal on a request to an origin the
   * connection does not own (it would go there without the principal's identity). Also refused: a call to the vendor's
   * own token or session endpoints (a session Behalf would not track, a token shown in clear), and a Host header naming
   * another host on a request that carries identity (it would go to that virtual host). Plain requests to another
   * origin are sent, like curl; for a plain request with another Host the note to put on its record is returned.
   */
  private refuseUnseenIdentity(spec: RequestSpec, url: string, actAs: ActAs, adapter: ConnectionAdapter): string | undefined {
    const { connection, principal } = actAs;
    const trustedOrigin = originOf(connection.baseUrl);
    // The vendor's own token and session endpoints are Behalf's to call, whatever the origin and the identity.
    const own = ownEndpointAt(url, adapter.ownEndpoints);
    if (own) {
      const why =
        own.kind === 'session'
          ? 'a session opened or ended by hand is one Behalf does not track (it would stay open, or end one Behalf still uses), and its token would be shown in clear'
          : 'the token it returns would be shown in clear';
      throw new BehalfError('own-endpoint', `Not sent: ${displayUrl(url)} is ${own.name} of ${connection.label}, which Behalf calls itself: ${why}.`, {
        position: spec.position,
        hint: own.hint ?? `Behalf fetches, caches and adds the token itself: send the request you need the token for`,
      });
    }
    // A Host header naming another host sends whatever identity the request carries to that virtual host (and sets TLS SNI to it).
    const host = differingHost(spec.headers, url);
    if (host && originOf(url) === trustedOrigin && (principal !== undefined || connection.auth !== 'none')) {
      throw hostRefusal(spec, host, principal ? `as ${describePrincipal(principal)}` : `with ${connection.label}'s authentication`);
    }
    const hostNote = host
      ? `The Host header says ${host.written} but the URL's host is ${host.urlHost}: the server sees ${host.written} (over https, TLS SNI names it too). Sent without authentication or identity.`
      : undefined;
    if (originOf(url) !== trustedOrigin) {
      if (!principal) return hostNote;
      throw new BehalfError(
        'foreign-origin',
        `Not sent: ${originOf(url)} is not ${connection.label}'s origin (${trustedOrigin}), so it cannot be sent as ${describePrincipal(principal)}: Behalf sends no authentication or identity to another origin.`,
        { position: spec.position, hint: `use a path on ${trustedOrigin}, or drop "# @as" (and --as) to send it as a plain request` },
      );
    }
    for (const name of adapter.impersonationHeaders) {
      const written = Object.keys(spec.headers).find((k) => k.toLowerCase() === name.toLowerCase());
      if (written === undefined) continue;
      const value = spec.headers[written].trim();
      // The value is a user id or email, not a secret; anything else (or a value the redactor knows) is not echoed.
      const ref = /^[\w.@+-]{1,64}$/.test(value) && this.redactor.text(value) === value ? value : '<principal>';
      throw new BehalfError(
        'identity-header',
        `This request sets ${name} by hand: Behalf would not know who it acts as. Remove the header and use "# @as ${ref}" (or --as) instead.`,
        {
          position: spec.position,
          hint: principal ? `it already acts as ${describePrincipal(principal)} ("# @as" or --as), which sets ${name} itself` : undefined,
        },
      );
    }
    return hostNote;
  }

  private async guard(method: string, url: string, actAs: ActAs, sideEffectFree = false, note?: string): Promise<void> {
    const { connection, principal } = actAs;
    const asSomeoneElse = principal !== undefined;
    // A write method the vendor knows only reads (a search by POST: adapter.isRead) is not confirmed as a write.
    const writes = isMutating(method) && !sideEffectFree && this.adapter(connection).isRead?.(method.toUpperCase(), url) !== true;
    const needsConfirm = (asSomeoneElse && writes) || (connection.production === true && (asSomeoneElse || writes));
    // `# @note` (REST Client): the file asks for a confirmation of its own, whatever the request does.
    if (!needsConfirm && note === undefined) return;
    const who = describePrincipal(principal);
    const where = connection.production ? `${connection.label} (PRODUCTION)` : connection.label;
    const question = asSomeoneElse
      ? `${method} ${this.shownUrl(url)} as ${who} on ${where}: this acts under ${principal.name ?? principal.email ?? principal.id}'s identity. Send it?`
      : `${method} ${this.shownUrl(url)} on ${where}. Send it?`;
    const noted = note === undefined ? '' : note ? `Note: ${this.redactor.text(note)}. ` : 'This request is marked "# @note" (confirm before sending). ';
    if (!(await this.options.prompt.confirm(`${noted}${question}`))) {
      const why = needsConfirm
        ? `${method} ${asSomeoneElse ? `as ${who} ` : ''}on ${where} needs confirmation`
        : 'the request is marked "# @note" and needs confirmation';
      throw new BehalfError('not-confirmed', `Not sent: ${why}.`, {
        hint: 'confirm it when asked (in the CLI: pass --yes)',
      });
    }
  }

  /**
   * The consent guard for changes Behalf makes itself rather than a request (a proxy assignment): as for a write
   * sent as the service user, a production connection needs confirmation (in the CLI, --yes when not interactive).
   */
  private async confirmChange(connection: Connection, what: string): Promise<void> {
    if (connection.production !== true) return;
    const where = `${connection.label} (PRODUCTION)`;
    if (!(await this.options.prompt.confirm(`${what} on ${where}: this changes vendor data. Do it?`))) {
      throw new BehalfError('not-confirmed', `Not done: changing data on ${where} needs confirmation (${what.charAt(0).toLowerCase()}${what.slice(1)}).`, {
        hint: 'confirm it when asked (in the CLI: pass --yes)',
      });
    }
  }

  private absoluteUrl(spec: RequestSpec, connection: Connection): string {
    const raw = spec.url.trim();
    if (/^https?:\/\//i.test(raw)) return raw;
    if (/^[a-z][a-z0-9+.-]*:/i.test(raw)) {
      throw new BehalfError('url', `Only http and https URLs can be sent (got "${raw.split(':')[0]}:").`, { position: spec.position });
    }
    return urlOnConnection(raw, connection);
  }

  private async adapterCall(connection: Connection, call: AdapterCall, signal?: AbortSignal) {
    const headers: Record<string, string> = { Accept: 'application/json', ...call.headers };
    let body: string | undefined;
    if (call.form) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(call.form).toString();
    } else if (call.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(call.json);
    }
    const response = await sendHttp(
      { method: call.method, url: call.url, headers, body, identityHeaders: ['Authorization'], trustedOrigin: originOf(call.url) },
      {
        clock: this.clock,
        signal,
        timeoutMs: call.timeoutMs ?? connection.timeoutMs,
        max429Retries: call.max429Retries,
        verifyTls: connection.verifyTls,
        maxBodyBytes: this.options.maxBodyBytes,
        // Token forms carry client_secret, session and listing calls a service token: never re-sent to another origin.
        sameOriginRedirectsOnly: true,
        network: await this.networkFor(connection),
        onRoute: this.logRoute(call.method),
      },
    );
    // Whatever credential a token or session endpoint answers is redacted wherever it could be shown (errors, logs).
    const adapter = this.bound.get(connection.id)?.adapter;
    if (adapter && ownEndpointAt(call.url, adapter.ownEndpoints))
      for (const value of tokenShapedValues(response.body.toString('utf8'))) this.redactor.add(value);
    this.log.log('debug', `${connection.id}: ${call.method} ${this.shownUrl(call.url)} → ${response.status}`);
    return response;
  }

  /** The network a connection's requests go out on: the host's, with the connection's "proxy" and "tls" (read once per connection). */
  private networkFor(connection: Connection): Promise<NetworkOptions | undefined> {
    let network = this.networks.get(connection);
    if (!network) {
      network = connectionNetwork(connection, this.options.network, this.options.secrets, (value) => this.redactor.add(value));
      this.networks.set(connection, network);
      network.catch(() => this.networks.delete(connection));
    }
    return network;
  }

  /** --verbose (and the log) say how each exchange went out: direct, or through which proxy (host:port only). */
  private logRoute(method: string): (url: string, via: string) => void {
    return (url, via) => this.log.log('debug', `${method} ${this.shownUrl(url)}: ${via}`);
  }

  private redactRequest(prepared: PreparedRequest): ResponseRecord['request'] {
    const body = prepared.body === undefined ? undefined : typeof prepared.body === 'string' ? prepared.body : bufferText(prepared.body);
    return {
      method: prepared.method,
      url: this.shownUrl(prepared.url),
      headers: this.redactor.headers(prepared.headers),
      body: body === undefined ? undefined : this.redactor.body(body, findHeader(prepared.headers, 'content-type')),
    };
  }

  private async wrap<T>(promise: Promise<T>): Promise<T> {
    try {
      return await promise;
    } catch (e) {
      throw this.asBehalfError(e);
    }
  }

  /** Anything unexpected still reaches the user as one redacted sentence. */
  private asBehalfError(e: unknown): BehalfError {
    if (isBehalfError(e)) {
      const message = this.redactor.text(e.message);
      return message === e.message ? e : new BehalfError(e.code, message, { position: e.position, hint: e.hint });
    }
    return new BehalfError('internal', `Unexpected error: ${this.message(e)}`);
  }

  private message(e: unknown): string {
    return this.redactor.text(e instanceof Error ? e.message : String(e));
  }
}
