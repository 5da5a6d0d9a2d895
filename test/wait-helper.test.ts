import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { onceWithin, TimedOut, within } from './support/wait.ts';

// The helpers every bounded wait in the tests goes through: a wait that never ends must fail with
// what it waited for, and one that ends must leave nothing behind (no timer, no listener).

const never = new Promise<never>(() => {});

test('within passes the value or the rejection of a promise that settles in time', async () => {
  assert.equal(await within(Promise.resolve(7), 1000, 'seven'), 7);
  await assert.rejects(within(Promise.reject(new Error('own failure')), 1000, 'x'), /own failure/);
});

test('within rejects with TimedOut naming what it waited for', async () => {
  const err = await within(never, 50, 'the backend to exit').catch((e: unknown) => e);
  assert.ok(err instanceof TimedOut);
  assert.equal((err as Error).message, 'timed out after 0.05 s waiting for the backend to exit');
});

test('within clears its timer once the promise settles', async () => {
  const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  await within(Promise.resolve(), 60_000, 'x');
  assert.equal(process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length, before);
});

test("onceWithin returns the event's arguments and removes its listener", async () => {
  const e = new EventEmitter();
  setImmediate(() => e.emit('ready', 1, 'two'));
  assert.deepEqual(await onceWithin(e, 'ready', 1000, 'ready'), [1, 'two']);
  assert.equal(e.listenerCount('ready'), 0);
  assert.equal(e.listenerCount('error'), 0);
});

test('onceWithin rejects with TimedOut naming what it waited for, and removes its listener', async () => {
  const e = new EventEmitter();
  await assert.rejects(onceWithin(e, 'close', 50, 'the socket to close'), (err: unknown) =>
    err instanceof TimedOut && err.message === 'timed out after 0.05 s waiting for the socket to close');
  assert.equal(e.listenerCount('close'), 0);
});

test("onceWithin still rejects with the emitter's own error", async () => {
  const e = new EventEmitter();
  setImmediate(() => e.emit('error', new Error('ECONNREFUSED')));
  await assert.rejects(onceWithin(e, 'connect', 1000, 'connect'), /ECONNREFUSED/);
});

test('onceWithin waits on an EventTarget too, e.g. an AbortSignal', async () => {
  const ac = new AbortController();
  setImmediate(() => ac.abort());
  await onceWithin(ac.signal, 'abort', 1000, 'abort');
  await assert.rejects(onceWithin(new AbortController().signal, 'abort', 50, 'an abort that never comes'), TimedOut);
});
