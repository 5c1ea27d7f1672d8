// Core data model shared by the engine, the vendor adapters, the CLI and the extension.
// Pure TypeScript: never import 'vscode' here, and never name a vendor.

export type ImpersonationMode = 'lite' | 'full';

/** The methods RFC 9110 defines as safe (read-only): the only ones Behalf sends as someone else without asking. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/**
 * The common write methods, for display and importers. Not the test: `isMutating` treats every method that is
 * not in SAFE_METHODS as a write (CONNECT, WebDAV's PROPPATCH and MKCOL, MERGE, a typo such as GTE, ...).
 */
export const MUTATING_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Any method that is not GET, HEAD, OPTIONS or TRACE (any case) may change data: the write guard applies. */
export function isMutating(method: string): boolean {
  return !SAFE_METHODS.has(String(method).toUpperCase());
}

/** A request's URL as sent on its connection: absolute URLs as they are, others joined to the connection's base URL. */
export function urlOnConnection(url: string, connection: Pick<Connection, 'baseUrl'>): string {
  const raw = url.trim();
  return /^[a-z][a-z0-9+.-]*:/i.test(raw) ? raw : `${connection.baseUrl.replace(/\/+$/, '')}${raw.startsWith('/') ? '' : '/'}${raw}`;
}

/** A position in a source file, 1-based, for errors a user can jump to. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** A principal: the user a request is sent on behalf of. */
export interface Principal {
  /** Behalf's own id for the principal, unique within its connection (used in `# @as`, env names). */
  id: string;
  /** The vendor's id for the user (DealCloud numeric user id, Orange Logic API id, ...). */
  userId?: string;
  email?: string;
  name?: string;
  /** For vendors where each principal is its own registered app (Creative Force): the app's client id. */
  clientId?: string;
  /** Where this principal came from: the connections file, or fetched from the vendor. */
  source?: 'file' | 'vendor';
}

export interface Connection {
  id: string;
  vendor: string;
  label: string;
  baseUrl: string;
  /** Token endpoint when it is not at the vendor's default place relative to baseUrl. */
  tokenUrl?: string;
  clientId?: string;
  scopes?: string[];
  defaultMode?: ImpersonationMode;
  /** Production connections always confirm requests sent as someone else. */
  production?: boolean;
  /** TLS verification stays on unless this is explicitly false (a warning is shown). */
  verifyTls?: boolean;
  /** The proxy of this connection over the host's (environment, flags): a proxy URL without credentials, or "direct". */
  proxy?: string;
  /** TLS files, paths relative to the connections file; a key's passphrase is the secret `<id>` / TLS_PASSPHRASE. */
  tls?: ConnectionTls;
  /** How the service authenticates: OAuth client credentials (default), a static bearer token, or none. */
  auth?: 'clientCredentials' | 'token' | 'none';
  /** Request timeout in milliseconds (default 30000). */
  timeoutMs?: number;
  principals: Principal[];
  /**
   * The vendor's own settings: the connection's properties that its vendor declares (VendorDefinition.settings,
   * e.g. DealCloud's serviceUserId), as written in the file and checked by the schema. Each vendor reads its own,
   * through an accessor in its file; the core never looks inside.
   */
  settings?: Readonly<Record<string, unknown>>;
  /** Where the connection was defined, for errors. */
  position?: SourcePosition;
}

export interface ConnectionTls {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  pfxFile?: string;
}

/**
 * The connection properties every vendor shares. The loader keeps the rest of a connection's properties (each
 * vendor's own settings) in `Connection.settings`. A unit test checks this list against the base
 * schema (src/core/connections.base.schema.json).
 */
export const CORE_CONNECTION_KEYS: readonly string[] = [
  'id',
  'vendor',
  'label',
  'baseUrl',
  'tokenUrl',
  'clientId',
  'scopes',
  'defaultMode',
  'production',
  'verifyTls',
  'proxy',
  'tls',
  'auth',
  'timeoutMs',
  'principals',
];

export interface ConnectionsFile {
  connections: Connection[];
  file: string;
}

/** Who a request is sent as. An explicit value passed down the pipeline, never a global. */
export interface ActAs {
  connection: Connection;
  /** undefined = the service user itself ("self"). */
  principal?: Principal;
  mode: ImpersonationMode;
}

/** A request ready to be sent: variables resolved, URL absolute or relative to the connection. */
export interface RequestSpec {
  name?: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /**
   * The byte ranges of a Buffer `body` copied as they are from files (`< path` lines in a .http file), with
   * the file's absolute path: cURL export refers to the file instead of inlining its bytes.
   */
  bodyFiles?: Array<{ path: string; offset: number; length: number }>;
  /** Where it came from in a .http file. */
  position?: SourcePosition;
  /** false (`# @no-redirect`): a 3xx answer is the response, its Location not followed. Default: followed. */
  followRedirects?: boolean;
  /** `# @note [text]` (REST Client): confirm before sending, showing the text. */
  note?: string;
}

/** The request exactly as the transport will send it (absolute URL). */
export interface PreparedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Header names that carry identity (auth + impersonation): stripped when the origin changes. */
  identityHeaders: string[];
  /** Origin the identity headers may go to. */
  trustedOrigin: string;
  /** What the adapter wants the record to say about how it sent this request (e.g. a lite read went out as the service account). */
  notes?: string[];
}

export interface HttpResponse {
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Final URL after redirects. */
  url: string;
  durationMs: number;
  /** Notes the transport wants the user to see (headers dropped on a cross-origin redirect, retries). */
  notes: string[];
  /** How the last exchange went out: "direct" or "via proxy host:port" (never credentials). */
  via?: string;
  /** The body was streamed to this file (TransportOptions.saveBody); `body` is then its first maxBodyBytes only. */
  saved?: SavedBody;
}

/** A response body written to a file as it arrived: where, and how many (decoded) bytes. */
export interface SavedBody {
  path: string;
  bytes: number;
}

export interface SentAs {
  connectionId: string;
  connectionLabel: string;
  vendor: string;
  /** Display form: "Jane Doe <jane@acme.test> (6045)" or "service user". */
  who: string;
  principalId?: string;
  mode: ImpersonationMode | 'self';
}

/** What a request produced, safe to show and store: the request in it is redacted. */
export interface ResponseRecord {
  name?: string;
  request: { method: string; url: string; headers: Record<string, string>; body?: string };
  status: number;
  statusText: string;
  headers: Record<string, string>;
  body: string;
  bodyBytes: number;
  durationMs: number;
  sentAs: SentAs;
  /** A sentence a user can act on when the vendor refused (from the adapter's explain). */
  explanation?: Explanation;
  notes: string[];
  /** How it went out: "direct" or "via proxy host:port" (never credentials). */
  via?: string;
  /** The body was saved to this file as it arrived; `body` holds at most the display limit of it. */
  saved?: SavedBody;
}

export interface Explanation {
  message: string;
  /** A follow-up the UI can offer, e.g. create a proxy assignment. */
  action?: { kind: string; title: string; args?: Record<string, string> };
}

/** One version of an asset, normalised from whatever shape the vendor returned. */
export interface AssetVersion {
  version: number;
  date: string;
  user: string;
  changes: Array<{ field: string; oldValue: string; newValue: string }>;
}
