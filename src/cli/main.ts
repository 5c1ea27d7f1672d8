// `behalf`: the engine from a terminal (CI use). Secrets come from the environment
// (BEHALF_SECRET_<CONNECTION>[_<PRINCIPAL>]); nothing secret is ever printed.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as readline from 'node:readline/promises';
import { parseArgs } from 'node:util';
import type { CompareResult } from '../core/audit';
import { compareAs, refuseWrites, shortName } from '../core/compare';
import { findConnectionsFile, loadConnections } from '../core/connections';
import { BehalfEngine } from '../core/engine';
import { BehalfError, isBehalfError } from '../core/errors';
import { parseHttpFile, type HttpFileRequest, type ParsedHttpFile } from '../core/http/parser';
import { loadDotenv, loadEnvironments } from '../core/http/environments';
import { RequestVariableStore, UnsentRequestError, type RequestExchange } from '../core/http/requestVariables';
import { resolveRequest } from '../core/http/variables';
import { fileLogStorage, ImpersonationLog, logEntryFromError, logEntryFromRecord } from '../core/impersonationLog';
import type { ActAs, Connection, ConnectionsFile, ImpersonationMode, RequestSpec, ResponseRecord } from '../core/model';
import { envSecretStore, type Log, type LogLevel, type Prompt } from '../core/ports';
import { formatBytes, originOf } from '../core/transport';
import { allVendors } from '../vendors';

const VERSION = '0.1.0';

const HELP = `behalf ${VERSION} — send HTTP requests on behalf of another user

Usage:
  behalf send <file.http> [options]        send the requests of a .http file (all, or --name)
  behalf compare <file.http> --name <request> --as <a> [--as <b>]
                                           send one read as two identities and show what differs
  behalf principals <connection> [--json]  list a connection's principals (DealCloud: proxy assignments)
  behalf assign <connection> <userId>      create a DealCloud proxy assignment (keeps existing ones)
  behalf history <connection> <assetId>    an Orange Logic asset's version history
  behalf --help | --version

Options for send:
  --name <request>      only the request named with "# @name <request>"
  --as <principal>      send as this principal (id, email or vendor user id); overrides "# @as"
  --mode lite|full      impersonation mode; overrides "# @mode" and the connection's default
  --connection <id>     connection to use; overrides "# @connection"
  --env <name>          named environment from http-client.env.json
  --json                one JSON object per request on stdout
  -o, --output <what>   what to print per response: full (default: summary and body), summary (no body),
                        none (nothing on stdout; errors still go to stderr, exit codes unchanged)
  --yes                 confirm requests that change data as someone else (required when not interactive)
  --fail                exit 1 when a response has status >= 400
  --log <file.jsonl>    append every request sent as someone else to this impersonation log (JSON Lines)

Options for compare (reads only: POST, PUT, PATCH and DELETE are refused, the write would be sent twice):
  --name <request>      the request to compare (not needed when the file has one)
  --as <a> --as <b>     the two identities; "self" or no second --as means the service user;
                        no --as at all: the request's "# @as" against the service user
  --mode, --connection, --env, --log   as for send (one mode for both sides)
  --json                the comparison as one JSON object (rows only one side sees, differences, summary)

Common options:
  --config <file>       connections file (default: BEHALF_CONFIG, or behalf.connections.json found upward)
  --verbose             log every step to stderr (never secrets)

Secrets: BEHALF_SECRET_<CONNECTION_ID> and BEHALF_SECRET_<CONNECTION_ID>_<PRINCIPAL_ID>, ids upper-cased
with every non-alphanumeric character turned into "_".
Exit codes: 0 every request got a response; 1 an error (or, with --fail, a status >= 400); 2 bad usage.
`;

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  interactive: boolean;
  /** Ask a yes/no question on the terminal. */
  ask?: (question: string) => Promise<boolean>;
}

