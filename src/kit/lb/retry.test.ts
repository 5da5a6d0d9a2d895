import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { background, type Context } from '../context.ts';
import { Endpointer } from '../sd/endpointer.ts';
import { resilientFactory } from '../sd/factory.ts';
import { FixedInstancer } from '../sd/instancer.ts';
import { json, startLoopback, type Loopback, type LoopbackHandler } from '../../../test/support/loopback.ts';
import { httpClient, isUpstreamError } from '../transport/http/client.ts';
import { isRateLimitedError } from '../ratelimit/limiter.ts';
import { isNoEndpointsError, isNoHealthyEndpointsError } from './balancer.ts';
import { classify } from './classify.ts';
import { isRetryError, retry, type RetryInfo, type RetryOptions } from './retry.ts';
import { retryBudget } from './retry-budget.ts';
import { roundRobin } from './round-robin.ts';

interface Req { s: string }
interface Res { v: string; err?: string }

const ok: LoopbackHandler = (_req, res) => json(res, { v: 'OK' });
const broken: LoopbackHandler = (_req, res) => json(res, { error: 'boom' }, 500);
const hang: LoopbackHandler = () => {};

/** fleet starts one loopback server per handler and returns a retrying endpoint over them. */
async function fleet(t: TestContext, handlers: LoopbackHandler[], options: RetryOptions, stack: { timeoutMs?: number; burst?: number; rate?: number; consecutiveFailures?: number } = {}) {
  const servers: Loopback[] = [];
  for (const h of handlers) servers.push(await startLoopback(h));
  // Ports are random, so name the instances in handler order for determinism.
  const order = new Map(servers.map((s, i) => [s.instance, i]));
  const endpointer = new Endpointer<Req, Res>(
    new FixedInstancer(servers.map((s) => s.instance)),
    resilientFactory({
      client: (instance) => httpClient({ instance, path: '/uppercase', decode: (b) => b as Res, timeoutMs: stack.timeoutMs ?? 1000 }),
      tokenBucket: { burst: stack.burst ?? 100, rate: stack.rate ?? 100 },
      breaker: { consecutiveFailures: stack.consecutiveFailures ?? 5 },
    }),
  );
  const sorted = { endpoints: () => [...endpointer.endpoints()].sort((a, b) => order.get(a.instance)! - order.get(b.instance)!) };
  t.after(async () => {
    endpointer.close();
    await Promise.all(servers.map((s) => s.close()));
  });
  return { servers, endpoint: retry<Req, Res>(options)(roundRobin(sorted)) };
}

test('each attempt goes to the next instance', async (t) => {
  const retries: RetryInfo[] = [];
  const { servers, endpoint } = await fleet(t, [broken, broken, ok], { onRetry: (i) => retries.push(i) });
  assert.deepEqual(await endpoint(background(), { s: 'x' }), { v: 'OK' });
  assert.deepEqual(servers.map((s) => s.received.length), [1, 1, 1]);
  assert.deepEqual(retries.map((r) => [r.attempt, r.previous.instance]), [[2, servers[0]!.instance], [3, servers[1]!.instance]]);
});

test('stops at maxAttempts and lists every attempt error', async (t) => {
  const { servers, endpoint } = await fleet(t, [broken, broken, broken], { maxAttempts: 2 });
  await assert.rejects(endpoint(background(), { s: 'x' }), (e) => {
    assert.ok(isRetryError(e));
    assert.deepEqual(e.attempts.map((a) => [a.attempt, a.instance]), [[1, servers[0]!.instance], [2, servers[1]!.instance]]);
    assert.ok(e.attempts.every((a) => isUpstreamError(a.error) && a.error.status === 500));
    assert.equal(e.deadlineExceeded, false);
    assert.equal(classify(e), 'bad_upstream');
    return true;
  });
  assert.equal(servers[2]!.received.length, 0);
});

test('one overall deadline bounds all attempts against hanging servers', async (t) => {
  const { endpoint } = await fleet(t, [hang, hang, hang], { maxAttempts: 5, maxTimeMs: 250 }, { timeoutMs: 100 });
  const started = Date.now();
  await assert.rejects(endpoint(background(), { s: 'x' }), (e) => {
    assert.ok(isRetryError(e));
    assert.equal(e.deadlineExceeded, true);
    // 100 + 100 + the 50 ms left; a loaded machine may only fit two.
    assert.ok(e.attempts.length >= 2 && e.attempts.length <= 3, `${e.attempts.length} attempts`);
    assert.ok(e.attempts.every((a) => isUpstreamError(a.error) && a.error.kind === 'timeout'));
    assert.equal(classify(e), 'deadline');
    return true;
  });
  const took = Date.now() - started;
  assert.ok(took >= 240 && took < 600, `took ${took}ms`);
});

