import type { Allower } from './limiter.ts';

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
  return {
    allow() {
      const t = now();
      if (t > last) {
        credit = Math.min(full, credit + (t - last) * rate);
        last = t;
      }
      if (credit < perToken) return false;
      credit -= perToken;
      return true;
    },
  };
}
