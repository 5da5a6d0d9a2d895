import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retryBudget } from './retry-budget.ts';

function drain(tryRetry: () => boolean, max = 10_000): number {
  let n = 0;
  while (n < max && tryRetry()) n++;
  return n;
}

test('allows the floor with no traffic, then ratio × requests on top', () => {
  let now = 0;
  const b = retryBudget({ ratio: 0.2, minRetriesPerSecond: 1, windowMs: 10_000, now: () => now });
  assert.equal(drain(() => b.tryRetry()), 10, 'floor: 1/s over 10 s');
  for (let i = 0; i < 100; i++) b.recordRequest();
  assert.equal(drain(() => b.tryRetry()), 20, '20 % of 100 requests');
});

test('old requests and retries slide out of the window', () => {
  let now = 0;
  const b = retryBudget({ ratio: 0.5, minRetriesPerSecond: 0, windowMs: 1000, now: () => now });
  for (let i = 0; i < 10; i++) b.recordRequest();
  assert.equal(drain(() => b.tryRetry()), 5);
  now = 500;
  assert.equal(b.tryRetry(), false, 'still inside the window');
  now = 1000; // the bucket holding everything has expired
  assert.equal(b.tryRetry(), false, 'no requests left, no floor');
  for (let i = 0; i < 4; i++) b.recordRequest();
  assert.equal(drain(() => b.tryRetry()), 2);
});

test('defaults: 20 % plus 10 retries/s over 10 s', () => {
  const b = retryBudget({ now: () => 0 });
  for (let i = 0; i < 1000; i++) b.recordRequest();
  assert.equal(drain(() => b.tryRetry()), 300);
});
