import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BrokenCircuitError } from '../kit/circuitbreaker/breaker.ts';
import { RateLimitedError } from '../kit/ratelimit/limiter.ts';
import { UpstreamError } from '../kit/transport/http/client.ts';
import { NoEndpointsError, NoHealthyEndpointsError } from '../kit/lb/balancer.ts';
import { classify } from './classify.ts';
import { RetryError } from '../kit/lb/retry.ts';

const timeout = new UpstreamError('timeout', 'a:1', 'timed out');
const refused = new UpstreamError('unreachable', 'a:1', 'ECONNREFUSED');
const bad = new UpstreamError('bad_response', 'a:1', 'HTTP 500', { status: 500 });

function retried(errors: unknown[], deadlineExceeded = false): RetryError {
  return new RetryError(errors.map((error, i) => ({ attempt: i + 1, instance: 'a:1', error })), { deadlineExceeded, budgetExhausted: false });
}

test('single errors map to their category', () => {
  assert.equal(classify(timeout), 'deadline');
  assert.equal(classify(refused), 'unavailable');
  assert.equal(classify(bad), 'bad_upstream');
  assert.equal(classify(new RateLimitedError()), 'rate_limited');
  assert.equal(classify(new BrokenCircuitError()), 'unavailable');
  assert.equal(classify(new NoEndpointsError()), 'unavailable');
  assert.equal(classify(new NoHealthyEndpointsError(['a:1'])), 'unavailable');
  assert.equal(classify(new DOMException('deadline', 'TimeoutError')), 'deadline');
  assert.equal(classify(new TypeError('a bug')), undefined);
});

test('retry errors: deadline first, then any bad answer, a last attempt refused by a bucket, all timeouts, else unavailable', () => {
  assert.equal(classify(retried([bad, refused], true)), 'deadline');
  assert.equal(classify(retried([new RateLimitedError(), new RateLimitedError()])), 'rate_limited');
  assert.equal(classify(retried([timeout, new RateLimitedError()])), 'rate_limited', 'retrying ended on our own budget');
  assert.equal(classify(retried([bad, new RateLimitedError()])), 'bad_upstream');
  assert.equal(classify(retried([new RateLimitedError(), new BrokenCircuitError()])), 'unavailable');
  assert.equal(classify(retried([refused, bad])), 'bad_upstream');
  assert.equal(classify(retried([timeout, timeout])), 'deadline');
  assert.equal(classify(retried([timeout, refused])), 'unavailable');
  assert.equal(classify(retried([new NoHealthyEndpointsError(['a:1'])])), 'unavailable');
  assert.equal(classify(retried([new NoEndpointsError()])), 'unavailable');
  assert.equal(classify(retried([new TypeError('a bug')])), undefined);
});
