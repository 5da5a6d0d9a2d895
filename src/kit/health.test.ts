import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readiness } from './health.ts';

test('readiness holds while any reason blocks it', () => {
  const r = new Readiness();
  assert.equal(r.ready, true);
  r.block('syncing');
  r.block('draining');
  r.unblock('syncing');
  assert.deepEqual([r.ready, r.reasons], [false, ['draining']]);
  r.unblock('draining');
  assert.equal(r.ready, true);
});
