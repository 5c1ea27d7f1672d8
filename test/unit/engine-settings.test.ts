// When the engine keeps a connection's adapter (and its sessions) for a connection read again: same settings,
// whatever the position in the file or the key order; any other change, a principal's email included, is a new adapter.
import assert from 'node:assert/strict';
import { BehalfEngine } from '../../src/core/engine';
import { jsonEqual, sameSettings } from '../../src/core/engineSettings';
import type { Connection } from '../../src/core/model';
import { allVendors } from '../../src/vendors';

function connection(overrides: Partial<Connection> = {}): Connection {
  return {
    id: 'big',
    vendor: 'generic',
    label: 'Big directory',
    baseUrl: 'http://127.0.0.1:9/api',
    auth: 'none',
    settings: { impersonation: { kind: 'header', headers: { 'X-Impersonate-User': '{{principal.email}}' } } },
    principals: Array.from({ length: 1000 }, (_, i) => ({ id: `p${i}`, email: `user${i}@acme.test`, name: `User ${i}`, source: 'file' as const })),
    position: { file: '/w/behalf.connections.json', line: 3, column: 5 },
    ...overrides,
  };
}

/** The same value with every object's keys in reverse order (what reordering the file gives). */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reversed(v)]),
  );
}

describe('engine: same settings, same adapter', () => {
  it('equal as JSON: key order and the position do not count, every value does', () => {
    const a = connection();
    assert.ok(sameSettings(a, a));
    assert.ok(sameSettings(a, reversed(connection({ position: { file: '/w/behalf.connections.json', line: 40, column: 1 } })) as Connection));
    const otherEmail = connection();
    otherEmail.principals[999] = { ...otherEmail.principals[999], email: 'someone@acme.test' };
    assert.ok(!sameSettings(a, otherEmail));
    assert.ok(!sameSettings(a, connection({ principals: a.principals.slice(1) })));
    assert.ok(!sameSettings(a, connection({ settings: { impersonation: { kind: 'header', headers: { 'X-Other': '{{principal.email}}' } } } })));
    assert.ok(!sameSettings(a, connection({ timeoutMs: 300 })));
  });

  it('jsonEqual follows JSON.stringify: undefined properties are absent, arrays are not objects', () => {
    assert.ok(jsonEqual({ a: 1, b: undefined }, { a: 1 }));
    assert.ok(jsonEqual({ a: 1 }, { b: undefined, a: 1 }));
    assert.ok(!jsonEqual({ a: 1 }, { a: 1, b: null }));
    assert.ok(!jsonEqual({ 0: 'x' }, ['x']));
    assert.ok(!jsonEqual([1, 2], [2, 1]));
    assert.ok(!jsonEqual({ a: '1' }, { a: 1 }));
    assert.ok(jsonEqual({ a: [{ b: [null, true] }] }, { a: [{ b: [null, true] }] }));
  });

  it('a connection read again with the same settings keeps its adapter; changed settings get a new one', async () => {
    const engine = new BehalfEngine({
      vendors: allVendors,
      secrets: { get: async () => undefined, whereToSet: () => '' },
      prompt: { confirm: async () => true },
    });
    try {
      const first = engine.adapter(connection());
      assert.equal(engine.adapter(connection({ position: { file: '/w/behalf.connections.json', line: 9, column: 5 } })), first);
      const changed = connection();
      changed.principals[0] = { ...changed.principals[0], name: 'Renamed' };
      const second = engine.adapter(changed);
      assert.notEqual(second, first);
      assert.equal(engine.adapter(changed), second);
    } finally {
      await engine.dispose();
    }
  });
});
