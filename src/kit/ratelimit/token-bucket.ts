import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { Middleware } from '../endpoint.ts';
import { erroringLimiter, type Allower, type LimiterOptions } from './limiter.ts';

/** TokenBucketOptions sizes a token bucket; every field is optional. */
export interface TokenBucketOptions {
  /** rate is how many tokens are added per second. Default 100. */
  rate?: number;
  /** burst is the bucket size, i.e. how many calls may go at once after a quiet spell. Default 100. */
  burst?: number;
  /** now is the clock driving refills; injectable for tests. */
  now?(): number;
}

const KEY = 'bucket';
/** Milli-tokens per token: rate-limiter-flexible truncates counters to integers. */
const SCALE = 1000;

/**
 * tokenBucket is a true token bucket (`rate` tokens/s, capacity `burst`, starts full) kept
 * in a rate-limiter-flexible RateLimiterMemory.
 *
 * rate-limiter-flexible 11 only ships fixed windows (`points` per `duration`), which let
 * up to twice the budget through around a window edge, and BurstyRateLimiter is two such
 * windows. So the mapping is: `points = burst` with `duration = 0` (the counter never
 * expires) makes the library's consumed-points counter the bucket's deficit
 * (`tokens = burst - consumed`); `consume(1)` admits iff a whole token is left; the
 * elapsed time since the last call is paid back with `reward(elapsed * rate)` and
 * clamped at a full bucket. The library keeps integer counters, so the bucket is held in
 * milli-tokens (`SCALE`) with the sub-milli-token remainder carried to the next refill.
 * Calls are serialised so a refill and its consume never interleave with another call's.
 */
export function tokenBucket(options: TokenBucketOptions = {}): Allower {
  const rate = options.rate ?? 100;
  const burst = options.burst ?? 100;
  const now = options.now ?? Date.now;
  if (!(rate > 0) || !(burst >= 1)) throw new RangeError('token bucket needs rate > 0 and burst >= 1');
  const store = new RateLimiterMemory({ points: Math.floor(burst * SCALE), duration: 0 });
  let last = now();
  let carry = 0;
  let queue: Promise<unknown> = Promise.resolve();

  const take = async (): Promise<boolean> => {
    const t = now();
    // ms × tokens/s = milli-tokens.
    const exact = Math.max(0, t - last) * rate + carry;
    const refill = Math.floor(exact);
    carry = exact - refill;
    last = Math.max(last, t);
    if (refill > 0) {
      const res = await store.reward(KEY, refill);
      if (res.consumedPoints < 0) {
        carry = 0;
        await store.set(KEY, 0, 0);
      }
    }
    try {
      await store.consume(KEY, SCALE);
      return true;
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) throw err;
      // A refused consume still counted; give it back so refusals cost nothing.
      await store.reward(KEY, SCALE);
      return false;
    }
  };

  return {
    allow() {
      const result = queue.then(take);
      queue = result.catch(() => undefined);
      return result;
    },
  };
}

/**
 * tokenBucketLimiter is the per-instance rate limit middleware: a tokenBucket behind an
 * erroringLimiter. Defaults to 100/s with a burst of 100, which is what the go-kit
 * tutorial means by `maxQPS` (its example code builds a 1/s bucket by mistake).
 */
export function tokenBucketLimiter<Req, Res>(options: TokenBucketOptions & LimiterOptions = {}): Middleware<Req, Res> {
  return erroringLimiter(tokenBucket(options), options);
}
