import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { eventually } from '../../../test/support/metrics.ts';
import { keyedLimiter } from './keyed.ts';

async function outcomes(take: () => Promise<{ allowed: boolean }>, n: number): Promise<boolean[]> {
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) out.push((await take()).allowed);
  return out;
}

test('each key gets its own qps per second; a refusal says how long until its window ends', async () => {
  const limiter = keyedLimiter({ qps: 3, burst: 0 });
  assert.deepEqual(await outcomes(() => limiter.take('a'), 5), [true, true, true, false, false]);
  const refused = await limiter.take('a');
  assert.equal(refused.remaining, 0);
  assert.ok(refused.msBeforeNext > 0 && refused.msBeforeNext <= 1000, `${refused.msBeforeNext} ms`);
  // Another key is untouched by the first one's flood.
  assert.deepEqual(await outcomes(() => limiter.take('b'), 3), [true, true, true]);
  assert.deepEqual(limiter.policies, [{ name: 'client', quota: 3, windowSec: 1 }]);
});

test('a burst lets a key past its second `burst` more times per burst window', async () => {
  const limiter = keyedLimiter({ qps: 2, burst: 3 });
  assert.deepEqual(await outcomes(() => limiter.take('a'), 7), [true, true, true, true, true, false, false]);
  assert.deepEqual(limiter.policies, [
    { name: 'client', quota: 2, windowSec: 1 },
    { name: 'client-burst', quota: 3, windowSec: 60 },
  ]);
});

test('100,000 distinct keys: the store holds them for their window, then the library expires them and the heap returns to its baseline', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heap = () => (gc(), gc(), process.memoryUsage().heapUsed);
  // A one-second burst window, so the keys that overdraw expire in a second too.
  const limiter = keyedLimiter({ qps: 1, burst: 1, burstWindowSec: 1 });
  await limiter.take('warm-up');
  const base = heap();
  const n = 100_000;
  for (let i = 0; i < n; i += 1000) {
    // Every tenth key overdraws, so the burst limiter holds keys too.
    await Promise.all(Array.from({ length: 1000 }, (_, j) => limiter.take(`10.${i + j}`)));
    await Promise.all(Array.from({ length: 100 }, (_, j) => limiter.take(`10.${i + j * 10}`)));
  }
  const held = heap() - base;
  // The measurement sees the records (a record, its timer and its key are well over 50 bytes).
  assert.ok(held > 50 * n, `${(held / 1024 / 1024).toFixed(1)} MiB held with ${n} keys in their window`);
  let left = held;
  await eventually(
    'the keys to expire',
    () => (left = heap() - base) < 1024 * 1024,
    60_000,
  ).catch((e: unknown) => assert.fail(`${(e as Error).message}: ${(left / 1024 / 1024).toFixed(1)} MiB still held`));
  // Still the same limiter (the heap did not shrink by dropping it), and a key is new again.
  assert.equal((await limiter.take('10.0')).allowed, true);
});
