// The active identity's mode when the user moves between connections (runs in a real VS Code).
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { BehalfApi } from '../../src/extension/extension';

/** ActiveIdentity's workspaceState key: restored after these tests, which change the active identity. */
const STATE_KEY = 'behalf.activeIdentity';

describe('the active identity', () => {
  let api: BehalfApi;
  let saved: unknown;

  before(async () => {
    api = await vscode.extensions.getExtension<BehalfApi>('behalf-dev.behalf')!.activate();
    await vscode.commands.executeCommand('behalf.startSandbox');
    saved = api.services.context.workspaceState.get(STATE_KEY);
  });

  after(async () => {
    await api.services.context.workspaceState.update(STATE_KEY, saved);
  });

  it("a principal of another connection starts in that connection's default mode, not the previous one's", async () => {
    const { store, identity } = api.services;
    const dealcloud = (await store.connection('dc-sandbox'))!;
    const orangelogic = (await store.connection('ol-sandbox'))!;
    await identity.set(dealcloud, 'jane');
    assert.equal((await identity.current())!.mode, 'full', 'DealCloud has one mode, full');
    await identity.set(orangelogic, 'jane');
    assert.equal((await identity.current())!.mode, 'lite', 'Orange Logic starts in its default mode');
  });

  it('within a connection, the mode is kept when the principal changes', async () => {
    const { store, identity } = api.services;
    const orangelogic = (await store.connection('ol-sandbox'))!;
    await identity.set(orangelogic, 'jane', 'full');
    await identity.set(orangelogic, 'raj');
    assert.equal((await identity.current())!.mode, 'full');
    await identity.set(orangelogic, 'raj', 'lite'); // no full session left open for the next tests
  });
});
