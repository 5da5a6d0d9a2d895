import { test } from 'node:test';
import assert from 'node:assert/strict';
import { refusalHeaders } from './headers.ts';

test('a refusal states Retry-After and the draft RateLimit fields, t and Retry-After alike, rounded up', () => {
  const policies = [
    { name: 'client', quota: 10, windowSec: 1 },
    { name: 'client-burst', quota: 20, windowSec: 60 },
  ];
  assert.deepEqual(refusalHeaders(policies, { allowed: false, remaining: 0, msBeforeNext: 420 }), {
    'retry-after': '1',
    'ratelimit-policy': '"client";q=10;w=1, "client-burst";q=20;w=60',
    ratelimit: '"client";r=0;t=1',
  });
  assert.equal(refusalHeaders(policies.slice(0, 1), { allowed: false, remaining: 0, msBeforeNext: 1001 }).ratelimit, '"client";r=0;t=2');
});