const OPTIONS = {
  name: { type: 'string' },
  as: { type: 'string', multiple: true },
  mode: { type: 'string' },
  connection: { type: 'string' },
  env: { type: 'string' },
  config: { type: 'string' },
  log: { type: 'string' },
  json: { type: 'boolean' },
  output: { type: 'string', short: 'o' },
  yes: { type: 'boolean' },
  fail: { type: 'boolean' },
  verbose: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/** What `send` prints per response: `none` is for scripts and benchmarks that only want the exit code. */
const OUTPUTS = ['full', 'summary', 'none'] as const;
type Output = (typeof OUTPUTS)[number];

type Flags = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K] extends { multiple: true } ? string[] : (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean;
};

export async function runCli(argv: string[], io: Io, signal?: AbortSignal): Promise<number> {
  let flags: Flags;
  let positionals: string[];
  try {
    const parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    flags = parsed.values;
    positionals = parsed.positionals;
  } catch (e) {
    io.err(`behalf: ${e instanceof Error ? e.message : String(e)}\nRun "behalf --help" for usage.\n`);
    return 2;
  }
  if (flags.version) {
    io.out(`${VERSION}\n`);
    return 0;
  }
  const [command, ...args] = positionals;
  if (flags.help || !command) {
    io.out(HELP);
    return flags.help ? 0 : 2;
  }
  if (flags.output !== undefined && !OUTPUTS.includes(flags.output as Output)) {
    io.err(`behalf: --output must be ${OUTPUTS.join(', ')} (got "${flags.output}").\n`);
    return 2;
  }
  if (flags.mode !== undefined && flags.mode !== 'lite' && flags.mode !== 'full') {
    io.err(`behalf: --mode must be lite or full (got "${flags.mode}").\n`);
    return 2;
  }

  const log: Log = {
    log: (level: LogLevel, message: string) => {
      if (flags.verbose || level === 'warn' || level === 'error') io.err(`[${level}] ${message}\n`);
    },
  };
  const prompt: Prompt = {
    confirm: async (question) => {
      if (flags.yes) return true;
      if (!io.interactive || !io.ask) return false;
      return io.ask(`${question} [y/N] `);
    },
  };
  const engine = new BehalfEngine({ vendors: allVendors, secrets: envSecretStore(io.env), prompt, log });
  try {
    switch (command) {
      case 'send':
        return await sendCommand(engine, args, flags, io, signal);
      case 'compare':
        return await compareCommand(engine, args, flags, io, signal);
      case 'principals':
        return await principalsCommand(engine, args, flags, io, signal);
      case 'assign':
        return await assignCommand(engine, args, flags, io, signal);
      case 'history':
        return await historyCommand(engine, args, flags, io, signal);
      default:
        io.err(`behalf: unknown command "${command}". Run "behalf --help".\n`);
        return 2;
    }
  } catch (e) {
    io.err(`behalf: ${describeError(engine, e)}\n`);
    return 1;
  } finally {
    // Every full impersonation session ends, whatever happened.
    await engine.dispose();
  }
}

interface LoadedHttpFile {
  parsed: ParsedHttpFile;
  selected: HttpFileRequest[];
  variableContext: Parameters<typeof resolveRequest>[2];
  config: ConnectionsFile;
}

/** Read, parse and check a .http file with its environments and connections; a number is an exit code. */
async function loadHttpFile(args: string[], usage: string, flags: Flags, io: Io): Promise<LoadedHttpFile | number> {
  const [fileArg] = args;
  if (!fileArg || args.length > 1) {
    io.err(`behalf: usage: ${usage}\n`);
    return 2;
  }
  const file = path.resolve(io.cwd, fileArg);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new BehalfError('file', `Cannot read ${fileArg}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}.`);
  }
  const parsed = parseHttpFile(text, file);
  const selected = selectRequests(parsed, flags.name);
  const blocking = parsed.diagnostics.filter(
    (d) => d.severity === 'error' && selected.some((r) => d.position.line >= r.range.startLine && d.position.line <= r.range.endLine),
  );
  for (const d of parsed.diagnostics) {
    if (d.severity === 'warning')
      io.err(`${path.relative(io.cwd, d.position.file) || d.position.file}:${d.position.line}:${d.position.column}: warning: ${d.message}\n`);
  }
  if (blocking.length) {
    for (const d of blocking)
      io.err(`${path.relative(io.cwd, d.position.file) || d.position.file}:${d.position.line}:${d.position.column}: error: ${d.message}\n`);
    return 1;
  }

  const environments = await loadEnvironments(path.dirname(file));
  if (flags.env && !environments.names.includes(flags.env)) {
    throw new BehalfError('env', `No environment "${flags.env}" (known: ${environments.names.join(', ') || 'none; add http-client.env.json'}).`);
  }
  const variableContext = { environment: environments.get(flags.env), processEnv: io.env, dotenv: loadDotenv(path.dirname(file)) };
  const config = await loadConfig(flags, io, path.dirname(file));
  return { parsed, selected, variableContext, config };
}

