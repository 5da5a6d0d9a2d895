import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { background, cancelled, type Context } from '../context.ts';
import type { Endpoint } from '../endpoint.ts';
import { RateLimitedError } from '../ratelimit/limiter.ts';
import { json, startLoopback } from '../../../test/support/loopback.ts';
import { within } from '../../../test/support/wait.ts';
import { httpClient, isUpstreamError } from '../transport/http/client.ts';
import { type BreakerState, circuitBreaker, isBrokenCircuitError, opossumBreaker } from './breaker.ts';

interface Res { v: string; err?: string }
const decode = (b: unknown) => b as Res;

test('opens after 5 consecutive failures, fails fast, half-opens after the reset timeout, closes on a good trial', async (t) => {
  let healthy = false;
  const srv = await startLoopback((_req, res) => (healthy ? json(res, { v: 'OK' }) : json(res, { error: 'down' }, 500)));
  const client = httpClient<{ s: string }, Res>({ instance: srv.instance, path: '/uppercase', decode });
  const transitions: string[] = [];
  let halfOpened!: () => void;
  const halfOpen = new Promise<void>((r) => (halfOpened = r));
  // Long enough that a slow machine cannot half-open it before the fail-fast check below.
  const breaker = opossumBreaker({
    resetTimeoutMs: 1000,
    onStateChange: (from, to) => (transitions.push(`${from}>${to}`), to === 'halfOpen' && halfOpened()),
  });
  t.after(async () => { breaker.dispose(); await client.close(); await srv.close(); });
  const e = circuitBreaker<{ s: string }, Res>(breaker)(client.endpoint);

  for (let i = 0; i < 4; i++) await assert.rejects(e(background(), { s: 'x' }), isUpstreamError);
  assert.equal(breaker.state, 'closed', 'four failures are not enough');
  await assert.rejects(e(background(), { s: 'x' }), isUpstreamError);
  assert.equal(breaker.state, 'open');

  await assert.rejects(e(background(), { s: 'x' }), isBrokenCircuitError);
  assert.equal(srv.received.length, 5, 'open breaker does not touch the upstream');

  await within(halfOpen, 30_000, 'the open breaker to half-open after its 1 s reset timeout');
  assert.equal(breaker.state, 'halfOpen');
  healthy = true;
  assert.deepEqual(await e(background(), { s: 'x' }), { v: 'OK' });
  assert.equal(breaker.state, 'closed');
  assert.deepEqual(transitions, ['closed>open', 'open>halfOpen', 'halfOpen>closed']);
});

test('a failed trial reopens the breaker', async (t) => {
  const breaker = opossumBreaker({ consecutiveFailures: 1, resetTimeoutMs: 30 });
  t.after(() => breaker.dispose());
  const e = circuitBreaker<string, string>(breaker)(async () => { throw new Error('boom'); });
  await assert.rejects(e(background(), ''), /boom/);
  assert.equal(breaker.state, 'open');
  await sleep(50); // timers fire in deadline order: the 30 ms reset timer, set first, has fired
  assert.equal(breaker.state, 'halfOpen');
  await assert.rejects(e(background(), ''), /boom/);
  assert.equal(breaker.state, 'open');
});

test('a success resets the streak: failures must be consecutive', async (t) => {
  const breaker = opossumBreaker();
  t.after(() => breaker.dispose());
  let fail = true;
  const e = circuitBreaker<string, string>(breaker)(async (_c, s) => { if (fail) throw new Error('boom'); return s; });
  for (let round = 0; round < 3; round++) {
    fail = true;
    for (let i = 0; i < 4; i++) await assert.rejects(e(background(), ''));
    fail = false;
    await e(background(), 'ok');
  }
  assert.equal(breaker.state, 'closed');
});

test('business-error values, caller cancellation and errors isFailure rejects never count', async (t) => {
  const breaker = opossumBreaker({ consecutiveFailures: 2 });
  // A limiter inside the breaker would need this predicate; ours sits outside (see proxying.ts).
  const picky = opossumBreaker({ consecutiveFailures: 2, isFailure: (err, ctx) => !(err instanceof RateLimitedError) && !cancelled(ctx) });
  t.after(() => { breaker.dispose(); picky.dispose(); });
  const ac = new AbortController();
  ac.abort(new DOMException('client closed the request', 'AbortError'));
  const gone: Context = { ...background(), signal: ac.signal };
  let mode: 'business' | 'limited' | 'cancelled' = 'business';
  const inner: Endpoint<string, Res> = async (ctx) => {
    if (mode === 'business') return { v: '', err: 'empty string' };
    if (mode === 'limited') throw new RateLimitedError();
    throw ctx.signal.reason;
  };
  const e = circuitBreaker<string, Res>(breaker)(inner);
  for (let i = 0; i < 10; i++) assert.deepEqual(await e(background(), ''), { v: '', err: 'empty string' });
  mode = 'cancelled';
  for (let i = 0; i < 10; i++) await assert.rejects(e(gone, ''), (err) => err instanceof DOMException && err.name === 'AbortError');
  assert.equal(breaker.state, 'closed');
  mode = 'limited';
  const p = circuitBreaker<string, Res>(picky)(inner);
  for (let i = 0; i < 10; i++) await assert.rejects(p(background(), ''), (err) => err instanceof RateLimitedError);
  for (let i = 0; i < 10; i++) await assert.rejects(p(gone, ''), (err) => err instanceof RateLimitedError);
  assert.equal(picky.state, 'closed');
});

