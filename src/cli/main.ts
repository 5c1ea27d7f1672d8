// `behalf`: the engine from a terminal (CI use). Secrets come from the environment
// (BEHALF_SECRET_<CONNECTION>[_<PRINCIPAL>]); nothing secret is ever printed.

import * as path from 'node:path';
import type * as Tty from 'node:tty';
import { parseArgs } from 'node:util';
import { BehalfEngine, DEFAULT_DISPOSE_MS } from '../core/engine';
import { BehalfError, isBehalfError } from '../core/errors';
import { envSecretStore, type Log, type LogLevel, type Prompt } from '../core/ports';
import { proxyConfig } from '../core/proxy';
import { readCaFile } from '../core/tlsFiles';
import type { NetworkOptions } from '../core/transport';
import type { UnendedSession } from '../core/vendor';
import { allVendors } from '../vendors';
import { assignCommand, historyCommand, principalsCommand } from './connectionCommands';
import { checkCommand } from './check';
import { matrixCommand } from './matrix';
import { capUrls, describeError, OPTIONS, OUTPUTS, type Flags, type Io, type Output } from './io';
import { compareCommand, sendCommand } from './send';

export { capUrls } from './io';

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
  behalf check <connection> [--json]       check a connection without changing anything: token, base URL, TLS,
                                           and the vendor's rights (DealCloud scopes and proxy assignments,
                                           Orange Logic impersonation and Search API, Creative Force app
                                           permissions); exit 0 when nothing failed, 1 otherwise
  behalf matrix <file.http> [--as <identity>]... [--all]
                                           send the file's reads as several identities: a table of
                                           allowed / denied per request, checking its "# @expect" lines
  behalf --help | --version

Options for send:
  --name <request>      only the request named with "# @name <request>"
  --as <principal>      send as this principal (id, email or vendor user id); overrides "# @as"
  --mode lite|full      impersonation mode; overrides "# @mode" and the connection's default
  --connection <id>     connection to use; overrides "# @connection"
  --env <name>          named environment from http-client.env.json
  --var <name=value>    set a variable, over file variables and the environment (repeatable); it also
                        answers a "# @prompt name" (asked on the terminal otherwise)
  --json                one JSON object per request on stdout
  -o, --output <what>   what to print per response: full (default: summary and body), summary (no body),
                        none (nothing on stdout; errors still go to stderr, exit codes unchanged)
  --yes                 confirm requests that change data as someone else, changes on a "production"
                        connection and requests marked "# @note" (send, assign and check; required when not interactive)
  --fail                exit 1 when a response has status >= 400
  --log <file.jsonl>    append every request sent as someone else to this impersonation log (JSON Lines)
  --save <file>         write the response body to <file> as it arrives (any size: the size limit bounds only
                        what is kept for display; nothing of the body on stdout); with several requests, <file>
                        must be a folder: each body goes to <folder>/<name> (or request-<n>). A broken download
                        exits 1 and leaves no partial file. Progress on stderr when it is a terminal

Options for compare (reads only: POST, PUT, PATCH and DELETE are refused, the write would be sent twice):
  --name <request>      the request to compare (not needed when the file has one)
  --as <a> --as <b>     the two identities; "self" or no second --as means the service user;
                        no --as at all: the request's "# @as" against the service user
  --mode, --connection, --env, --log   as for send (one mode for both sides)
  --json                the comparison as one JSON object (rows only one side sees, differences, summary)

