import { test } from 'node:test';
import assert from 'node:assert/strict';
import { afterFunc, background, nopLogger, remainingMs, withDeadline, withTimeout, type Context } from './context.ts';

test('withTimeout keeps the earlier deadline and aborts when it passes', async () => {
  const root = background();
  assert.equal(remainingMs(root), Infinity);
  const [outer] = withTimeout(root, 20);
  const [inner, cancel] = withTimeout(outer, 10_000);
  assert.equal(inner.deadline, outer.deadline, 'a child cannot extend its parent');
  await new Promise((r) => setTimeout(r, 40));
  assert.equal(inner.signal.aborted, true);
  assert.equal(remainingMs(inner), 0);
  cancel();
});

test('cancel releases the timer and the parent listener, without aborting', async () => {
  const ac = new AbortController();
  const parent = { ...background(), signal: ac.signal };
  const [child, cancel] = withTimeout(parent, 20);
  cancel();
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

test('afterFunc on a context with only a signal: runs once on abort, stop takes it back, a done context runs it at once', () => {
  const ac = new AbortController();
  const ctx: Context = { ...background(), signal: ac.signal };
  const ran: unknown[] = [];
  afterFunc(ctx, (r) => ran.push(r));
  const stop = afterFunc(ctx, () => ran.push('stopped'));
  stop();
  assert.equal(ran.length, 0, 'nothing runs before the end');
  const reason = new Error('gone');
  ac.abort(reason);
  ac.abort(new Error('again'));
  assert.equal(ran.length, 1);
  assert.equal(ran[0], reason, 'once, with the first reason');
  afterFunc(ctx, (r) => ran.push(r));
  assert.equal(ran[1], reason, 'a wait that begins after the end runs at once');
});
