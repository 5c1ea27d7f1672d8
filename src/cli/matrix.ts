// `behalf matrix <file.http>`: the file's reads sent as several identities (core/matrix), as a table of
// requests × identities, or one JSON object; --junit writes one test case per cell. Exit 0 when every cell got an
// answer and every `# @expect` holds, 1 otherwise, 2 on bad usage.

import * as path from 'node:path';
import type { BehalfEngine } from '../core/engine';
import { isBehalfError } from '../core/errors';
import type { HttpFileRequest } from '../core/http/parser';
import type { JUnitCase } from '../core/junit';
import {
  DEFAULT_MATRIX_CONCURRENCY,
  matrixIdentities,
  matrixPassed,
  matrixRow,
  uniqueRowNames,
  runMatrix,
  type MatrixCell,
  type MatrixResult,
  type MatrixRow,
} from '../core/matrix';
import type { ImpersonationMode } from '../core/model';
import { escapeControls } from '../core/printable';
import { loadHttpFile, pickConnection, resolveInRun, selectRequests } from './files';
import { describeError, type Flags, type Io } from './io';
import { actionCommand } from './output';
import { logSent, openLog } from './runLog';
import { junitFailures, unmetLine, writeJunit } from './verdicts';
import { matrixJsonObject } from '../core/matrixExport';

const USAGE =
  'behalf matrix <file.http> [--name <request>]... [--as <identity>]... [--all] [--connection <id>] [--env <name>] [--json] [--junit <file>] [--concurrency <n>]';
const MAX_CONCURRENCY = 64;
const MARK: Record<MatrixCell['outcome'], string> = { allowed: '✓', denied: '✗', error: '!', skipped: '–' };

export async function matrixCommand(engine: BehalfEngine, args: string[], flags: Flags, io: Io, signal?: AbortSignal): Promise<number> {
  const concurrency = flags.concurrency === undefined ? DEFAULT_MATRIX_CONCURRENCY : Number(flags.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONCURRENCY) {
    io.err(`behalf: --concurrency takes a whole number from 1 to ${MAX_CONCURRENCY} (got "${flags.concurrency}").\nusage: ${USAGE}\n`);
    return 2;
  }
  const names = flags.names ?? (flags.name ? [flags.name] : []);
  const loaded = loadHttpFile(args, USAGE, { ...flags, name: names[0] }, io);
  if (typeof loaded === 'number') return loaded;
  const { parsed, variableContext, config } = loaded;
  const selected = names.length ? unique(names.flatMap((name) => selectRequests(parsed, name))) : parsed.requests;
  // The errors of every named request stop the run (they were printed with the file's diagnostics).
  const errorLines = parsed.diagnostics.filter((d) => d.severity === 'error').map((d) => d.position.line);
  if (selected.some((r) => errorLines.some((line) => line >= r.range.startLine && line <= r.range.endLine))) return 1;

  const context = { ...variableContext, onSecret: (value: string) => engine.redactor.add(value) };
  const rows: MatrixRow[] = uniqueRowNames(
    selected.map((request) => {
      let resolved: Parameters<typeof matrixRow>[3];
      try {
        resolved = { spec: resolveInRun(parsed, request, context, flags.name) };
      } catch (e) {
        resolved = { error: describeError(engine, e) };
      }
      const url = 'spec' in resolved ? resolved.spec.url : request.url;
      return matrixRow(engine, request, pickConnection(config, flags.connection ?? request.connection, url, request), resolved);
    }),
  );
  let identities: Awaited<ReturnType<typeof matrixIdentities>>;
  try {
    identities = await matrixIdentities(engine, rows, { as: flags.as, all: flags.all, mode: flags.mode as ImpersonationMode | undefined, signal });
  } catch (e) {
    // An identity that is no principal of the connection is bad usage (of --as, or of an @expect line).
    if (!isBehalfError(e) || e.code !== 'principal') throw e;
    io.err(`behalf: ${describeError(engine, e)}\n`);
    return 2;
  }
  if (identities.length === 0) {
    io.err(
      `behalf: whom should the matrix send as? Pass --as <identity> (repeatable; "self" is the service user), --all, or write "# @expect <identity> allowed|denied" above the requests.\nusage: ${USAGE}\n`,
    );
    return 2;
  }
  const log = await openLog(flags, io);
  let logFailed = false;
  const started = Date.now();
  const progress = io.stderrIsTerminal && !flags.json;
  const result = await runMatrix(engine, rows, identities, {
    concurrency,
    signal,
    onCell: (_cell, done, total) => {
      if (progress) io.err(`\r${done}/${total} cells${done === total ? '\r\u001b[K' : ''}`);
    },
    onSent: async (event) => {
      if (!(await logSent(log, engine, event, event, io))) logFailed = true;
    },
  });
  const file = parsed.file;
  if (flags.json) io.out(`${JSON.stringify(jsonMatrix(result, engine))}\n`);
  else io.out(humanMatrix(result, rows, file, Date.now() - started, io, engine, flags));
  if (flags.junit) await writeJunit(flags.junit, `behalf matrix ${path.relative(io.cwd, file) || file}`, junitCases(result, file, io), engine, io);
  return matrixPassed(result) && !logFailed ? 0 : 1;
}

function unique(requests: HttpFileRequest[]): HttpFileRequest[] {
  return [...new Set(requests)].sort((a, b) => a.index - b.index);
}

/** The one JSON object of --json (core/matrixExport's, the same the editor exports), error messages redacted. */
export function jsonMatrix(result: MatrixResult, engine: BehalfEngine): unknown {
  const json = matrixJsonObject(result);
  for (const cell of json.cells) if (cell.error !== undefined) cell.error = engine.redactor.text(cell.error);
  return json;
}

