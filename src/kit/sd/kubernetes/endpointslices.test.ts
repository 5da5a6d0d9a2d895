import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  instanceOf,
  MergedSet,
  pickPort,
  sliceContribution,
  useOf,
  type EndpointSliceLike,
  type PortSelector,
} from './endpointslices.ts';
import type { Instance } from '../instancer.ts';

/** mergeSlices is the full, non-incremental merge: the reference the incremental one is tested against. */
function mergeSlices(slices: readonly EndpointSliceLike[], port: PortSelector): Instance[] {
  const ready = new Set<Instance>();
  const drain = new Set<Instance>();
  for (const s of slices) {
    for (const [instance, use] of sliceContribution(s, port)) (use === 'ready' ? ready : drain).add(instance);
  }
  return [...(ready.size > 0 ? ready : drain)].sort();
}

const ports = [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'metrics', port: 9090 }];

function slice(name: string, endpoints: EndpointSliceLike['endpoints'], extra: Partial<EndpointSliceLike> = {}): EndpointSliceLike {
  return { metadata: { name }, addressType: 'IPv4', endpoints, ports, ...extra };
}

const ready = (ip: string) => ({ addresses: [ip], conditions: { ready: true, serving: true, terminating: false } });
const notReady = (ip: string) => ({ addresses: [ip], conditions: { ready: false, serving: false, terminating: false } });
const draining = (ip: string) => ({ addresses: [ip], conditions: { ready: false, serving: true, terminating: true } });

test('pickPort matches by name, or by number when the selector is digits; TCP only', () => {
  assert.equal(pickPort(ports, 'http'), 8080);
  assert.equal(pickPort(ports, 'metrics'), 9090);
  assert.equal(pickPort(ports, '9090'), 9090);
  assert.equal(pickPort(ports, 'grpc'), undefined);
  assert.equal(pickPort([{ name: '', port: 80 }], ''), 80);
  assert.equal(pickPort([{ name: 'http', port: 80, protocol: 'UDP' }], 'http'), undefined);
  assert.equal(pickPort(undefined, 'http'), undefined);
});

test('instanceOf brackets IPv6', () => {
  assert.equal(instanceOf('10.0.0.1', 80), '10.0.0.1:80');
  assert.equal(instanceOf('fd00::1', 80), '[fd00::1]:80');
});

test('useOf: nil ready counts as ready, serving+terminating drains, the rest is dropped', () => {
  assert.equal(useOf(undefined), 'ready');
  assert.equal(useOf({}), 'ready');
  assert.equal(useOf({ ready: null }), 'ready');
  assert.equal(useOf({ ready: true, terminating: true }), 'ready');
  assert.equal(useOf({ ready: false, serving: true, terminating: true }), 'drain');
  assert.equal(useOf({ ready: false, serving: true }), undefined);
  assert.equal(useOf({ ready: false, terminating: true }), undefined);
  assert.equal(useOf({ ready: false }), undefined);
});

test('mergeSlices merges all slices and de-duplicates addresses across them', () => {
  const a = slice('a', [ready('10.0.0.1'), ready('10.0.0.2')]);
  const b = slice('b', [ready('10.0.0.2'), ready('10.0.0.3'), notReady('10.0.0.4')]);
  assert.deepEqual(mergeSlices([a, b], 'http'), ['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080']);
  assert.deepEqual(mergeSlices([a, b], '9090'), ['10.0.0.1:9090', '10.0.0.2:9090', '10.0.0.3:9090']);
});

test('an endpoint with several addresses yields one instance per address', () => {
  const s = slice('a', [{ addresses: ['10.0.0.1', '10.0.0.9'] }]);
  assert.deepEqual(mergeSlices([s], 'http'), ['10.0.0.1:8080', '10.0.0.9:8080']);
});

