// Replies as the doubles return them: JSON and `{"message"}` bodies, 404s, and Refusal, which a double
// throws to answer from deep inside a handler.

import type { Readable } from 'node:stream';

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
  /** Becomes `x-sandbox-effective-user` and the log entry's effectiveUser. */
  effectiveUser?: string;
  /** A body sent as it is produced instead of `body` (a large download): its Content-Length and its bytes. */
  stream?: { bytes: number; open: () => Readable };
}

export interface ReplyOptions {
  headers?: Record<string, string>;
  effectiveUser?: string;
}

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

export function json(status: number, value: unknown, options: ReplyOptions = {}): Reply {
  return {
    status,
    headers: { 'content-type': JSON_CONTENT_TYPE, ...options.headers },
    body: JSON.stringify(value),
    effectiveUser: options.effectiveUser,
  };
}

/** The `{"message": "..."}` error body DealCloud, Creative Force's gateway and the generic API share. */
export function messageReply(status: number, message: string, options: ReplyOptions = {}): Reply {
  return json(status, { message }, options);
}

export function notFound(): Reply {
  return messageReply(404, 'Not found');
}

/** Thrown by a double to answer with `reply` from deep inside a handler (auth, permission checks). */
export class Refusal extends Error {
  constructor(readonly reply: Reply) {
    super(`refused with ${reply.status}`);
  }
}

export function refuse(status: number, message: string, options: ReplyOptions = {}): Refusal {
  return new Refusal(messageReply(status, message, options));
}

/** "2026-01-05T10:00:00Z": ISO 8601 without milliseconds, as the vendors write dates. */
export function isoSeconds(time: number = Date.now()): string {
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