Options for matrix (reads only: writes are listed as skipped, never sent; exit 0 when every cell got an answer
and every "# @expect <identity> allowed|denied|status <code>|rows <n>|rows >= <n>" holds, 1 otherwise):
  --name <request>      only this request (repeatable)
  --as <identity>       a column: principal id, email or vendor user id, or "self" (repeatable); without --as
                        and --all, the identities the file's "# @expect" lines name
  --all                 the service user and every principal of each request's connection (file and vendor)
  --concurrency <n>     sends in flight per connection (default 4; the vendor's rate limit applies too)
  --json                the matrix as one JSON object: identities, requests, cells
  --junit <file.xml>    JUnit report, one test case per cell ("<request> as <identity>"), for CI
  --mode, --connection, --env, --var, --log   as for send

Assertions: "?? status == 200", "?? header content-type includes json", "?? body $.rows.length > 0",
"?? duration < 500" below a request are checked by send (for the identity it sends as); one that fails is
printed with its file:line and exits 1. send --junit <file.xml> writes one test case per request.

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

export async function runCli(argv: string[], io: Io, signal?: AbortSignal): Promise<number> {
  let flags: Flags;
  let positionals: string[];
  try {
    const parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true, tokens: true });
    flags = parsed.values;
    positionals = parsed.positionals;
    const names = parsed.tokens.flatMap((t) => (t.kind === 'option' && t.name === 'name' && t.value !== undefined ? [t.value] : []));
    if (names.length) flags.names = names;
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
  const logged = (level: LogLevel) => flags.verbose || level === 'warn';
  const log: Log = {
    log: (level: LogLevel, message: string) => {
      if (logged(level)) io.err(`[${level}] ${capUrls(message)}\n`);
    },
    enabled: logged,
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
    case 'check':
      return checkCommand(engine, args, flags, io, signal);
    case 'matrix':
      return matrixCommand(engine, args, flags, io, signal);
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

  // isatty(0), not process.stdin.isTTY: reading process.stdin makes the stream (for a file, an fs.ReadStream and
  // the modules behind it), a start-up cost for a run that never reads it. node:tty only when stderr is a terminal
  // (its stream has loaded it then): loading it is ~3 ms of a run in a pipe (CI, scripts).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const interactive = !!process.stderr.isTTY && (require('node:tty') as typeof Tty).isatty(0);
  const io: Io = {
    out: (t) => {
      if (!stdoutGone) process.stdout.write(t);
    },
    err: (t) => process.stderr.write(t),
    env: process.env,
    cwd: process.cwd(),
    interactive,
    stderrIsTerminal: !!process.stderr.isTTY,
    stopSignal: stop.signal,
    ask: (question, signal) => askOnTerminal(question, signal, () => interrupt('SIGINT')),
    askText: (question, options, signal) => readOnTerminal(question, signal, () => interrupt('SIGINT'), options.secret),
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
  return /^y(es)?$/i.test((await readOnTerminal(question, signal, onInterrupt)).trim());
}

/** A line typed on the terminal (a `# @prompt` value); `secret`: not echoed (a password, a token). Interrupted as askOnTerminal is. */
async function readOnTerminal(question: string, signal: AbortSignal | undefined, onInterrupt: () => void, secret = false): Promise<string> {
  const interrupted = () => new BehalfError('cancelled', 'Interrupted at the prompt: not sent, and nothing more is.');
  if (signal?.aborted) throw interrupted();
  // Loaded when a question is asked: readline costs every run's start-up, and most runs ask nothing.
  const readline = await import('node:readline/promises');
  const { Writable } = await import('node:stream');
  // A secret's keystrokes are echoed into a stream that drops them (the question goes to stderr directly).
  let muted = false;
  const stderr = process.stderr;
  const quiet = new Writable({
    write: (chunk: Buffer, _encoding, done) => (muted ? done() : stderr.write(chunk, () => done())),
  });
  Object.defineProperty(quiet, 'columns', { get: () => stderr.columns });
  const rl = secret
    ? readline.createInterface({ input: process.stdin, output: quiet, terminal: !!process.stdin.isTTY })
    : readline.createInterface({ input: process.stdin, output: stderr });
  const asked = new AbortController();
  const onAbort = () => asked.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  rl.on('SIGINT', () => {
    process.stderr.write('^C\n');
    onInterrupt();
    asked.abort();
  });
  try {
    if (secret) {
      stderr.write(question);
      muted = true;
    }
    const text = await rl.question(secret ? '' : question, { signal: asked.signal });
    if (secret) stderr.write('\n');
    return text;
  } catch (e) {
    if (asked.signal.aborted) throw interrupted();
    throw e;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    rl.close();
  }
}
