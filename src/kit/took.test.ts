import { test } from 'node:test';
import assert from 'node:assert/strict';
import { took } from './took.ts';

test('took prints durations the way Go prints a time.Duration, to the nanosecond below a millisecond', () => {
  assert.equal(took(100, 100.005168), '5.168µs');
  assert.equal(took(100, 100.0004), '0.4µs');
  assert.equal(took(0, 4.39012), '4.39ms');
  assert.equal(took(0, 999.9994), '999.999ms');
  assert.equal(took(0, 1500), '1.5s');
  assert.equal(took(0, 0), '0µs');
});
