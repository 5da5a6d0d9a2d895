import { test } from 'node:test';
import assert from 'node:assert/strict';
import { background } from '../context.ts';
import { Endpointer, type InstanceEndpoint } from './endpointer.ts';
import { InstanceBroadcaster } from './instancer.ts';

function recordingFactory() {
  const built: string[] = [];
  const closed: string[] = [];
  const factory = (instance: string): InstanceEndpoint<string, string> => {
    built.push(instance);
    let calls = 0;
    return {
      endpoint: async () => `${instance}#${++calls}`,
      close: () => { closed.push(instance); },
    };
  };
  return { built, closed, factory };
}

test('caches endpoints across updates, orders by instance and closes removed ones', async () => {
  const src = new InstanceBroadcaster();
  const { built, closed, factory } = recordingFactory();
  const changes: string[][] = [];
  const e = new Endpointer(src, factory, { onChange: (i) => changes.push([...i]) });

  src.update({ instances: ['b:1', 'a:1'] });
  const [a1, b1] = e.endpoints();
  assert.deepEqual([a1?.instance, b1?.instance], ['a:1', 'b:1']);
  assert.equal(await b1!.endpoint(background(), ''), 'b:1#1');

  src.update({ instances: ['c:1', 'b:1'] });
  const [b2, c2] = e.endpoints();
  assert.equal(b2, b1, 'kept instance keeps its endpoint object');
  assert.equal(await b2!.endpoint(background(), ''), 'b:1#2', 'and its state');
  assert.equal(c2?.instance, 'c:1');
  assert.deepEqual(built, ['a:1', 'b:1', 'c:1']);
  assert.deepEqual(closed, ['a:1']);

  src.update({ instances: ['b:1', 'c:1'] });
  assert.deepEqual(changes, [['a:1', 'b:1'], ['b:1', 'c:1']], 'same set again is not a change');

  e.close();
  assert.deepEqual(closed.sort(), ['a:1', 'b:1', 'c:1']);
});

test('keeps the last good set on a discovery error', () => {
  const src = new InstanceBroadcaster();
  const { closed, factory } = recordingFactory();
  const errors: unknown[] = [];
  const e = new Endpointer(src, factory, { onError: (err) => errors.push(err) });
  src.update({ instances: ['a:1'] });
  src.update({ err: new Error('apiserver down') });
  assert.deepEqual(e.endpoints().map((x) => x.instance), ['a:1']);
  assert.equal(errors.length, 1);
  assert.deepEqual(closed, []);
  e.close();
});

test('invalidates the set once the error has lasted invalidateOnErrorMs', () => {
  const src = new InstanceBroadcaster();
  const { closed, factory } = recordingFactory();
  let now = 1_000;
  const changes: string[][] = [];
  const e = new Endpointer(src, factory, { invalidateOnErrorMs: 5_000, now: () => now, onChange: (i) => changes.push([...i]) });
  src.update({ instances: ['a:1', 'b:1'] });
  src.update({ err: new Error('watch failed') });
  now += 4_999;
  src.update({ err: new Error('still failing') });
  assert.equal(e.endpoints().length, 2, 'error clock starts at the first error');
  now += 1;
  assert.deepEqual(e.endpoints(), []);
  assert.deepEqual(closed, ['a:1', 'b:1']);
  assert.deepEqual(changes.at(-1), []);

  src.update({ instances: ['a:1'] });
  assert.deepEqual(e.endpoints().map((x) => x.instance), ['a:1'], 'recovers on the next good set');
  e.close();
});

test('health hook is passed through; factories without one are healthy', () => {
  const src = new InstanceBroadcaster();
  let bHealthy = true;
  const e = new Endpointer<string, string>(src, (instance) => ({
    endpoint: async () => instance,
    close() {},
    ...(instance === 'b:1' ? { healthy: () => bHealthy } : {}),
  }));
  src.update({ instances: ['a:1', 'b:1'] });
  bHealthy = false;
  assert.deepEqual(e.endpoints().map((x) => x.healthy()), [true, false]);
  e.close();
});
