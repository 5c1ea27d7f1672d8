// How a response, a comparison and a fix read on a terminal (and in --json).

import type { CompareResult } from '../core/audit';
import { shortName } from '../core/vendor';
import type { HttpFileRequest } from '../core/http/parser';
import type { ResponseRecord } from '../core/model';
import { formatBytes } from '../core/transport';
import type { Flags } from './io';

/** The `behalf assign` command that creates a proxy assignment, with the --config this run was given. */
export function assignCommandLine(connectionId: string, userId: string, flags: Flags): string {
  const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);
  return ['behalf', 'assign', connectionId, userId, ...(flags.config ? ['--config', flags.config] : [])].map(quote).join(' ');
}

export function requestTitle(request: HttpFileRequest): string {
  return `${request.name ?? `request #${request.index + 1}`} (line ${request.requestLine})`;
}

export function humanRecord(record: ResponseRecord, request: HttpFileRequest, withBody = true, flags?: Flags): string {
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
export function actionCommand(record: ResponseRecord, flags: Flags | undefined): string | undefined {
  const action = record.explanation?.action;
  if (action?.kind === 'createProxyAssignment' && action.args?.connectionId && action.args.userId) {
    return assignCommandLine(action.args.connectionId, action.args.userId, flags ?? {});
  }
  return undefined;
}

export function humanComparison(result: CompareResult, left: ResponseRecord, right: ResponseRecord, request: HttpFileRequest): string {
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

export function clip(text: string, max = 200): string {
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

export function jsonRecord(record: ResponseRecord, withBody = true, flags?: Flags): unknown {
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
    saved: record.saved,
  };
}
