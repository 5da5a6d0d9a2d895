import type { Middleware } from '../endpoint.ts';

/** Allower decides whether one more call may go ahead now (go-kit `ratelimit.Allower`). */
export interface Allower {
  allow(): boolean;
}

/** RateLimitedError is thrown instead of calling an endpoint whose limiter refused. */
export class RateLimitedError extends Error {
  override readonly name = 'RateLimitedError';

  constructor(message = 'rate limit exceeded') {
    super(message);
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
      throw new RateLimitedError();
    }
    return next(ctx, request);
  };
}
