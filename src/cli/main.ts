// `behalf`: the engine from a terminal (CI use). Secrets come from the environment
// (BEHALF_SECRET_<CONNECTION>[_<PRINCIPAL>]); nothing secret is ever printed.

import { constants as fsConstants } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as readline from 'node:readline/promises';
import { parseArgs } from 'node:util';
import type { CompareResult } from '../core/audit';
import { compareAs, refuseWrites, shortName } from '../core/compare';
import { findConnectionsFile, loadConnections } from '../core/connections';
import { BehalfEngine, DEFAULT_DISPOSE_MS } from '../core/engine';
import { BehalfError, isBehalfError } from '../core/errors';
import { parseHttpFile, type HttpFileRequest, type ParsedHttpFile } from '../core/http/parser';
import { loadDotenv, loadEnvironments } from '../core/http/environments';
import { RequestVariableStore, UnsentRequestError, type RequestExchange } from '../core/http/requestVariables';
import { readHttpFile, resolveRequest } from '../core/http/variables';
import { fileLogStorage, ImpersonationLog, logEntryFromError, logEntryFromRecord } from '../core/impersonationLog';
import type { ActAs, Connection, ConnectionsFile, ImpersonationMode, RequestSpec, ResponseRecord } from '../core/model';
import { envSecretStore, type Log, type LogLevel, type Prompt } from '../core/ports';
import { proxyConfig } from '../core/proxy';
import { readCaFile } from '../core/tlsFiles';
import { formatBytes, originOf, type NetworkOptions } from '../core/transport';
import type { UnendedSession } from '../core/vendor';
import { mergePrincipals, suggestedPrincipalId, type MergedPrincipal } from '../core/principalAssignments';
import { allVendors } from '../vendors';

const VERSION = '0.1.0';

const HELP = `behalf ${VERSION} — send HTTP requests on behalf of another user

Usage:
  behalf send <file.http> [options]        send the requests of a .http file (all, or --name)
  behalf compare <file.http> --name <request> --as <a> [--as <b>]
                                           send one read as two identities and show what differs
  behalf principals <connection> [--json]  list a connection's principals (DealCloud: each marked assigned or
                                           not from its proxy assignments, with the fix)
  behalf assign <connection> <userId>      create a DealCloud proxy assignment (keeps existing ones;
                                           a "production" connection asks first: --yes when not interactive)
  behalf history <connection> <assetId>    an Orange Logic asset's version history
  behalf --help | --version

Options for send:
  --name <request>      only the request named with "# @name <request>"
  --as <principal>      send as this principal (id, email or vendor user id); overrides "# @as"
  --mode lite|full      impersonation mode; overrides "# @mode" and the connection's default
  --connection <id>     connection to use; overrides "# @connection"
  --env <name>          named environment from http-client.env.json
  --var <name=value>    set a variable, over file variables and the environment (repeatable)
  --json                one JSON object per request on stdout
  -o, --output <what>   what to print per response: full (default: summary and body), summary (no body),
                        none (nothing on stdout; errors still go to stderr, exit codes unchanged)
  --yes                 confirm requests that change data as someone else, and changes on a "production"
                        connection (send and assign; required when not interactive)
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
  --verbose             log every step to stderr (never secrets), and how each request went out
                        ("direct" or "via proxy host:port")

Corporate networks (see README, "Corporate networks"):
  --proxy <url>         send through this HTTP proxy (http://[user:password@]host:port), or "direct";
                        overrides HTTPS_PROXY / HTTP_PROXY / ALL_PROXY (read as curl reads them)
  --noproxy <list>      hosts reached directly (comma-separated: host, .domain, host:port, IP, CIDR, *);
                        overrides NO_PROXY. Loopback is proxied too unless listed, as in curl
  --cacert <file.pem>   also trust this CA for this run (repeatable); NODE_EXTRA_CA_CERTS keeps working

Secrets: BEHALF_SECRET_<CONNECTION_ID> and BEHALF_SECRET_<CONNECTION_ID>_<PRINCIPAL_ID>, ids upper-cased
with every non-alphanumeric character turned into "_".
Exit codes: 0 every request got a response; 1 an error (or, with --fail, a status >= 400); 2 bad usage;
3 an impersonation session may still be open (the vendor did not confirm its end; the message says which);
130, 143, 129 interrupted by SIGINT (Ctrl+C), SIGTERM, SIGHUP. Sessions are ended (for at most 5 s) whatever
the ending; a second Ctrl+C stops waiting for the vendor.
`;

