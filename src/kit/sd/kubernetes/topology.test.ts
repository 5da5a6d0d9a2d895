import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InstanceEvent } from '../instancer.ts';
import type { EndpointSliceLike } from './endpointslices.ts';
import { KubernetesInstancer } from './instancer.ts';
import type { Listed, ResourceClient, WatchEventType } from './resource-client.ts';
import { preferLocal, sliceHints, type Hints } from './topology.ts';
import { within } from '../../../../test/support/wait.ts';

const hinted = (zones: string[], nodes: string[] = []): Hints => ({ zones, nodes });

test('preferLocal: zone hints for our zone, else all; node hints win when every instance has them', () => {
  const hints: Record<string, Hints | undefined> = { a1: hinted(['a'], ['n1']), a2: hinted(['a'], ['n2']), b1: hinted(['b'], ['n3']) };
  const all = Object.keys(hints);
  const of = (i: string) => hints[i];
  assert.deepEqual(preferLocal(all, of, { zone: 'a' }), { instances: ['a1', 'a2'], mode: 'zone' });
  assert.deepEqual(preferLocal(all, of, { zone: 'a', node: 'n2' }), { instances: ['a2'], mode: 'node' });
  assert.deepEqual(preferLocal(all, of, { zone: 'b', node: 'n9' }), { instances: ['b1'], mode: 'zone' }, 'no node hint for us: zone');
  assert.deepEqual(preferLocal(all, of, { zone: 'c' }), { instances: all, mode: 'all', reason: 'no instance is for zone c' });
  assert.deepEqual(preferLocal(all, of, {}), { instances: all, mode: 'all', reason: 'own zone unknown' });
  hints.b1 = undefined;
  assert.deepEqual(preferLocal(all, of, { zone: 'a' }), { instances: all, mode: 'all', reason: 'an instance has no zone hints' });
  assert.deepEqual(preferLocal([], of, { zone: 'a' }).instances, []);
});

test('sliceHints reads forZones and forNodes of usable endpoints at the chosen port', () => {
  const slice: EndpointSliceLike = {
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: [
      { addresses: ['10.0.0.1'], conditions: { ready: true }, hints: { forZones: [{ name: 'a' }], forNodes: [{ name: 'n1' }] } },
      { addresses: ['10.0.0.2'], conditions: { ready: true } },
      { addresses: ['10.0.0.3'], conditions: { ready: false }, hints: { forZones: [{ name: 'b' }] } },
    ],
  };
  assert.deepEqual([...sliceHints(slice, 'http')], [['10.0.0.1:8080', { zones: ['a'], nodes: ['n1'] }], ['10.0.0.2:8080', undefined]]);
  assert.equal(sliceHints(slice, 'grpc').size, 0);
});

/** PushClient lists once and lets the test push watch events. */
class PushClient implements ResourceClient<EndpointSliceLike> {
  push: (type: WatchEventType, object: unknown) => void = () => {};
  #opened!: () => void;
  readonly opened = new Promise<void>((r) => (this.#opened = r));
  readonly items: EndpointSliceLike[];
  constructor(items: EndpointSliceLike[]) {
    this.items = items;
  }
  async list(): Promise<Listed<EndpointSliceLike>> {
    return { items: this.items, resourceVersion: '1' };
  }
  async watch(_rv: string, onEvent: (type: WatchEventType, object: unknown) => void) {
    this.push = onEvent;
    this.#opened();
    return { abort() {} };
  }
}

const zoned = (rv: string, byZone: Record<string, string | undefined>): EndpointSliceLike => ({
  metadata: { name: 's', resourceVersion: rv },
  addressType: 'IPv4',
  ports: [{ name: 'http', port: 8080 }],
  endpoints: Object.entries(byZone).map(([ip, zone]) => ({ addresses: [ip], conditions: { ready: true }, ...(zone ? { hints: { forZones: [{ name: zone }] } } : {}) })),
});

test('with topology on, a change of hints alone is a discovery update with the full set', async () => {
  const client = new PushClient([zoned('1', { '10.0.0.1': 'a', '10.0.0.2': 'b' })]);
  const modes: string[] = [];
  const inst = new KubernetesInstancer({ client, kind: 'endpointslices', port: 'http', topology: { zone: 'a' }, onInstances: (_i, _f, d) => modes.push(d!.mode) });
  const events: InstanceEvent[] = [];
  inst.subscribe((e) => events.push(e));
  inst.start();
  await within(inst.synced, 10_000, "the instancer's first sync");
  await within(client.opened, 10_000, 'the instancer to open its watch');
  client.push('MODIFIED', zoned('2', { '10.0.0.1': undefined, '10.0.0.2': undefined }));
  client.push('MODIFIED', zoned('3', { '10.0.0.1': 'b', '10.0.0.2': 'b' }));
  client.push('MODIFIED', zoned('4', { '10.0.0.1': 'b', '10.0.0.2': 'b' }));
  client.push('MODIFIED', zoned('5', { '10.0.0.1': 'a', '10.0.0.2': 'b' }));
  await inst.stop();
  assert.deepEqual(events.map((e) => e.instances), [[], ['10.0.0.1:8080'], ['10.0.0.1:8080', '10.0.0.2:8080'], ['10.0.0.1:8080']]);
  assert.deepEqual(modes, ['zone', 'all', 'zone']);
});
