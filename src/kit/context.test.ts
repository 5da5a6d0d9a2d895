import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onceWithin } from '../../test/support/wait.ts';
import { background, cancelled, CancelledError, DeadlineExceededError, expired, nopLogger, remainingMs, withDeadline, withTimeout, type Context } from './context.ts';

test('withTimeout keeps the earlier deadline and aborts when it passes', async () => {
  const root = background();
  assert.equal(remainingMs(root), Infinity);
  const [outer] = withTimeout(root, 20);
  const [inner, cancel] = withTimeout(outer, 10_000);
  assert.equal(inner.deadline, outer.deadline, 'a child cannot extend its parent');
  assert.ok(remainingMs(inner) <= 20);
  // Awaited, not slept for. (Timers run on the loop's monotonic clock, which may be a
  // millisecond ahead of Date.now(), so remainingMs is not compared with 0 here.)
  await onceWithin(inner.signal, 'abort', 10_000, 'the 20 ms deadline to abort the context');
  assert.ok(inner.signal.reason instanceof DeadlineExceededError);
  cancel();
});

test('cancel releases the timer and the parent listener, without aborting', async () => {
  const ac = new AbortController();
  const parent = { ...background(), signal: ac.signal };
  const [child, cancel] = withTimeout(parent, 20);
  cancel();
  // Timers fire in deadline order: this later, longer one fires after the cancelled one would have.
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(child.signal.aborted, false, 'the cancelled timer never fired');
  ac.abort();
  assert.equal(child.signal.aborted, false, 'the parent listener was removed');
});

test('withTimeout follows the parent cancellation', () => {
  const ac = new AbortController();
  const parent = { ...background(), signal: ac.signal };
  const [child, cancel] = withTimeout(parent, 10_000);
  ac.abort();
  assert.equal(child.signal.aborted, true);
  cancel();
});

test('withDeadline tightens the deadline, shares the parent signal and leaves a lazy logger unmade', () => {
  const ac = new AbortController();
  let loggerMade = 0;
  const parent: Context = {
    requestId: 'r-1',
    get logger() {
      loggerMade++;
      return nopLogger;
    },
    signal: ac.signal,
    deadline: Date.now() + 60_000,
  };
  const ctx = withDeadline(parent, 50);
  assert.ok(ctx.deadline <= Date.now() + 50);
  assert.equal(ctx.requestId, 'r-1');
  assert.equal(ctx.signal, ac.signal);
  assert.equal(loggerMade, 0);
  assert.equal(ctx.logger, nopLogger);
  assert.equal(withDeadline(parent, 3_600_000), parent, 'a looser deadline keeps the parent as is');
});

test('cancelled and expired read the abort reason: typed, or the platform convention for foreign signals', () => {
  const live: Context = { ...background(), signal: new AbortController().signal };
  assert.deepEqual([cancelled(live), expired(live)], [false, false]);
  const reasons: Array<[unknown, 'cancelled' | 'deadline']> = [
    [new CancelledError(), 'cancelled'],
    [new DeadlineExceededError(), 'deadline'],
    [new DOMException('gone', 'AbortError'), 'cancelled'],
    [new DOMException('late', 'TimeoutError'), 'deadline'],
    [new Error('anything else'), 'cancelled'],
  ];
  for (const [reason, cause] of reasons) {
    const ctx: Context = { ...background(), signal: AbortSignal.abort(reason) };
    assert.equal(cancelled(ctx), cause === 'cancelled', String(reason));
    assert.equal(expired(ctx), cause === 'deadline', String(reason));
  }
  const past: Context = { ...background(), deadline: Date.now() - 1 };
  assert.deepEqual([cancelled(past), expired(past)], [false, true], 'a passed deadline is expired with no abort at all');
});

test('withTimeout aborts with a DeadlineExceededError', async () => {
  const [ctx, cancel] = withTimeout(background(), 5);
  await onceWithin(ctx.signal, 'abort', 10_000, 'the 5 ms timeout to abort the context');
  assert.ok(ctx.signal.reason instanceof DeadlineExceededError);
  assert.equal(ctx.signal.reason.name, 'TimeoutError');
  cancel();
});