/** The exit code when a session may still be open after the run. */
export const EXIT_SESSION_MAY_BE_OPEN = 3;

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  interactive: boolean;
  /** Ask a yes/no question on the terminal; rejects with a "cancelled" BehalfError when interrupted (Ctrl+C). */
  ask?: (question: string, signal?: AbortSignal) => Promise<boolean>;
  /** Aborted when ending sessions must not wait any longer (a second Ctrl+C). */
  stopSignal?: AbortSignal;
  /** How long ending sessions may take at the end of a run (default 5 s). */
  shutdownMs?: number;
}

const OPTIONS = {
  name: { type: 'string' },
  as: { type: 'string', multiple: true },
  mode: { type: 'string' },
  connection: { type: 'string' },
  env: { type: 'string' },
  var: { type: 'string', multiple: true },
  config: { type: 'string' },
  log: { type: 'string' },
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

  // Errors reach the user once, as the error itself; the log adds them only with --verbose.
  const log: Log = {
    log: (level: LogLevel, message: string) => {
      if (flags.verbose || level === 'warn') io.err(`[${level}] ${capUrls(message)}\n`);
    },
  };
  const prompt: Prompt = {
    confirm: async (question) => {
      if (flags.yes) return true;
      if (!io.interactive || !io.ask) return false;
      return io.ask(`${capUrls(question)} [y/N] `, signal);
    },
  };
  let network: NetworkOptions;
  try {
    network = cliNetwork(flags, io);
  } catch (e) {
    io.err(`behalf: ${isBehalfError(e) ? e.describe() : String(e)}\n`);
    return 1;
  }
  const engine = new BehalfEngine({ vendors: allVendors, secrets: envSecretStore(io.env), prompt, log, network });
  // Every Behalf secret in the environment is redacted from the start, whether or not an adapter loads it.
  for (const [key, value] of Object.entries(io.env)) if (/^BEHALF_SECRET_/i.test(key) && value) engine.redactor.add(value);
  let code: number;
  try {
    code = await runCommand(command, engine, args, flags, io, signal);
  } catch (e) {
    io.err(`behalf: ${describeError(engine, e)}\n`);
    code = isBehalfError(e) && e.code === 'usage' ? 2 : 1;
  }
  // The end of every run, whatever happened: every impersonation session ends (bounded in time), and one the
  // vendor did not confirm ended is reported, with a non-zero exit.
  return endSessions(engine, io, code);
}

function runCommand(command: string, engine: BehalfEngine, args: string[], flags: Flags, io: Io, signal?: AbortSignal): Promise<number> {
  switch (command) {
    case 'send':
      return sendCommand(engine, args, flags, io, signal);
    case 'compare':
      return compareCommand(engine, args, flags, io, signal);
    case 'principals':
      return principalsCommand(engine, args, flags, io, signal);
    case 'assign':
      return assignCommand(engine, args, flags, io, signal);
    case 'history':
      return historyCommand(engine, args, flags, io, signal);
    default:
      io.err(`behalf: unknown command "${command}". Run "behalf --help".\n`);
      return Promise.resolve(2);
  }
}

async function endSessions(engine: BehalfEngine, io: Io, code: number): Promise<number> {
  let unended: UnendedSession[];
  try {
    unended = await engine.dispose({ timeoutMs: io.shutdownMs ?? DEFAULT_DISPOSE_MS, signal: io.stopSignal });
  } catch (e) {
    io.err(`behalf: ending impersonation sessions failed: ${describeError(engine, e)}\n`);
    return EXIT_SESSION_MAY_BE_OPEN;
  }
  if (unended.length === 0) return code;
  io.err(mayStillBeOpen(unended, engine));
  return EXIT_SESSION_MAY_BE_OPEN;
}

