import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay, Watcher } from './watcher.ts';
import { statusCode } from './resource-client.ts';
import { FakeClient, instantTimers, obj, type Obj } from '../../../../test/support/fake-watch.ts';

test('backoffDelay grows exponentially, is jittered between half and all, and is capped', () => {
  assert.equal(backoffDelay(1, {}, () => 0), 50);
  assert.equal(backoffDelay(1, {}, () => 0.999999), 100);
  assert.equal(backoffDelay(4, { initialMs: 10 }, () => 0.999999), 80);
  assert.equal(backoffDelay(40, { maxMs: 5000 }, () => 0.999999), 5000);
});

test('statusCode reads ApiException.code and Watch errors’ statusCode', () => {
  assert.equal(statusCode({ code: 403 }), 403);
  assert.equal(statusCode(Object.assign(new Error('Gone'), { statusCode: 410 })), 410);
  assert.equal(statusCode(new Error('ECONNREFUSED')), undefined);
});

test('lists, then watches from the list resourceVersion, tracking it through events and bookmarks', async () => {
  const client = new FakeClient();
  client.lists.push({ items: [obj('a', '5')], resourceVersion: '10' });
  const seen: string[] = [];
  const opened = client.nextWatch();
  const w = new Watcher<Obj>({
    client,
    onReset: (items) => seen.push(`reset:${items.map((i) => i.metadata.name).join()}`),
    onChange: (type, o) => seen.push(`${type}:${o.metadata.name}`),
    onEvent: (type) => type === 'BOOKMARK' && seen.push('bookmark'),
    timers: instantTimers([]),
  });
  w.start();
  await opened;
  client.emit('ADDED', obj('b', '11'));
  client.emit('BOOKMARK', { metadata: { resourceVersion: '15' } });
  const reopened = client.nextWatch();
  client.close();
  await reopened;
  await w.stop();
  assert.deepEqual(seen, ['reset:a', 'ADDED:b', 'bookmark']);
  assert.deepEqual(client.watchedFrom, ['10', '15']);
  assert.equal(client.listCalls, 1);
});

test('a 410 ERROR event relists and hands over the full new list without an empty state in between', async () => {
  const client = new FakeClient();
  client.lists.push({ items: [obj('a', '5')], resourceVersion: '10' });
  client.lists.push({ items: [obj('a', '5'), obj('c', '30')], resourceVersion: '31' });
  const resets: string[][] = [];
  const restarts: string[] = [];
  let opened = client.nextWatch();
  const w = new Watcher<Obj>({
    client,
    onReset: (items) => resets.push(items.map((i) => i.metadata.name)),
    onChange: () => {},
    onRestart: (reason, delay) => restarts.push(`${reason}:${delay}`),
    timers: instantTimers([]),
  });
  w.start();
  await opened;
  opened = client.nextWatch();
  client.emit('ERROR', { kind: 'Status', code: 410, message: 'too old resource version' });
  await opened;
  await w.stop();
  assert.deepEqual(resets, [['a'], ['a', 'c']]);
  assert.deepEqual(restarts, ['gone:0']);
  assert.deepEqual(client.watchedFrom, ['10', '31']);
});

test('errors back off with growing jittered delays and are reported; progress resets the backoff', async () => {
  const client = new FakeClient();
  client.lists.push(new Error('connection refused'), new Error('connection refused'), { items: [], resourceVersion: '1' });
  client.watchResults.push(new Error('socket hang up'), Object.assign(new Error('Gone'), { statusCode: 410 }));
  client.lists.push({ items: [], resourceVersion: '2' });
  const restarts: Array<[string, number]> = [];
  const errors: string[] = [];
  const opened = client.nextWatch();
  const w = new Watcher<Obj>({
    client,
    onReset: () => {},
    onChange: () => {},
    onError: (err) => errors.push((err as Error).message),
    onRestart: (reason, delay) => restarts.push([reason, delay]),
    backoff: { initialMs: 100 },
    random: () => 0.999999,
    timers: instantTimers([]),
  });
  w.start();
  await opened;
  await w.stop();
  assert.deepEqual(restarts, [['error', 100], ['error', 200], ['error', 100], ['gone', 0]]);
  assert.deepEqual(errors, ['connection refused', 'connection refused', 'socket hang up']);
  assert.equal(client.listCalls, 4);
});
