// The extension's session ending without an editor (src/extension/sessionEnding.ts has no 'vscode'): a stop the
// vendor does not confirm keeps the session listed (the Sessions view's End Session Again) and is reported once; End
// Again ends it; every wait is bounded. And SecretStorageStore hands each secret it reads or stores to the redactor.
import assert from 'node:assert/strict';
import type * as vscode from 'vscode';
import type { BehalfEngine } from '../../src/core/engine';
import type { UnendedSession } from '../../src/core/vendor';
import { SecretStorageStore } from '../../src/extension/secrets';
import { SessionEnding } from '../../src/extension/sessionEnding';
import { startHarness, type Harness } from './support';

const STOP = 'stopimpersonation';
const READ = '/API/DataTable/v2.2/Documents.All:Read?RecordID=A-1&format=JSON';

describe('extension: sessions that could not be confirmed ended (SessionEnding, against the sandbox)', function () {
  this.timeout(20_000);
  let h: Harness;
  let current: BehalfEngine | undefined;
  let reports: UnendedSession[][];
  let ending: SessionEnding;

  beforeEach(async () => {
    h = await startHarness();
    current = h.engine;
    reports = [];
    ending = new SessionEnding(
      () => current,
      (unended) => reports.push(unended),
    );
  });
  afterEach(async () => {
    h.sandbox.clearFaults();
    await ending.endAll(current, 2_000);
    await h.sandbox.close();
  });

  const openJaneSession = async () => {
    await h.engine.sendAs(
      { method: 'GET', url: READ, headers: {} },
      { connection: h.connection('ol-sandbox'), principal: h.principal('ol-sandbox', 'jane'), mode: 'full' },
    );
    assert.equal(h.sandbox.openSessions(), 1);
  };
  /** What Services.disposeEngine does: the engine in use is dropped, then disposed through SessionEnding. */
  const disposeEngine = (timeoutMs?: number) => {
    const engine = current!;
    current = undefined;
    return ending.disposeEngine(engine, timeoutMs);
  };

  it('a failed stop at disposal keeps the session listed, reported once; End Again (fault cleared) ends it', async () => {
    await openJaneSession();
    h.sandbox.injectFault({ kind: 'status', status: 500, times: 100, match: { pathIncludes: STOP } });
    const unended = await disposeEngine(3_000);
    assert.equal(unended.length, 1);
    assert.equal(unended[0].principalId, 'jane');
    assert.match(unended[0].reason, /the stop answered 500/);
    assert.deepEqual(
      ending.list().map((u) => u.principalId),
      ['jane'],
      'still listed after the engine was dropped',
    );
    assert.equal(reports.length, 1, 'reported');
    assert.equal(reports[0][0].principalLabel, 'Jane Doe <jane@acme.test> (jane.api)');
    ending.check();
    assert.equal(reports.length, 1, 'reported once');

    assert.equal((await ending.endAgain({ connectionId: 'ol-sandbox', principalId: 'jane' }, 1_000)).length, 1, 'still failing: still listed');
    assert.equal(ending.list().length, 1);
    h.sandbox.clearFaults();
    assert.deepEqual(await ending.endAgain({ connectionId: 'ol-sandbox', principalId: 'jane' }), []);
    assert.deepEqual(ending.list(), []);
    assert.equal(h.sandbox.openSessions(), 0);
  });

  it('a stop that never answers: disposal returns within its bound, the session listed as maybe open', async () => {
    await openJaneSession();
    h.sandbox.injectFault({ kind: 'timeout', times: 100, match: { pathIncludes: STOP } });
    const started = Date.now();
    const unended = await disposeEngine(1_500);
    const took = Date.now() - started;
    assert.ok(took < 2_500, `took ${took} ms`);
    assert.equal(unended.length, 1);
    assert.equal(ending.list().length, 1);
  });

  it('End Session on an open session whose stop fails keeps it listed; End All retries it', async () => {
    await openJaneSession();
    h.sandbox.injectFault({ kind: 'status', status: 500, times: 100, match: { pathIncludes: STOP } });
    const unended = await h.engine.endSession(h.connection('ol-sandbox'), 'jane', { timeoutMs: 2_000 });
    assert.equal(unended.length, 1);
    assert.deepEqual(h.engine.sessions(), [], 'no longer an open session of the engine');
    ending.check();
    assert.deepEqual(
      ending.list().map((u) => u.principalId),
      ['jane'],
    );
    assert.equal(reports.length, 1);
    h.sandbox.clearFaults();
    const engine = current;
    current = undefined;
    assert.deepEqual(await ending.endAll(engine, 2_000), []);
    assert.deepEqual(ending.list(), []);
    assert.equal(h.sandbox.openSessions(), 0);
  });
});

describe('extension: SecretStorageStore registers every secret it reads or stores', () => {
  it('hands each value to the redactor callback, on get and on store', async () => {
    const stored = new Map<string, string>([['behalf.secret/ol/jane', 'Qm4x9Lr2/abc+def==']]);
    const storage = {
      get: async (key: string) => stored.get(key),
      store: async (key: string, value: string) => void stored.set(key, value),
      delete: async (key: string) => void stored.delete(key),
    } as unknown as vscode.SecretStorage;
    const seen: string[] = [];
    const secrets = new SecretStorageStore(storage, (value) => seen.push(value));
    assert.equal(await secrets.get({ connectionId: 'ol', principalId: 'jane' }), 'Qm4x9Lr2/abc+def==');
    assert.equal(await secrets.get({ connectionId: 'none' }), undefined);
    await secrets.set({ connectionId: 'dc' }, 'abc');
    assert.deepEqual(seen, ['Qm4x9Lr2/abc+def==', 'abc']);
  });
});
