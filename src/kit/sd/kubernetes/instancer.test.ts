import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { InstanceEvent } from '../instancer.ts';
import type { EndpointSliceLike } from './endpointslices.ts';
import { KubernetesInstancer } from './instancer.ts';
import type { Listed, ResourceClient, WatchEventType } from './resource-client.ts';
import { within } from '../../../../test/support/wait.ts';

/** ScriptedClient serves scripted lists and lets the test push watch events. */
class ScriptedClient implements ResourceClient<EndpointSliceLike> {
  lists: Array<Listed<EndpointSliceLike> | Error> = [];
  push: (type: WatchEventType, object: unknown) => void = () => {};
  end: (err: unknown) => void = () => {};
  #opened: Array<() => void> = [];

  async list(): Promise<Listed<EndpointSliceLike>> {
    const next = this.lists.shift() ?? new Error('no list');
    if (next instanceof Error) throw next;
    return next;
  }

  async watch(_rv: string, onEvent: (type: WatchEventType, object: unknown) => void, onDone: (err: unknown) => void) {
    this.push = onEvent;
    this.end = onDone;
    for (const f of this.#opened.splice(0)) f();
    return { abort() {} };
  }

  opened(): Promise<void> {
    return within(new Promise((r) => this.#opened.push(r)), 10_000, 'the instancer to open its next watch');
  }
}

const slice = (name: string, rv: string, ips: string[]): EndpointSliceLike => ({
  metadata: { name, resourceVersion: rv },
  addressType: 'IPv4',
  ports: [{ name: 'http', port: 8080 }],
  endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
});

test('publishes the merged set of all slices once synced, then only changes; relist diffs without an empty set', async () => {
  const client = new ScriptedClient();
  client.lists.push({ items: [slice('a', '1', ['10.0.0.1']), slice('b', '2', ['10.0.0.2', '10.0.0.1'])], resourceVersion: '2' });
  client.lists.push({ items: [slice('b', '2', ['10.0.0.2', '10.0.0.1']), slice('c', '9', ['10.0.0.3'])], resourceVersion: '9' });
  const events: InstanceEvent[] = [];
  const firsts: boolean[] = [];
  const inst = new KubernetesInstancer({ client, kind: 'endpointslices', port: 'http', onInstances: (_i, first) => firsts.push(first) });
  inst.subscribe((e) => events.push(e));
  let opened = client.opened();
  inst.start();
  await within(inst.synced, 10_000, "the instancer's first sync");
  await opened;
  client.push('MODIFIED', slice('a', '3', ['10.0.0.1']));
  client.push('DELETED', slice('a', '4', ['10.0.0.1']));
  client.push('ADDED', slice('d', '5', ['10.0.0.4']));
  opened = client.opened();
  client.push('ERROR', { code: 410, message: 'too old' });
  await opened;
  await inst.stop();
  assert.deepEqual(events, [
    { instances: [] },
    { instances: ['10.0.0.1:8080', '10.0.0.2:8080'] },
    { instances: ['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.4:8080'] },
    { instances: ['10.0.0.1:8080', '10.0.0.2:8080', '10.0.0.3:8080'] },
  ]);
  assert.deepEqual(firsts, [true, false, false]);
});

test('an empty service is a first sync too, so readiness can turn true', async () => {
  const client = new ScriptedClient();
  client.lists.push({ items: [], resourceVersion: '1' });
  const seen: boolean[] = [];
  const inst = new KubernetesInstancer({ client, kind: 'endpointslices', port: 'http', onInstances: (i, first) => seen.push(first && i.length === 0) });
  inst.start();
  await within(inst.synced, 10_000, 'the first sync of an empty service');
  await inst.stop();
  assert.deepEqual(seen, [true]);
});

test('a watch failure publishes an error; reconnecting publishes the held set again', async () => {
  const client = new ScriptedClient();
  client.lists.push({ items: [slice('a', '1', ['10.0.0.1'])], resourceVersion: '1' });
  const events: InstanceEvent[] = [];
  const restarts: string[] = [];
  const inst = new KubernetesInstancer({
    client,
    kind: 'endpointslices',
    port: 'http',
    backoff: { initialMs: 1 },
    onRestart: (reason) => restarts.push(reason),
  });
  inst.subscribe((e) => events.push(e));
  let opened = client.opened();
  inst.start();
  await opened;
  opened = client.opened();
  client.end(new Error('socket hang up'));
  await opened;
  await new Promise((r) => setImmediate(r));
  await inst.stop();
  assert.deepEqual(events.map((e) => e.err?.message ?? e.instances), [[], ['10.0.0.1:8080'], 'socket hang up', ['10.0.0.1:8080']]);
  assert.deepEqual(restarts, ['error']);
});

test('legacy Endpoints mode reads subsets', async () => {
  const client = {
    list: async () => ({
      items: [{ metadata: { name: 'web', resourceVersion: '1' }, subsets: [{ addresses: [{ ip: '10.0.0.7' }], notReadyAddresses: [{ ip: '10.0.0.8' }], ports: [{ name: 'http', port: 80 }] }] }],
      resourceVersion: '1',
    }),
    watch: async () => ({ abort() {} }),
  };
  const inst = new KubernetesInstancer({ client, kind: 'endpoints', port: 'http' }).start();
  await within(inst.synced, 10_000, 'the first sync of legacy Endpoints');
  assert.deepEqual(inst.instances(), ['10.0.0.7:80']);
  await inst.stop();
});
