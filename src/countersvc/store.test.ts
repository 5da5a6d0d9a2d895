import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkedSum, isOutOfRangeError } from './store.ts';
import { memoryStore } from './memory-store.ts';

test('checkedSum adds within the safe-integer range and refuses to leave it', () => {
  assert.equal(checkedSum(1, 2), 3);
  assert.equal(checkedSum(-5, 3), -2);
  assert.equal(checkedSum(Number.MAX_SAFE_INTEGER - 1, 1), Number.MAX_SAFE_INTEGER);
  assert.throws(() => checkedSum(Number.MAX_SAFE_INTEGER, 1), (e) => isOutOfRangeError(e) && /safe-integer range/.test(e.message));
  assert.throws(() => checkedSum(-Number.MAX_SAFE_INTEGER, -1), isOutOfRangeError);
  assert.throws(() => checkedSum(0, 1.5), isOutOfRangeError);
  assert.throws(() => checkedSum(0, 2 ** 53), isOutOfRangeError);
});

test('memory store keeps a running total and leaves it unchanged on a refused add', async () => {
  const s = memoryStore();
  assert.equal(await s.add(1), 1);
  assert.equal(await s.add(2), 3);
  assert.equal(await s.add(3), 6);
  await assert.rejects(s.add(Number.MAX_SAFE_INTEGER), isOutOfRangeError);
  assert.equal(await s.add(0), 6);
});
