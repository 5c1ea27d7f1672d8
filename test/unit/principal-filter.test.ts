import assert from 'node:assert/strict';
import type { Principal } from '../../src/core/model';
import { describeFilter, normalizeQuery, principalSearchKey, PrincipalSearchKeys } from '../../src/core/principalFilter';

describe('principal filter (the Connections view)', () => {
  const ann: Principal = { id: 'ann', userId: '6045', email: 'Ann.Lee@Acme.test', name: 'Ann Lee' };
  const bob: Principal = { id: 'bob-app', clientId: 'CF-Client-9', name: 'Bob Stone' };
  const bare: Principal = { id: 'p-17' };

  it('matches name, email, user id, client id and Behalf id, whatever the case', () => {
    const keys = new PrincipalSearchKeys();
    const all = [ann, bob, bare];
    const ids = (query: string) => keys.filter(all, normalizeQuery(query)).map((p) => p.id);
    assert.deepEqual(ids('ann'), ['ann']);
    assert.deepEqual(ids('LEE@acme'), ['ann']);
    assert.deepEqual(ids('6045'), ['ann']);
    assert.deepEqual(ids('cf-client'), ['bob-app']);
    assert.deepEqual(ids('P-1'), ['p-17']);
    assert.deepEqual(ids('o'), ['bob-app']); // "Bob Stone"; nothing of Ann's or p-17's has an "o"
    assert.deepEqual(ids('zzz'), []);
  });

  it('never matches across two fields', () => {
    // name "Ann Lee" then email "ann.lee@…": "lee ann" would span them if they were joined with a space.
    const keys = new PrincipalSearchKeys();
    assert.deepEqual(keys.filter([ann], normalizeQuery('leeann')), []);
    assert.deepEqual(keys.filter([ann], normalizeQuery('lee ann')), []);
    assert.ok(!principalSearchKey(ann).includes('lee ann'));
  });

  it('treats blank text as no filter, and keeps the order', () => {
    assert.equal(normalizeQuery(undefined), undefined);
    assert.equal(normalizeQuery('   '), undefined);
    assert.equal(normalizeQuery('  Ann '), 'ann');
    const keys = new PrincipalSearchKeys();
    assert.deepEqual(keys.filter([bare, ann, bob], undefined), [bare, ann, bob]);
    assert.deepEqual(
      keys.filter([bob, ann], normalizeQuery('a')).map((p) => p.id),
      ['bob-app', 'ann'],
    );
  });

  it("makes each principal's key once, not once per query", () => {
    const keys = new PrincipalSearchKeys();
    let reads = 0;
    const counted = new Proxy(ann, { get: (target, prop, receiver) => (reads++, Reflect.get(target, prop, receiver)) });
    keys.filter([counted], 'a');
    const afterFirst = reads;
    for (const q of ['an', 'ann', 'lee', 'x']) keys.filter([counted], q);
    assert.ok(afterFirst > 0);
    assert.equal(reads, afterFirst);
  });

  it('filters 10,000 principals', () => {
    const principals = Array.from({ length: 10_000 }, (_, i): Principal => ({
      id: `p${i}`,
      userId: `u-${100000 + i}`,
      email: `user${i}@acme.test`,
      name: `User ${i}`,
    }));
    const keys = new PrincipalSearchKeys();
    assert.equal(keys.filter(principals, normalizeQuery('User 42')).length, 111); // 42, 420-429, 4200-4299
    assert.equal(keys.filter(principals, normalizeQuery('@ACME.test')).length, 10_000);
    assert.equal(keys.filter(principals, normalizeQuery('u-109999')).length, 1);
  });

  it('describes the filter for the view', () => {
    assert.equal(describeFilter(' ann ', 12, 10_000), 'filter "ann" · 12 of 10,000 principals');
    assert.equal(describeFilter('x', 0, 1), 'filter "x" · 0 of 1 principal');
  });
});
