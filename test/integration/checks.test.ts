// Check Connection in a real VS Code: results under the connection in the Connections tree (theme icons, the detail
// as tooltip, a failed check's fix as its inline action), every send as someone else in the Impersonation Log,
// Cancel ending the Orange Logic session, and nothing changed on the vendor's side.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { CheckReport } from '../../src/core/checks';
import type { BehalfApi } from '../../src/extension/extension';
import type { ConnectionsNode } from '../../src/extension/trees';
import { openSessions, sandboxControl, startBehalf, waitFor } from './support';

let api: BehalfApi;
let sandboxUrl: string;

/** The "Checks" row under a connection and its check rows. */
async function checkRows(connectionId: string): Promise<{ checks: ConnectionsNode | undefined; rows: Array<Extract<ConnectionsNode, { kind: 'check' }>> }> {
  const tree = api.services.connectionsTree;
  const root = (await tree.getChildren()).find((n) => n.connection.id === connectionId);
  assert.ok(root, `connection ${connectionId} in the tree`);
  const checks = (await tree.getChildren(root)).find((n) => n.kind === 'checks');
  const rows = checks ? ((await tree.getChildren(checks)) as Array<Extract<ConnectionsNode, { kind: 'check' }>>) : [];
  return { checks, rows };
}

/** Answer the next messages: modal confirmations with `modal`, other warnings/informations with the button named. */
function answerMessages(answers: { modal?: string; button?: string }): () => void {
  const window = vscode.window as unknown as Record<'showWarningMessage' | 'showInformationMessage', (...args: unknown[]) => Thenable<unknown>>;
  const original = { warning: window.showWarningMessage, information: window.showInformationMessage };
  const answer = (...args: unknown[]) => {
    const options = args[1];
    if (options && typeof options === 'object' && (options as vscode.MessageOptions).modal) return Promise.resolve(answers.modal);
    return Promise.resolve(answers.button && args.includes(answers.button) ? answers.button : undefined);
  };
  window.showWarningMessage = answer;
  window.showInformationMessage = answer;
  return () => {
    window.showWarningMessage = original.warning;
    window.showInformationMessage = original.information;
  };
}

