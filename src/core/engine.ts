import { jsonBodyNote } from './bodyCheck';
import { BehalfError } from './errors';
import type { ActAs, AssetVersion, Connection, ImpersonationMode, PreparedRequest, Principal, RequestSpec, ResponseRecord, SentAs } from './model';
import { silentLog, systemClock, type Clock, type Log, type LogLevel, type Prompt, type SecretStore } from './ports';
import { RateLimiter } from './rateLimiter';
import { Redactor } from './redact';
import { TokenCache } from './tokenCache';
import { connectionNetwork } from './connectionNetwork';
import { proxySecrets } from './proxy';
import { DEFAULT_MAX_BODY_BYTES, formatBytes, originOf, sendHttp, type BodyFile, type NetworkOptions } from './transport';
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
import { absoluteUrl, confirmChange, confirmSend, refuseAuthenticatedOtherHost, refuseUnknownMode, refuseUnseenIdentity } from './engineGuards';
import { asBehalfError, redactRequest, shownUrl } from './engineRedaction';
import { BoundAdapters, endingDeadline, type BoundedEnding } from './engineSessions';
import { sameSettings } from './engineSettings';

export { DEFAULT_DISPOSE_MS } from './engineSessions';

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
  /**
   * Nobody will read the body or the notes about it (behalf send -o none without --verbose): the check that a body
   * labelled JSON parses is skipped — on a 100 KB body it is most of the client's own work per request — and the
   * record's body is decoded and redacted only if it is read after all.
   */
  bodyUnread?: boolean;
}

const DEFAULT_IDLE_SESSION_MS = 5 * 60_000;

/**
 * The body bytes as received, per record (the record's body is decoded as UTF-8 and redacted): the response
 * panel saves them byte-exact. Held weakly, in memory only: gone with the record, never serialised.
 */
const rawBodies = new WeakMap<ResponseRecord, Buffer>();

/** A connection's network as read for one generation of its secrets: `ready` once the read has succeeded. */
interface NetworkEntry {
  generation: number;
  network: Promise<NetworkOptions | undefined>;
  ready?: NetworkOptions | undefined;
}

/** `record.body` as a property that decodes and redacts `raw` on first read, and is a plain value from then on. */
function decodeOnRead(record: ResponseRecord, raw: Buffer, redactor: Redactor): void {
  const become = (body: string) => Object.defineProperty(record, 'body', { value: body, writable: true, configurable: true, enumerable: true });
  Object.defineProperty(record, 'body', {
    configurable: true,
    enumerable: true,
    get: () => become(redactor.text(raw.toString('utf8'))).body,
    set: become,
  });
}

