import { test } from 'node:test';
import assert from 'node:assert/strict';
import { background, type Context } from '../kit/context.ts';
import { pathOf, withPath } from './path-context.ts';

test('withPath keeps every Context field and reads a lazy signal only when asked', () => {
  let built = 0;
  const ac = new AbortController();
  const base = background(undefined, 'req-9');
  const lazy: Context = {
    requestId: base.requestId,
    logger: base.logger,
    deadline: 42,
    traceparent: '00-abc-def-01',
    get signal() {
      built++;
      return ac.signal;
    },
  };
  const ctx = withPath(lazy, '/add');
  assert.equal(built, 0);
  assert.deepEqual([ctx.requestId, ctx.deadline, ctx.traceparent, pathOf(ctx)], ['req-9', 42, '00-abc-def-01', '/add']);
  assert.equal(ctx.signal, ac.signal);
  assert.equal(built, 1);
  assert.equal(pathOf(base), '');
});
