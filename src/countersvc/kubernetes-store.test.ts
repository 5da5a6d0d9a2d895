import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException, type V1ConfigMap } from '@kubernetes/client-node';
import { defaultBackoffMs, kubernetesStore, type ConfigMapApi } from './kubernetes-store.ts';
import { isOutOfRangeError, isStoreUnavailableError } from './store.ts';

/**
 * fakeConfigMaps emulates the three ConfigMap calls of an API server, in memory: 404 on a
 * missing object, 409 on create of an existing one and on replace with a stale
 * resourceVersion. `before` lets a test interfere (another writer, an outage) per call.
 */
function fakeConfigMaps(before: (call: 'read' | 'create' | 'replace', n: number) => void = () => {}) {
  const objects = new Map<string, V1ConfigMap>();
  let rv = 100;
  const calls = { read: 0, create: 0, replace: 0 };
  const copy = (cm: V1ConfigMap): V1ConfigMap => structuredClone(cm);
  const api: ConfigMapApi = {
    async readNamespacedConfigMap({ name, namespace }) {
      before('read', ++calls.read);
      const cm = objects.get(`${namespace}/${name}`);
      if (!cm) throw new ApiException(404, 'NotFound', '{}', {});
      return copy(cm);
    },
    async createNamespacedConfigMap({ namespace, body }) {
      before('create', ++calls.create);
      const key = `${namespace}/${body.metadata!.name}`;
      if (objects.has(key)) throw new ApiException(409, 'AlreadyExists', '{}', {});
      const cm = { ...copy(body), metadata: { ...body.metadata, resourceVersion: String(++rv) } };
      objects.set(key, cm);
      return copy(cm);
    },
    async replaceNamespacedConfigMap({ name, namespace, body }) {
      before('replace', ++calls.replace);
      const cur = objects.get(`${namespace}/${name}`);
      if (!cur) throw new ApiException(404, 'NotFound', '{}', {});
      if (body.metadata?.resourceVersion !== cur.metadata?.resourceVersion) throw new ApiException(409, 'Conflict', '{}', {});
      const cm = { ...copy(body), metadata: { ...body.metadata, resourceVersion: String(++rv) } };
      objects.set(`${namespace}/${name}`, cm);
      return copy(cm);
    },
  };
  /** set writes the total directly, as another replica would, bumping the resourceVersion. */
  const set = (total: string) => {
    const cm = objects.get('ns/counter')!;
    objects.set('ns/counter', { ...cm, data: { total }, metadata: { ...cm.metadata, resourceVersion: String(++rv) } });
  };
  const total = () => objects.get('ns/counter')?.data?.['total'];
  return { api, calls, set, total, objects };
}

const fast = { namespace: 'ns', name: 'counter', sleep: async () => {} };

test('creates the ConfigMap at 0 when missing, then keeps a running total in it', async () => {
  const fake = fakeConfigMaps();
  const store = kubernetesStore({ ...fast, api: fake.api });
  assert.equal(await store.add(1), 1);
  assert.equal(await store.add(2), 3);
  assert.equal(await store.add(3), 6);
  assert.equal(fake.total(), '6');
  assert.equal(fake.calls.create, 1);
  // The written object is remembered, so sequential adds cost one replace each.
  assert.equal(fake.calls.read, 1);
  assert.equal(fake.objects.get('ns/counter')?.metadata?.labels?.['app.kubernetes.io/component'], 'counter');
});

test('a create race (409 AlreadyExists) reads the winner instead', async () => {
  const fake = fakeConfigMaps((call, n) => {
    // Another replica creates it between our 404 and our create.
    if (call === 'create' && n === 1) {
      fake.objects.set('ns/counter', { metadata: { name: 'counter', namespace: 'ns', resourceVersion: '7' }, data: { total: '40' } });
    }
  });
  const store = kubernetesStore({ ...fast, api: fake.api });
  assert.equal(await store.add(2), 42);
  assert.equal(fake.total(), '42');
});

test('a 409 on replace means another writer won: re-read, re-apply, and count the conflict', async () => {
  const conflicts: number[] = [];
  const delays: number[] = [];
  const fake = fakeConfigMaps();
  const store = kubernetesStore({
    ...fast,
    api: fake.api,
    backoffMs: (n) => n * 10,
    sleep: async (ms) => void delays.push(ms),
    onConflict: (n) => conflicts.push(n),
  });
  assert.equal(await store.add(1), 1);
  fake.set('100'); // another replica added 99; our cached resourceVersion is now stale
  assert.equal(await store.add(5), 105);
  assert.equal(fake.total(), '105');
  assert.deepEqual(conflicts, [1]);
  assert.deepEqual(delays, [10]);
});

test('adds arriving during a write are committed together, each answered with its own running total', async () => {
  const commits: Array<[number, number]> = [];
  const fake = fakeConfigMaps();
  const store = kubernetesStore({ ...fast, api: fake.api, onCommit: (batch, attempts) => commits.push([batch, attempts]) });
  const results = await Promise.all([1, 2, 3, 4, 5].map((v) => store.add(v)));
  assert.deepEqual(results, [1, 3, 6, 10, 15]);
  assert.equal(fake.total(), '15');
  assert.deepEqual(commits, [[1, 1], [4, 1]]);
});

