import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** KeyedLimitOptions size a per-key limit; `burst` 0 means none. */
export interface KeyedLimitOptions {
  /** qps is the requests one key may make per one-second window. */
  qps: number;
  /** burst is how many more a key may make, once its qps is spent, per burst window. */
  burst: number;
  /** burstWindowSec is the burst's window. Default 60. */
  burstWindowSec?: number;
}

/** QuotaPolicy is one quota as the RateLimit-Policy header field states it. */
export interface QuotaPolicy {
  name: string;
  quota: number;
  windowSec: number;
}

/** Verdict is a limiter's answer for one request of a key. */
export interface Verdict {
  allowed: boolean;
  /** remaining is what is left of the key's one-second quota. */
  remaining: number;
  /** msBeforeNext is how long until the key's quota is refilled (its window ends). */
  msBeforeNext: number;
}

/** KeyedLimiter lets each key (a client) through at its own rate. */
export interface KeyedLimiter {
  take(key: string): Promise<Verdict>;
  /** policies are the quotas enforced, the one-second quota first. */
  readonly policies: readonly QuotaPolicy[];
}

/**
 * keyedLimiter is rate-limiter-flexible's in-memory limiter, as its authors meant it for keyed
 * inbound limits: `RateLimiterMemory` with `qps` points per one-second window (the window
 * starts at a key's first request, so windows of different clients do not line up), and with
 * a burst, `BurstyRateLimiter` adding a second limiter that is only asked once a key's second
 * is spent (`burst` points per `burstWindowSec`). So a key sustains at most
 * qps + burst / burstWindowSec requests a second.
 *
 * Memory stays bounded however many distinct keys arrive, by the library's own expiry: its
 * store keeps one small record per key whose window is open and deletes it with an unref'd
 * timer when the window ends. So the store holds the keys seen in the last second, plus, for
 * the burst, the keys that spent their second in the last burst window: at most the request
 * rate times the window, whatever the total number of keys ever seen
 * (`keyed.test.ts` measures 100,000 keys coming and going).
 */
export function keyedLimiter(options: KeyedLimitOptions): KeyedLimiter {
  const { qps, burst } = options;
  const burstWindowSec = options.burstWindowSec ?? 60;
  if (!Number.isInteger(qps) || qps < 1 || !Number.isInteger(burst) || burst < 0) {
    throw new RangeError('keyed limiter needs a whole qps ≥ 1 and a whole burst ≥ 0');
  }
  const perSecond = new RateLimiterMemory({ keyPrefix: 'client', points: qps, duration: 1 });
  const limiter =
    burst > 0 ? new BurstyRateLimiter(perSecond, new RateLimiterMemory({ keyPrefix: 'client-burst', points: burst, duration: burstWindowSec })) : perSecond;
  const policies: QuotaPolicy[] = [{ name: 'client', quota: qps, windowSec: 1 }];
  if (burst > 0) policies.push({ name: 'client-burst', quota: burst, windowSec: burstWindowSec });
  return {
    policies,
    take: (key) =>
      limiter.consume(key).then(
        (res) => verdict(true, res),
        (rejected: unknown) => {
          // The library refuses with its result object; anything else is a failure of its own.
          if (rejected instanceof RateLimiterRes) return verdict(false, rejected);
          throw rejected;
        },
      ),
  };
}

function verdict(allowed: boolean, res: RateLimiterRes): Verdict {
  return { allowed, remaining: res.remainingPoints, msBeforeNext: Math.max(0, res.msBeforeNext) };
}
