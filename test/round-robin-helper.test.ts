import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertRoundRobin, type Spread } from './support/frontend.ts';

// The helper the round-robin splits are judged with: exact when nothing was retried, and a
// retried attempt judged by what the rotation did with it, never waved through.
const zero: Spread = { served: [0, 0, 0, 0], attempts: [0, 0, 0, 0], retries: 0 };

test('without a retry the split is exact, from the backends’ own counts', () => {
  assertRoundRobin(zero, { served: [10, 10, 10, 0], attempts: [10, 10, 10, 0], retries: 0 }, [10, 10, 10, 0]);
  assert.throws(() => assertRoundRobin(zero, { served: [11, 9, 10, 0], attempts: [11, 9, 10, 0], retries: 0 }, [10, 10, 10, 0]));
});

test('a retry is one more pick of the rotation', () => {
  // One attempt to the first timed out and was retried on the second: 31 picks, 11/10/10.
  assertRoundRobin(zero, { served: [10, 11, 10, 0], attempts: [11, 10, 10, 0], retries: 1 }, [10, 10, 10, 0]);
  assert.throws(() => assertRoundRobin(zero, { served: [9, 12, 10, 0], attempts: [9, 12, 10, 0], retries: 1 }, [10, 10, 10, 0]), /round robin/);
  assert.throws(() => assertRoundRobin(zero, { served: [10, 10, 10, 1], attempts: [10, 10, 10, 1], retries: 1 }, [10, 10, 10, 0]), /outside the rotation/);
  assert.throws(() => assertRoundRobin(zero, { served: [11, 11, 11, 0], attempts: [11, 11, 11, 0], retries: 1 }, [10, 10, 10, 0]), /1 retried/);
});