test('gives up after maxAttempts conflicts with StoreUnavailableError, having written nothing', async () => {
  const fake = fakeConfigMaps((call) => {
    // A writer that always gets in between our read and our replace.
    if (call === 'replace' && fake.objects.has('ns/counter')) fake.set(String(Number(fake.total()) + 1));
  });
  const store = kubernetesStore({ ...fast, api: fake.api, maxAttempts: 5 });
  await assert.rejects(store.add(1000), (e) => isStoreUnavailableError(e) && /5 attempts conflicted/.test(e.message));
  assert.equal(fake.calls.replace, 5);
  assert.equal(fake.total(), '5'); // only the other writer's increments
});

test('other API failures are not retried (the write may have landed) and answer StoreUnavailableError', async () => {
  const fake = fakeConfigMaps((call, n) => {
    if (call === 'replace' && n === 2) throw new ApiException(500, 'Internal', '{}', {});
  });
  const store = kubernetesStore({ ...fast, api: fake.api });
  assert.equal(await store.add(1), 1);
  await assert.rejects(store.add(2), (e) => isStoreUnavailableError(e) && /HTTP 500/.test(e.message));
  assert.equal(fake.calls.replace, 2);
  // The next add starts from a fresh read.
  assert.equal(await store.add(3), 4);
  assert.equal(fake.calls.read, 2);
});

test('an add leaving the safe range fails alone; the rest of its batch is written', async () => {
  const fake = fakeConfigMaps();
  const store = kubernetesStore({ ...fast, api: fake.api });
  await store.add(1);
  const [a, b, c] = await Promise.allSettled([store.add(2), store.add(Number.MAX_SAFE_INTEGER), store.add(3)]);
  assert.deepEqual(a, { status: 'fulfilled', value: 3 });
  assert.ok(b.status === 'rejected' && isOutOfRangeError(b.reason));
  assert.deepEqual(c, { status: 'fulfilled', value: 6 });
  assert.equal(fake.total(), '6');
});

test('a total it cannot parse is never overwritten', async () => {
  const fake = fakeConfigMaps();
  fake.objects.set('ns/counter', { metadata: { name: 'counter', namespace: 'ns', resourceVersion: '1' }, data: { total: 'twelve' } });
  const store = kubernetesStore({ ...fast, api: fake.api });
  await assert.rejects(store.add(1), (e) => isStoreUnavailableError(e) && /not an integer/.test(e.message));
  assert.equal(fake.calls.replace, 0);
  assert.equal(fake.total(), 'twelve');
});

test('three stores sharing one ConfigMap lose no update', async () => {
  const fake = fakeConfigMaps();
  // Real delays so the stores interleave between read and replace.
  let conflicts = 0;
  const stores = [1, 2, 3].map(() =>
    kubernetesStore({ ...fast, api: fake.api, sleep: (ms) => new Promise((r) => setTimeout(r, ms)), onConflict: () => conflicts++ }),
  );
  const tick = () => new Promise((r) => setImmediate(r));
  let sum = 0;
  const adds: Promise<number>[] = [];
  for (let i = 0; i < 30; i++) {
    for (const s of stores) {
      const v = (i % 7) + 1;
      sum += v;
      adds.push(s.add(v));
    }
    await tick();
  }
  const totals = await Promise.all(adds);
  assert.equal(fake.total(), String(sum));
  assert.equal(Math.max(...totals), sum);
  assert.equal(new Set(totals).size, totals.length, 'every acknowledged add saw a distinct total');
  assert.ok(conflicts > 0, 'the stores did contend');
});

test('default backoff is jittered, doubling from 5ms and capped at 250ms', () => {
  for (let n = 1; n <= 12; n++) {
    const d = defaultBackoffMs(n);
    assert.ok(d >= 0 && d <= Math.min(250, 5 * 2 ** (n - 1)), `attempt ${n}: ${d}`);
  }
});

test('a hung API call fails its batch with StoreUnavailableError after callTimeoutMs, and later adds go on', async () => {
  let hang = true;
  const fake = fakeConfigMaps();
  const api: ConfigMapApi = {
    ...fake.api,
    replaceNamespacedConfigMap: (p) => (hang ? new Promise(() => {}) : fake.api.replaceNamespacedConfigMap(p)),
  };
  const store = kubernetesStore({ ...fast, api, callTimeoutMs: 20 });
  await assert.rejects(store.add(1), (e) => isStoreUnavailableError(e) && /replace timed out after 20ms/.test(e.message));
  hang = false;
  assert.equal(await store.add(2), 2);
});

test("API failures carry the server's Status message", async () => {
  const status = JSON.stringify({ kind: 'Status', message: 'configmaps "counter" is forbidden: User "system:serviceaccount:ns:x" cannot get resource "configmaps"', code: 403 });
  const api: ConfigMapApi = {
    ...fakeConfigMaps().api,
    readNamespacedConfigMap: async () => {
      throw new ApiException(403, 'Forbidden', status, {});
    },
  };
  const store = kubernetesStore({ ...fast, api });
  await assert.rejects(store.add(1), (e) => isStoreUnavailableError(e) && /HTTP 403: configmaps "counter" is forbidden/.test(e.message));
});

test('a traced add records the store’s work on its span: each conflict, then the write', async () => {
  const fake = fakeConfigMaps((call, n) => {
    if (call === 'replace' && n <= 2) fake.set(String(10 * n));
  });
  const store = kubernetesStore({ ...fast, api: fake.api });
  const events: Array<[string, Record<string, unknown> | undefined]> = [];
  assert.equal(await store.add(1, { addEvent: (name, attributes) => events.push([name, attributes]) }), 21);
  assert.deepEqual(events, [
    ['configmap conflict; retrying', { attempt: 1, batch: 1 }],
    ['configmap conflict; retrying', { attempt: 2, batch: 1 }],
    ['configmap written', { attempt: 3, batch: 1 }],
  ]);
});
