import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../kit/cli.ts';
import { clientLimitConfig, clientLimitFlags } from './client-limit-flags.ts';

const defaults = Object.fromEntries(Object.entries(clientLimitFlags).map(([k, v]) => [k, v.default])) as Parameters<typeof clientLimitConfig>[0];
const rejects = (flags: Partial<typeof defaults>, message: RegExp) =>
  assert.throws(() => clientLimitConfig({ ...defaults, ...flags }), (e: unknown) => e instanceof UsageError && message.test(e.message));

test('off by default; on with a qps, keyed by address unless a header is named (lower-cased)', () => {
  assert.equal(clientLimitConfig(defaults), undefined);
  assert.deepEqual(clientLimitConfig({ ...defaults, 'client-qps': '10' }), { qps: 10, burst: 0 });
  assert.deepEqual(clientLimitConfig({ ...defaults, 'client-qps': '10', 'client-burst': '20', 'client-key-header': 'X-Api-Key' }), { qps: 10, burst: 20, keyHeader: 'x-api-key' });
});

test('mistakes are usage errors naming the flag, a burst or key header without a qps too', () => {
  rejects({ 'client-qps': '-1' }, /^--client-qps: /);
  rejects({ 'client-qps': '0.5' }, /^--client-qps: /);
  rejects({ 'client-qps': '5', 'client-burst': 'many' }, /^--client-burst: /);
  rejects({ 'client-burst': '5' }, /^--client-burst needs --client-qps/);
  rejects({ 'client-key-header': 'x-tenant' }, /^--client-key-header needs --client-qps/);
  rejects({ 'client-qps': '5', 'client-key-header': 'x:tenant' }, /^--client-key-header: "x:tenant" is not a header name$/);
});
