import { test } from 'node:test';
import assert from 'node:assert/strict';
import { background } from '../context.ts';
import { erroringLimiter, isRateLimitedError, tokenBucket } from './limiter.ts';

async function takeMany(allow: () => boolean, n: number): Promise<number> {
  let ok = 0;
  for (let i = 0; i < n; i++) if (await allow()) ok++;
  return ok;
}

test('a full bucket lets exactly `burst` calls through, then refills at `rate`', async () => {
  let now = 0;
  const bucket = tokenBucket({ rate: 10, burst: 5, now: () => now });
  const allow = () => bucket.allow();
  assert.equal(await takeMany(allow, 5), 5);
  assert.equal(await allow(), false);
  now += 99; // 0.99 token: still nothing
  assert.equal(await allow(), false);
  now += 1; // 1 token
  assert.equal(await allow(), true);
  assert.equal(await allow(), false);
  now += 300; // 3 tokens
  assert.equal(await takeMany(allow, 10), 3);
  now += 60_000; // a long quiet spell refills to burst, not beyond
  assert.equal(await takeMany(allow, 10), 5);
});

test('refusals do not consume tokens', async () => {
  let now = 0;
  const bucket = tokenBucket({ rate: 1, burst: 1, now: () => now });
  assert.equal(await bucket.allow(), true);
  assert.equal(await takeMany(() => bucket.allow(), 50), 0);
  now += 1000;
  assert.equal(await bucket.allow(), true);
});

test('concurrent callers never overdraw the bucket', async () => {
  const bucket = tokenBucket({ rate: 1, burst: 20, now: () => 0 });
  const results = await Promise.all(Array.from({ length: 50 }, () => bucket.allow()));
  assert.equal(results.filter(Boolean).length, 20);
});

test('defaults to 100/s with a burst of 100', async () => {
  let now = 0;
  const bucket = tokenBucket({ now: () => now });
  assert.equal(await takeMany(() => bucket.allow(), 150), 100);
  now += 500;
  assert.equal(await takeMany(() => bucket.allow(), 150), 50);
});

test('the middleware throws RateLimitedError without calling next, and reports it', async () => {
  let calls = 0;
  let limited = 0;
  const e = erroringLimiter<string, string>(tokenBucket({ rate: 1, burst: 2, now: () => 0 }), { onLimited: () => limited++ })(
    async (_ctx, s) => { calls++; return s; },
  );
  assert.equal(await e(background(), 'a'), 'a');
  assert.equal(await e(background(), 'b'), 'b');
  await assert.rejects(e(background(), 'c'), isRateLimitedError);
  assert.equal(calls, 2);
  assert.equal(limited, 1);
});

test('fractional rates accumulate across many small refills', async () => {
  let now = 0;
  const bucket = tokenBucket({ rate: 0.3, burst: 1, now: () => now });
  assert.equal(await bucket.allow(), true);
  for (let i = 0; i < 333; i++) { now += 10; assert.equal(await bucket.allow(), false); } // 3.33 s → 0.999 token
  now += 10;
  assert.equal(await bucket.allow(), true);
});

test('burst semantics: after a quiet spell exactly `burst` calls pass at once, then one per 1/rate seconds', () => {
  let now = 0;
  const bucket = tokenBucket({ rate: 2, burst: 3, now: () => now });
  now += 10_000;
  const passed = Array.from({ length: 5 }, () => bucket.allow());
  assert.deepEqual(passed, [true, true, true, false, false]);
  now += 499;
  assert.equal(bucket.allow(), false, 'not a whole token yet');
  now += 1;
  assert.equal(bucket.allow(), true, 'one token per 500 ms');
  assert.equal(bucket.allow(), false);
});

test('an empty bucket says when its next token comes, and the refusal carries it', async () => {
  let now = 0;
  const bucket = tokenBucket({ rate: 4, burst: 1, now: () => now });
  assert.equal(bucket.msUntilAllowed?.(), 0);
  const e = erroringLimiter<string, string>(bucket)(async (_ctx, s) => s);
  assert.equal(await e(background(), 'a'), 'a');
  const refused = await e(background(), 'b').then(() => undefined, (err: unknown) => err);
  assert.ok(isRateLimitedError(refused));
  assert.equal(refused.retryAfterMs, 250);
  now += 100;
  assert.equal(bucket.msUntilAllowed?.(), 150);
  now += 150;
  assert.equal(bucket.msUntilAllowed?.(), 0);
});
