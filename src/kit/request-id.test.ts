import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newRequestId } from './request-id.ts';

test('newRequestId gives 32 hex digits, all distinct across several pool refills', () => {
  const ids = Array.from({ length: 2000 }, () => newRequestId());
  for (const id of ids) assert.match(id, /^[0-9a-f]{32}$/);
  assert.equal(new Set(ids).size, ids.length);
});

test('newRequestId ids are random, not sequential: every hex digit position varies', () => {
  const ids = Array.from({ length: 64 }, () => newRequestId());
  for (let i = 0; i < 32; i++) assert.ok(new Set(ids.map((id) => id[i])).size > 1, `position ${i} never changed`);
});
