// The commands that send .http requests: send and compare.

import * as path from 'node:path';
import { compareAs, readsDespiteMethod, refuseWrites } from '../core/compare';
import type { BehalfEngine } from '../core/engine';
import { BehalfError, isBehalfError } from '../core/errors';
import type { HttpFileRequest, ParsedHttpFile } from '../core/http/parser';
import type { JUnitCase } from '../core/junit';
import { RequestVariableStore, type RequestExchange } from '../core/http/requestVariables';
import { resolveRequest } from '../core/http/variables';
import type { ActAs, ImpersonationMode, RequestSpec } from '../core/model';
import { loadHttpFile, pickConnection, resolveInRun } from './files';
import { describeError, type Flags, type Io, type Output } from './io';
import { humanComparison, humanRecord, jsonRecord, requestTitle } from './output';
import { logSent, openLog } from './runLog';
import { bodyFileWithProgress, planSaves } from './save';
import { judgeAssertions, junitFailures, unmetLine, writeJunit } from './verdicts';

export async function sendCommand(engine: BehalfEngine, args: string[], flags: Flags, io: Io, signal?: AbortSignal): Promise<number> {
  if ((flags.as?.length ?? 0) > 1) {
    io.err('behalf: send takes one --as (to send as two identities and see what differs, use "behalf compare").\n');
    return 2;
  }
  const loaded = loadHttpFile(args, 'behalf send <file.http> [options]', flags, io);
  if (typeof loaded === 'number') return loaded;
  const { parsed, selected, variableContext, config } = loaded;
  const saveTo = flags.save === undefined ? undefined : planSaves(flags.save, selected, io);
  if (typeof saveTo === 'string') {
    io.err(`behalf: ${saveTo}\n`);
    return 2;
  }
  const log = await openLog(flags, io);
  const output = (flags.output ?? 'full') as Output;
  // Request variables ({{login.response.body.$.token}}) read the responses of this run, in memory only.
  const exchanges = new RequestVariableStore();
  const context = { ...variableContext, requestVariables: exchanges, onSecret: (value: string) => engine.redactor.add(value) };

  let failed = false;
  // --junit: one test case per request, `<request> as <identity>`.
  const junit: JUnitCase[] = [];
  const classname = path.relative(io.cwd, parsed.file) || parsed.file;
  const caseName = (request: HttpFileRequest, actAs?: ActAs) =>
    `${request.name ?? `request #${request.index + 1}`} as ${actAs ? (actAs.principal?.id ?? 'self') : (flags.as?.[0] ?? request.as ?? 'self')}`;
  // A closed stdout (EPIPE) is reported after the write that found it: after a write, let it arrive before sending more.
  let wrote = false;
  const out = (text: string) => {
    wrote = true;
    io.out(text);
  };
  for (const request of selected) {
    if (wrote) await new Promise((resolve) => setImmediate(resolve));
    wrote = false;
    if (signal?.aborted) break;
    if (request.disabled) {
      // `# @disabled`: not sent, and said so where the response would be.
      if (flags.json) out(`${JSON.stringify({ name: request.name ?? null, skipped: '@disabled' })}\n`);
      else if (output !== 'none') out(`### ${requestTitle(request)}\nskipped: @disabled\n\n`);
      junit.push({ name: caseName(request), classname, failures: [], skipped: '@disabled' });
      continue;
    }
    let attempt: { spec: RequestSpec; actAs: ActAs; time: Date } | undefined;
    const saving = saveTo && bodyFileWithProgress(saveTo(request), io);
    try {
      const prompted = request.prompts?.length ? await askPrompts(parsed, request, context.overrides, io, signal) : undefined;
      const spec = resolveInRun(parsed, request, prompted ? { ...context, prompted } : context, flags.name);
      const connection = pickConnection(config, flags.connection ?? request.connection, spec.url, request);
      const principalRef = flags.as?.[0] ?? request.as;
      const principal = principalRef ? await engine.resolvePrincipal(connection, principalRef, signal) : undefined;
      const mode = (flags.mode as ImpersonationMode | undefined) ?? request.mode ?? engine.defaultMode(connection);
      const actAs: ActAs = { connection, principal, mode };
      attempt = { spec, actAs, time: new Date() };
      let raw: RequestExchange['response'] | undefined;
      const sending = engine.sendAs(spec, actAs, {
        signal,
        onRawResponse: request.name === undefined ? undefined : (r) => (raw = r),
        saveBody: saving?.body,
        // -o none: no body and no notes on stdout, and info notes reach stderr only with --verbose.
        bodyUnread: output === 'none' && !flags.verbose,
      });
      const record = await (saving ? sending.finally(() => saving.clear()) : sending);
      if (request.name !== undefined && raw) exchanges.set(request.name, { request: { headers: spec.headers, body: spec.body }, response: raw });
      // No run log (most runs): nothing to wait for.
      if (log && !(await logSent(log, engine, attempt, { record }, io))) failed = true;
      // `?? …` assertions, judged for the identity it was sent as: each failure named on stderr, exit 1.
      const verdicts = judgeAssertions(parsed, request, record, context);
      if (output === 'none') {
        // nothing on stdout
      } else if (flags.json) {
        const json = jsonRecord(record, output === 'full' && !saving, flags) as Record<string, unknown>;
        out(`${JSON.stringify(verdicts.length ? { ...json, verdicts } : json)}\n`);
      }
      // Saved: the body is in the file (as with curl -o), the summary says where.
      else out(humanRecord(record, request, output === 'full' && !saving, flags));
      for (const verdict of verdicts.filter((v) => !v.met)) {
        failed = true;
        io.err(`${unmetLine(parsed.file, `assertion failed (${caseName(request, actAs)})`, verdict, io, engine)}\n`);
      }
      junit.push({
        name: caseName(request, actAs),
        classname,
        timeSeconds: record.durationMs / 1000,
        failures: junitFailures(parsed.file, verdicts, 'assertion', io),
      });
      if (flags.fail && record.status >= 400) failed = true;
    } catch (e) {
      // stdout closed (`| head -1`): the reader has what it wanted; the rest is not sent, and that is no error.
      if (signal?.aborted && signal.reason === 'EPIPE' && isBehalfError(e) && e.code === 'cancelled') break;
      failed = true;
      if (attempt) await logSent(log, engine, attempt, { error: e }, io);
      const message = describeError(engine, e);
      junit.push({ name: caseName(request, attempt?.actAs), classname, failures: [], error: { message } });
      if (flags.json) out(`${JSON.stringify({ name: request.name ?? null, error: { code: isBehalfError(e) ? e.code : 'internal', message } })}\n`);
      else io.err(`${requestTitle(request)}: ${message}\n`);
      if (isBehalfError(e) && e.code === 'cancelled') break;
    }
  }
  if (flags.junit) await writeJunit(flags.junit, `behalf send ${classname}`, junit, engine, io);
  return failed ? 1 : 0;
}

