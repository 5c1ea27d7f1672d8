// The one interface every vendor adapter implements. The core drives adapters through it and never
// knows a vendor by name; everything vendor-specific (paths, header names, response shapes,
// permission tables, error wording) lives in the adapter's own file under src/vendors.

import { remembered } from './remembered';
import type {
  ActAs,
  AssetVersion,
  Connection,
  Explanation,
  HttpResponse,
  ImpersonationMode,
  PreparedRequest,
  Principal,
  RequestSpec,
  ResponseRecord,
} from './model';
import type { VendorSettings } from './connectionsSchema';
import type { Clock, Log, SecretStore } from './ports';
import type { Redactor } from './redact';
import type { TokenCache } from './tokenCache';

/** What an adapter may use: its connection, secrets, the token cache and a way to make its own calls. */
export interface AdapterContext {
  connection: Connection;
  secrets: SecretStore;
  tokens: TokenCache;
  redactor: Redactor;
  log: Log;
  clock: Clock;
  /** Make an adapter-owned call (token endpoints, session start/stop, listings): real HTTP, no identity logic. */
  call(request: AdapterCall, signal?: AbortSignal): Promise<HttpResponse>;
  /** Idle time after which held impersonation sessions are ended. */
  idleSessionTimeoutMs: number;
  /** Tell the host that sessions opened or closed (the UI's Sessions view). */
  sessionsChanged(): void;
}

export interface AdapterCall {
  method: string;
  url: string;
  headers?: Record<string, string>;
  /** A form body (token endpoints): encoded as application/x-www-form-urlencoded. */
  form?: Record<string, string>;
  json?: unknown;
  /** This call's own timeout (default: the connection's). */
  timeoutMs?: number;
  /** How many 429s the transport waits out itself (default 3); 0 when the adapter retries on its own terms. */
  max429Retries?: number;
}

export interface ImpersonationSession {
  connectionId: string;
  principalId: string;
  principalLabel: string;
  startedAt: number;
  lastUsedAt: number;
}

/**
 * A session the vendor did not confirm ended (its stop failed, or its start was still in flight when the host
 * had to go): it may still be open, and the host says so plainly.
 */
export interface UnendedSession extends ImpersonationSession {
  connectionLabel: string;
  /** Why it is not known to be ended, e.g. `the stop answered 500 three times`. */
  reason: string;
  /** What the user can do about it, one sentence. */
  howToEnd: string;
}

/** How long dispose may take: the stops it sends give up (and report) at `deadline` (clock time) or on `signal`. */
export interface DisposeOptions {
  deadline?: number;
  signal?: AbortSignal;
}

/** One of a vendor's own token or session endpoints (see ConnectionAdapter.ownEndpoints). */
export interface OwnEndpoint {
  /**
   * Where it is: an absolute URL (its query is ignored). A request matches on origin and path, ignoring the path's
   * case, percent-encoding and a trailing slash.
   */
  url: string;
  /** Instead of url's exact path: a pattern the request's path (decoded) matches, on url's origin (versions of one endpoint). */
  pathPattern?: RegExp;
  /** What it is, for the refusal: "the token endpoint", "start impersonation". */
  name: string;
  kind: 'token' | 'session';
  /** How to get what it does through Behalf instead (a default is given for token endpoints). */
  hint?: string;
}

/** The endpoint of `endpoints` that `url` calls, if any. */
export function ownEndpointAt(url: string, endpoints: readonly OwnEndpoint[]): OwnEndpoint | undefined {
  const target = comparablePath(url);
  if (!target) return undefined;
  return endpoints.find((endpoint) => {
    const own = comparablePath(endpoint.url);
    if (!own || own.origin !== target.origin) return false;
    return endpoint.pathPattern ? endpoint.pathPattern.test(target.path) : own.path === target.path;
  });
}

/** Origin and path the way a server compares them: decoded, lower case, no empty segments or trailing slash. */
function comparablePath(url: string): ComparablePath | undefined {
  return (
    remembered(comparablePaths, url, () => {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        return null;
      }
      let path = parsed.pathname;
      try {
        path = decodeURIComponent(path);
      } catch {
        // a stray "%": compare it as written
      }
      return Object.freeze({
        origin: parsed.origin,
        path: path
          .toLowerCase()
          .replace(/\/{2,}/g, '/')
          .replace(/\/+$/, ''),
      });
    }) ?? undefined
  );
}

type ComparablePath = Readonly<{ origin: string; path: string }>;
/** null: not a URL (remembered too). */
const comparablePaths = new Map<string, ComparablePath | null>();

