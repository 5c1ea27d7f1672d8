// Messages between the response panel's host (src/extension/responsePanel.ts) and its page
// (media/response/main.ts). Both sides import this file; it must stay free of 'vscode' and of Node APIs.
//
// Flow: the page loads and posts `ready`; the host answers with `show` (again after every `ready`: a
// hidden panel is torn down and reloads when shown again). The page only asks; the host decides: copy and
// action requests carry no content the host would trust, it uses its own copy of the view.

import type { AttributionResult } from '../core/audit';
import type { ResponseRecord } from '../core/model';
import { isNonEmptyString, isOptionalBoolean, isOptionalString, isRecord, isStringRecord } from './guards';

export { isStringRecord };

export type SentAsMode = 'lite' | 'full' | 'self';

export interface ResponseViewSentAs {
  /** Display form: "Jane Doe <jane@acme.test> (6045)" or "service user". */
  who: string;
  mode: SentAsMode;
  connectionLabel: string;
  vendor: string;
}

export interface ResponseViewRequest {
  method: string;
  url: string;
  /** Already redacted by the engine. */
  headers: Record<string, string>;
  body?: string;
}

export interface ResponseViewAction {
  kind: string;
  title: string;
  args: Record<string, string>;
}

export interface ResponseViewExplanation {
  message: string;
  action?: ResponseViewAction;
}

/** Who the vendor recorded a write under (after a write sent as a principal to an asset with a history). */
export interface ResponseViewAttribution {
  assetId: string;
  outcome: AttributionResult['outcome'];
  /** "Recorded as jane@acme.test in version 4." */
  message: string;
  /** What to do when it was not the principal. */
  advice?: string;
}

/** Everything the page shows. Built from a ResponseRecord (whose request is already redacted). */
export interface ResponseView {
  /**
   * Identifies this response so the page can tell "the same response again, after a reload" (keep the
   * open tab, folding and scroll position) from a new one. The host fills it in when missing.
   */
  id?: string;
  /** The request's name from the .http file, when it has one. */
  name?: string;
  status: number;
  statusText: string;
  durationMs: number;
  bodyBytes: number;
  headers: Record<string, string>;
  body: string;
  contentType: string;
  sentAs: ResponseViewSentAs;
  request: ResponseViewRequest;
  explanation?: ResponseViewExplanation;
  notes: string[];
  /** How it went out: "direct" or "via proxy host:port" (never credentials). Absent for records made before it existed. */
  via?: string;
  /** cURL for the redacted request (tokens appear as «redacted»). */
  curl: string;
  /** Set when the response describes an asset whose version history can be opened. */
  assetId?: string;
  /** Set after a write as a principal: what the asset's history recorded (the page offers to check again). */
  attribution?: ResponseViewAttribution;
  /**
   * The body is not text (by its content type, or its bytes are not UTF-8): the page says so and offers
   * "Save body…" instead of showing decoded noise. Set by the host, which alone holds the bytes.
   */
  binary?: boolean;
  /** The host can send this request again as the same identity ("Resend"). Set by the host. */
  canResend?: boolean;
}

/**
 * Where a "Check again" of the attribution stands: the host says `checking` at once, then `checked` (the new
 * result, which replaces the one shown) or `failed` (the result shown stays; the message says why).
 */
export type AttributionCheck = { state: 'checking' } | { state: 'checked'; attribution: ResponseViewAttribution } | { state: 'failed'; message: string };

/**
 * A send the panel was opened for before its response arrived: `sending` from the start (the panel loads while
 * the request is in flight), then, when no response came, `failed` or `cancelled` (the message says what happened
 * and what to do). A response replaces it with a `show`. Never kept in the page's state: a send does not survive
 * a reload, so a restored panel must not say "Sending…".
 */
export interface SendStatus {
  /** Identifies this send: the page's Cancel and "Send again" name it (the host ignores them for another one). */
  id: string;
  state: 'sending' | 'failed' | 'cancelled';
  sentAs: ResponseViewSentAs;
  /** Redacted, as in the response view. */
  request: { method: string; url: string };
  /** While sending: the latest progress note (a session starting, a rate-limit wait). Failed: the error, redacted. */
  message?: string;
  /** The host can send the request again ("Send again"). */
  canResend?: boolean;
}