/**
 * The values of a request's `# @prompt` names that --var does not give: typed on the terminal (without echo for
 * names like password or token), else an error naming `--var name=…`.
 */
async function askPrompts(
  parsed: ParsedHttpFile,
  request: HttpFileRequest,
  overrides: Record<string, string> | undefined,
  io: Io,
  signal?: AbortSignal,
): Promise<Record<string, string>> {
  const values: Record<string, string> = {};
  for (const p of request.prompts ?? []) {
    if (overrides && Object.prototype.hasOwnProperty.call(overrides, p.name)) continue;
    if (!io.interactive || !io.askText) {
      throw new BehalfError('prompt', `This request asks for ${p.name} ("# @prompt ${p.name}"), and there is no terminal to ask on`, {
        position: { file: parsed.file, line: p.line, column: p.column },
        hint: `pass --var ${p.name}=…`,
      });
    }
    values[p.name] = await io.askText(`${requestTitle(request)}: ${p.description ?? p.name}${p.secret ? ' (not shown)' : ''}: `, { secret: p.secret }, signal);
  }
  return values;
}

export async function compareCommand(engine: BehalfEngine, args: string[], flags: Flags, io: Io, signal?: AbortSignal): Promise<number> {
  const usage = 'behalf compare <file.http> --name <request> --as <a> [--as <b>] [options]';
  const refs = flags.as ?? [];
  if (refs.length > 2) {
    io.err(`behalf: compare takes at most two --as (got ${refs.length}).\nusage: ${usage}\n`);
    return 2;
  }
  const loaded = loadHttpFile(args, usage, flags, io);
  if (typeof loaded === 'number') return loaded;
  const { parsed, selected, variableContext, config } = loaded;
  if (selected.length !== 1) {
    const names = selected.map((r) => r.name).filter(Boolean);
    io.err(
      `behalf: compare sends one request, and ${args[0]} has ${selected.length}: pick one with --name${names.length ? ` (named: ${names.join(', ')})` : ''}.\n`,
    );
    return 2;
  }
  const request = selected[0];
  if (request.disabled)
    throw new BehalfError('disabled', `${requestTitle(request)} is marked "# @disabled": not sent`, { hint: 'remove "# @disabled" to send it' });
  const leftRef = refs[0] ?? request.as;
  if (!leftRef) {
    io.err(`behalf: compare needs someone to act as: --as <principal> (or "# @as" on the request).\nusage: ${usage}\n`);
    return 2;
  }
  const rightRef = refs[1];
  const log = await openLog(flags, io);
  const spec = resolveRequest(parsed, request, { ...variableContext, onSecret: (value) => engine.redactor.add(value) });
  const connection = pickConnection(config, flags.connection ?? request.connection, spec.url, request);
  refuseWrites(spec, undefined, undefined, readsDespiteMethod(engine, spec, connection));
  const mode = (flags.mode as ImpersonationMode | undefined) ?? request.mode ?? engine.defaultMode(connection);
  const identity = async (ref: string | undefined): Promise<ActAs> => ({
    connection,
    principal: ref === undefined || ref === 'self' ? undefined : await engine.resolvePrincipal(connection, ref, signal),
    mode,
  });
  const left = await identity(leftRef);
  const right = await identity(rightRef);
  let logFailed = false;
  const compared = await compareAs(engine, spec, left, right, {
    signal,
    onSent: async (event) => {
      if (!(await logSent(log, engine, { spec, actAs: event.actAs, time: event.time }, event, io))) logFailed = true;
    },
  });
  if (flags.json) io.out(`${JSON.stringify(compared.result)}\n`);
  else io.out(humanComparison(compared.result, compared.left, compared.right, request));
  return logFailed ? 1 : 0;
}