async function sendCommand(engine: BehalfEngine, args: string[], flags: Flags, io: Io, signal?: AbortSignal): Promise<number> {
  if ((flags.as?.length ?? 0) > 1) {
    io.err('behalf: send takes one --as (to send as two identities and see what differs, use "behalf compare").\n');
    return 2;
  }
  const loaded = await loadHttpFile(args, 'behalf send <file.http> [options]', flags, io);
  if (typeof loaded === 'number') return loaded;
  const { parsed, selected, variableContext, config } = loaded;
  const log = openLog(flags, io);
  const output = (flags.output ?? 'full') as Output;
  // Request variables ({{login.response.body.$.token}}) read the responses of this run, in memory only.
  const exchanges = new RequestVariableStore();
  const context = { ...variableContext, requestVariables: exchanges, onSecret: (value: string) => engine.redactor.add(value) };

  let failed = false;
  for (const request of selected) {
    if (signal?.aborted) break;
    let attempt: { spec: RequestSpec; actAs: ActAs; time: Date } | undefined;
    try {
      const spec = resolveInRun(parsed, request, context, flags.name);
      const connection = pickConnection(config, flags.connection ?? request.connection, spec.url, request);
      const principalRef = flags.as?.[0] ?? request.as;
      const principal = principalRef ? await engine.resolvePrincipal(connection, principalRef, signal) : undefined;
      const mode = (flags.mode as ImpersonationMode | undefined) ?? request.mode ?? engine.defaultMode(connection);
      const actAs: ActAs = { connection, principal, mode };
      attempt = { spec, actAs, time: new Date() };
      let raw: RequestExchange['response'] | undefined;
      const record = await engine.sendAs(spec, actAs, { signal, onRawResponse: request.name === undefined ? undefined : (r) => (raw = r) });
      if (request.name !== undefined && raw) exchanges.set(request.name, { request: { headers: spec.headers, body: spec.body }, response: raw });
      if (!(await logSent(log, engine, attempt, { record }, io))) failed = true;
      if (output === 'none') {
        // nothing on stdout
      } else if (flags.json) io.out(`${JSON.stringify(jsonRecord(record, output === 'full'))}\n`);
      else io.out(humanRecord(record, request, output === 'full'));
      if (flags.fail && record.status >= 400) failed = true;
    } catch (e) {
      failed = true;
      if (attempt) await logSent(log, engine, attempt, { error: e }, io);
      const message = describeError(engine, e);
      if (flags.json) io.out(`${JSON.stringify({ name: request.name ?? null, error: { code: isBehalfError(e) ? e.code : 'internal', message } })}\n`);
      else io.err(`${requestTitle(request)}: ${message}\n`);
      if (isBehalfError(e) && e.code === 'cancelled') break;
    }
  }
  return failed ? 1 : 0;
}

/** resolveRequest, with a hint for --name when the request reads a request that this run does not send. */
function resolveInRun(parsed: ParsedHttpFile, request: HttpFileRequest, context: LoadedHttpFile['variableContext'], name: string | undefined): RequestSpec {
  try {
    return resolveRequest(parsed, request, context);
  } catch (e) {
    if (e instanceof UnsentRequestError && name !== undefined) {
      throw new UnsentRequestError(e.message, e.request, e.requestLine, {
        position: e.position,
        hint: `--name ${name} sends only "${name}", and request variables read the responses of this run: send the whole file (requests go in file order, "${e.request}" at line ${e.requestLine})`,
      });
    }
    throw e;
  }
}

