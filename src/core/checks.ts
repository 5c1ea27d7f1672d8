// Connection checks (`behalf check`, Check Connection): what every vendor shares — the token, the base URL, TLS —
// then the adapter's own checks, which send through the engine's pipeline as an identity. No check changes data.

import type { BehalfEngine } from './engine';
import { BehalfError, isBehalfError } from './errors';
import type { ActAs, Connection, ImpersonationMode, Principal, RequestSpec, ResponseRecord } from './model';
import { originOf } from './transport';
import type { CheckProbe, CheckStatus, ConnectionCheck } from './vendor';

export type { CheckFix, CheckProbe, CheckStatus, ConnectionCheck } from './vendor';

export interface CheckReport {
  connection: string;
  checks: ConnectionCheck[];
}

export interface SentEvent {
  spec: RequestSpec;
  actAs: ActAs;
  time: Date;
  record?: ResponseRecord;
  error?: unknown;
}

export interface CheckOptions {
  signal?: AbortSignal;
  /** Each check as soon as it is known (progress in the CLI and the extension). */
  onCheck?(check: ConnectionCheck): void;
  /** Every request a check sent (or tried to), for the host's impersonation log. */
  onSent?(event: SentEvent): void | Promise<void>;
}

/** Errors that mean the connection's own credentials got no token (rather than a server that did not answer). */
const CREDENTIAL_ERRORS = new Set(['token', 'secret-missing', 'secret-store', 'config']);
/** Errors that say nothing was sent because of who the request would go as (an apps-only connection has no identity of its own). */
const NO_OWN_IDENTITY = new Set(['principal']);

/** Run every check of a connection, in order. Cancelling (the signal) ends the run with a "cancelled" error. */
export async function checkConnection(engine: BehalfEngine, connection: Connection, options: CheckOptions = {}): Promise<CheckReport> {
  const checks: ConnectionCheck[] = [];
  const add = (check: ConnectionCheck) => {
    throwIfCancelled(options.signal);
    checks.push(check);
    options.onCheck?.(check);
  };
  const send = async (spec: RequestSpec, as: { principal?: Principal; mode?: ImpersonationMode; sideEffectFree?: string } = {}): Promise<ResponseRecord> => {
    throwIfCancelled(options.signal);
    const actAs: ActAs = { connection, principal: as.principal, mode: as.mode ?? engine.defaultMode(connection) };
    const time = new Date();
    try {
      const record = await engine.sendAs(spec, actAs, { signal: options.signal, sideEffectFree: as.sideEffectFree });
      await options.onSent?.({ spec, actAs, time, record });
      return record;
    } catch (e) {
      await options.onSent?.({ spec, actAs, time, error: e });
      throw e;
    }
  };

  const serviceToken = await commonChecks(engine, connection, send, add);
  const adapter = engine.adapter(connection);
  if (adapter.checks) {
    const probe: CheckProbe = { connection, signal: options.signal, serviceToken, send };
    try {
      for await (const check of adapter.checks(probe)) add(check);
    } catch (e) {
      if (isCancelled(e, options.signal)) throw cancelled();
      // A check that broke is a failed check, not a crash: the report still says what was found before it.
      add({ id: 'vendor.error', title: `${engine.vendor(connection).displayName} checks`, status: 'fail', detail: messageOf(engine, e) });
    }
  }
  return { connection: connection.id, checks };
}

/** Whether any check failed (exit 1 in the CLI). */
export function anyFailed(report: CheckReport): boolean {
  return report.checks.some((c) => c.status === 'fail');
}

/** "7 passed, 1 failed, 2 warnings, 1 skipped". */
export function checkSummary(report: CheckReport): string {
  const count = (status: CheckStatus) => report.checks.filter((c) => c.status === status).length;
  const parts = [`${count('pass')} passed`, `${count('fail')} failed`];
  if (count('warn')) parts.push(`${count('warn')} warning${count('warn') === 1 ? '' : 's'}`);
  if (count('skip')) parts.push(`${count('skip')} skipped`);
  return parts.join(', ');
}

/**
 * The token, the base URL and TLS, from one GET of the base URL as the connection's own identity (the adapter
 * fetches the token first, then the request goes out). Returns whether the connection's own credentials got a token.
 */