/** Field names whose values are credentials in a token or session answer (not `token_type`, `expires_in`). */
const TOKEN_FIELD = /(token|secret|password|assertion|credential|sessionid|sessionkey|apikey)$/i;
/** A JWT anywhere in a body. */
const JWT = /\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g;
/** `<Token>…</Token>` when a vendor answers XML. */
const XML_TOKEN = /<([\w:]*(?:token|secret|sessionid))>\s*([^<\s]{8,})\s*<\/\1>/gi;

/**
 * Every token-shaped value in a token or session endpoint's answer (access, refresh and id tokens, session tokens,
 * secrets echoed back, JWTs anywhere; JSON of any nesting or XML), for the redactor. Values under 8 characters are
 * left out: they are words ("Bearer", "success"), not tokens.
 */
export function tokenShapedValues(body: string): string[] {
  const found = new Set<string>();
  const visit = (value: unknown, key: string | undefined, depth: number) => {
    if (depth > 20) return;
    if (typeof value === 'string') {
      if (key !== undefined && TOKEN_FIELD.test(key.replace(/[^a-z0-9]/gi, '')) && value.trim().length >= 8) found.add(value.trim());
    } else if (Array.isArray(value)) for (const item of value) visit(item, key, depth + 1);
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) visit(v, k, depth + 1);
  };
  try {
    visit(JSON.parse(body), undefined, 0);
  } catch {
    for (const m of body.matchAll(XML_TOKEN)) found.add(m[2]);
  }
  for (const m of body.matchAll(JWT)) found.add(m[0]);
  return [...found];
}

/** How a connection check came out: `skip` = not applicable or not verifiable without a change. */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface CheckFix {
  title: string;
  /** A CLI command line that fixes it (the CLI fills it in from `action` where it knows one). */
  command?: string;
  /** What the extension runs (same kinds as Explanation.action, e.g. createProxyAssignment with its args). */
  action?: { kind: string; title: string; args?: Record<string, string> };
}

/** One result of `behalf check` / Check Connection. */
export interface ConnectionCheck {
  /** Stable within a connection, e.g. `dealcloud.assignment.jane`. */
  id: string;
  title: string;
  status: CheckStatus;
  /** What was found, one or two sentences (what was sent and what came back). */
  detail: string;
  /** The principal's id when the check is about one. */
  principal?: string;
  /** The vendor permission, right or scope it is about ("Impersonate Another User", "ECOMM", "user_management"). */
  permission?: string;
  fix?: CheckFix;
}

/** What a check may do: send reads (and probes that cannot change data) through the engine's pipeline, as an identity. */
export interface CheckProbe {
  connection: Connection;
  signal?: AbortSignal;
  /** Whether the connection's own credentials got a token in the core's checks ('none': "auth": "none", or no credentials of its own). */
  serviceToken: 'issued' | 'failed' | 'none';
  /**
   * Send through the whole pipeline (guard, authentication, impersonation, explanation, the host's impersonation
   * log). `sideEffectFree` says why a request whose method is not safe cannot change data (an id that cannot
   * exist, an empty body): the write confirmation then does not apply; a production connection still asks.
   */
  send(spec: RequestSpec, as?: { principal?: Principal; mode?: ImpersonationMode; sideEffectFree?: string }): Promise<ResponseRecord>;
}

