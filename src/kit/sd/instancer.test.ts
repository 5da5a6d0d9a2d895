import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FixedInstancer, InstanceBroadcaster, type InstanceEvent } from './instancer.ts';

test('FixedInstancer hands its set to every new subscriber at once', () => {
  const inst = new FixedInstancer(['b:1', 'a:1']);
  const seen: InstanceEvent[] = [];
  inst.subscribe((e) => seen.push(e));
  inst.subscribe((e) => seen.push(e));
  assert.deepEqual(seen, [{ instances: ['b:1', 'a:1'] }, { instances: ['b:1', 'a:1'] }]);
});

test('InstanceBroadcaster sends full sets and errors, and stops after unsubscribe', () => {
  const b = new InstanceBroadcaster();
  const seen: InstanceEvent[] = [];
  const stop = b.subscribe((e) => seen.push(e));
  b.update({ instances: ['a:1', 'b:1'] });
  const boom = new Error('watch failed');
  b.update({ err: boom });
  stop();
  b.update({ instances: ['c:1'] });
  assert.deepEqual(seen, [{ instances: [] }, { instances: ['a:1', 'b:1'] }, { err: boom }]);
  const late: InstanceEvent[] = [];
  b.subscribe((e) => late.push(e));
  assert.deepEqual(late, [{ instances: ['c:1'] }], 'a new subscriber gets the latest state');
});
