import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokenCircuitError } from '../kit/circuitbreaker/breaker.ts';
import { NoEndpointsError, NoHealthyEndpointsError } from '../kit/lb/balancer.ts';
import { RetryError } from '../kit/lb/retry.ts';
import { RateLimitedError } from '../kit/ratelimit/limiter.ts';
import { UpstreamError } from '../kit/transport/http/client.ts';
import { upstreamFailure } from './upstream-status.ts';

function failed(errors: unknown[], deadlineExceeded = false): RetryError {
  return new RetryError(errors.map((error, i) => ({ attempt: i + 1, instance: 'a:1', error })), { deadlineExceeded, budgetExhausted: false });
}

test('maps each failure category to its status and a fixed message', () => {
  const cases: Array<[unknown, number, string]> = [
    [failed([new NoEndpointsError()]), 503, 'no upstream endpoints available'],
    [failed([new NoHealthyEndpointsError(['a:1'])]), 503, 'every upstream circuit breaker is open'],
    [failed([new UpstreamError('unreachable', 'a:1', 'ECONNREFUSED'), new BrokenCircuitError()]), 503, 'no upstream instance reachable'],
    [failed([new UpstreamError('timeout', 'a:1', 'timed out')], true), 504, 'upstream deadline exceeded'],
    [failed([new RateLimitedError(), new RateLimitedError()]), 429, 'upstream rate limit exceeded'],
    [failed([new UpstreamError('bad_response', 'a:1', 'HTTP 500', { status: 500 })]), 502, 'bad upstream response'],
  ];
  for (const [err, status, message] of cases) assert.deepEqual(upstreamFailure(err), { status, message });
});

test('leaves errors that are not upstream failures alone (500 by default)', () => {
  assert.equal(upstreamFailure(new Error('bug')), undefined);
  assert.equal(upstreamFailure(failed([new TypeError('bug')])), undefined);
});

test('a 429 says when the soonest refusing bucket has a token again, in whole seconds rounded up', () => {
  const soon = failed([new RateLimitedError(undefined, 2_400), new RateLimitedError(undefined, 1_200), new RateLimitedError(undefined, 3_000)]);
  assert.deepEqual(upstreamFailure(soon)?.headers, { 'retry-after': '2' });
  // A token due in 10 ms still waits a whole second: Retry-After has no finer unit, and 0 would invite a burst of retries.
  assert.deepEqual(upstreamFailure(failed([new RateLimitedError(undefined, 10)]))?.headers, { 'retry-after': '1' });
});
