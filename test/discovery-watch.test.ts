import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, DiscoveryV1Api, RbacAuthorizationV1Api, type V1EndpointSlice } from '@kubernetes/client-node';
import { inClusterConfig } from '../src/kit/kubernetes/config.ts';
import { type ControlPlane, startControlPlane } from './controlplane/harness.ts';
import { controlPlaneSkip } from './controlplane/require.ts';
import { eventually } from './support/metrics.ts';
import { within } from './support/wait.ts';
import { setupTimeout } from './tools.ts';
import type { InstanceEvent } from '../src/kit/sd/instancer.ts';
import { KubernetesInstancer } from '../src/kit/sd/kubernetes/instancer.ts';
import { endpointSliceClient, serviceNameLabel } from '../src/kit/sd/kubernetes/resources.ts';
import type { EndpointSliceLike } from '../src/kit/sd/kubernetes/endpointslices.ts';
import type { RestartReason } from '../src/kit/sd/kubernetes/watcher.ts';
import { statusCode, type ResourceClient } from '../src/kit/sd/kubernetes/resource-client.ts';

// The instancer in-process against a real API server without watch cache, so that etcd
// compaction really turns old resourceVersions into 410. Slices are written by the test
// for Services without a selector, which the controllers leave alone.

const ns = 'watch';

/** cuttable wraps a client so the test can drop the watch and hold reconnection back. */
function cuttable<T>(inner: ResourceClient<T>) {
  let gate: Promise<void> | undefined;
  let open: (() => void) | undefined;
  let cutCurrent: (() => void) | undefined;
  let opened: (() => void) | undefined;
  const watching = new Promise<void>((r) => (opened = r));
  const client: ResourceClient<T> = {
    list: () => inner.list(),
    async watch(rv, onEvent, onDone) {
      await gate;
      let done = false;
      const finish = (err: unknown) => {
        if (done) return;
        done = true;
        onDone(err);
      };
      const handle = await inner.watch(rv, onEvent, finish);
      cutCurrent = () => {
        handle.abort();
        finish(new Error('connection cut by the test'));
      };
      opened?.();
      return handle;
    },
  };
  return {
    client,
    /** watching resolves once the first watch is open. */
    watching,
    cut() {
      gate = new Promise((r) => (open = r));
      cutCurrent?.();
    },
    release() {
      gate = undefined;
      open?.();
    },
  };
}

/** sliceLists reads how many EndpointSlice LIST requests the API server has answered so far. */
async function sliceLists(cp: ControlPlane): Promise<number> {
  const server = cp.kc.getCurrentCluster()!.server;
  const options: RequestOptions = {};
  await cp.kc.applyToHTTPSOptions(options);
  const text = await within(new Promise<string>((resolve, reject) => {
    const req = request(`${server}/metrics`, options, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve(body)).on('error', reject);
    });
    req.on('error', reject).end();
  }), 30_000, "the API server's /metrics");
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('apiserver_request_total{') && line.includes('resource="endpointslices"') && line.includes('verb="LIST"')) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

