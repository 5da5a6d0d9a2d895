import { test } from 'node:test';
import assert from 'node:assert/strict';
import { took } from './took.ts';

test('took prints durations the way Go prints a time.Duration, to the nanosecond below a millisecond', () => {
  const ago = (ms: number) => performance.now() - ms;
  assert.match(took(ago(0.005)), /^5(\.\d{1,3})?µs$/);
  assert.match(took(ago(4.39)), /^4\.(39|4)\d?ms$/);
  assert.match(took(ago(1500)), /^1\.5\d{0,2}s$/);
  assert.match(took(performance.now()), /^\d+(\.\d{1,3})?µs$/);
});
