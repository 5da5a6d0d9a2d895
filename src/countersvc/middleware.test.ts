import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { background, type Logger, nopLogger } from '../kit/context.ts';
import { chain } from '../kit/endpoint.ts';
import { erroringLimiter, isRateLimitedError, tokenBucket } from '../kit/ratelimit/limiter.ts';
import { withPath } from './path-context.ts';
import { makeAddEndpoint } from './endpoints.ts';
import { Expvar } from './expvar.ts';
import { instrumentingMiddleware } from './instrumenting.ts';
import { loggingMiddleware } from './logging.ts';
import { memoryStore } from './memory-store.ts';
import { newCounterService } from './service.ts';
import { isOutOfRangeError, StoreUnavailableError, type Store } from './store.ts';
import { metricValue } from '../../test/support/metrics.ts';

function recordingLogger(): { logger: Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const logger: Logger = { ...nopLogger, info: (obj) => void records.push(obj as Record<string, unknown>), child: () => logger };
  return { logger, records };
}

/** The cmd's onion with a frozen clock, so the bucket never refills during the test. */
function onion(burst = 2, store: Store = memoryStore()) {
  const { logger, records } = recordingLogger();
  const registry = new Registry();
  const vars = new Expvar();
  const add = chain(
    loggingMiddleware({ logger }),
    instrumentingMiddleware({ requestCount: vars.newInt('request.count'), registry, prefix: 't_' }),
    erroringLimiter(tokenBucket({ rate: 0.5, burst, now: () => 0 })),
  )(makeAddEndpoint(newCounterService(store)));
  return { add, records, registry, vars };
}

test("logging → metrics → rate limit → add: refused adds are still logged and counted, as in the article", async () => {
  const { add, records, registry, vars } = onion();
  const ctx = withPath(background(nopLogger, 'req-1'), '/add');
  assert.deepEqual(await add(ctx, { v: 1 }), { v: 1 });
  assert.deepEqual(await add(ctx, { v: 2 }), { v: 3 });
  await assert.rejects(add(ctx, { v: 3 }), isRateLimitedError);

  assert.equal(records.length, 3);
  assert.deepEqual({ ...records[0], elapsed: undefined }, { path: '/add', request: 1, result: 1, err: null, request_id: 'req-1', elapsed: undefined });
  assert.deepEqual({ ...records[2], elapsed: undefined }, { path: '/add', request: 3, result: null, err: 'rate limit exceeded', request_id: 'req-1', elapsed: undefined });
  assert.match(String(records[0]!['elapsed']), /^[\d.]+(µs|ms|s)$/);

  assert.match(vars.render(), /"request\.count": 3/);
  const text = await registry.metrics();
  assert.match(text, /^t_request_count\{outcome="ok"\} 2$/m);
  assert.match(text, /^t_request_count\{outcome="rate_limited"\} 1$/m);
});

test('an add leaving the safe range is refused, logged, counted as invalid and changes nothing', async () => {
  const { add, records, registry } = onion(3);
  const ctx = background();
  assert.deepEqual(await add(ctx, { v: 5 }), { v: 5 });
  await assert.rejects(add(ctx, { v: Number.MAX_SAFE_INTEGER }), isOutOfRangeError);
  assert.match(String(records[1]!['err']), /safe-integer range/);
  assert.equal(records[1]!['path'], '');
  assert.match(await registry.metrics(), /^t_request_count\{outcome="invalid"\} 1$/m);
  assert.deepEqual(await add(ctx, { v: 0 }), { v: 5 });
});

test('a store failure is counted as unavailable, anything unforeseen as error, each with its own series', async () => {
  let failure: Error = new StoreUnavailableError('total not updated: 50 attempts conflicted with other writers');
  const { add, registry } = onion(3, { add: () => Promise.reject(failure) });
  await assert.rejects(add(background(), { v: 1 }), failure);
  failure = new TypeError('a bug');
  await assert.rejects(add(background(), { v: 1 }), failure);
  await assert.rejects(add(background(), { v: 1 }), failure);
  const text = await registry.metrics();
  assert.equal(metricValue(text, 't_request_count', { outcome: 'unavailable' }), 1);
  assert.equal(metricValue(text, 't_request_count', { outcome: 'error' }), 2);
  assert.equal(metricValue(text, 't_request_count', { outcome: 'ok' }, { absentAs: 0 }), 0);
});