test('a deadline timeout does count as a failure', async (t) => {
  const breaker = opossumBreaker({ consecutiveFailures: 1 });
  t.after(() => breaker.dispose());
  const ctx: Context = { ...background(), signal: AbortSignal.abort(new DOMException('deadline', 'TimeoutError')) };
  const e = circuitBreaker<string, string>(breaker)(async (c) => { throw c.signal.reason; });
  await assert.rejects(e(ctx, ''));
  assert.equal(breaker.state, 'open');
});

test('a half-open trial ended by caller cancellation is inconclusive: back to open', async (t) => {
  const states: BreakerState[] = [];
  const breaker = opossumBreaker({ consecutiveFailures: 1, resetTimeoutMs: 30, onStateChange: (_f, to) => states.push(to) });
  t.after(() => breaker.dispose());
  const e = circuitBreaker<string, string>(breaker)(async (c) => { throw c.signal.aborted ? c.signal.reason : new Error('boom'); });
  await assert.rejects(e(background(), ''), /boom/);
  await sleep(50); // after the 30 ms reset timer, set first
  assert.equal(breaker.state, 'halfOpen');
  const ac = new AbortController();
  ac.abort(new DOMException('gone', 'AbortError'));
  await assert.rejects(e({ ...background(), signal: ac.signal }, ''), (err) => err instanceof DOMException);
  assert.equal(breaker.state, 'open');
  assert.deepEqual(states, ['open', 'halfOpen', 'open']);
});

test('errors that do not count do not reset the streak either', async (t) => {
  const breaker = opossumBreaker({ consecutiveFailures: 3, isFailure: (err) => !(err instanceof RateLimitedError) });
  t.after(() => breaker.dispose());
  let next: 'fail' | 'limited' = 'fail';
  const e = circuitBreaker<string, string>(breaker)(async () => {
    throw next === 'limited' ? new RateLimitedError() : new Error('boom');
  });
  for (const step of ['fail', 'fail', 'limited', 'limited'] as const) {
    next = step;
    await assert.rejects(e(background(), ''));
    assert.equal(breaker.state, 'closed', step);
  }
  next = 'fail';
  await assert.rejects(e(background(), ''), /boom/);
  assert.equal(breaker.state, 'open');
});

test('after it has closed again the breaker trips anew on the same streak, any number of times', async (t) => {
  let healthy = false;
  const transitions: string[] = [];
  let halfOpened!: () => void;
  const breaker = opossumBreaker({
    consecutiveFailures: 2,
    resetTimeoutMs: 30,
    onStateChange: (from, to) => (transitions.push(`${from}>${to}`), to === 'halfOpen' && halfOpened()),
  });
  t.after(() => breaker.dispose());
  const e = circuitBreaker<string, string>(breaker)(async () => {
    if (!healthy) throw new Error('down');
    return 'ok';
  });
  for (let round = 0; round < 3; round++) {
    healthy = false;
    const halfOpen = new Promise<void>((r) => (halfOpened = r));
    await assert.rejects(e(background(), ''), /down/);
    assert.equal(breaker.state, 'closed', `round ${round}: one failure is not enough`);
    await assert.rejects(e(background(), ''), /down/);
    assert.equal(breaker.state, 'open', `round ${round}: two in a row open it`);
    await assert.rejects(e(background(), ''), isBrokenCircuitError);
    await halfOpen;
    healthy = true;
    assert.equal(await e(background(), ''), 'ok');
    await Promise.resolve(); // the closed breaker lets opossum go in a microtask
    assert.equal(breaker.state, 'closed');
    assert.equal(await e(background(), ''), 'ok', 'closed: calls go through');
  }
  assert.deepEqual(transitions, Array(3).fill(['closed>open', 'open>halfOpen', 'halfOpen>closed']).flat());
});

test('a disposed breaker refuses calls whether or not it ever tripped', async () => {
  for (const failuresFirst of [0, 1]) {
    const breaker = opossumBreaker({ consecutiveFailures: 1 });
    const e = circuitBreaker<string, string>(breaker)(async () => {
      throw new Error('down');
    });
    if (failuresFirst) await assert.rejects(e(background(), ''), /down/);
    breaker.dispose();
    assert.equal(breaker.state, 'open');
    await assert.rejects(e(background(), ''), (err: unknown) => isBrokenCircuitError(err) && /disposed/.test((err as Error).message));
  }
});