export interface ConnectionAdapter {
  /** Modes the vendor supports for this connection ('full' alone where there is one way to act as someone). */
  readonly modes: readonly ImpersonationMode[];
  /** Requests per second to stay under, when the vendor publishes a limit. */
  readonly requestsPerSecond?: number;
  /**
   * Headers that make the vendor act as another user (DealCloud: AS-USER). A request that sets one by hand is
   * refused: Behalf would not know whom it acts as. Compared case-insensitively.
   */
  readonly impersonationHeaders: readonly string[];
  /**
   * The vendor's own token and session endpoints, the ones Behalf calls itself (token, start and stop
   * impersonation). A request to one is refused like a hand-written impersonation header: it would open a session
   * Behalf does not track, or print a token in clear.
   */
  readonly ownEndpoints: readonly OwnEndpoint[];
  /**
   * Add authentication and impersonation to a request bound for the connection's own origin. Every
   * header it adds that carries identity must be listed in `request.identityHeaders`.
   */
  authorize(request: PreparedRequest, actAs: ActAs, signal?: AbortSignal): Promise<void>;
  /** A 401 came back: forget what could be stale. Return true when a retry may succeed. */
  onUnauthorized(actAs: ActAs, request: PreparedRequest): Promise<boolean>;
  /**
   * A vendor error as a sentence the user can act on (undefined when there is nothing to add). May be async: an
   * adapter may read what decides the explanation (DealCloud: its proxy assignment list, once per run).
   */
  explain(response: HttpResponse, request: PreparedRequest, actAs: ActAs, signal?: AbortSignal): Explanation | undefined | Promise<Explanation | undefined>;
  /**
   * A request with a write method that only reads (DealCloud's POST rows/query, Creative Force's bulk-get-*): the
   * access matrix, which sends reads only, may send it. `url` is absolute. Absent: only GET/HEAD/OPTIONS/TRACE read.
   */
  isRead?(method: string, url: string): boolean;
  /**
   * The vendor answers 404 for what this identity may not see (it hides rather than refuses): the access matrix
   * counts such a 404 as denied. `url` is absolute. Absent: a 404 is an error (the thing does not exist).
   */
  hidesWithNotFound?(method: string, url: string): boolean;
  /**
   * Fields that identify a record in the answer to a request to `url` (absolute), where the vendor names them unlike
   * the usual ids (Orange Logic's Search API: SystemIdentifier): Compare matches rows by them before its generic ones.
   */
  recordKeyFields?(url: string): readonly string[] | undefined;
  /** The identity in use changed (UI mode toggle, another principal): release what no longer applies. */
  identityChanged?(actAs: ActAs): Promise<void>;
  /**
   * End every session and timer this adapter holds, within the options' bound. Always called on exit. Returns the
   * sessions it could not confirm ended (none for vendors without sessions).
   */
  dispose(options?: DisposeOptions): Promise<UnendedSession[] | void>;
  sessions?(): ImpersonationSession[];
  /** End the principal's open session; a stop the vendor did not confirm comes back (and is kept for retryEnd). */
  endSession?(principalId: string, options?: DisposeOptions): Promise<UnendedSession | undefined | void>;
  /** Sessions whose stop the vendor did not confirm: they may still be open. */
  unendedSessions?(): UnendedSession[];
  /** Send the stop again for the principal's sessions whose stop was not confirmed; what is still unconfirmed comes back. */
  retryEnd?(principalId: string, options?: DisposeOptions): Promise<UnendedSession[]>;
  /** Principals known to the vendor (DealCloud proxy assignments). */
  listPrincipals?(signal?: AbortSignal): Promise<Principal[]>;
  /**
   * Whether this connection can list its principals (scopes and settings allow it), so a host may list them unasked
   * (the Connections tree on expand) instead of waiting for the user to ask.
   */
  canListPrincipals?(): boolean;
  /** Let the service user act as this vendor user, keeping every existing assignment. */
  createProxyAssignment?(userId: string, signal?: AbortSignal): Promise<Principal[]>;
  /** An asset's version history, oldest first, normalised. */
  assetHistory?(assetId: string, actAs: ActAs, signal?: AbortSignal): Promise<AssetVersion[]>;
  /**
   * The vendor's connection checks (after the core's: token, base URL, TLS), yielded as each is known. None may
   * change vendor data; sessions a check opens are ended before it yields, whatever happens.
   */
  checks?(probe: CheckProbe): AsyncIterable<ConnectionCheck>;
}

export interface VendorDefinition {
  /** The `vendor` value in the connections file. */
  id: string;
  displayName: string;
  /** One sentence on how this vendor acts as a user, for the UI (e.g. why there is no lite mode). */
  modesNote: string;
  create(context: AdapterContext): ConnectionAdapter;
}

/**
 * A vendor with what only the wizards and the schema build read about it (src/vendors/<vendor>Setup.ts, apart from
 * the adapter's file so that sending never loads it).
 */
export interface VendorWithSetup extends VendorDefinition {
  /** One line for the `vendor` value in the connections schema (editors show it): how it acts as a user, what principals need. */
  summary: string;
  /** The connection settings only this vendor has (schema fragment, rules); the build composes the schema from them. */
  settings?: VendorSettings;
  /** What the "Add connection / Add principal" wizards ask and suggest for this vendor. */
  setup: VendorSetup;
}

export type PrincipalField = 'userId' | 'email' | 'clientId';

export interface VendorSetup {
  /**
   * What the "Add Connection" wizard asks for this vendor, in order, after the vendor, id and label (and before
   * "production?" and the secret). The wizard walks this list without knowing the vendor: every vendor's wording,
   * placeholders and defaults live here.
   */
  connectionFields: readonly SetupField[];
  /** How the secret asked at the end is described, per `auth` (no secret is asked for "none"). */
  secretPrompts: Partial<Record<ConnectionAuth, string>>;
  /** Fields a principal needs, in the order to ask, with the question to ask. */
  principalFields: readonly PrincipalField[];
  principalPrompts: Partial<Record<PrincipalField, string>>;
}

export type ConnectionAuth = 'clientCredentials' | 'token' | 'none';

/**
 * When a setup field (or a choice) applies: any of the conditions holds; a condition holds when each key it
 * names has been answered with one of the values listed (a key not answered yet never matches).
 */