test('draining endpoints are used only when no endpoint is ready', () => {
  const s = slice('a', [draining('10.0.0.1'), ready('10.0.0.2')]);
  assert.deepEqual(mergeSlices([s], 'http'), ['10.0.0.2:8080']);
  const onlyDraining = slice('a', [draining('10.0.0.1'), notReady('10.0.0.2')]);
  assert.deepEqual(mergeSlices([onlyDraining], 'http'), ['10.0.0.1:8080']);
  assert.deepEqual(mergeSlices([slice('a', [notReady('10.0.0.2')])], 'http'), []);
});

test('IPv6 slices give bracketed instances; FQDN slices are ignored', () => {
  const v6 = slice('v6', [ready('fd00::a')], { addressType: 'IPv6' });
  const fqdn = slice('f', [ready('backend.example')], { addressType: 'FQDN' });
  assert.deepEqual(mergeSlices([v6, fqdn], 'http'), ['[fd00::a]:8080']);
});

test('slices lacking the selected port contribute nothing', () => {
  const other = slice('o', [ready('10.0.0.1')], { ports: [{ name: 'grpc', port: 9000 }] });
  assert.equal(sliceContribution(other, 'http').size, 0);
});

test('MergedSet: deleting a slice removes its instances, but not ones another slice still lists', () => {
  const m = new MergedSet();
  assert.equal(m.apply('a', sliceContribution(slice('a', [ready('10.0.0.1'), ready('10.0.0.2')]), 'http')), true);
  assert.equal(m.apply('b', sliceContribution(slice('b', [ready('10.0.0.2')]), 'http')), false);
  assert.deepEqual(m.instances(), ['10.0.0.1:8080', '10.0.0.2:8080']);
  assert.equal(m.apply('a', undefined), true);
  assert.deepEqual(m.instances(), ['10.0.0.2:8080']);
  assert.deepEqual([...m.keys()], ['b']);
});

test('MergedSet: an unchanged update reports no change and keeps the same array', () => {
  const m = new MergedSet();
  m.apply('a', sliceContribution(slice('a', [ready('10.0.0.1')]), 'http'));
  const before = m.instances();
  assert.equal(m.apply('a', sliceContribution(slice('a', [ready('10.0.0.1')]), 'http')), false);
  assert.equal(m.instances(), before);
});

test('MergedSet: draining changes are invisible while something is ready, visible when nothing is', () => {
  const m = new MergedSet();
  m.apply('a', sliceContribution(slice('a', [ready('10.0.0.1')]), 'http'));
  assert.equal(m.apply('b', sliceContribution(slice('b', [draining('10.0.0.2')]), 'http')), false);
  assert.equal(m.apply('a', sliceContribution(slice('a', [draining('10.0.0.1')]), 'http')), true);
  assert.deepEqual(m.instances(), ['10.0.0.1:8080', '10.0.0.2:8080']);
  assert.equal(m.apply('b', undefined), true);
  assert.deepEqual(m.instances(), ['10.0.0.1:8080']);
  assert.equal(m.apply('c', sliceContribution(slice('c', [ready('10.0.0.3')]), 'http')), true);
  assert.deepEqual(m.instances(), ['10.0.0.3:8080']);
});

test('MergedSet: incremental updates always equal the full recompute (randomised)', () => {
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const makers = [ready, notReady, draining, (ip: string) => ({ addresses: [ip] })];
  const current = new Map<string, EndpointSliceLike>();
  const m = new MergedSet();
  for (let step = 0; step < 2000; step++) {
    const key = `s${rand(6)}`;
    if (rand(5) === 0) {
      current.delete(key);
      m.apply(key, undefined);
    } else {
      const eps = Array.from({ length: rand(6) }, () => makers[rand(makers.length)]!(`10.0.0.${rand(12)}`));
      const s = slice(key, eps, rand(8) === 0 ? { ports: [{ name: 'http', port: 8081 }] } : {});
      current.set(key, s);
      const before = m.instances();
      const changed = m.apply(key, sliceContribution(s, 'http'));
      assert.equal(changed, before.join() !== m.instances().join(), `step ${step}: change report`);
    }
    assert.deepEqual(m.instances(), mergeSlices([...current.values()], 'http'), `step ${step}`);
  }
});
