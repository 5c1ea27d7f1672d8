// The --log impersonation log of a run: checked writable before anything is sent, one entry per request sent as
// someone else.

import { constants as fsConstants } from 'node:fs';
// fs.promises, not node:fs/promises: its getter loads the module when a file is written, not at start-up.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { BehalfEngine } from '../core/engine';
import { BehalfError, isBehalfError } from '../core/errors';
import { fileLogStorage, ImpersonationLog, logEntryFromError, logEntryFromRecord } from '../core/impersonationLog';
import { urlOnConnection, type ActAs, type RequestSpec, type ResponseRecord } from '../core/model';
import type { Flags, Io } from './io';

/**
 * The impersonation log of --log, or undefined. The CLI never drops entries from it (the file is the user's).
 * Checked before anything is sent: a log that cannot be written would be found only after the writes went out.
 */
export async function openLog(flags: Flags, io: Io): Promise<{ log: ImpersonationLog; file: string } | undefined> {
  if (!flags.log) return undefined;
  const file = path.resolve(io.cwd, flags.log);
  await checkWritable(file, flags.log);
  return { log: new ImpersonationLog(fileLogStorage(file), { retentionDays: Infinity }), file };
}

/** The log is written next to itself (a temporary file renamed over it): its folder must take a new file. */
async function checkWritable(file: string, given: string): Promise<void> {
  const fail = (why: string) => {
    throw new BehalfError('log', `Cannot write the impersonation log ${given}: ${why}. Nothing was sent.`, {
      hint: 'pass --log a file in a folder you can write to',
    });
  };
  const stat = await fs.stat(file).catch(() => undefined);
  if (stat && !stat.isFile()) fail(stat.isDirectory() ? 'it is a folder' : 'it is not a regular file');
  const folder = path.dirname(file);
  try {
    await fs.mkdir(folder, { recursive: true });
  } catch (e) {
    fail(`its folder ${folder} cannot be created (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const probe = path.join(folder, `.${path.basename(file)}.${process.pid}.check`);
  try {
    await fs.writeFile(probe, '', { flag: 'wx' });
    await fs.rm(probe, { force: true });
    if (stat) await fs.access(file, fsConstants.R_OK | fsConstants.W_OK);
  } catch (e) {
    await fs.rm(probe, { force: true }).catch(() => undefined);
    fail(`${(e as NodeJS.ErrnoException).code ?? (e as Error).message} in ${folder}`);
  }
}

/** Log a request sent as someone else (a response, or an error after it was attempted). False when the log could not be written. */
export async function logSent(
  log: { log: ImpersonationLog; file: string } | undefined,
  engine: BehalfEngine,
  attempt: { spec: RequestSpec; actAs: ActAs; time: Date },
  outcome: { record?: ResponseRecord; error?: unknown },
  io: Io,
): Promise<boolean> {
  if (!log) return true;
  // Refused before anything was sent: nothing to log.
  if (outcome.error !== undefined && isBehalfError(outcome.error) && ['not-confirmed', 'compare-write', 'mode'].includes(outcome.error.code)) return true;
  const entry = outcome.record
    ? logEntryFromRecord(outcome.record, attempt.time)
    : logEntryFromError(
        engine.sentAs(attempt.actAs),
        { method: attempt.spec.method, url: urlOnConnection(attempt.spec.url, attempt.actAs.connection) },
        outcome.error,
        attempt.time,
        engine.redactor,
      );
  if (!entry) return true;
  try {
    await log.log.record(entry);
    return true;
  } catch (e) {
    io.err(`behalf: could not write the impersonation log ${log.file}: ${engine.redactor.text(e instanceof Error ? e.message : String(e))}\n`);
    return false;
  }
}