test('business errors are returned, not retried', async (t) => {
  const { servers, endpoint } = await fleet(t, [(_q, r) => json(r, { v: '', err: 'empty string' }), ok], {});
  assert.deepEqual(await endpoint(background(), { s: '' }), { v: '', err: 'empty string' });
  assert.deepEqual(servers.map((s) => s.received.length), [1, 0]);
});

test('caller cancellation is rethrown at once, without retrying', async (t) => {
  const { servers, endpoint } = await fleet(t, [hang, hang], { maxTimeMs: 5000 }, { timeoutMs: 5000 });
  const ac = new AbortController();
  const reason = new DOMException('client closed the request', 'AbortError');
  const ctx: Context = { ...background(), signal: ac.signal };
  setTimeout(() => ac.abort(reason), 30);
  await assert.rejects(endpoint(ctx, { s: 'x' }), (e) => e === reason);
  assert.deepEqual(servers.map((s) => s.received.length), [1, 0]);
});

test('the retry budget can stop retries', async (t) => {
  const budget = retryBudget({ ratio: 0, minRetriesPerSecond: 0 });
  const { servers, endpoint } = await fleet(t, [broken, ok], { budget });
  await assert.rejects(endpoint(background(), { s: 'x' }), (e) => isRetryError(e) && e.budgetExhausted && e.attempts.length === 1);
  assert.deepEqual(servers.map((s) => s.received.length), [1, 0]);
});

test('all instances rate-limited is reported as rate_limited', async (t) => {
  const { servers, endpoint } = await fleet(t, [ok, ok], {}, { burst: 1, rate: 0.001 });
  await endpoint(background(), { s: 'x' });
  await endpoint(background(), { s: 'x' });
  await assert.rejects(endpoint(background(), { s: 'x' }), (e) => {
    assert.ok(isRetryError(e));
    assert.ok(e.attempts.every((a) => isRateLimitedError(a.error)));
    assert.equal(classify(e), 'rate_limited');
    return true;
  });
  assert.deepEqual(servers.map((s) => s.received.length), [1, 1], 'limited calls never reach the upstream');
});

test('once every breaker is open, calls fail fast without touching any upstream', async (t) => {
  const { servers, endpoint } = await fleet(t, [broken, broken], { maxAttempts: 2 }, { consecutiveFailures: 1 });
  await assert.rejects(endpoint(background(), { s: 'x' }), isRetryError);
  await assert.rejects(endpoint(background(), { s: 'x' }), (e) => {
    assert.ok(isRetryError(e));
    assert.equal(e.attempts.length, 1, 'no point retrying an all-open fleet');
    assert.ok(isNoHealthyEndpointsError(e.attempts[0]!.error));
    assert.equal(classify(e), 'unavailable');
    return true;
  });
  assert.deepEqual(servers.map((s) => s.received.length), [1, 1]);
});

test('an empty instance set fails with NoEndpointsError after one attempt', async () => {
  const e = retry<Req, Res>({})(roundRobin({ endpoints: () => [] }));
  await assert.rejects(e(background(), { s: 'x' }), (err) => {
    assert.ok(isRetryError(err) && err.attempts.length === 1 && isNoEndpointsError(err.attempts[0]!.error));
    assert.equal(classify(err), 'unavailable');
    return true;
  });
});

test('a retry never lands on an instance this call failed on while another is healthy', async () => {
  // Concurrent calls share the rotation: after a fails, the others can move it round to a
  // again. This balancer replays that worst case: it offers a unless told a was tried.
  const calls: string[] = [];
  const endpoints = ['a:1', 'b:1', 'c:1'].map((instance) => ({
    instance,
    healthy: () => true,
    endpoint: async () => {
      calls.push(instance);
      if (instance === 'a:1') throw new Error('connect ECONNREFUSED');
      return { v: instance };
    },
  }));
  const stuck = { pick: (tried?: readonly string[]) => endpoints.find((e) => !tried?.includes(e.instance)) ?? endpoints[0]! };
  assert.deepEqual(await retry<Req, Res>({ maxAttempts: 3 })(stuck)(background(), { s: 'x' }), { v: 'b:1' });
  assert.deepEqual(calls, ['a:1', 'b:1']);
});