async function compareCommand(engine: BehalfEngine, args: string[], flags: Flags, io: Io, signal?: AbortSignal): Promise<number> {
  const usage = 'behalf compare <file.http> --name <request> --as <a> [--as <b>] [options]';
  const refs = flags.as ?? [];
  if (refs.length > 2) {
    io.err(`behalf: compare takes at most two --as (got ${refs.length}).\nusage: ${usage}\n`);
    return 2;
  }
  const loaded = await loadHttpFile(args, usage, flags, io);
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
  const leftRef = refs[0] ?? request.as;
  if (!leftRef) {
    io.err(`behalf: compare needs someone to act as: --as <principal> (or "# @as" on the request).\nusage: ${usage}\n`);
    return 2;
  }
  const rightRef = refs[1];
  const spec = resolveRequest(parsed, request, { ...variableContext, onSecret: (value) => engine.redactor.add(value) });
  refuseWrites(spec);
  const connection = pickConnection(config, flags.connection ?? request.connection, spec.url, request);
  const mode = (flags.mode as ImpersonationMode | undefined) ?? request.mode ?? engine.defaultMode(connection);
  const identity = async (ref: string | undefined): Promise<ActAs> => ({
    connection,
    principal: ref === undefined || ref === 'self' ? undefined : await engine.resolvePrincipal(connection, ref, signal),
    mode,
  });
  const left = await identity(leftRef);
  const right = await identity(rightRef);
  const log = openLog(flags, io);
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

/** The impersonation log of --log, or undefined. The CLI never drops entries from it (the file is the user's). */
function openLog(flags: Flags, io: Io): { log: ImpersonationLog; file: string } | undefined {
  if (!flags.log) return undefined;
  const file = path.resolve(io.cwd, flags.log);
  return { log: new ImpersonationLog(fileLogStorage(file), { retentionDays: Infinity }), file };
}

/** Log a request sent as someone else (a response, or an error after it was attempted). False when the log could not be written. */
async function logSent(
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
        { method: attempt.spec.method, url: absoluteUrl(attempt.spec.url, attempt.actAs.connection) },
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

function absoluteUrl(url: string, connection: Connection): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(url)) return url;
  return `${connection.baseUrl.replace(/\/+$/, '')}${url.startsWith('/') ? '' : '/'}${url}`;
}

async function principalsCommand(engine: BehalfEngine, args: string[], flags: Flags, io: Io, signal?: AbortSignal): Promise<number> {
  const connection = await connectionArg(args, 1, 'behalf principals <connection>', flags, io);
  const principals = await engine.listPrincipals(connection, signal);
  if (flags.json) io.out(`${JSON.stringify(principals)}\n`);
  else {
    io.out(`${connection.label} — ${principals.length} principal(s); modes: ${engine.modes(connection).join(', ')}\n`);
    for (const p of principals)
      io.out(
        `  ${p.id.padEnd(12)} ${(p.name ?? '').padEnd(20)} ${(p.email ?? '').padEnd(24)} ${p.userId ?? p.clientId ?? ''}${p.source === 'vendor' ? '  (from vendor)' : ''}\n`,
      );
  }
  return 0;
}

async function assignCommand(engine: BehalfEngine, args: string[], flags: Flags, io: Io, signal?: AbortSignal): Promise<number> {
  const connection = await connectionArg(args, 2, 'behalf assign <connection> <userId>', flags, io);
  const principals = await engine.createProxyAssignment(connection, args[1], signal);
  io.out(`The service user of ${connection.label} may now act as: ${principals.map((p) => p.userId ?? p.id).join(', ')}\n`);
  return 0;
}

async function historyCommand(engine: BehalfEngine, args: string[], flags: Flags, io: Io, signal?: AbortSignal): Promise<number> {
  const connection = await connectionArg(args, 2, 'behalf history <connection> <assetId>', flags, io);
  const versions = await engine.assetHistory(connection, args[1], undefined, signal);
  if (flags.json) io.out(`${JSON.stringify(versions)}\n`);
  else {
    for (const v of versions) {
      io.out(`v${v.version}  ${v.date}  ${v.user}\n`);
      for (const c of v.changes) io.out(`    ${c.field}: ${JSON.stringify(c.oldValue)} → ${JSON.stringify(c.newValue)}\n`);
    }
  }
  return 0;
}