function cellText(cell: MatrixCell): string {
  const mark = MARK[cell.outcome];
  const unmet = cell.met === false ? ' *' : '';
  if (cell.outcome === 'skipped') return `${mark}${unmet}`;
  if (cell.status === undefined) return `${mark} error${unmet}`;
  return `${mark} ${cell.status}${cell.rows !== undefined ? ` · ${cell.rows}` : ''}${unmet}`;
}

/** The table (requests × identities), the legend, then denials with their explanations, errors and unmet expectations. */
export function humanMatrix(result: MatrixResult, rows: MatrixRow[], file: string, elapsedMs: number, io: Io, engine: BehalfEngine, flags: Flags = {}): string {
  const clean = (text: string) => escapeControls(engine.redactor.text(text));
  const ids = result.identities.map((i) => clean(i.id));
  const names = result.requests.map((r) => clean(r.name));
  const width = (texts: string[]) => Math.max(...texts.map((t) => [...t].length));
  const pad = (text: string, n: number) => text + ' '.repeat(Math.max(0, n - [...text].length));
  const cellAt = (r: number, i: number) => result.cells[r * result.identities.length + i];
  const firstWidth = width(['request', ...names]);
  const columnWidths = ids.map((id, i) => width([id, ...result.requests.map((_, r) => cellText(cellAt(r, i)))]));
  const sent = result.cells.filter((c) => c.outcome !== 'skipped').length;
  const connections = [...new Set(result.identities.map((i) => i.connection))].join(', ');
  const out: string[] = [
    `Access matrix: ${clean(path.relative(io.cwd, file) || file)} — ${result.requests.length} request${result.requests.length === 1 ? '' : 's'} × ${ids.length} identit${ids.length === 1 ? 'y' : 'ies'} on ${connections}, ${sent} sent in ${(elapsedMs / 1000).toFixed(1)} s`,
    '',
    [pad('request', firstWidth), ...ids.map((id, i) => pad(id, columnWidths[i]))].join('  ').trimEnd(),
  ];
  result.requests.forEach((request, r) => {
    const line = [pad(names[r], firstWidth), ...ids.map((_, i) => pad(cellText(cellAt(r, i)), columnWidths[i]))].join('  ').trimEnd();
    out.push(request.skipped ? `${line}   (skipped: ${clean(request.skipped)})` : line);
  });
  out.push('', '✓ allowed  ✗ denied  ! error  – skipped · status · rows   * an expectation is not met');
  const label = new Map(result.identities.map((i) => [i.id, i.label]));
  const notes: string[] = [];
  // Denials of one identity with one explanation (no proxy assignment) are one line, naming the requests.
  const denials = new Map<string, { identity: string; status?: number; explanation?: string; fix?: string; requests: string[] }>();
  for (const cell of result.cells.filter((c) => c.outcome === 'denied')) {
    const key = `${cell.identity}\n${cell.status}\n${cell.explanation ?? ''}`;
    const fix = cell.record?.explanation?.action ? actionCommand(cell.record, flags) : undefined;
    const entry = denials.get(key) ?? { identity: cell.identity, status: cell.status, explanation: cell.explanation, fix, requests: [] };
    entry.requests.push(cell.request);
    denials.set(key, entry);
  }
  for (const d of denials.values()) {
    notes.push(
      `✗ ${d.identity} (${label.get(d.identity) ?? d.identity}) on ${d.requests.join(', ')}: ${d.status}${d.explanation ? ` — ${d.explanation}` : ''}`,
    );
    if (d.fix) notes.push(`  fix: ${d.fix}`);
  }
  for (const cell of result.cells) {
    const who = `${cell.request} as ${cell.identity}`;
    if (cell.outcome === 'error') notes.push(`! ${who}: ${cell.error ?? 'no answer'}${cell.explanation ? ` — ${cell.explanation}` : ''}`);
    else if (cell.outcome === 'skipped' && cell.explanation?.startsWith('cancelled')) notes.push(`– ${who}: ${cell.explanation}`);
  }
  if (notes.length) out.push('', ...notes.map(clean));
  const unmet = result.cells.flatMap((cell) =>
    cell.verdicts.filter((v) => !v.met).map((v) => unmetLine(file, `${cell.request} as ${cell.identity}`, v, io, engine)),
  );
  const judged = result.cells.reduce((n, c) => n + c.verdicts.length, 0);
  if (unmet.length) out.push('', `Unmet expectations (${unmet.length} of ${judged}):`, ...unmet.map((line) => `  ${line}`));
  else if (judged) out.push('', `All ${judged} expectation${judged === 1 ? '' : 's'} met.`);
  const rowsWithError = rows.filter((row) => row.error);
  for (const row of rowsWithError) out.push(`! ${clean(row.name)} was not sent: ${clean(row.error ?? '')}`);
  if (result.unendedSessions?.length) out.push(`! ${result.unendedSessions.length} impersonation session(s) may still be open (see below).`);
  return `${out.join('\n')}\n`;
}

/** One test case per cell, `<request> as <identity>`. */
export function junitCases(result: MatrixResult, file: string, io: Io): JUnitCase[] {
  const classname = path.relative(io.cwd, file) || file;
  return result.cells.map((cell) => ({
    name: `${cell.request} as ${cell.identity}`,
    classname,
    timeSeconds: (cell.durationMs ?? 0) / 1000,
    failures: junitFailures(file, cell.verdicts, 'expectation', io),
    ...(cell.outcome === 'error' ? { error: { message: cell.error ?? 'no answer', text: cell.explanation } } : {}),
    ...(cell.outcome === 'skipped' ? { skipped: cell.explanation ?? 'not sent' } : {}),
  }));
}
