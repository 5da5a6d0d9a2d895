import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResolvedEndpoint } from '../sd/endpointer.ts';
import { isNoEndpointsError, isNoHealthyEndpointsError, roundRobin } from './balancer.ts';

function fixed(instances: string[], unhealthy = new Set<string>()): ResolvedEndpoint<string, string>[] {
  return instances.map((instance) => ({ instance, endpoint: async () => instance, healthy: () => !unhealthy.has(instance) }));
}

function picks(n: number, pick: () => ResolvedEndpoint<string, string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const { instance } = pick();
    counts[instance] = (counts[instance] ?? 0) + 1;
  }
  return counts;
}

test('spreads evenly over three instances in a deterministic order', () => {
  const lb = roundRobin({ endpoints: () => fixed(['a:1', 'b:1', 'c:1']) });
  assert.deepEqual([lb.pick(), lb.pick(), lb.pick(), lb.pick()].map((e) => e.instance), ['a:1', 'b:1', 'c:1', 'a:1']);
  assert.deepEqual(picks(299, () => lb.pick()), { 'a:1': 99, 'b:1': 100, 'c:1': 100 });
});

test('skips an unhealthy instance and shares its load evenly', () => {
  const down = new Set(['b:1']);
  const lb = roundRobin({ endpoints: () => fixed(['a:1', 'b:1', 'c:1'], down) });
  assert.deepEqual(picks(100, () => lb.pick()), { 'a:1': 50, 'c:1': 50 });
  down.clear();
  assert.deepEqual(picks(30, () => lb.pick()), { 'a:1': 10, 'b:1': 10, 'c:1': 10 }, 'recovered instance rejoins');
});

test('fails fast when every instance is unhealthy, and on an empty set', () => {
  const all = roundRobin({ endpoints: () => fixed(['a:1', 'b:1'], new Set(['a:1', 'b:1'])) });
  assert.throws(() => all.pick(), (e) => isNoHealthyEndpointsError(e) && e.instances.join() === 'a:1,b:1');
  const none = roundRobin({ endpoints: () => fixed([]) });
  assert.throws(() => none.pick(), isNoEndpointsError);
});

test('passes over instances this call already tried, unless nothing else is healthy', () => {
  const down = new Set<string>();
  const lb = roundRobin({ endpoints: () => fixed(['a:1', 'b:1', 'c:1'], down) });
  assert.equal(lb.pick(['a:1']).instance, 'b:1');
  assert.equal(lb.pick(['b:1', 'c:1']).instance, 'a:1', 'skips two tried ones');
  assert.equal(lb.pick([]).instance, 'b:1', 'the rotation goes on after the pick');
  down.add('b:1');
  down.add('c:1');
  assert.equal(lb.pick(['a:1']).instance, 'a:1', 'the only healthy instance is retried rather than failing');
  down.add('a:1');
  assert.throws(() => lb.pick(['a:1']), isNoHealthyEndpointsError);
});