async function commonChecks(
  engine: BehalfEngine,
  connection: Connection,
  send: (spec: RequestSpec) => Promise<ResponseRecord>,
  add: (check: ConnectionCheck) => void,
): Promise<CheckProbe['serviceToken']> {
  const base = connection.baseUrl.replace(/\/+$/, '');
  const https = base.toLowerCase().startsWith('https:');
  const noAuth = connection.auth === 'none';
  const token = (status: CheckStatus, detail: string) => add({ id: 'token', title: 'Token endpoint issues a token', status, detail });
  const reach = (status: CheckStatus, detail: string) => add({ id: 'baseUrl', title: 'Base URL answers', status, detail });
  let record: ResponseRecord | undefined;
  let error: BehalfError | undefined;
  try {
    record = await send({ name: 'connection check', method: 'GET', url: base, headers: {} });
  } catch (e) {
    if (isCancelled(e)) throw cancelled();
    error = isBehalfError(e) ? e : new BehalfError('internal', messageOf(engine, e));
  }
  let serviceToken: CheckProbe['serviceToken'] = noAuth ? 'none' : 'issued';
  if (record) {
    if (noAuth) token('skip', `${connection.id} has "auth": "none": no token to fetch.`);
    else token('pass', `A token was issued for ${connection.id}'s own credentials.`);
    const status = record.status >= 500 ? 'warn' : 'pass';
    reach(
      status,
      `GET ${base} answered ${record.status} ${record.statusText} in ${record.durationMs.toFixed(0)} ms${status === 'warn' ? ': the server answers, with an error' : ''}.`,
    );
  } else if (error && NO_OWN_IDENTITY.has(error.code)) {
    serviceToken = 'none';
    token('skip', `${error.message} Each principal's own token is checked below.`);
    reach('skip', `Not tried without an identity of ${connection.id}'s own; the principals' checks below reach it.`);
  } else if (error && (CREDENTIAL_ERRORS.has(error.code) || (error.code !== 'tls' && failedBefore(error, connection)))) {
    serviceToken = 'failed';
    token('fail', describe(engine, error));
    reach('skip', 'Not tried: the request needs the token first.');
  } else if (error) {
    token(
      noAuth ? 'skip' : 'pass',
      noAuth ? `${connection.id} has "auth": "none": no token to fetch.` : `A token was issued for ${connection.id}'s own credentials.`,
    );
    reach('fail', describe(engine, error));
  }
  // TLS: verified on every https request unless the connection turns it off.
  if (!https) {
    const loopback = /^http:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?(\/|$)/i.test(base);
    add({
      id: 'tls',
      title: 'TLS is verified',
      status: loopback ? 'skip' : 'warn',
      detail: loopback
        ? `${base} is plain http on this machine: there is no TLS to verify.`
        : `${base} is plain http: tokens and data cross the network unencrypted. Use https.`,
    });
  } else if (connection.verifyTls === false) {
    add({
      id: 'tls',
      title: 'TLS is verified',
      status: 'warn',
      detail: `TLS verification is off for ${connection.id} ("verifyTls": false): anyone on the network path could read or change its requests. Use it only for test servers; remove the setting to verify.`,
    });
  } else if (error?.code === 'tls') {
    add({ id: 'tls', title: 'TLS is verified', status: 'fail', detail: describe(engine, error) });
  } else {
    add({
      id: 'tls',
      title: 'TLS is verified',
      status: record ? 'pass' : 'skip',
      detail: record ? `The certificate of ${originOf(base)} was verified.` : 'Not known: no https request got through.',
    });
  }
  return serviceToken;
}

/**
 * A network error that happened before the base URL was tried: the token endpoint is on another origin and the
 * error names it (token endpoints are called first).
 */
function failedBefore(error: BehalfError, connection: Connection): boolean {
  const baseOrigin = originOf(connection.baseUrl);
  const origins = [...error.message.matchAll(/https?:\/\/(?:\[[^\]]+\]|[\w.-]+)(?::\d+)?/gi)].map((m) => originOf(m[0]));
  return origins.length > 0 && !origins.includes(baseOrigin);
}

function describe(engine: BehalfEngine, e: BehalfError): string {
  return engine.redactor.text(e.describe());
}

function messageOf(engine: BehalfEngine, e: unknown): string {
  return engine.redactor.text(isBehalfError(e) ? e.describe() : e instanceof Error ? e.message : String(e));
}

function isCancelled(e: unknown, signal?: AbortSignal): boolean {
  return (isBehalfError(e) && e.code === 'cancelled') || signal?.aborted === true;
}

function cancelled(): BehalfError {
  return new BehalfError('cancelled', 'The connection check was cancelled.');
}

function throwIfCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw cancelled();
}
