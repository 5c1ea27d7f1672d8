// What every `behalf` command shares: its I/O, its flags, and how errors and URLs are worded.

import type { BehalfEngine } from '../core/engine';
import { isBehalfError } from '../core/errors';

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  interactive: boolean;
  /** stderr is a terminal: progress lines (--save) are drawn there, and only then. */
  stderrIsTerminal?: boolean;
  /** Ask a yes/no question on the terminal; rejects with a "cancelled" BehalfError when interrupted (Ctrl+C). */
  ask?: (question: string, signal?: AbortSignal) => Promise<boolean>;
  /** Ask for a line of text on the terminal (`# @prompt`); `secret`: typed without echo. Rejects like `ask`. */
  askText?: (question: string, options: { secret: boolean }, signal?: AbortSignal) => Promise<string>;
  /** Aborted when ending sessions must not wait any longer (a second Ctrl+C). */
  stopSignal?: AbortSignal;
  /** How long ending sessions may take at the end of a run (default 5 s). */
  shutdownMs?: number;
}

export const OPTIONS = {
  name: { type: 'string' },
  as: { type: 'string', multiple: true },
  mode: { type: 'string' },
  connection: { type: 'string' },
  env: { type: 'string' },
  var: { type: 'string', multiple: true },
  config: { type: 'string' },
  log: { type: 'string' },
  all: { type: 'boolean' },
  junit: { type: 'string' },
  concurrency: { type: 'string' },
  save: { type: 'string' },
  json: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  yes: { type: 'boolean' },
  fail: { type: 'boolean' },
  verbose: { type: 'boolean' },
  proxy: { type: 'string' },
  noproxy: { type: 'string' },
  cacert: { type: 'string', multiple: true },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** What `send` prints per response: `none` is for scripts and benchmarks that only want the exit code. */
export const OUTPUTS = ['full', 'summary', 'none'] as const;
export type Output = (typeof OUTPUTS)[number];

export type Flags = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { multiple: true } ? string[] : (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean;
} & {
  /** Every --name given, in order (matrix takes several; send and compare use the last, `name`). */
  names?: string[];
};

export function describeError(engine: BehalfEngine, e: unknown): string {
  if (isBehalfError(e)) return capUrls(engine.redactor.text(e.describe()));
  return capUrls(engine.redactor.text(`unexpected error: ${e instanceof Error ? e.message : String(e)}`));
}

/** URLs in messages, at most this long: the message is the sentence, the record has the whole URL. */
const MAX_MESSAGE_URL = 100;

/** Shorten every URL in a message to MAX_MESSAGE_URL characters (the end replaced by "…"). */
export function capUrls(text: string, max = MAX_MESSAGE_URL): string {
  return text.replace(/\bhttps?:\/\/[^\s"'<>]+/gi, (url) => (url.length > max ? `${url.slice(0, max - 1)}…` : url));
}
