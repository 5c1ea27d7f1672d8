// What the engine shows of a request and of a failure (records, prompts, the log, errors) always passes the
// redactor: these helpers are the one way it does, shared by the send pipeline, its guards and session ending.
import { BehalfError, isBehalfError } from './errors';
import type { PreparedRequest, ResponseRecord } from './model';
import { urlForDisplay } from './printable';
import type { Redactor } from './redact';
import { findHeader } from './transport';

/** A Buffer request body as the record shows it: its text, or a placeholder when it is not UTF-8 (an uploaded image). */
function bufferText(body: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return `«binary body: ${body.length} bytes, not shown»`;
  }
}

/** A URL as Behalf shows it (records, prompts, the log): secrets redacted, control characters escaped. */
export function shownUrl(redactor: Redactor, url: string): string {
  return urlForDisplay(redactor.url(url));
}

/** The request as its record shows it: URL, headers and body redacted. */
export function redactRequest(redactor: Redactor, prepared: PreparedRequest): ResponseRecord['request'] {
  const body = prepared.body === undefined ? undefined : typeof prepared.body === 'string' ? prepared.body : bufferText(prepared.body);
  return {
    method: prepared.method,
    url: shownUrl(redactor, prepared.url),
    headers: redactor.headers(prepared.headers),
    body: body === undefined ? undefined : redactor.body(body, findHeader(prepared.headers, 'content-type')),
  };
}

/** Anything unexpected still reaches the user as one redacted sentence. */
export function asBehalfError(redactor: Redactor, e: unknown): BehalfError {
  if (isBehalfError(e)) {
    const message = redactor.text(e.message);
    return message === e.message ? e : new BehalfError(e.code, message, { position: e.position, hint: e.hint });
  }
  return new BehalfError('internal', `Unexpected error: ${errorMessage(redactor, e)}`);
}

/** The message of anything thrown, redacted. */
export function errorMessage(redactor: Redactor, e: unknown): string {
  return redactor.text(e instanceof Error ? e.message : String(e));
}
