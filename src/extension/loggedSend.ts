// Every request sent as someone else goes into the impersonation log: the one send path the commands share.

import type { ImpersonationLogEntry } from '../core/audit';
import type { BehalfEngine, SendOptions } from '../core/engine';
import { isBehalfError } from '../core/errors';
import { logEntryFromError, logEntryFromRecord } from '../core/impersonationLog';
import { urlOnConnection, type ActAs, type RequestSpec, type ResponseRecord } from '../core/model';
import type { Services } from './services';

// --- sending, logged ----------------------------------------------------------------------------------------

/**
 * engine.sendAs, and every request sent as someone else goes into the impersonation log: the response, or
 * the error when none came back. A request the user declined to confirm was not sent and is not logged.
 */
export async function sendLogged(
  s: Services,
  spec: RequestSpec,
  actAs: ActAs,
  options: SendOptions = {},
): Promise<{ record: ResponseRecord; entry?: ImpersonationLogEntry }> {
  const time = new Date();
  try {
    const record = await s.engine.sendAs(spec, actAs, options);
    return { record, entry: await logSent(s, { spec, actAs, time, record }) };
  } catch (e) {
    await logSent(s, { spec, actAs, time, error: e });
    throw e;
  }
}

/**
 * Records one send that was made elsewhere (the access matrix sends through the core): the response, or the error
 * when none came back; nothing when it was not sent as someone else, or the user declined to confirm it.
 */
export async function logSent(
  s: Services,
  sent: { spec: RequestSpec; actAs: ActAs; time: Date; record?: ResponseRecord; error?: unknown },
): Promise<ImpersonationLogEntry | undefined> {
  const { spec, actAs, time, record, error } = sent;
  if (!record && isBehalfError(error) && error.code === 'not-confirmed') return undefined;
  const entry = record
    ? logEntryFromRecord(record, time)
    : logEntryFromError(s.engine.sentAs(actAs), { method: spec.method, url: urlOnConnection(spec.url, actAs.connection) }, error, time, s.engine.redactor);
  if (entry) await s.impersonationLog.record(entry);
  return entry;
}

/** The engine, with sendAs going through sendLogged (compareAs sends both sides through it). */
export function loggingEngine(s: Services): BehalfEngine {
  const engine = s.engine;
  const logged = Object.create(engine) as BehalfEngine;
  logged.sendAs = async (spec, actAs, options) => (await sendLogged(s, spec, actAs, options)).record;
  return logged;
}
