import { test } from 'node:test';
import assert from 'node:assert/strict';
import { background } from '../kit/context.ts';
import { ErrEmpty, isServiceError, newStringService } from './service.ts';

const svc = newStringService();
const ctx = background();

test('uppercase maps Unicode case and rejects the empty string with ErrEmpty', async () => {
  assert.equal(await svc.uppercase(ctx, 'hello, world'), 'HELLO, WORLD');
  assert.equal(await svc.uppercase(ctx, 'héllo ǆ ω'), 'HÉLLO Ǆ Ω');
  // Go's simple mapping: one code point stays one code point (JavaScript alone would give SS, ΑΙ, ʼN).
  assert.equal(await svc.uppercase(ctx, 'straße ᾳ ŉ'), 'STRAßE ᾼ ŉ');
  await assert.rejects(svc.uppercase(ctx, ''), (e) => e === ErrEmpty && isServiceError(e) && e.message === 'empty string');
});

test("count is the UTF-8 byte length, like Go's len(s)", async () => {
  assert.equal(await svc.count(ctx, 'hello, world'), 12);
  assert.equal(await svc.count(ctx, 'héllo'), 6);
  assert.equal(await svc.count(ctx, '😀'), 4);
  assert.equal(await svc.count(ctx, ''), 0);
});