export type HostToPanel =
  | { type: 'show'; view: ResponseView }
  | { type: 'status'; status: SendStatus }
  /** About the view with this id only (a page showing another response ignores it). */
  | { type: 'attribution'; viewId: string; check: AttributionCheck };

export type CopyTarget = 'body' | 'curl';

/**
 * What the page may ask about the body or request beyond copying. None carries content: the host acts on
 * its own copy of the response (and, for `save`, on the bytes it keeps in memory for the current response).
 * `viewId` names the response the button belonged to: a request about a response the panel no longer shows
 * is ignored.
 */
export type BodyCommand = 'save' | 'openInEditor' | 'resend';

export type PanelToHost =
  | { type: 'ready' }
  | { type: 'copy'; what: CopyTarget }
  | { type: 'action'; kind: string; args: Record<string, string> }
  | { type: 'openHistory'; assetId: string }
  | { type: 'verifyAttribution'; assetId: string }
  | { type: BodyCommand; viewId: string }
  /** Cancel the send the panel says is under way (`sendId`: its SendStatus id). */
  | { type: 'cancel'; sendId: string }
  /** The response `viewId` has been painted (the host then retitles the tab: see ResponsePanel.retitleAfterPaint). */
  | { type: 'shown'; viewId: string };

// --- building a view ------------------------------------------------------------------------------------

/** Case-insensitive header lookup. */
export function headerValue(headers: Record<string, string>, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

/** The view of a recorded response. `curl` must be built from the record's (redacted) request. */
export function responseViewFromRecord(
  record: ResponseRecord,
  extra: { curl: string; assetId?: string; id?: string; attribution?: AttributionResult },
): ResponseView {
  const view: ResponseView = {
    status: record.status,
    statusText: record.statusText,
    durationMs: record.durationMs,
    bodyBytes: record.bodyBytes,
    headers: { ...record.headers },
    body: record.body,
    contentType: headerValue(record.headers, 'content-type') ?? '',
    sentAs: {
      who: record.sentAs.who,
      mode: record.sentAs.mode,
      connectionLabel: record.sentAs.connectionLabel,
      vendor: record.sentAs.vendor,
    },
    request: { method: record.request.method, url: record.request.url, headers: { ...record.request.headers } },
    notes: [...record.notes],
    curl: extra.curl,
  };
  if (record.request.body !== undefined) view.request.body = record.request.body;
  if (record.name !== undefined) view.name = record.name;
  if (record.via !== undefined) view.via = record.via;
  if (extra.id !== undefined) view.id = extra.id;
  if (extra.assetId !== undefined) view.assetId = extra.assetId;
  if (extra.attribution !== undefined) view.attribution = attributionView(extra.attribution);
  if (record.explanation) {
    view.explanation = { message: record.explanation.message };
    const action = record.explanation.action;
    if (action) view.explanation.action = { kind: action.kind, title: action.title, args: { ...(action.args ?? {}) } };
  }
  return view;
}

/** What the panel shows of an attribution check's result. */
export function attributionView(a: AttributionResult): ResponseViewAttribution {
  const view: ResponseViewAttribution = { assetId: a.assetId, outcome: a.outcome, message: a.message };
  if (a.advice !== undefined) view.advice = a.advice;
  return view;
}

// --- the body as bytes -----------------------------------------------------------------------------------

/** Content types whose bodies are not text: decoded as UTF-8 they are noise. */
export function isBinaryContentType(contentType: string): boolean {
  return /^(image|audio|video|font)\/|^application\/(octet-stream|pdf|zip|gzip|x-tar|x-7z-compressed|vnd\.ms-excel|vnd\.openxmlformats)/i.test(
    contentType.trim(),
  );
}

/** Declared as text (JSON, XML, HTML, text/*, form data): shown as text even if a byte is off. */
function isTextContentType(contentType: string): boolean {
  return /^text\/|[/+](json|xml)\b|^application\/(javascript|x-www-form-urlencoded|graphql)/i.test(contentType.trim());
}

/** Binary by its content type, or (when that says nothing) by its bytes: a NUL, or not valid UTF-8. */
export function isBinaryBody(contentType: string, bytes: Uint8Array | undefined): boolean {
  if (isBinaryContentType(contentType)) return true;
  if (!bytes || bytes.length === 0 || isTextContentType(contentType)) return false;
  const head = bytes.subarray(0, 64 * 1024);
  if (head.includes(0)) return true;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return false;
  } catch {
    return true;
  }
}

