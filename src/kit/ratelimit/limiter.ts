import type { Middleware } from '../endpoint.ts';

/** Allower decides whether one more call may go ahead now (go-kit `ratelimit.Allower`). */
export interface Allower {
  allow(): boolean;
  /** msUntilAllowed is how long until `allow` could say yes again (0: now), for a Retry-After. */
  msUntilAllowed?(): number;
}

/** RateLimitedError is thrown instead of calling an endpoint whose limiter refused. */
export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError';
  /** retryAfterMs is when the refusing limiter expects to allow a call again, when it knows. */
  readonly retryAfterMs: number | undefined;

  constructor(message = 'rate limit exceeded', retryAfterMs?: number) {
    super(message);
    this.retryAfterMs = retryAfterMs;
  }
}

/** isRateLimitedError is the type guard for RateLimitedError. */
export function isRateLimitedError(err: unknown): err is RateLimitedError {
  return err instanceof RateLimitedError;
}

/** LimiterOptions carries the limiter's events. */
export interface LimiterOptions {
  /** onLimited is called for every refused call, e.g. to count it. */
  onLimited?(): void;
}

/**
 * erroringLimiter refuses calls the Allower rejects with a RateLimitedError, without
 * calling next (go-kit `ratelimit.NewErroringLimiter`). Refusing rather than queueing
 * keeps latency bounded; the retry layer can then try another instance.
 */
export function erroringLimiter<Req, Res>(allower: Allower, options: LimiterOptions = {}): Middleware<Req, Res> {
  return (next) => async (ctx, request) => {
    if (!allower.allow()) {
      options.onLimited?.();
      throw new RateLimitedError(undefined, allower.msUntilAllowed?.());
    }
    return next(ctx, request);
  };
}

/** TokenBucketOptions sizes a token bucket; every field is optional. */
export interface TokenBucketOptions {
  /** rate is how many tokens are added per second. Default 100. */
  rate?: number;
  /** burst is the bucket size, i.e. how many calls may go at once after a quiet spell. Default 100. */
  burst?: number;
  /** now is the clock driving refills, in milliseconds; injectable for tests. */
  now?(): number;
}

/** Credit per token: credit is kept in token-milliseconds × rate, so whole-millisecond refills add up exactly. */
const perToken = 1000;

/**
 * tokenBucket is a token bucket: it holds at most `burst` tokens, starts full, gains `rate`
 * tokens a second, and `allow` takes one token or refuses (refusals take nothing). It is a
 * plain synchronous bucket rather than rate-limiter-flexible: that library's limiters are
 * fixed windows (up to twice the budget around a window edge) behind an asynchronous store
 * API, and an in-process bucket needs neither a store nor a promise per call.
 */
export function tokenBucket(options: TokenBucketOptions = {}): Allower {
  const rate = options.rate ?? 100;
  const burst = options.burst ?? 100;
  const now = options.now ?? Date.now;
  if (!(rate > 0) || !(burst >= 1)) throw new RangeError('token bucket needs rate > 0 and burst >= 1');
  const full = burst * perToken;
  let credit = full;
  let last = now();
  const refill = () => {
    const t = now();
    if (t > last) {
      credit = Math.min(full, credit + (t - last) * rate);
      last = t;
    }
  };
  return {
    allow() {
      refill();
      if (credit < perToken) return false;
      credit -= perToken;
      return true;
    },
    msUntilAllowed() {
      refill();
      // Credit grows by `rate` per millisecond.
      return credit >= perToken ? 0 : Math.ceil((perToken - credit) / rate);
    },
  };
}