/**
 * The network of this run: the proxy from --proxy / --noproxy or the environment (as curl reads it), and the CAs of
 * --cacert on top of Node's own and NODE_EXTRA_CA_CERTS. Proxy URLs are never printed (they may hold a password).
 */
function cliNetwork(flags: Flags, io: Io): NetworkOptions {
  const proxy = proxyConfig(io.env, { proxy: flags.proxy, noProxy: flags.noproxy });
  // Node reads NODE_EXTRA_CA_CERTS at start into its default CAs; an agent given CAs of its own needs it again.
  const ca = (flags.cacert ?? []).map((file) => readCaFile(path.resolve(io.cwd, file), '--cacert'));
  const extra = io.env['NODE_EXTRA_CA_CERTS'];
  if (ca.length && extra) ca.push(readCaFile(path.resolve(io.cwd, extra), 'NODE_EXTRA_CA_CERTS'));
  return {
    proxy,
    ca,
    untrustedCaHint:
      'trust its CA for this run with --cacert <ca.pem>, or for every run with NODE_EXTRA_CA_CERTS=<ca.pem>; only for a test server: "verifyTls": false on the connection',
  };
}

/** Plain words for sessions the vendor did not confirm ended: whose, since when, why, what to do. */
export function mayStillBeOpen(unended: UnendedSession[], engine?: BehalfEngine): string {
  const lines = unended.map((u) => {
    const since = new Date(u.startedAt).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const text = `behalf: an impersonation session MAY STILL BE OPEN: ${u.principalLabel} on ${u.connectionLabel}, open since ${since}. The vendor did not confirm it ended: ${u.reason}. What to do: ${u.howToEnd}.`;
    return capUrls(engine ? engine.redactor.text(text) : text);
  });
  return `${lines.join('\n')}\n`;
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
    text = readHttpFile(file);
  } catch (e) {
    throw new BehalfError('file', `Cannot read ${fileArg}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}.`);
  }
  const parsed = parseHttpFile(text, file);
  // Every problem of the file is printed, whatever --name selects (a block with a bad request line is in no
  // request's range). Without --name any error stops the run; with it, the errors of the named request do.
  for (const d of parsed.diagnostics)
    io.err(`${path.relative(io.cwd, d.position.file) || d.position.file}:${d.position.line}:${d.position.column}: ${d.severity}: ${d.message}\n`);
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length && !flags.name) return 1;
  const selected = selectRequests(parsed, flags.name);
  if (errors.some((d) => selected.some((r) => d.position.line >= r.range.startLine && d.position.line <= r.range.endLine))) return 1;

  const environments = await loadEnvironments(path.dirname(file));
  if (flags.env && !environments.names.includes(flags.env)) {
    throw new BehalfError('env', `No environment "${flags.env}" (known: ${environments.names.join(', ') || 'none; add http-client.env.json'}).`);
  }
  // --var name=value (repeatable): over file variables and the environment, as httpYac's CLI does.
  const overrides = Object.create(null) as Record<string, string>;
  for (const v of flags.var ?? []) {
    const eq = v.indexOf('=');
    if (eq <= 0 || !v.slice(0, eq).trim()) {
      io.err(`behalf: --var takes name=value (got "${v}").\n`);
      return 2;
    }
    overrides[v.slice(0, eq).trim()] = v.slice(eq + 1);
  }
  const variableContext = { environment: environments.get(flags.env), processEnv: io.env, dotenv: loadDotenv(path.dirname(file)), overrides };
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
  const log = await openLog(flags, io);
  const output = (flags.output ?? 'full') as Output;
  // Request variables ({{login.response.body.$.token}}) read the responses of this run, in memory only.
  const exchanges = new RequestVariableStore();
  const context = { ...variableContext, requestVariables: exchanges, onSecret: (value: string) => engine.redactor.add(value) };

  let failed = false;
  for (const [index, request] of selected.entries()) {
    // A closed stdout (EPIPE) is reported after the write that found it: let it arrive before sending more.
    if (index > 0) await new Promise((resolve) => setImmediate(resolve));
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
      } else if (flags.json) io.out(`${JSON.stringify(jsonRecord(record, output === 'full', flags))}\n`);
      else io.out(humanRecord(record, request, output === 'full', flags));
      if (flags.fail && record.status >= 400) failed = true;
    } catch (e) {
      // stdout closed (`| head -1`): the reader has what it wanted; the rest is not sent, and that is no error.
      if (signal?.aborted && signal.reason === 'EPIPE' && isBehalfError(e) && e.code === 'cancelled') break;
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
  const log = await openLog(flags, io);
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

/**
 * The impersonation log of --log, or undefined. The CLI never drops entries from it (the file is the user's).
 * Checked before anything is sent: a log that cannot be written would be found only after the writes went out.
 */
async function openLog(flags: Flags, io: Io): Promise<{ log: ImpersonationLog; file: string } | undefined> {
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
  // The file's principals merged with whom the vendor lets the service user act as (DealCloud: proxy assignments).
  const principals = mergePrincipals(connection.principals, await engine.vendorPrincipals(connection, signal));
  if (flags.json) io.out(`${JSON.stringify(principals)}\n`);
  else {
    const listed = principals.some((p) => p.assigned !== undefined);
    const assigned = principals.filter((p) => p.assigned).length;
    const counts = listed ? `; ${assigned} of ${principals.length} may be acted as (the vendor's list)` : '';
    io.out(`${connection.label} — ${principals.length} principal(s); modes: ${engine.modes(connection).join(', ')}${counts}\n`);
    const taken = connection.principals.map((p) => p.id);
    for (const p of principals) {
      const row = `  ${p.id.padEnd(12)} ${(p.name ?? '').padEnd(20)} ${(p.email ?? '').padEnd(24)} ${p.userId ?? p.clientId ?? ''}`;
      io.out(`${row}${principalState(connection, p, taken, flags)}\n`);
    }
  }
  return 0;
}

/** What a merged principal's row adds: assigned, no proxy assignment (and the command to create it), or how to add it to the file. */
function principalState(connection: Connection, p: MergedPrincipal, taken: string[], flags: Flags): string {
  if (p.assigned === undefined) return '';
  if (!p.assigned) return `  no proxy assignment — create it: ${assignCommandLine(connection.id, p.userId ?? p.id, flags)}`;
  if (p.source === 'both') return '  assigned';
  const id = suggestedPrincipalId(p, taken);
  taken.push(id);
  const entry = JSON.stringify({ id, userId: p.userId, email: p.email, name: p.name });
  return `  assigned, not in the connections file — to send as it, add ${entry} to "principals" of ${connection.id}`;
}

/** The `behalf assign` command that creates a proxy assignment, with the --config this run was given. */
function assignCommandLine(connectionId: string, userId: string, flags: Flags): string {
  const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);
  return ['behalf', 'assign', connectionId, userId, ...(flags.config ? ['--config', flags.config] : [])].map(quote).join(' ');
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
    const names = [...new Set(parsed.requests.map((r) => r.name).filter((n): n is string => !!n))];
    const listed = names.length > 10 ? `${names.slice(0, 10).join(', ')} and ${names.length - 10} more` : names.join(', ');
    throw new BehalfError('http', `No request named "${name}" in ${parsed.file} (named: ${listed || 'none; add "# @name <name>"'}).`);
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

function humanRecord(record: ResponseRecord, request: HttpFileRequest, withBody = true, flags?: Flags): string {
  const lines = [
    `### ${requestTitle(request)}`,
    `→ ${record.request.method} ${record.request.url}`,
    `  as ${record.sentAs.who} · ${record.sentAs.mode} · ${record.sentAs.connectionLabel}`,
    `← ${record.status} ${record.statusText} · ${record.durationMs.toFixed(0)} ms · ${formatBytes(record.bodyBytes)}${record.via && record.via !== 'direct' ? ` · ${record.via}` : ''}`,
  ];
  for (const note of record.notes) lines.push(`  note: ${note}`);
  if (record.explanation) lines.push(`  ! ${record.explanation.message}`);
  const command = actionCommand(record, flags);
  if (command) lines.push(`  ! ${record.explanation?.action?.title ?? 'to fix it'}: ${command}`);
  if (withBody) lines.push(prettyBody(record));
  lines.push('');
  return lines.join('\n') + '\n';
}

/** The command a terminal runs for an explanation's action (the extension offers it as a button), if there is one. */
function actionCommand(record: ResponseRecord, flags: Flags | undefined): string | undefined {
  const action = record.explanation?.action;
  if (action?.kind === 'createProxyAssignment' && action.args?.connectionId && action.args.userId) {
    return assignCommandLine(action.args.connectionId, action.args.userId, flags ?? {});
  }
  return undefined;
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

function jsonRecord(record: ResponseRecord, withBody = true, flags?: Flags): unknown {
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
    action: record.explanation?.action ? { ...record.explanation.action, command: actionCommand(record, flags) } : undefined,
    notes: record.notes,
    via: record.via,
  };
}

function describeError(engine: BehalfEngine, e: unknown): string {
  if (isBehalfError(e)) return capUrls(engine.redactor.text(e.describe()));
  return capUrls(engine.redactor.text(`unexpected error: ${e instanceof Error ? e.message : String(e)}`));
}

/** URLs in messages, at most this long: the message is the sentence, the record has the whole URL. */
const MAX_MESSAGE_URL = 100;

/** Shorten every URL in a message to MAX_MESSAGE_URL characters (the end replaced by "…"). */
export function capUrls(text: string, max = MAX_MESSAGE_URL): string {
  return text.replace(/\bhttps?:\/\/[^\s"'<>]+/gi, (url) => (url.length > max ? `${url.slice(0, max - 1)}…` : url));
}

/** Exit codes of the signals the CLI handles: 128 + the signal number, as shells report them. */
const SIGNAL_EXIT: Record<'SIGINT' | 'SIGTERM' | 'SIGHUP', number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
/** After the first interrupt, the run (cancelled requests, then ending sessions) gets this long before a forced exit. */
const FORCED_EXIT_MS = DEFAULT_DISPOSE_MS + 3_000;
/** After a second Ctrl+C, ending sessions gives up at once; this is the limit should anything still hang. */
const SECOND_INTERRUPT_EXIT_MS = 1_500;

/**
 * Entry point of dist/cli.js. Every ending goes one way: success, error, SIGINT, SIGTERM, SIGHUP, EPIPE on stdout,
 * an uncaught exception. Each cancels the run (a signal or EPIPE aborts its requests); the run then ends every
 * impersonation session, bounded in time, in runCli (which reports a session that may still be open), and finish()
 * exits with the code: the signal's (130, 143, 129), else the run's, 0 for EPIPE. A second interrupt stops waiting
 * for the vendor, and a forced exit backs it all up should something hang.
 */
export function main(): void {
  const run = new AbortController();
  const stop = new AbortController();
  let signalCode: number | undefined;
  let stdoutGone = false;
  let crashed = false;
  let finished = false;

  const finish = (code: number) => {
    if (finished) return;
    finished = true;
    process.exitCode = code;
    // Let what was written reach the terminal or pipe, then go (an abandoned socket must not keep the process up).
    const exit = () => process.exit(code);
    const flushed = setTimeout(exit, 500);
    flushed.unref();
    const streams = stdoutGone ? [process.stderr] : [process.stdout, process.stderr];
    let pending = streams.length;
    for (const stream of streams) {
      stream.write('', () => {
        if (--pending === 0) exit();
      });
    }
  };
  const forcedExit = (ms: number, note: string) => {
    setTimeout(() => {
      process.stderr.write(`behalf: ${note} — exiting now; an impersonation session MAY STILL BE OPEN.\n`);
      finish(signalCode ?? 1);
    }, ms).unref();
  };
  const interrupt = (why: 'SIGINT' | 'SIGTERM' | 'SIGHUP' | 'EPIPE' | 'crash') => {
    if (why !== 'EPIPE' && why !== 'crash') signalCode ??= SIGNAL_EXIT[why];
    if (run.signal.aborted) {
      if (why === 'EPIPE' || why === 'crash' || stop.signal.aborted) return;
      // Interrupted again (Ctrl+C while a stop hangs): do not wait for the vendor any more.
      process.stderr.write('behalf: interrupted again — not waiting for the vendor any longer.\n');
      stop.abort(why);
      forcedExit(SECOND_INTERRUPT_EXIT_MS, 'ending impersonation sessions did not finish');
      return;
    }
    if (why !== 'EPIPE') {
      const what = why === 'crash' ? 'stopping after an unexpected error' : `interrupted (${why})`;
      process.stderr.write(`behalf: ${what} — cancelling and ending impersonation sessions…\n`);
    }
    run.abort(why);
    forcedExit(FORCED_EXIT_MS, `the run did not end within ${FORCED_EXIT_MS / 1000} s of the interruption`);
  };

  // `behalf send … | head -1` closes stdout early: stop sending, end the sessions, exit 0.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    stdoutGone = true;
    if (e.code !== 'EPIPE') process.stderr.write(`behalf: cannot write to stdout: ${e.message}\n`);
    interrupt('EPIPE');
  });
  // A closed terminal (SIGHUP) must not turn a warning on stderr into a crash.
  process.stderr.on('error', () => undefined);
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(name, () => interrupt(name));
  const crash = (e: unknown) => {
    crashed = true;
    process.stderr.write(`behalf: unexpected error: ${capUrls(e instanceof Error ? e.message : String(e))}\n`);
    interrupt('crash');
  };
  process.on('uncaughtException', crash);
  process.on('unhandledRejection', crash);

  const interactive = !!process.stdin.isTTY && !!process.stderr.isTTY;
  const io: Io = {
    out: (t) => {
      if (!stdoutGone) process.stdout.write(t);
    },
    err: (t) => process.stderr.write(t),
    env: process.env,
    cwd: process.cwd(),
    interactive,
    stopSignal: stop.signal,
    ask: (question, signal) => askOnTerminal(question, signal, () => interrupt('SIGINT')),
  };
  runCli(process.argv.slice(2), io, run.signal).then(
    (code) => {
      if (signalCode !== undefined) return finish(signalCode);
      if (code === EXIT_SESSION_MAY_BE_OPEN) return finish(code);
      if (crashed) return finish(Math.max(code, 1));
      finish(run.signal.reason === 'EPIPE' ? 0 : code);
    },
    (e) => {
      process.stderr.write(`behalf: unexpected error: ${capUrls(e instanceof Error ? e.message : String(e))}\n`);
      finish(signalCode ?? 1);
    },
  );
}

/**
 * A yes/no question on the terminal. Ctrl+C at the question (the terminal is in raw mode, so it arrives as input,
 * not as a signal) ends the run: `onInterrupt` starts the shutdown and the question rejects with "cancelled", so
 * nothing more is sent. So does the run's signal (SIGTERM, or SIGINT from elsewhere) while it waits.
 */
async function askOnTerminal(question: string, signal: AbortSignal | undefined, onInterrupt: () => void): Promise<boolean> {
  const interrupted = () => new BehalfError('cancelled', 'Interrupted at the confirmation prompt: not sent, and nothing more is.');
  if (signal?.aborted) throw interrupted();
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  const asked = new AbortController();
  const onAbort = () => asked.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  rl.on('SIGINT', () => {
    process.stderr.write('^C\n');
    onInterrupt();
    asked.abort();
  });
  try {
    return /^y(es)?$/i.test((await rl.question(question, { signal: asked.signal })).trim());
  } catch (e) {
    if (asked.signal.aborted) throw interrupted();
    throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    rl.close();
  }
}
