// Check Connection in VS Code: the core's connection checks (src/core/checks.ts) run with progress and Cancel, shown
// under the connection in the Connections tree as they come; a failed check's fix is an inline action there. Every
// request a check sends as someone else goes into the impersonation log.

import * as vscode from 'vscode';
import { anyFailed, checkConnection, checkSummary, type CheckReport, type ConnectionCheck } from '../core/checks';
import { BehalfError } from '../core/errors';
import type { Connection } from '../core/model';
import { logSent } from './loggedSend';
import { reportError } from './sendCommands';
import type { Services } from './services';
import type { ConnectionsNode } from './trees';

export function registerCheckCommands(s: Services): void {
  // Returns the report (tests and other extensions read it); errors are reported, never thrown at the caller.
  s.registerCommand('behalf.checkConnection', (arg?: ConnectionsNode | { connectionId: string }) =>
    runChecks(s, arg).catch((e) => {
      reportError(s, e);
      return undefined;
    }),
  );
  s.registerCommand('behalf.runCheckFix', (node?: ConnectionsNode) => runFix(s, node).catch((e) => reportError(s, e)));
}

async function runChecks(s: Services, arg?: ConnectionsNode | { connectionId: string }): Promise<CheckReport | undefined> {
  const connection = await connectionOf(s, arg);
  if (!connection) return undefined;
  const tree = s.connectionsTree;
  const checks: ConnectionCheck[] = [];
  tree.setChecks(connection.id, { checks, running: true });
  const controller = new AbortController();
  s.inFlight.add(controller);
  try {
    const report = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Behalf: checking ${connection.label}`, cancellable: true },
      (progress, token) => {
        token.onCancellationRequested(() => controller.abort());
        return checkConnection(s.engine, connection, {
          signal: controller.signal,
          onCheck: (check) => {
            checks.push(check);
            progress.report({ message: check.title });
            tree.setChecks(connection.id, { checks: [...checks], running: true });
          },
          onSent: async (sent) => {
            await logSent(s, sent);
          },
        });
      },
    );
    tree.setChecks(connection.id, { checks: report.checks, running: false });
    s.log.info(`Check Connection ${connection.id}: ${checkSummary(report)}`);
    for (const check of report.checks) s.log.info(`  ${check.status.padEnd(4)} ${check.title}: ${check.detail}`);
    announce(s, connection, report);
    return report;
  } catch (e) {
    tree.setChecks(connection.id, {
      checks: [...checks],
      running: false,
      ended: e instanceof BehalfError && e.code === 'cancelled' ? 'cancelled' : 'stopped by an error',
    });
    throw e;
  } finally {
    s.inFlight.delete(controller);
  }
}

/** The summary as a notification; with a failed check that has a fix, its fix as the button. */
function announce(s: Services, connection: Connection, report: CheckReport): void {
  const text = `Behalf: ${connection.label} — ${checkSummary(report)}.`;
  if (!anyFailed(report)) {
    void vscode.window.showInformationMessage(text);
    return;
  }
  const fixable = report.checks.find((c) => c.status === 'fail' && c.fix?.action);
  const buttons = fixable?.fix?.action ? [fixable.fix.action.title] : [];
  void vscode.window.showWarningMessage(`${text} See the Checks under it in the Connections view.`, ...buttons).then((choice) => {
    if (choice && fixable) void runFix(s, { kind: 'check', connection, check: fixable }).catch((e) => reportError(s, e));
  });
}

/** A check's fix: the command its action names (Create Proxy Assignment reuses its own command), then the check again. */
async function runFix(s: Services, node?: ConnectionsNode): Promise<void> {
  if (node?.kind !== 'check' || !node.check.fix?.action) return;
  const { kind, args = {} } = node.check.fix.action;
  const command = FIX_COMMANDS[kind];
  if (!command) {
    s.log.warn(`Unknown fix "${kind}" of check ${node.check.id}.`);
    return;
  }
  await vscode.commands.executeCommand(command, args);
  if (kind === 'createProxyAssignment' && args.userId && s.store.fetchedUserIds(node.connection.id)?.has(args.userId)) {
    const again = 'Check Again';
    if (
      (await vscode.window.showInformationMessage(`Behalf: proxy assignment created for ${args.userId}. Check ${node.connection.label} again?`, again)) ===
      again
    )
      await vscode.commands.executeCommand('behalf.checkConnection', { connectionId: node.connection.id });
  }
}

/** The extension command of each fix kind (the same kinds as Explanation.action). */
const FIX_COMMANDS: Record<string, string> = {
  createProxyAssignment: 'behalf.createProxyAssignment',
  verifyAttribution: 'behalf.verifyAttribution',
};

async function connectionOf(s: Services, arg?: ConnectionsNode | { connectionId: string }): Promise<Connection | undefined> {
  if (arg && 'connectionId' in arg) {
    const found = await s.store.connection(arg.connectionId);
    if (!found) throw new BehalfError('connection', `No connection "${arg.connectionId}" in the connections file.`);
    return found;
  }
  if (arg?.connection) return arg.connection;
  const connections = await s.store.connections();
  if (connections.length === 0) throw new BehalfError('connection', 'No connections yet: add one with "Behalf: Add Connection…".');
  if (connections.length === 1) return connections[0];
  const picked = await vscode.window.showQuickPick(
    connections.map((c) => ({ label: c.label, description: c.id, connection: c })),
    { title: 'Check which connection?', placeHolder: 'Nothing is changed on the vendor side' },
  );
  return picked?.connection;
}
