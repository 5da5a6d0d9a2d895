import { test } from 'node:test';
import assert from 'node:assert/strict';
import { background } from '../context.ts';
import { isNoEndpointsError, roundRobin } from './balancer.ts';
import { isRetryError, retry } from './retry.ts';

interface Req { s: string }
interface Res { v: string; err?: string }

test('an empty instance set fails with NoEndpointsError after one attempt', async () => {
  const e = retry<Req, Res>({})(roundRobin({ endpoints: () => [] }));
  await assert.rejects(e(background(), { s: 'x' }), (err) => {
    assert.ok(isRetryError(err) && err.attempts.length === 1 && isNoEndpointsError(err.attempts[0]!.error));
    return true;
  });
});

test('a retry never lands on an instance this call failed on while another is healthy', async () => {
  // Concurrent calls share the rotation: after a fails, the others can move it round to a
  // again. This balancer replays that worst case: it offers a unless told a was tried.
  const calls: string[] = [];
  const endpoints = ['a:1', 'b:1', 'c:1'].map((instance) => ({
    instance,
    healthy: () => true,
    endpoint: async () => {
      calls.push(instance);
      if (instance === 'a:1') throw new Error('connect ECONNREFUSED');
      return { v: instance };
    },
  }));
  const stuck = { pick: (tried?: readonly string[]) => endpoints.find((e) => !tried?.includes(e.instance)) ?? endpoints[0]! };
  assert.deepEqual(await retry<Req, Res>({ maxAttempts: 3 })(stuck)(background(), { s: 'x' }), { v: 'b:1' });
  assert.deepEqual(calls, ['a:1', 'b:1']);
});

test('retryable is the one predicate that stops retrying', async () => {
  const calls: string[] = [];
  const fatal = new Error('do not retry me');
  const endpoints = ['a:1', 'b:1'].map((instance) => ({
    instance,
    healthy: () => true,
    endpoint: async (): Promise<Res> => {
      calls.push(instance);
      throw fatal;
    },
  }));
  const e = retry<Req, Res>({ maxAttempts: 3, retryable: (err) => err !== fatal })(roundRobin({ endpoints: () => endpoints }));
  await assert.rejects(e(background(), { s: 'x' }), (err) => isRetryError(err) && err.attempts.length === 1);
  assert.deepEqual(calls, ['a:1']);
});
