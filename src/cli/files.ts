// Loading what a command works on: the .http file (with its diagnostics, environments and --var), the connections
// file, the requests and connection a run uses.

import * as path from 'node:path';
import { findConnectionsFile, loadConnections } from '../core/connections';
import { BehalfError } from '../core/errors';
import { parseHttpLines, type HttpFileRequest, type ParsedHttpFile } from '../core/http/parser';
import { loadDotenv, loadEnvironments } from '../core/http/environments';
import { UnsentRequestError } from '../core/http/requestVariables';
import { readHttpFileLines, resolveRequest } from '../core/http/variables';
import type { Connection, ConnectionsFile, RequestSpec } from '../core/model';
import { originOf } from '../core/transport';
import type { Flags, Io } from './io';

export interface LoadedHttpFile {
  parsed: ParsedHttpFile;
  selected: HttpFileRequest[];
  variableContext: Parameters<typeof resolveRequest>[2];
  config: ConnectionsFile;
}

/** Read, parse and check a .http file with its environments and connections; a number is an exit code. */
export function loadHttpFile(args: string[], usage: string, flags: Flags, io: Io): LoadedHttpFile | number {
  const [fileArg] = args;
  if (!fileArg || args.length > 1) {
    io.err(`behalf: usage: ${usage}\n`);
    return 2;
  }
  const file = path.resolve(io.cwd, fileArg);
  let lines: string[];
  try {
    lines = readHttpFileLines(file);
  } catch (e) {
    throw new BehalfError('file', `Cannot read ${fileArg}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}.`);
  }
  const parsed = parseHttpLines(lines, file);
  // Every problem of the file is printed, whatever --name selects (a block with a bad request line is in no
  // request's range). Without --name any error stops the run; with it, the errors of the named request do.
  for (const d of parsed.diagnostics)
    io.err(`${path.relative(io.cwd, d.position.file) || d.position.file}:${d.position.line}:${d.position.column}: ${d.severity}: ${d.message}\n`);
  const errors = parsed.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length && !flags.name) return 1;
  const selected = selectRequests(parsed, flags.name);
  if (errors.some((d) => selected.some((r) => d.position.line >= r.range.startLine && d.position.line <= r.range.endLine))) return 1;

  const environments = loadEnvironments(path.dirname(file));
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
  const config = loadConfig(flags, io, path.dirname(file));
  return { parsed, selected, variableContext, config };
}

/** resolveRequest, with a hint for --name when the request reads a request that this run does not send. */
export function resolveInRun(
  parsed: ParsedHttpFile,
  request: HttpFileRequest,
  context: LoadedHttpFile['variableContext'],
  name: string | undefined,
): RequestSpec {
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

export function connectionArg(args: string[], count: number, usage: string, flags: Flags, io: Io): Connection {
  if (args.length !== count) throw new BehalfError('usage', `usage: ${usage}`);
  const config = loadConfig(flags, io, io.cwd);
  const connection = config.connections.find((c) => c.id === args[0]);
  if (!connection)
    throw new BehalfError('connection', `No connection "${args[0]}" in ${config.file} (known: ${config.connections.map((c) => c.id).join(', ')}).`);
  return connection;
}

export function loadConfig(flags: Flags, io: Io, startDir: string): ConnectionsFile {
  const given = flags.config ?? io.env['BEHALF_CONFIG'];
  const file = given ? path.resolve(io.cwd, given) : findConnectionsFile(startDir);
  if (!file) {
    throw new BehalfError('config', `No behalf.connections.json found from ${startDir} upwards.`, {
      hint: 'pass --config <file>, set BEHALF_CONFIG, or run "npm run sandbox" to write one for the sandbox',
    });
  }
  return loadConnections(file);
}

export function selectRequests(parsed: ParsedHttpFile, name: string | undefined): HttpFileRequest[] {
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
export function pickConnection(config: ConnectionsFile, id: string | undefined, url: string, request: HttpFileRequest): Connection {
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