/** The body of a record this engine produced, exactly as received (undefined for records from elsewhere). */
export function rawBodyOf(record: ResponseRecord): Buffer | undefined {
  return rawBodies.get(record);
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
  private readonly bound: BoundAdapters;
  private readonly limiters = new Map<string, RateLimiter>();
  private readonly networks = new WeakMap<Connection, NetworkEntry>();
  /** Per connection id, how often its secrets changed: a network read with an older secret (a TLS key passphrase) is read again. */
  private readonly secretGenerations = new Map<string, number>();
  private readonly vendors: Map<string, VendorDefinition>;

  constructor(private readonly options: EngineOptions) {
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? silentLog;
    this.tokens = new TokenCache(this.clock);
    this.vendors = new Map(options.vendors.map((v) => [v.id, v]));
    this.bound = new BoundAdapters(this.clock, this.log, this.redactor);
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
    const existing = this.bound.get(connection.id);
    if (existing && sameSettings(existing.connection, connection)) {
      // The same settings read again: later calls with this object are the identity check above.
      existing.connection = connection;
      return existing.adapter;
    }
    if (existing) void this.bound.retire(existing.adapter, connection.id);
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
    this.bound.set(connection.id, { connection, adapter, limiter });
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
    const { connection } = actAs;
    const adapter = this.adapter(connection);
    refuseUnknownMode(spec, actAs, adapter, this.vendor(connection).displayName);
    const url = absoluteUrl(spec, connection);
    const method = spec.method.toUpperCase();
    const hostNote = refuseUnseenIdentity(spec, url, actAs, adapter, this.redactor);
    const asking = confirmSend(
      { prompt: this.options.prompt, redactor: this.redactor },
      adapter,
      method,
      url,
      actAs,
      options.sideEffectFree !== undefined,
      spec.note,
    );
    if (asking) await asking;

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
      if (hostNote) refuseAuthenticatedOtherHost(spec, url, prepared, connection);
      return prepared;
    };

    const bound = this.bound.get(connection.id);
    const send = async (prepared: PreparedRequest) => {
      if (bound?.limiter) await bound.limiter.acquire(options.signal);
      const network = this.networkFor(connection);
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
        network: network instanceof Promise ? await network : network,
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
      const bodyText = options.bodyUnread ? undefined : response.body.toString('utf8');
      const bodyNote = shownOnly || bodyText === undefined ? undefined : jsonBodyNote(response.headers, bodyText);
      if (bodyNote) onNote(bodyNote);
      const explanation = response.status >= 400 && ownOrigin ? await adapter.explain(response, prepared, actAs, options.signal) : undefined;
      const record: ResponseRecord = {
        name: spec.name,
        request: redactRequest(this.redactor, prepared),
        status: response.status,
        statusText: response.statusText,
        headers: this.redactor.headers(response.headers),
        body: bodyText === undefined ? '' : this.redactor.text(bodyText),
        bodyBytes: saved?.bytes ?? response.body.length,
        durationMs: response.durationMs,
        sentAs,
        explanation,
        notes: [...notes],
        via: response.via,
        saved,
      };
      // Unread (-o none): decoded and redacted only if something reads it after all (an assertion, the run log).
      if (bodyText === undefined) decodeOnRead(record, response.body, this.redactor);
      // A cut body is not the body: "Save body…" would save the cut; the whole body is in the saved file.
      if (!shownOnly) rawBodies.set(record, response.body);
      if (this.logs('info'))
        this.log.log(
          'info',
          `${method} ${shownUrl(this.redactor, response.url)} as ${sentAs.who} [${sentAs.mode}] → ${response.status} in ${response.durationMs.toFixed(0)} ms${explanation ? ` — ${explanation.message}` : ''}`,
        );
      return record;
    } catch (e) {
      const error = asBehalfError(this.redactor, e);
      this.log.log(error.code === 'cancelled' ? 'info' : 'error', `${method} ${shownUrl(this.redactor, url)} as ${sentAs.who}: ${error.message}`);
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
    await confirmChange(this.options.prompt, connection, `Create a proxy assignment letting the service user act as ${userId}`);
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
    return this.bound.sessions();
  }

  /** End a principal's open session (within `timeoutMs`, default 5 s); returns it when the vendor did not confirm the stop. */
  async endSession(connection: Connection, principalId: string, options: BoundedEnding = {}): Promise<UnendedSession[]> {
    const deadline = endingDeadline(this.clock, options.timeoutMs);
    const unended = await this.adapter(connection).endSession?.(principalId, { deadline, signal: options.signal });
    return unended ? [unended] : [];
  }

  /**
   * Sessions that may still be open: their stop was not confirmed (when ended by the user, when idle, on an identity
   * change, when a connection changed, or at dispose). They stay listed until retryEnd (or dispose) confirms them.
   */
  unendedSessions(): UnendedSession[] {
    return this.bound.unendedSessions();
  }

  /** Send the stop again for a principal's sessions on a connection that were not confirmed ended (also after dispose). */
  async retryEnd(connectionId: string, principalId: string, options: BoundedEnding = {}): Promise<UnendedSession[]> {
    return this.bound.retryEnd(connectionId, principalId, options);
  }

  /** Forget a connection: end its sessions and drop its adapter (a removed or replaced connection). */
  async release(connectionId: string): Promise<void> {
    return this.bound.release(connectionId);
  }

  /**
   * End every impersonation session and timer, within `timeoutMs` (default 5 s; `signal` gives up at once), and
   * return the sessions the vendor did not confirm ended: they may still be open, and the host must say so.
   * Safe to call more than once.
   */
  async dispose(options: BoundedEnding = {}): Promise<UnendedSession[]> {
    return this.bound.dispose(options);
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
    if (this.logs('debug')) this.log.log('debug', `${connection.id}: ${call.method} ${shownUrl(this.redactor, call.url)} → ${response.status}`);
    return response;
  }

  /** The network a connection's requests go out on: the host's, with the connection's "proxy" and "tls" (read once per connection). */
  private networkFor(connection: Connection): Promise<NetworkOptions | undefined> | NetworkOptions | undefined {
    const generation = this.secretGenerations.get(connection.id) ?? 0;
    const cached = this.networks.get(connection);
    // Once read, the network itself (not its promise): a request then does not wait a turn for what is known.
    if (cached && cached.generation === generation) return 'ready' in cached ? cached.ready : cached.network;
    const entry: NetworkEntry = {
      generation,
      network: connectionNetwork(connection, this.options.network, this.options.secrets, (value) => this.redactor.add(value)),
    };
    this.networks.set(connection, entry);
    entry.network.then(
      (network) => (entry.ready = network),
      () => this.networks.get(connection) === entry && this.networks.delete(connection),
    );
    return entry.network;
  }

  /**
   * A secret of this connection was stored or deleted (Set Secret…): what was read with the old one (the TLS key
   * passphrase of its network) is read again on next use. Connections are values and may be the same object after
   * the change (the store keeps them while the file is unchanged), so this cannot hang on a new object.
   */
  secretsChanged(connectionId: string): void {
    this.secretGenerations.set(connectionId, (this.secretGenerations.get(connectionId) ?? 0) + 1);
  }

  /** --verbose (and the log) say how each exchange went out: direct, or through which proxy (host:port only). */
  private logRoute(method: string): ((url: string, via: string) => void) | undefined {
    return this.logs('debug') ? (url, via) => this.log.log('debug', `${method} ${shownUrl(this.redactor, url)}: ${via}`) : undefined;
  }

  private logs(level: LogLevel): boolean {
    return this.log.enabled?.(level) ?? true;
  }

  private async wrap<T>(promise: Promise<T>): Promise<T> {
    try {
      return await promise;
    } catch (e) {
      throw asBehalfError(this.redactor, e);
    }
  }
}