function slice(name: string, service: string, ips: string[], ready = (_: number) => true): V1EndpointSlice {
  return {
    metadata: { name, labels: { [serviceNameLabel]: service } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: ips.map((ip, i) => ({ addresses: [ip], conditions: { ready: ready(i) } })),
  };
}

describe('Kubernetes watch robustness against a real API server', { skip: controlPlaneSkip() }, () => {
  let cp: ControlPlane;
  let core: CoreV1Api;
  let discovery: DiscoveryV1Api;
  const stops: Array<() => Promise<void>> = [];

  before(async () => {
    cp = await startControlPlane({ watchCache: false });
    core = cp.kc.makeApiClient(CoreV1Api);
    discovery = cp.kc.makeApiClient(DiscoveryV1Api);
    await cp.createNamespace(ns);
  }, { timeout: setupTimeout() });
  after(async () => {
    await Promise.all(stops.map((s) => s()));
    await cp?.stop();
  });

  async function service(name: string): Promise<void> {
    await core.createNamespacedService({ namespace: ns, body: { metadata: { name }, spec: { ports: [{ name: 'http', port: 80 }] } } });
  }

  test('history compacted while disconnected: 410, relist, diff — never an empty set in between', async () => {
    await service('compact');
    await discovery.createNamespacedEndpointSlice({ namespace: ns, body: slice('compact-a', 'compact', ['10.20.0.1', '10.20.0.2']) });
    const c = cuttable(endpointSliceClient(cp.kc, { namespace: ns, service: 'compact' }));
    const restarts: RestartReason[] = [];
    const events: InstanceEvent[] = [];
    const inst = new KubernetesInstancer({ client: c.client, kind: 'endpointslices', port: 'http', backoff: { initialMs: 20 }, onRestart: (r) => restarts.push(r) });
    stops.push(() => inst.stop());
    inst.subscribe((e) => events.push(e));
    inst.start();
    await within(c.watching, 30_000, 'the instancer to open its first watch');
    c.cut();
    await discovery.replaceNamespacedEndpointSlice({ namespace: ns, name: 'compact-a', body: slice('compact-a', 'compact', ['10.20.0.1', '10.20.0.2', '10.20.0.3']) });
    await discovery.createNamespacedEndpointSlice({ namespace: ns, body: slice('compact-b', 'compact', ['10.20.0.4']) });
    await discovery.deleteNamespacedEndpointSlice({ namespace: ns, name: 'compact-a' });
    await discovery.createNamespacedEndpointSlice({ namespace: ns, body: slice('compact-c', 'compact', ['10.20.0.5']) });
    await cp.compactEtcd();
    c.release();
    await eventually('relisted set', () => inst.instances().join() === '10.20.0.4:8080,10.20.0.5:8080', 30_000);
    assert.ok(restarts.includes('gone'), `restarts: ${restarts}`);
    // The empty set before the first sync, the first listed set (published again when a watch
    // reconnects after the cut's error event), then straight to the relisted one: no empty set and
    // none of the states the watch missed in between.
    const first = '10.20.0.1:8080,10.20.0.2:8080';
    const sets = events.filter((e) => e.instances).map((e) => e.instances!.join());
    const distinct = sets.filter((s, i) => i === 0 || s !== sets[i - 1]);
    assert.deepEqual(distinct, ['', first, '10.20.0.4:8080,10.20.0.5:8080'], `published sets: ${JSON.stringify(sets)}`);
  });

  test('1,000 endpoints across 11 slices listed in pages, one a duplicate: merged and de-duplicated, updates and deletions applied', async () => {
    await service('big');
    const ips = (i: number) => Array.from({ length: 100 }, (_, j) => `10.30.${i}.${j + 1}`);
    for (let i = 0; i < 10; i++) await discovery.createNamespacedEndpointSlice({ namespace: ns, body: slice(`big-${i}`, 'big', ips(i)) });
    // A controller moving endpoints between slices lists them twice for a while.
    await discovery.createNamespacedEndpointSlice({ namespace: ns, body: slice('big-dup', 'big', ips(0)) });
    // In pages of 4, the 11 slices take three LIST requests, as the API server itself counts them.
    const listsBefore = await sliceLists(cp);
    const inst = new KubernetesInstancer({ client: endpointSliceClient(cp.kc, { namespace: ns, service: 'big', pageSize: 4 }), kind: 'endpointslices', port: 'http' });
    stops.push(() => inst.stop());
    inst.start();
    await within(inst.synced, 60_000, 'the first sync of 1,000 endpoints in pages');
    assert.equal(inst.instances().length, 1000);
    // At least: another test's instancer, still watching, may relist meanwhile; unpaged this is 1.
    const lists = (await sliceLists(cp)) - listsBefore;
    assert.ok(lists >= 3, `EndpointSlice LIST requests while syncing: ${lists}`);
    await discovery.deleteNamespacedEndpointSlice({ namespace: ns, name: 'big-0' });
    await discovery.replaceNamespacedEndpointSlice({ namespace: ns, name: 'big-3', body: slice('big-3', 'big', ips(3), (j) => j % 2 === 0) });
    await eventually('950', () => inst.instances().length === 950, 30_000);
    await discovery.deleteNamespacedEndpointSlice({ namespace: ns, name: 'big-7' });
    await eventually('850', () => inst.instances().length === 850, 30_000);
    assert.ok(inst.instances().includes('10.30.0.1:8080'), 'still listed by the duplicate slice');
    assert.ok(!inst.instances().includes('10.30.3.2:8080'), 'not ready');
    assert.ok(!inst.instances().some((i) => i.startsWith('10.30.7.')), 'deleted slice');
  });

  test('a watch silent past --watch-timeout is restarted and the set is kept', async () => {
    await service('quiet');
    await discovery.createNamespacedEndpointSlice({ namespace: ns, body: slice('quiet-a', 'quiet', ['10.40.0.1']) });
    const restarts: RestartReason[] = [];
    const events: InstanceEvent[] = [];
    const inst = new KubernetesInstancer({
      client: endpointSliceClient(cp.kc, { namespace: ns, service: 'quiet' }),
      kind: 'endpointslices',
      port: 'http',
      silentMs: 300,
      backoff: { initialMs: 10, maxMs: 50 },
      onRestart: (r) => restarts.push(r),
    });
    stops.push(() => inst.stop());
    inst.subscribe((e) => events.push(e));
    inst.start();
    await within(inst.synced, 30_000, 'the first sync of the quiet service');
    await eventually('two silent restarts', () => restarts.filter((r) => r === 'silent').length >= 2, 10_000);
    assert.deepEqual(inst.instances(), ['10.40.0.1:8080']);
    assert.ok(events.every((e) => !e.instances || e.instances.length <= 1));
    await discovery.createNamespacedEndpointSlice({ namespace: ns, body: slice('quiet-b', 'quiet', ['10.40.0.2']) });
    await eventually('follows changes after restarts', () => inst.instances().length === 2, 10_000);
  });

  test('in-cluster credentials: a rotated token file is picked up without a restart', async (t) => {
    await service('rotate');
    await discovery.createNamespacedEndpointSlice({ namespace: ns, body: slice('rotate-a', 'rotate', ['10.60.0.1']) });
    for (const name of ['expired', 'reader']) await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name } } });
    const rbac = cp.kc.makeApiClient(RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({ namespace: ns, body: { metadata: { name: 'reader' }, rules: [{ apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] }] } });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: { metadata: { name: 'reader' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' }, subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }] },
    });
    // A ServiceAccount mount as the kubelet writes it; the first token's identity has no access.
    const saDir = mkdtempSync(join(tmpdir(), 'stringsvc-sa-'));
    t.after(() => rmSync(saDir, { recursive: true, force: true }));
    writeFileSync(join(saDir, 'ca.crt'), Buffer.from(cp.kc.getCurrentCluster()!.caData!, 'base64'));
    const tokenOf = async (sa: string) => (await cp.kubeConfigFor(ns, sa)).getCurrentUser()!.token!;
    writeFileSync(join(saDir, 'token'), await tokenOf('expired'));
    utimesSync(join(saDir, 'token'), 1000, 1000);
    const url = new URL(cp.server);
    const kc = inClusterConfig(url.hostname, url.port, saDir);
    const codes: Array<number | undefined> = [];
    const inst = new KubernetesInstancer({
      client: endpointSliceClient(kc, { namespace: ns, service: 'rotate' }),
      kind: 'endpointslices',
      port: 'http',
      backoff: { initialMs: 20, maxMs: 100 },
      onError: (err) => codes.push(statusCode(err)),
    });
    stops.push(() => inst.stop());
    inst.start();
    await eventually('refused with the first token', () => codes.length >= 2, 10_000);
    assert.equal(codes[0], 403);
    // The kubelet rotates the file in place; the next attempt must use the new token.
    writeFileSync(join(saDir, 'token'), await tokenOf('reader'));
    utimesSync(join(saDir, 'token'), 2000, 2000);
    await within(inst.synced, 30_000, 'the first sync with the rotated token');
    assert.deepEqual(inst.instances(), ['10.60.0.1:8080']);
  });
});
