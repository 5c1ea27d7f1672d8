import assert from 'node:assert/strict';
import { checkAttribution, verifyAttribution } from '../../src/core/attribution';
import { BehalfError } from '../../src/core/errors';
import type { ActAs, AssetVersion, ImpersonationMode } from '../../src/core/model';
import { startHarness, type Harness } from './support';

const JANE = { email: 'jane@acme.test', principalLabel: 'Jane Doe <jane@acme.test> (jane.api)' };
const version = (n: number, user: string): AssetVersion => ({
  version: n,
  date: `2026-01-0${n}T10:00:00Z`,
  user,
  changes: [{ field: 'Title', oldValue: `v${n - 1}`, newValue: `v${n}` }],
});
const HISTORY = [version(1, 'svc@acme.test'), version(2, 'raj@acme.test'), version(3, 'svc@acme.test')];

describe('attribution: pure checks', () => {
  it('a new version naming the principal (any case): recorded-as-principal', () => {
    const result = checkAttribution(HISTORY, [...HISTORY, version(4, 'Jane@ACME.test')], JANE, 'A-1', { vendorName: 'Orange Logic' });
    assert.deepEqual(result, {
      assetId: 'A-1',
      outcome: 'recorded-as-principal',
      recordedUser: 'Jane@ACME.test',
      expectedUser: 'jane@acme.test',
      version: 4,
      message: 'Recorded as Jane@ACME.test in version 4.',
    });
  });

  it('a new version naming someone else: recorded-as-other, with advice that fits the mode', () => {
    const lite = checkAttribution(HISTORY, [...HISTORY, version(4, 'svc@acme.test')], JANE, 'A-1', { vendorName: 'Orange Logic', mode: 'lite' });
    assert.equal(lite.outcome, 'recorded-as-other');
    assert.equal(lite.recordedUser, 'svc@acme.test');
    assert.equal(lite.message, 'Orange Logic recorded svc@acme.test, not jane@acme.test, in version 4.');
    assert.equal(lite.advice, 'Lite impersonation is probably not enabled for this account: ask Orange Logic support to switch it on, or use full mode.');
    const generic = checkAttribution(HISTORY, [...HISTORY, version(4, 'svc@acme.test')], JANE, 'A-1');
    assert.equal(generic.message, 'The vendor recorded svc@acme.test, not jane@acme.test, in version 4.');
    assert.match(generic.advice!, /ask the vendor's support to switch it on, or use full mode/);
    const full = checkAttribution(HISTORY, [...HISTORY, version(4, 'svc@acme.test')], JANE, 'A-1', { mode: 'full' });
    assert.equal(full.outcome, 'recorded-as-other');
    assert.doesNotMatch(full.advice!, /Lite impersonation/);
  });

  it('no new version: says nothing was recorded', () => {
    const same = checkAttribution(HISTORY, HISTORY, JANE, 'A-1', { vendorName: 'Orange Logic' });
    assert.equal(same.outcome, 'no-new-version');
    assert.match(
      same.message,
      /^Nothing was recorded: Orange Logic has no new version of A-1 after the write as Jane Doe .*\(the latest is still version 3\)\.$/,
    );
    assert.equal(same.expectedUser, 'jane@acme.test');
    const empty = checkAttribution([], [], JANE, 'A-9');
    assert.equal(empty.outcome, 'no-new-version');
    assert.equal(empty.message, 'Nothing was recorded: the vendor has no version of A-9.');
  });

  it('without a "before" snapshot the latest version is taken as the write; versions need not be sorted', () => {
    assert.equal(checkAttribution(undefined, [version(4, 'jane@acme.test'), ...HISTORY], JANE, 'A-1').outcome, 'recorded-as-principal');
    assert.equal(checkAttribution(undefined, HISTORY, JANE, 'A-1').outcome, 'recorded-as-other');
    assert.equal(checkAttribution([], [version(1, 'jane@acme.test')], JANE, 'A-1').version, 1);
  });
});

describe('attribution against the sandbox', function () {
  this.timeout(20_000);
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => h.close());

  const as = (connectionId: string, principalId: string | undefined, mode: ImpersonationMode): ActAs => ({
    connection: h.connection(connectionId),
    principal: principalId ? h.principal(connectionId, principalId) : undefined,
    mode,
  });
  const write = (actAs: ActAs, caption: string) =>
    h.engine.sendAs(
      {
        method: 'POST',
        url: '/API/DataTable/v2.2/Documents.All:Update',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ RecordID: 'A-1', Fields: { Caption: caption } }),
      },
      actAs,
    );

  it('lite write on an account with lite enabled: recorded as the principal', async () => {
    const actAs = as('ol-sandbox', 'jane', 'lite');
    const before = await h.engine.assetHistory(actAs.connection, 'A-1');
    assert.equal((await write(actAs, 'Edited by Jane, lite')).status, 200);
    const result = await verifyAttribution(h.engine, actAs, 'A-1', before);
    assert.equal(result.outcome, 'recorded-as-principal');
    assert.equal(result.message, `Recorded as jane@acme.test in version ${before.length + 1}.`);
    assert.equal(result.advice, undefined);
  });

  it('lite write where lite is not enabled: recorded as the service user, with the advice', async () => {
    const actAs = as('ol-noimp-sandbox', 'jane', 'lite');
    const before = await h.engine.assetHistory(actAs.connection, 'A-1');
    assert.equal((await write(actAs, 'Edited by Jane, lite, ignored')).status, 200);
    const result = await verifyAttribution(h.engine, actAs, 'A-1', before);
    assert.equal(result.outcome, 'recorded-as-other');
    assert.equal(result.recordedUser, 'noimp@acme.test');
    assert.equal(result.message, `Orange Logic recorded noimp@acme.test, not jane@acme.test, in version ${before.length + 1}.`);
    assert.equal(result.advice, 'Lite impersonation is probably not enabled for this account: ask Orange Logic support to switch it on, or use full mode.');
  });

  it('full write: recorded as the principal, and the session ends', async () => {
    const actAs = as('ol-sandbox', 'jane', 'full');
    const before = await h.engine.assetHistory(actAs.connection, 'A-1');
    assert.equal((await write(actAs, 'Edited by Jane, full')).status, 200);
    const result = await verifyAttribution(h.engine, actAs, 'A-1', before);
    assert.equal(result.outcome, 'recorded-as-principal');
    assert.equal(result.version, before.length + 1);
    await h.engine.dispose();
    assert.equal(h.sandbox.openSessions(), 0);
  });

  it('a refused write records nothing: no-new-version', async () => {
    const actAs = as('ol-sandbox', 'raj', 'full');
    const before = await h.engine.assetHistory(actAs.connection, 'A-2');
    const refused = await h.engine.sendAs(
      {
        method: 'POST',
        url: '/API/DataTable/v2.2/Documents.All:Update',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ RecordID: 'A-2', Fields: { Title: 'Not allowed' } }),
      },
      actAs,
    );
    assert.equal(refused.status, 403);
    const result = await verifyAttribution(h.engine, actAs, 'A-2', before);
    assert.equal(result.outcome, 'no-new-version');
    assert.match(result.message, /^Nothing was recorded/);
  });

  it('refuses to check a write sent as the service user, and vendors without history say so', async () => {
    await assert.rejects(
      verifyAttribution(h.engine, as('ol-sandbox', undefined, 'lite'), 'A-1'),
      (e: unknown) => e instanceof BehalfError && e.code === 'attribution',
    );
    await assert.rejects(
      verifyAttribution(h.engine, as('dc-sandbox', 'jane', 'full'), '1'),
      (e: unknown) => e instanceof BehalfError && e.code === 'unsupported',
    );
  });
});
