import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chain, type Endpoint, type Middleware } from './endpoint.ts';
import { background } from './context.ts';

test('chain runs middlewares outermost-first', async () => {
  const seen: string[] = [];
  const mark =
    (name: string): Middleware<string, string> =>
    (next) =>
    async (ctx, req) => {
      seen.push(`${name}>`);
      const res = await next(ctx, `${req}${name}`);
      seen.push(`<${name}`);
      return res;
    };
  const echo: Endpoint<string, string> = async (_ctx, req) => req;
  const e = chain(mark('a'), mark('b'), mark('c'))(echo);
  assert.equal(await e(background(), ''), 'abc');
  assert.deepEqual(seen, ['a>', 'b>', 'c>', '<c', '<b', '<a']);
});

test('chain with no middlewares is the identity', async () => {
  const echo: Endpoint<number, number> = async (_ctx, n) => n * 2;
  assert.equal(await chain<number, number>()(echo)(background(), 21), 42);
});
