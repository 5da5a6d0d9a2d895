import { test } from 'node:test';
import assert from 'node:assert/strict';
import { background } from '../kit/context.ts';
import { makeEndpoints } from './transport.ts';
import { newStringService, type StringService } from './service.ts';

test('business errors become a value in the response, without throwing', async () => {
  const e = makeEndpoints(newStringService());
  assert.deepEqual(await e.uppercase(background(), { s: 'abc' }), { v: 'ABC' });
  assert.deepEqual(await e.uppercase(background(), { s: '' }), { v: '', err: 'empty string' });
  assert.deepEqual(await e.count(background(), { s: 'abc' }), { v: 3 });
});

test('infrastructure errors are thrown on for the transport to answer', async () => {
  const broken: StringService = {
    uppercase: async () => {
      throw new Error('upstream down');
    },
    count: async () => 0,
  };
  await assert.rejects(makeEndpoints(broken).uppercase(background(), { s: 'x' }), /upstream down/);
});
