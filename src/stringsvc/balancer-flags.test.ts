import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../kit/cli.ts';
import { balancerChoice } from './balancer-flags.ts';

test('balancer flags: round robin by default; p2c-ewma with its decay; mistakes are usage errors', () => {
  assert.deepEqual(balancerChoice({ balancer: 'round-robin', 'balancer-decay': '10s' }), { kind: 'round-robin', decayMs: 10_000 });
  assert.deepEqual(balancerChoice({ balancer: 'p2c-ewma', 'balancer-decay': '500ms' }), { kind: 'p2c-ewma', decayMs: 500 });
  assert.equal(balancerChoice({ balancer: 'least-request', 'balancer-decay': '10s' }).kind, 'least-request');
  assert.throws(() => balancerChoice({ balancer: 'random', 'balancer-decay': '10s' }), { name: 'UsageError', message: /round-robin, p2c-ewma, least-request/ });
  assert.throws(() => balancerChoice({ balancer: 'p2c-ewma', 'balancer-decay': '0s' }), UsageError);
});
