import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Watcher } from './watcher.ts';
import { FakeClient, instantTimers, manualTimers, type Obj } from '../../../../test/support/fake-watch.ts';
import type { Listed, ResourceClient } from './resource-client.ts';
import { within } from '../../../../test/support/wait.ts';

// The Watcher's clocks: the silence limit, the backoff waits, and stop() during one.

test('a silent watch is presumed dead and restarted from the last resourceVersion', async () => {
  const client = new FakeClient();
  client.lists.push({ items: [], resourceVersion: '7' });
  const restarts: string[] = [];
  const opened = client.nextWatch();
  const w = new Watcher<Obj>({
    client,
    onReset: () => {},
    onChange: () => {},
    onRestart: (reason) => restarts.push(reason),
    silentMs: 30,
    backoff: { initialMs: 1 },
  });
  w.start();
  await opened;
  const second = client.nextWatch();
  await second;
  await w.stop();
  assert.deepEqual(restarts, ['silent']);
  assert.deepEqual(client.watchedFrom, ['7', '7']);
});

test('events keep a watch alive past the silence limit', async () => {
  const client = new FakeClient();
  client.lists.push({ items: [], resourceVersion: '1' });
  const restarts: string[] = [];
  let restarted!: () => void;
  const restart = new Promise<void>((r) => (restarted = r));
  const clock = manualTimers();
  const opened = client.nextWatch();
  const w = new Watcher<Obj>({
    client,
    onReset: () => {},
    onChange: () => {},
    onRestart: (r) => (restarts.push(r), restarted()),
    silentMs: 60,
    timers: clock.timers,
    now: clock.now,
  });
  w.start();
  await opened;
  for (let i = 0; i < 5; i++) {
    await clock.advance(25);
    client.emit('BOOKMARK', { metadata: { resourceVersion: String(2 + i) } });
  }
  assert.deepEqual(restarts, [], 'alive 125 ms into a 60 ms silence limit');
  // The limit was in force: the same silence without an event restarts the watch.
  await clock.advance(60);
  await within(restart, 10_000, 'the watch to restart after 60 ms of silence');
  await w.stop();
  assert.deepEqual(restarts, ['silent']);
});

test('stop during a backoff wait returns at once', { timeout: 10_000 }, async () => {
  const client = new FakeClient();
  client.lists.push(new Error('refused'));
  let restarted!: () => void;
  const waiting = new Promise<void>((r) => (restarted = r));
  // The clock never moves: stop can only return by ending the wait itself.
  const clock = manualTimers();
  const w = new Watcher<Obj>({ client, onReset: () => {}, onChange: () => {}, onRestart: () => restarted(), backoff: { initialMs: 60_000 }, timers: clock.timers });
  w.start();
  await within(waiting, 5_000, 'the failed list to start a backoff wait');
  assert.equal(clock.pending(), 1, 'the backoff wait');
  await w.stop();
  assert.equal(clock.pending(), 0, 'its timer cleared');
});

test('a quiet watch that stayed up does not grow the backoff', async () => {
  const client = new FakeClient();
  client.lists.push({ items: [], resourceVersion: '1' });
  let now = 0;
  const restarts: Array<[string, number]> = [];
  let opened = client.nextWatch();
  const w = new Watcher<Obj>({
    client,
    onReset: () => {},
    onChange: () => {},
    onRestart: (reason, delay) => restarts.push([reason, delay]),
    now: () => now,
    random: () => 0.999999,
    timers: instantTimers([]),
  });
  w.start();
  for (let i = 0; i < 3; i++) {
    await opened;
    await new Promise((r) => setImmediate(r));
    now += 300_000;
    opened = client.nextWatch();
    client.close();
  }
  await opened;
  await w.stop();
  assert.deepEqual(restarts, [['closed', 0], ['closed', 0], ['closed', 0]]);
});

test('a list that never answers is abandoned after the silence limit and retried', async () => {
  let calls = 0;
  const errors: string[] = [];
  const client: ResourceClient<Obj> = {
    list: () => (++calls === 1 ? new Promise<Listed<Obj>>(() => {}) : Promise.resolve({ items: [], resourceVersion: '1' })),
    watch: async () => ({ abort() {} }),
  };
  let synced!: () => void;
  const done = new Promise<void>((r) => (synced = r));
  const w = new Watcher<Obj>({ client, onReset: () => synced(), onChange: () => {}, onError: (e) => errors.push((e as Error).message), silentMs: 30, backoff: { initialMs: 1 } });
  w.start();
  await within(done, 10_000, 'the list that never answered to be retried');
  await w.stop();
  assert.equal(calls, 2);
  assert.deepEqual(errors, ['list did not answer within 30 ms']);
});