async function connectionArg(args: string[], count: number, usage: string, flags: Flags, io: Io): Promise<Connection> {
  if (args.length !== count) throw new BehalfError('usage', `usage: ${usage}`);
  const config = await loadConfig(flags, io, io.cwd);
  const connection = config.connections.find((c) => c.id === args[0]);
  if (!connection)
    throw new BehalfError('connection', `No connection "${args[0]}" in ${config.file} (known: ${config.connections.map((c) => c.id).join(', ')}).`);
  return connection;
}

async function loadConfig(flags: Flags, io: Io, startDir: string): Promise<ConnectionsFile> {
  const given = flags.config ?? io.env['BEHALF_CONFIG'];
  const file = given ? path.resolve(io.cwd, given) : await findConnectionsFile(startDir);
  if (!file) {
    throw new BehalfError('config', `No behalf.connections.json found from ${startDir} upwards.`, {
      hint: 'pass --config <file>, set BEHALF_CONFIG, or run "npm run sandbox" to write one for the sandbox',
    });
  }
  return loadConnections(file);
}

function selectRequests(parsed: ParsedHttpFile, name: string | undefined): HttpFileRequest[] {
  if (!name) {
    if (parsed.requests.length === 0) throw new BehalfError('http', `${parsed.file} has no requests.`);
    return parsed.requests;
  }
  const found = parsed.requests.filter((r) => r.name === name);
  if (found.length === 0) {
    const names = parsed.requests.map((r) => r.name).filter(Boolean);
    throw new BehalfError('http', `No request named "${name}" in ${parsed.file} (named: ${names.join(', ') || 'none; add "# @name <name>"'}).`);
  }
  return found;
}

/** The connection: named explicitly, else the one whose origin the URL targets, else the only one. */
function pickConnection(config: ConnectionsFile, id: string | undefined, url: string, request: HttpFileRequest): Connection {
  if (id) {
    const found = config.connections.find((c) => c.id === id);
    if (!found) throw new BehalfError('connection', `No connection "${id}" in ${config.file} (known: ${config.connections.map((c) => c.id).join(', ')}).`);
    return found;
  }
  if (/^https?:/i.test(url)) {
    const byPrefix = config.connections.filter((c) => url.startsWith(c.baseUrl.replace(/\/+$/, '')));
    if (byPrefix.length === 1) return byPrefix[0];
    const byOrigin = config.connections.filter((c) => originOf(c.baseUrl) === originOf(url));
    if (byOrigin.length === 1) return byOrigin[0];
  }
  if (config.connections.length === 1) return config.connections[0];
  throw new BehalfError('connection', `Which connection should request ${request.name ?? `#${request.index + 1}`} use?`, {
    hint: `add "# @connection <id>" above it or pass --connection (known: ${config.connections.map((c) => c.id).join(', ')})`,
  });
}

function requestTitle(request: HttpFileRequest): string {
  return `${request.name ?? `request #${request.index + 1}`} (line ${request.requestLine})`;
}

function humanRecord(record: ResponseRecord, request: HttpFileRequest, withBody = true): string {
  const lines = [
    `### ${requestTitle(request)}`,
    `→ ${record.request.method} ${record.request.url}`,
    `  as ${record.sentAs.who} · ${record.sentAs.mode} · ${record.sentAs.connectionLabel}`,
    `← ${record.status} ${record.statusText} · ${record.durationMs.toFixed(0)} ms · ${formatBytes(record.bodyBytes)}`,
  ];
  for (const note of record.notes) lines.push(`  note: ${note}`);
  if (record.explanation) lines.push(`  ! ${record.explanation.message}`);
  if (withBody) lines.push(prettyBody(record));
  lines.push('');
  return lines.join('\n') + '\n';
}

