import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { background, type Context } from '../kit/context.ts';
import { isBrokenCircuitError } from '../kit/circuitbreaker/breaker.ts';
import { isNoHealthyEndpointsError, roundRobin } from '../kit/lb/balancer.ts';
import { isRetryError, retry, type RetryInfo, type RetryOptions } from '../kit/lb/retry.ts';
import { retryBudget } from '../kit/lb/retry-budget.ts';
import { isRateLimitedError } from '../kit/ratelimit/limiter.ts';
import { Endpointer } from '../kit/sd/endpointer.ts';
import { FixedInstancer, InstanceBroadcaster } from '../kit/sd/instancer.ts';
import { isUpstreamError } from '../kit/transport/http/client.ts';
import { json, type Loopback, type LoopbackHandler, startLoopback } from '../../test/support/loopback.ts';
import { classify } from './classify.ts';
import { instanceFactory, type RemoteMethod } from './proxying.ts';

// The client stack of proxying.ts against real loopback servers: retry and round robin over
// instanceFactory's per-instance token bucket, breaker and HTTP client.

interface Req { s: string }
interface Res { v: string; err?: string }

const method: RemoteMethod<Res> = { path: '/uppercase', decode: (b) => b as Res };
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
    instanceFactory<Req, Res>(method, {
      attemptTimeoutMs: stack.timeoutMs ?? 1000,
      burst: stack.burst ?? 100,
      qps: stack.rate ?? 100,
      breakerFailures: stack.consecutiveFailures ?? 5,
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
    // 100 + 100 + the 50 ms left, never more; a stalled event loop fits fewer (the first attempt's
    // timer firing past the deadline leaves it alone), so fewer is no verdict.
    assert.ok(e.attempts.length >= 1 && e.attempts.length <= 3, `${e.attempts.length} attempts`);
    assert.ok(e.attempts.every((a) => isUpstreamError(a.error) && a.error.kind === 'timeout'));
    assert.equal(classify(e), 'deadline');
    return true;
  });
  // Not before the deadline; that it ended there, not after five attempts, the count above shows.
  const took = Date.now() - started;
  assert.ok(took >= 240, `took ${took}ms`);
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

test('breaker state survives an update that keeps the instance; removal closes its pool', async (t) => {
  const sick = await startLoopback((_q, res) => json(res, { error: 'boom' }, 500));
  const fine = await startLoopback((_q, res) => json(res, { v: 'OK' }));
  const src = new InstanceBroadcaster();
  const transitions: string[] = [];
  const endpointer = new Endpointer<{ s: string }, Res>(
    src,
    instanceFactory<{ s: string }, Res>(method, { attemptTimeoutMs: 1000 }, {
      onBreakerStateChange: (instance, from, to) => transitions.push(`${instance === sick.instance ? 'sick' : 'fine'}:${from}>${to}`),
    }),
  );
  t.after(async () => { endpointer.close(); await sick.close(); await fine.close(); });

  src.update({ instances: [sick.instance] });
  const [first] = endpointer.endpoints();
  for (let i = 0; i < 5; i++) await assert.rejects(first!.endpoint(background(), { s: 'x' }), isUpstreamError);
  assert.equal(first!.healthy(), false);
  assert.deepEqual(transitions, ['sick:closed>open']);

  src.update({ instances: [fine.instance, sick.instance] });
  const kept = endpointer.endpoints().find((e) => e.instance === sick.instance)!;
  assert.equal(kept, first);
  assert.equal(kept.healthy(), false, 'still open after the update');
  await assert.rejects(kept.endpoint(background(), { s: 'x' }), isBrokenCircuitError);
  assert.equal(sick.received.length, 5);

  const lb = roundRobin(endpointer);
  for (let i = 0; i < 4; i++) assert.equal(lb.pick().instance, fine.instance, 'balancer skips the open breaker');

  assert.ok(sick.openConnections() > 0, 'keep-alive connections are open before removal');
  src.update({ instances: [fine.instance] });
  for (let i = 0; i < 100 && sick.openConnections() > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(sick.openConnections(), 0, 'the removed instance closed its pool');
  // A caller still holding the removed endpoint gets a fast refusal, not a call.
  await assert.rejects(first!.endpoint(background(), { s: 'x' }), isBrokenCircuitError);
  assert.equal(first!.healthy(), false);
  assert.equal(sick.received.length, 5);
});

test('the limiter sits outside the breaker: refusals never trip it', async (t) => {
  const srv = await startLoopback((_q, res) => json(res, { v: 'OK' }));
  const src = new InstanceBroadcaster();
  const limited: string[] = [];
  const endpointer = new Endpointer<{ s: string }, Res>(
    src,
    instanceFactory<{ s: string }, Res>(method, { attemptTimeoutMs: 1000, qps: 0.001, burst: 1, breakerFailures: 1 }, {
      onLimited: (instance) => limited.push(instance),
    }),
  );
  t.after(async () => { endpointer.close(); await srv.close(); });
  src.update({ instances: [srv.instance] });
  const [only] = endpointer.endpoints();
  assert.deepEqual(await only!.endpoint(background(), { s: 'x' }), { v: 'OK' });
  for (let i = 0; i < 3; i++) await assert.rejects(only!.endpoint(background(), { s: 'x' }), isRateLimitedError);
  assert.equal(only!.healthy(), true);
  assert.deepEqual(limited, [srv.instance, srv.instance, srv.instance]);
  assert.equal(srv.received.length, 1);
});