describe('Check Connection in a real VS Code', function () {
  this.timeout(90_000);

  before(async () => {
    ({ api, sandboxUrl } = await startBehalf());
    await waitFor('the sandbox connections', async () => (await api.services.store.connection('cf-sandbox')) !== undefined);
  });
  after(async () => {
    // Leave the sandbox (and the tree's view of its assignments) as the other suites expect it.
    await sandboxControl(sandboxUrl, 'reset', { method: 'POST' });
    const connection = await api.services.store.connection('dc-sandbox');
    if (connection) await vscode.commands.executeCommand('behalf.fetchPrincipals', { kind: 'connection', connection });
    // The command reports its errors in a message, not to us: check the re-read landed (lee has no assignment again).
    const lee = connection?.principals.find((p) => p.id === 'lee');
    assert.ok(lee?.userId && api.services.store.fetchedUserIds('dc-sandbox')?.has(lee.userId) === false, 'Fetch Principals read the reset assignments');
  });

  it('DealCloud: the checks appear under the connection, a failed one with its fix, and the AS-USER reads are in the Impersonation Log', async () => {
    const restore = answerMessages({});
    let report: CheckReport | undefined;
    try {
      report = await vscode.commands.executeCommand<CheckReport | undefined>('behalf.checkConnection', { connectionId: 'dc-sandbox' });
    } finally {
      restore();
    }
    assert.ok(report);
    assert.equal(report.connection, 'dc-sandbox');
    const { checks, rows } = await checkRows('dc-sandbox');
    assert.ok(checks, 'a Checks row under the connection');
    const tree = api.services.connectionsTree;
    const summary = await tree.getTreeItem(checks);
    assert.equal(summary.label, 'Checks');
    assert.match(String(summary.description), /^9 passed, 2 failed, 1 skipped$/);
    assert.equal((summary.iconPath as vscode.ThemeIcon).id, 'error', 'the worst status shows');
    assert.deepEqual(
      rows.map((r) => r.check.id),
      report.checks.map((c) => c.id),
    );

    const lee = rows.find((r) => r.check.id === 'dealcloud.assignment.lee');
    assert.ok(lee);
    const leeItem = await tree.getTreeItem(lee);
    assert.equal(leeItem.contextValue, 'check:fail:fix', 'the inline Fix action shows on it');
    assert.equal((leeItem.iconPath as vscode.ThemeIcon).id, 'error');
    assert.match(leeItem.tooltip as string, /^No proxy assignment lets the service user \(6001\) act as Lee Wong.*\n\nFix: Create proxy assignment$/s);
    const jane = rows.find((r) => r.check.id === 'dealcloud.asUser.jane');
    assert.ok(jane);
    const janeItem = await tree.getTreeItem(jane);
    assert.equal((janeItem.iconPath as vscode.ThemeIcon).id, 'pass');
    assert.equal(janeItem.contextValue, 'check:pass');

    const entries = await api.services.impersonationLog.entries();
    const checked = entries.filter((e) => e.connectionId === 'dc-sandbox' && e.url.endsWith('/api/rest/v4/schema/entrytypes'));
    assert.deepEqual([...new Set(checked.map((e) => e.principalId))].sort(), ['jane', 'lee', 'raj']);
  });

  it('the Fix of a missing proxy assignment runs Create Proxy Assignment, and Check Again passes', async () => {
    const { rows } = await checkRows('dc-sandbox');
    const lee = rows.find((r) => r.check.id === 'dealcloud.assignment.lee');
    assert.ok(lee, 'checked in the test before');
    const restore = answerMessages({ modal: 'Create', button: 'Check Again' });
    try {
      await vscode.commands.executeCommand('behalf.runCheckFix', lee);
      await waitFor('the checks to run again and pass', async () => {
        const state = api.services.connectionsTree.checksOf('dc-sandbox');
        return state !== undefined && !state.running && state.checks.length > 0 && state.checks.every((c) => c.status !== 'fail');
      });
    } finally {
      restore();
    }
    const log = await sandboxControl<Array<{ method: string; path: string }>>(sandboxUrl, 'log');
    assert.equal(log.filter((e) => e.method === 'POST' && e.path.endsWith('/management/user/proxy')).length, 1, 'the fix wrote the assignment once');
  });

  it('Cancel while the Orange Logic session starts: the checks stop, the session that opens is stopped', async () => {
    await sandboxControl(sandboxUrl, 'faults', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ kind: 'delay', delayMs: 1500, match: { pathIncludes: '/startimpersonation' } }),
    });
    const restore = answerMessages({});
    try {
      const running = vscode.commands.executeCommand('behalf.checkConnection', { connectionId: 'ol-sandbox' });
      await waitFor('the search check before the session start', () =>
        (api.services.connectionsTree.checksOf('ol-sandbox')?.checks ?? []).some((c) => c.id === 'orangelogic.search'),
      );
      await vscode.commands.executeCommand('behalf.cancelRequests');
      await running;
    } finally {
      restore();
      await sandboxControl(sandboxUrl, 'faults', { method: 'DELETE' });
    }
    const state = api.services.connectionsTree.checksOf('ol-sandbox');
    assert.equal(state?.running, false);
    assert.equal(state?.ended, 'cancelled');
    assert.ok(!state.checks.some((c) => c.id === 'orangelogic.impersonate'));
    const { checks } = await checkRows('ol-sandbox');
    assert.ok(checks);
    assert.match(String((await api.services.connectionsTree.getTreeItem(checks)).description), /cancelled/);
    assert.equal(await openSessions(sandboxUrl), 0, 'the session the delayed start opened was stopped');
  });

  it('Creative Force: probing every app changes nothing on the gateway', async () => {
    const restore = answerMessages({});
    let report: CheckReport | undefined;
    try {
      report = await vscode.commands.executeCommand<CheckReport | undefined>('behalf.checkConnection', { connectionId: 'cf-sandbox' });
    } finally {
      restore();
    }
    assert.ok(report);
    const pat = report.checks.find((c) => c.id === 'creativeforce.permissions.pat.ecomm');
    assert.equal(pat?.status, 'fail');
    assert.match(pat.detail, /ECOMM required 6 \/ 7 — missing PUT \/extpost\/tasks\/\{taskId\}\/start/);
    const state = await sandboxControl<{ creativeForce: unknown }>(sandboxUrl, 'state');
    assert.deepEqual(state.creativeForce, { startedTasks: [], uploads: [], audit: [] });
    const entries = await api.services.impersonationLog.entries();
    assert.ok(
      entries.some((e) => e.connectionId === 'cf-sandbox' && e.principalId === 'pat' && e.method === 'PUT'),
      'the probes sent as the apps are in the Impersonation Log',
    );
  });
});
