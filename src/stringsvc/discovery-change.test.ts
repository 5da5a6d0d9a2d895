import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changeOf, listedPerChange } from './discovery.ts';

const ips = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `10.${Math.floor((from + i) / 65536) % 256}.${Math.floor((from + i) / 256) % 256}.${(from + i) % 256}:8080`);

test('a change names what came and went, and the new count', () => {
  assert.deepEqual(changeOf(new Set(['b:1', 'a:1']), ['b:1', 'c:1']), { count: 2, added_count: 1, removed_count: 1, added: ['c:1'], removed: ['a:1'] });
  assert.deepEqual(changeOf(new Set(), ['b:1', 'a:1']), { count: 2, added_count: 2, removed_count: 0, added: ['a:1', 'b:1'], removed: [] }, 'the first sync: all added, sorted');
});

test('one pod of 10,000 changing logs a line of the same size as at 10: bounded by the change, not the set', () => {
  const all = ips(10_000);
  const bytes = (c: object) => Buffer.byteLength(JSON.stringify(c));
  const small = changeOf(new Set(ips(10)), ips(9));
  const large = changeOf(new Set(all), all.slice(1));
  assert.deepEqual([large.count, large.removed], [9_999, [all[0]]]);
  assert.equal(bytes(large), bytes(small) + 3, 'the count has three more digits; nothing else grows');
});

test('a change of the whole set lists at most listedPerChange a side; the counts stay whole', () => {
  const c = changeOf(new Set(ips(10_000)), ips(10_000, 10_000));
  assert.deepEqual([c.count, c.added_count, c.removed_count, c.added.length, c.removed.length], [10_000, 10_000, 10_000, listedPerChange, listedPerChange]);
  assert.ok(Buffer.byteLength(JSON.stringify(c)) < 1024, 'under 1 KiB');
});