export type SetupCondition = Readonly<Record<string, readonly string[]>>;

export interface SetupChoice {
  value: string;
  label: string;
  detail?: string;
  when?: readonly SetupCondition[];
}

/** One question of the Add Connection wizard. Answers are strings until written (see core/connectionSetup). */
export interface SetupField {
  /** Where the answer goes in the connection: a property, or a dotted path ("impersonation.subjectParam"). */
  key: string;
  /** Short name shown in the step title, e.g. "base URL". */
  title: string;
  /** The question, saying what the value is for. */
  prompt: string;
  placeholder?: string;
  /** Pre-filled value (a choice's value for choices; space-separated values for `many`). */
  default?: string;
  /** A regular expression (source) the trimmed answer must match, and what to say when it does not. */
  pattern?: string;
  patternMessage?: string;
  /** An empty answer leaves the field out of the file. */
  optional?: boolean;
  /** Pick one (or several with `many`) of these instead of typing. */
  choices?: readonly SetupChoice[];
  many?: boolean;
  /**
   * How the answer is written: string (trimmed; the default), url (trailing slashes dropped), list (space
   * separated → array), boolean ("true"/"false"), header ("Name: value template" → { Name: template }).
   */
  type?: 'string' | 'url' | 'list' | 'boolean' | 'header';
  /** Ask only when one of these holds (see SetupCondition); always when absent. */
  when?: readonly SetupCondition[];
}

/** Parse a JSON body, or undefined when it is not JSON: vendor shapes are checked by the caller. */
export function parseJsonBody(response: HttpResponse): unknown {
  if (response.body.length === 0) return undefined;
  try {
    return JSON.parse(response.body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Read a field tolerant of casing and of a wrapping object, the way vendors vary
 * (`Token`, `token`, `APIResponse.Token`, `apiResponse.token`).
 */
export function pickField(value: unknown, ...path: string[]): unknown {
  let current: unknown = value;
  for (const key of path) {
    if (!current || typeof current !== 'object') return undefined;
    const record = current as Record<string, unknown>;
    if (key in record) {
      current = record[key];
      continue;
    }
    const lower = key.toLowerCase();
    const match = Object.keys(record).find((k) => k.toLowerCase() === lower);
    if (match === undefined) return undefined;
    current = record[match];
  }
  return current;
}

/**
 * A vendor field as text: strings as they are, numbers and booleans written out, anything else (missing, an
 * object, an array) as '' rather than "[object Object]".
 */
export function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : '';
}

/** The standard OAuth token response, tolerant of a few spellings. */
export function readTokenResponse(body: unknown): { token: string; expiresInSeconds?: number } | undefined {
  const token = pickField(body, 'access_token') ?? pickField(body, 'accessToken') ?? pickField(body, 'APIResponse', 'Token') ?? pickField(body, 'token');
  if (typeof token !== 'string' || token.length === 0) return undefined;
  const expires = pickField(body, 'expires_in') ?? pickField(body, 'expiresIn') ?? pickField(body, 'APIResponse', 'ExpiresIn');
  const seconds = typeof expires === 'number' ? expires : typeof expires === 'string' && expires.trim() !== '' ? Number(expires) : undefined;
  return { token, expiresInSeconds: seconds !== undefined && Number.isFinite(seconds) ? seconds : undefined };
}

/** `Jane Doe <jane@acme.test> (6045)` — every place that names a principal uses this. */
export function describePrincipal(principal: Principal | undefined): string {
  if (!principal) return 'the service user';
  const name = principal.name ?? principal.email ?? principal.id;
  const email = principal.email && principal.email !== name ? ` <${principal.email}>` : '';
  const id = principal.userId ?? principal.clientId;
  return `${name}${email}${id ? ` (${id})` : ''}`;
}

/** A short name for sentences (the compare summary, the impersonation log): "Jane Doe <jane@acme.test> (6045)" → "Jane Doe". */
export function shortName(who: string): string {
  const short = who
    .replace(/\s*<[^>]*>/g, '')
    .replace(/\s*\([^)]*\)\s*$/, '')
    .trim();
  return short || who;
}

/** Set a header that carries identity, so the transport drops it if the request leaves the origin. */
export function setIdentityHeader(request: PreparedRequest, name: string, value: string): void {
  for (const key of Object.keys(request.headers)) if (key.toLowerCase() === name.toLowerCase()) delete request.headers[key];
  request.headers[name] = value;
  if (!request.identityHeaders.some((h) => h.toLowerCase() === name.toLowerCase())) request.identityHeaders.push(name);
}

/** The connection's base URL without a trailing slash, for building vendor paths. */
export function baseOf(connection: Connection): string {
  return connection.baseUrl.replace(/\/+$/, '');
}
