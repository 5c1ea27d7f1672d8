// `behalf check <connection>`: the connection checks (core/checks.ts), one line per check as it is known, or one
// JSON object with --json. Exit 0 when nothing failed, 1 otherwise.

import { anyFailed, checkConnection, checkSummary, type CheckFix, type ConnectionCheck } from '../core/checks';
import type { BehalfEngine } from '../core/engine';
import { connectionArg } from './files';
import { capUrls, type Flags, type Io } from './io';
import { assignCommandLine } from './output';
import { logSent, openLog } from './runLog';

const MARK: Record<ConnectionCheck['status'], string> = { pass: '✓', fail: '✗', warn: '!', skip: '–' };

export async function checkCommand(engine: BehalfEngine, args: string[], flags: Flags, io: Io, signal?: AbortSignal): Promise<number> {
  const connection = connectionArg(args, 1, 'behalf check <connection> [--json] [--config <file>]', flags, io);
  const log = await openLog(flags, io);
  let logFailed = false;
  if (!flags.json) io.out(`Checking ${connection.label} (${connection.id}) — nothing is changed on the vendor's side\n`);
  const report = await checkConnection(engine, connection, {
    signal,
    onCheck: (check) => {
      if (!flags.json) io.out(humanCheck(withCommand(check, flags)));
    },
    onSent: async (event) => {
      if (!(await logSent(log, engine, event, event, io))) logFailed = true;
    },
  });
  const checks = report.checks.map((check) => withCommand(check, flags));
  if (flags.json) io.out(`${JSON.stringify({ connection: report.connection, checks: checks.map(jsonCheck) })}\n`);
  else io.out(`${checkSummary(report)}\n`);
  return anyFailed(report) || logFailed ? 1 : 0;
}

/** The CLI command of a fix whose action it knows (creating a proxy assignment). */
function withCommand(check: ConnectionCheck, flags: Flags): ConnectionCheck {
  const action = check.fix?.action;
  if (!check.fix || check.fix.command || action?.kind !== 'createProxyAssignment' || !action.args?.connectionId || !action.args.userId) return check;
  return { ...check, fix: { ...check.fix, command: assignCommandLine(action.args.connectionId, action.args.userId, flags) } };
}

function humanCheck(check: ConnectionCheck): string {
  const lines = [`${MARK[check.status]} ${check.title}: ${capUrls(check.detail)}`];
  if (check.fix) lines.push(`    ${check.status === 'fail' ? 'fix' : 'next'}: ${fixText(check.fix)}`);
  return `${lines.join('\n')}\n`;
}

function fixText(fix: CheckFix): string {
  if (fix.command) return `${fix.title}: ${fix.command}`;
  return fix.action ? `${fix.title} (in VS Code: ${fix.action.title})` : fix.title;
}

/** The documented --json shape: id, title, status, detail, and principal, permission, fix when there are. */
function jsonCheck(check: ConnectionCheck): Record<string, unknown> {
  const { id, title, status, detail, principal, permission, fix } = check;
  return { id, title, status, detail, ...(principal ? { principal } : {}), ...(permission ? { permission } : {}), ...(fix ? { fix } : {}) };
}