/** The media type without parameters, lower case: "image/png". */
export function mediaType(contentType: string): string {
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

const EXTENSIONS: Record<string, string> = {
  'application/json': 'json',
  'application/xml': 'xml',
  'text/xml': 'xml',
  'text/html': 'html',
  'text/plain': 'txt',
  'text/csv': 'csv',
  'text/css': 'css',
  'text/javascript': 'js',
  'application/javascript': 'js',
  'application/pdf': 'pdf',
  'application/zip': 'zip',
  'application/gzip': 'gz',
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/svg+xml': 'svg',
  'image/tiff': 'tif',
  'image/bmp': 'bmp',
  'audio/mpeg': 'mp3',
  'video/mp4': 'mp4',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
};

/** A file extension for a content type: "json", "png", …; "bin" for unknown binary, "txt" for unknown text. */
export function extensionFor(contentType: string, binary: boolean): string {
  const type = mediaType(contentType);
  const known = EXTENSIONS[type];
  if (known) return known;
  if (/[/+]json$/.test(type)) return 'json';
  if (/[/+]xml$/.test(type)) return 'xml';
  return binary ? 'bin' : 'txt';
}

/**
 * The file name a Content-Disposition header proposes (`filename*=UTF-8''…` first, then `filename="…"`),
 * reduced to a plain name: no directories, no control or reserved characters, not hidden. undefined if none.
 */
export function dispositionFilename(disposition: string | undefined): string | undefined {
  if (!disposition) return undefined;
  let name: string | undefined;
  const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(disposition);
  if (extended?.[2]) {
    try {
      name = decodeURIComponent(extended[2].trim().replace(/^"|"$/g, ''));
    } catch {
      name = undefined;
    }
  }
  if (name === undefined) {
    const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/i.exec(disposition);
    name = plain?.[1] !== undefined ? plain[1].replace(/\\(.)/g, '$1') : plain?.[2]?.trim();
  }
  if (!name) return undefined;
  const base = name.split(/[\\/]/).pop() ?? '';

  const clean = base
    // eslint-disable-next-line no-control-regex -- control characters are not allowed in file names
    .replace(/[\u0000-\u001f\u007f<>:"|?*]/g, '_')
    .replace(/^[.\s]+/, '')
    .trim()
    .slice(0, 200);
  return clean === '' ? undefined : clean;
}

/** "invoice 7.pdf" from Content-Disposition, else "response-200.png". */
export function defaultBodyFileName(view: Pick<ResponseView, 'status' | 'headers' | 'contentType' | 'binary'>): string {
  return (
    dispositionFilename(headerValue(view.headers, 'content-disposition')) ?? `response-${view.status}.${extensionFor(view.contentType, view.binary === true)}`
  );
}

/** The editor language for a body: json, xml, html, else plaintext. */
export function editorLanguage(contentType: string, body: string): 'json' | 'xml' | 'html' | 'plaintext' {
  const type = mediaType(contentType);
  if (/[/+]json$/.test(type)) return 'json';
  if (type === 'text/html' || type === 'application/xhtml+xml') return 'html';
  if (/[/+]xml$/.test(type)) return 'xml';
  if (type === '' || type === 'text/plain') {
    const first = body.trimStart().charAt(0);
    if (first === '{' || first === '[') return 'json';
  }
  return 'plaintext';
}

// --- guards ---------------------------------------------------------------------------------------------
// Messages cross a trust boundary both ways: the host must not trust the page (it renders server data), and
// the page checks what it renders so a malformed view fails loudly instead of half-drawing.

/** Upper bounds for what the page may send; anything larger is not a message this protocol produces. */
const MAX_KIND = 200;
const MAX_ARGS = 50;
const MAX_ARG_LENGTH = 10_000;
const MAX_ASSET_ID = 1_000;
const MAX_VIEW_ID = 200;

export function isPanelToHost(x: unknown): x is PanelToHost {
  if (!isRecord(x)) return false;
  switch (x.type) {
    case 'ready':
      return true;
    case 'copy':
      return x.what === 'body' || x.what === 'curl';
    case 'action':
      return isNonEmptyString(x.kind, MAX_KIND) && isStringRecord(x.args, MAX_ARGS, MAX_ARG_LENGTH);
    case 'openHistory':
    case 'verifyAttribution':
      return isNonEmptyString(x.assetId, MAX_ASSET_ID);
    case 'save':
    case 'openInEditor':
    case 'resend':
    case 'shown':
      return isNonEmptyString(x.viewId, MAX_VIEW_ID);
    case 'cancel':
      return isNonEmptyString(x.sendId, MAX_VIEW_ID);
    default:
      return false;
  }
}

const MODES: ReadonlySet<unknown> = new Set<SentAsMode>(['lite', 'full', 'self']);
const OUTCOMES: ReadonlySet<unknown> = new Set<AttributionResult['outcome']>(['recorded-as-principal', 'recorded-as-other', 'no-new-version']);

export function isResponseView(x: unknown): x is ResponseView {
  if (!isRecord(x)) return false;
  const { sentAs, request, explanation, notes } = x;
  if (
    !isOptionalString(x.id) ||
    !isOptionalString(x.name) ||
    !isOptionalString(x.assetId) ||
    !isOptionalString(x.via) ||
    typeof x.status !== 'number' ||
    typeof x.statusText !== 'string' ||
    typeof x.durationMs !== 'number' ||
    typeof x.bodyBytes !== 'number' ||
    typeof x.body !== 'string' ||
    typeof x.contentType !== 'string' ||
    typeof x.curl !== 'string' ||
    !isOptionalBoolean(x.binary) ||
    !isOptionalBoolean(x.canResend) ||
    !isStringRecord(x.headers)
  ) {
    return false;
  }
  if (!Array.isArray(notes) || !notes.every((n) => typeof n === 'string')) return false;
  if (!isSentAs(sentAs)) return false;
  if (!isRecord(request) || typeof request.method !== 'string' || typeof request.url !== 'string') return false;
  if (!isStringRecord(request.headers) || !isOptionalString(request.body)) return false;
  if (x.attribution !== undefined && !isAttribution(x.attribution)) return false;
  if (explanation !== undefined) {
    if (!isRecord(explanation) || typeof explanation.message !== 'string') return false;
    const action = explanation.action;
    if (action !== undefined) {
      if (!isRecord(action) || typeof action.kind !== 'string' || typeof action.title !== 'string') return false;
      if (!isStringRecord(action.args)) return false;
    }
  }
  return true;
}

function isAttribution(x: unknown): x is ResponseViewAttribution {
  return isRecord(x) && typeof x.assetId === 'string' && OUTCOMES.has(x.outcome) && typeof x.message === 'string' && isOptionalString(x.advice);
}

export function isAttributionCheck(x: unknown): x is AttributionCheck {
  if (!isRecord(x)) return false;
  switch (x.state) {
    case 'checking':
      return true;
    case 'checked':
      return isAttribution(x.attribution);
    case 'failed':
      return typeof x.message === 'string';
    default:
      return false;
  }
}

const SEND_STATES: ReadonlySet<unknown> = new Set<SendStatus['state']>(['sending', 'failed', 'cancelled']);

function isSentAs(x: unknown): x is ResponseViewSentAs {
  return isRecord(x) && typeof x.who === 'string' && MODES.has(x.mode) && typeof x.connectionLabel === 'string' && typeof x.vendor === 'string';
}

export function isSendStatus(x: unknown): x is SendStatus {
  if (!isRecord(x) || !isNonEmptyString(x.id, MAX_VIEW_ID) || !SEND_STATES.has(x.state) || !isSentAs(x.sentAs)) return false;
  const request = x.request;
  if (!isRecord(request) || typeof request.method !== 'string' || typeof request.url !== 'string') return false;
  return isOptionalString(x.message) && isOptionalBoolean(x.canResend);
}

export function isHostToPanel(x: unknown): x is HostToPanel {
  if (!isRecord(x)) return false;
  if (x.type === 'show') return isResponseView(x.view);
  if (x.type === 'status') return isSendStatus(x.status);
  return x.type === 'attribution' && typeof x.viewId === 'string' && isAttributionCheck(x.check);
}

/** A `show` message (the shared page wiring takes views through this). */
export function isShowResponse(x: unknown): x is Extract<HostToPanel, { type: 'show' }> {
  return isHostToPanel(x) && x.type === 'show';
}
