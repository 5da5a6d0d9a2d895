import { classify } from './classify.ts';
import { isNoEndpointsError, isNoHealthyEndpointsError } from '../kit/lb/balancer.ts';
import { isRetryError } from '../kit/lb/retry.ts';
import { isRateLimitedError } from '../kit/ratelimit/limiter.ts';
import { retryAfterSeconds } from '../kit/ratelimit/retry-after.ts';

/**
 * UpstreamFailure says how to answer an infrastructure error raised behind an endpoint
 * (the proxying frontend's retry, balancer, breakers): a status and a message for the client.
 */
export type UpstreamFailure = { status: number; message: string; headers?: Record<string, string> };

/**
 * upstreamFailure answers the frontend's infrastructure errors: 504 when the deadline
 * ran out, 429 when retrying ended on a bucket's refusal, 502 when an instance answered
 * badly, 503 when nothing could answer (no endpoints, breakers open, unreachable).
 * The message is short and fixed per cause; the attempts' detail goes to the log.
 */
export function upstreamFailure(err: unknown): UpstreamFailure | undefined {
  switch (classify(err)) {
    case 'deadline':
      return { status: 504, message: 'upstream deadline exceeded' };
    case 'rate_limited':
      return { status: 429, message: 'upstream rate limit exceeded', ...retryAfter(err) };
    case 'bad_upstream':
      return { status: 502, message: 'bad upstream response' };
    case 'unavailable':
      return { status: 503, message: unavailableMessage(err) };
    default:
      return undefined;
  }
}

function unavailableMessage(err: unknown): string {
  const last = isRetryError(err) ? err.attempts.at(-1)?.error : err;
  if (isNoEndpointsError(last)) return 'no upstream endpoints available';
  if (isNoHealthyEndpointsError(last)) return 'every upstream circuit breaker is open';
  return 'no upstream instance reachable';
}

/**
 * retryAfter is the soonest any refusing instance's bucket has a token again: the client may
 * try then (and the retry would pick that instance among the others).
 */
function retryAfter(err: unknown): { headers?: Record<string, string> } {
  const errors = isRetryError(err) ? err.attempts.map((a) => a.error) : [err];
  let soonest = Infinity;
  for (const e of errors) if (isRateLimitedError(e) && e.retryAfterMs !== undefined) soonest = Math.min(soonest, e.retryAfterMs);
  return soonest === Infinity ? {} : { headers: { 'retry-after': String(retryAfterSeconds(soonest)) } };
}
