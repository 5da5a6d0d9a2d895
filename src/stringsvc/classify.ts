import { isBrokenCircuitError } from '../kit/circuitbreaker/breaker.ts';
import { isDeadlineReason } from '../kit/context.ts';
import { isRateLimitedError } from '../kit/ratelimit/limiter.ts';
import { isUpstreamError } from '../kit/transport/http/client.ts';
import { isNoEndpointsError, isNoHealthyEndpointsError } from '../kit/lb/balancer.ts';
import { isRetryError } from '../kit/lb/retry.ts';

/**
 * FailureCategory is how a failed upstream call should be reported downstream;
 * upstreamFailure (upstream-status.ts) maps them to 504, 429, 503 and 502.
 */
export type FailureCategory = 'deadline' | 'rate_limited' | 'unavailable' | 'bad_upstream';

/**
 * classify maps a client-side failure to its category, or undefined when the error is
 * not an upstream failure at all (a bug: answer 500). For a RetryError:
 * the overall deadline → `deadline`; any attempt answered badly → `bad_upstream` (an
 * instance is up but misbehaving); the last attempt refused by its instance's bucket →
 * `rate_limited` (retrying ended on our own budget, whatever the earlier attempts met, so
 * the client is told to back off, not that the service is down); every attempt timed out →
 * `deadline`; otherwise (no endpoints, breakers open, unreachable, mixed) → `unavailable`.
 */
export function classify(err: unknown): FailureCategory | undefined {
  if (!isRetryError(err)) return classifyOne(err);
  if (err.deadlineExceeded) return 'deadline';
  const categories = err.attempts.map((a) => classifyOne(a.error));
  if (categories.length === 0 || categories.every((c) => c === undefined)) return undefined;
  if (categories.includes('bad_upstream')) return 'bad_upstream';
  if (categories.at(-1) === 'rate_limited') return 'rate_limited';
  if (categories.every((c) => c === 'deadline')) return 'deadline';
  return 'unavailable';
}

function classifyOne(err: unknown): FailureCategory | undefined {
  if (isUpstreamError(err)) {
    return err.kind === 'timeout' ? 'deadline' : err.kind === 'bad_response' ? 'bad_upstream' : 'unavailable';
  }
  if (isRateLimitedError(err)) return 'rate_limited';
  if (isBrokenCircuitError(err) || isNoEndpointsError(err) || isNoHealthyEndpointsError(err)) return 'unavailable';
  if (isDeadlineReason(err)) return 'deadline';
  return undefined;
}