function humanComparison(result: CompareResult, left: ResponseRecord, right: ResponseRecord, request: HttpFileRequest): string {
  const leftName = shortName(left.sentAs.who);
  const rightName = shortName(right.sentAs.who);
  const side = (label: string, record: ResponseRecord, rows: number | undefined) =>
    `  ${label} ${record.sentAs.who} · ${record.sentAs.mode} ← ${record.status} ${record.statusText} · ${record.durationMs.toFixed(0)} ms${rows === undefined ? '' : ` · ${rows} row${rows === 1 ? '' : 's'}`}`;
  const lines = [
    `### ${requestTitle(request)} — compared`,
    `→ ${left.request.method} ${left.request.url}`,
    side('left: ', left, result.left.rowCount),
    side('right:', right, result.right.rowCount),
  ];
  for (const note of [...left.notes, ...right.notes]) lines.push(`  note: ${note}`);
  if (left.explanation) lines.push(`  ! left: ${left.explanation.message}`);
  if (right.explanation) lines.push(`  ! right: ${right.explanation.message}`);
  lines.push(result.summary);
  if (result.rowsPath !== undefined) lines.push(`Rows at ${result.rowsPath}, matched by ${result.rowKey ?? 'content'}.`);
  const rowLine = (sign: string, row: CompareResult['onlyLeft'][number]) =>
    `  ${sign} ${clip(row.label)}${result.rowKey && row.label !== row.key ? `  [${result.rowKey} ${row.key}]` : ''}`;
  if (result.onlyLeft.length) lines.push('', `Only ${leftName} (${result.onlyLeft.length}):`, ...result.onlyLeft.map((r) => rowLine('-', r)));
  if (result.onlyRight.length) lines.push('', `Only ${rightName} (${result.onlyRight.length}):`, ...result.onlyRight.map((r) => rowLine('+', r)));
  if (result.differences.length) {
    lines.push('', `Differences (${leftName} vs ${rightName}):`);
    for (const d of result.differences) {
      const where = d.rowKey !== undefined ? `row ${result.rowKey ? `${result.rowKey} ` : ''}${clip(d.rowKey)} ${d.path}` : d.path;
      lines.push(`  ${where}: ${d.left === undefined ? '(absent)' : clip(d.left)} vs ${d.right === undefined ? '(absent)' : clip(d.right)}`);
    }
  }
  lines.push('');
  return lines.join('\n') + '\n';
}

function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function prettyBody(record: ResponseRecord): string {
  const type = record.headers['content-type'] ?? '';
  if (/json/i.test(type)) {
    try {
      return JSON.stringify(JSON.parse(record.body), null, 2);
    } catch {
      return record.body;
    }
  }
  return record.body;
}

function jsonRecord(record: ResponseRecord, withBody = true): unknown {
  let body: unknown = withBody ? record.body : undefined;
  if (withBody && /json/i.test(record.headers['content-type'] ?? '')) {
    try {
      body = JSON.parse(record.body);
    } catch {
      // Malformed JSON stays a string: the caller still sees what came back.
    }
  }
  return {
    name: record.name ?? null,
    status: record.status,
    headers: record.headers,
    body,
    sentAs: record.sentAs,
    mode: record.sentAs.mode,
    durationMs: Math.round(record.durationMs * 10) / 10,
    request: record.request,
    explanation: record.explanation?.message,
    notes: record.notes,
  };
}

function describeError(engine: BehalfEngine, e: unknown): string {
  if (isBehalfError(e)) return engine.redactor.text(e.describe());
  return engine.redactor.text(`unexpected error: ${e instanceof Error ? e.message : String(e)}`);
}

/** Entry point of dist/cli.js. */
export function main(): void {
  const controller = new AbortController();
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stderr.write('behalf: interrupted — cancelling and ending impersonation sessions…\n');
    controller.abort();
  };
  // `behalf send … | head` closes stdout early: that is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const interactive = !!process.stdin.isTTY && !!process.stderr.isTTY;
  const io: Io = {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    env: process.env,
    cwd: process.cwd(),
    interactive,
    ask: async (question) => {
      const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
      try {
        return /^y(es)?$/i.test((await rl.question(question)).trim());
      } finally {
        rl.close();
      }
    },
  };
  runCli(process.argv.slice(2), io, controller.signal).then(
    (code) => {
      process.exitCode = interrupted ? 130 : code;
    },
    (e) => {
      process.stderr.write(`behalf: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
