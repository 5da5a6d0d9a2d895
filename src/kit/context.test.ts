import { test } from 'node:test';
import assert from 'node:assert/strict';
import { background, remainingMs, withTimeout } from './context.ts';

test('withTimeout keeps the earlier deadline and aborts when it passes', async () => {
  const root = background();
  assert.equal(remainingMs(root), Infinity);
  const [outer] = withTimeout(root, 20);
  const [inner, cancel] = withTimeout(outer, 10_000);
  assert.equal(inner.deadline, outer.deadline, 'a child cannot extend its parent');
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(inner.signal.aborted, true);
  assert.equal(remainingMs(inner), 0);
  cancel();
});

test('cancel releases the timer and the parent listener, without aborting', async () => {
  const ac = new AbortController();
  const parent = { ...background(), signal: ac.signal };
  const [child, cancel] = withTimeout(parent, 20);
  cancel();
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(child.signal.aborted, false, 'the cancelled timer never fired');
  ac.abort();
  assert.equal(child.signal.aborted, false, 'the parent listener was removed');
});

test('withTimeout follows the parent cancellation', () => {
  const ac = new AbortController();
  const parent = { ...background(), signal: ac.signal };
  const [child, cancel] = withTimeout(parent, 10_000);
  ac.abort();
  assert.equal(child.signal.aborted, true);
  cancel();
});
