import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { ApiException, CoreV1Api, DiscoveryV1Api, type V1EndpointSlice } from '@kubernetes/client-node';
import { type ControlPlane, startControlPlane } from './harness.ts';
import { waitFor } from './procs.ts';
import { controlPlaneSkip } from './require.ts';
import { setupTimeout } from '../tools.ts';

const ns = 'smoke';
// Non-loopback: the apiserver rejects loopback addresses in Endpoints (see README-testing.md).
const ips = ['10.244.0.11', '10.244.0.12'];

/** Ready addresses of the service's controller-derived EndpointSlices, sorted. */
async function sliceAddresses(cp: ControlPlane, service: string): Promise<{ ready: string[]; all: string[] }> {
  const discovery = cp.kc.makeApiClient(DiscoveryV1Api);
  const list = await discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: `kubernetes.io/service-name=${service}` });
  const eps = list.items.flatMap((s: V1EndpointSlice) => s.endpoints ?? []);
  return {
    ready: eps.filter((e) => e.conditions?.ready).flatMap((e) => e.addresses).sort(),
    all: eps.flatMap((e) => e.addresses).sort(),
  };
}

async function endpointsAddresses(cp: ControlPlane, service: string): Promise<string[]> {
  const core = cp.kc.makeApiClient(CoreV1Api);
  const ep = await core.readNamespacedEndpoints({ namespace: ns, name: service });
  return (ep.subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip)).sort();
}

describe('control plane smoke', { skip: controlPlaneSkip() }, () => {
  let cp: ControlPlane;
  let pids: number[] = [];

  before(async () => {
    cp = await startControlPlane();
    pids = cp.pids();
  }, { timeout: setupTimeout() });
  after(async () => {
    await cp?.stop();
  });

  test('Service + two Ready pods yield EndpointSlice and Endpoints, also after an apiserver restart', async () => {
    const core = cp.kc.makeApiClient(CoreV1Api);
    await cp.createNamespace(ns);
    await core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } },
    });
    for (const [i, ip] of ips.entries()) {
      await cp.createReadyPod({ namespace: ns, name: `web-${i}`, labels: { app: 'web' }, ip, ports: [{ name: 'http', containerPort: 8080 }] });
    }
    await waitFor('slice with both pods', async () => (await sliceAddresses(cp, 'web')).ready.join() === ips.join(), 30_000);
    await waitFor('endpoints with both pods', async () => (await endpointsAddresses(cp, 'web')).join() === ips.join(), 30_000);

    await cp.stopApiserver();
    await assert.rejects(core.listNamespacedPod({ namespace: ns }));
    await cp.startApiserver();

    // The controller-manager must have reconnected: a readiness flip shows up in the derived objects.
    await cp.setPodReady(ns, 'web-1', false);
    await waitFor('slice with web-1 not ready', async () => {
      const a = await sliceAddresses(cp, 'web');
      return a.ready.join() === ips[0] && a.all.join() === ips.join();
    }, 30_000);
    await waitFor('endpoints without web-1', async () => (await endpointsAddresses(cp, 'web')).join() === ips[0], 30_000);
  });

  test('a ServiceAccount token is subject to real RBAC', async () => {
    const core = cp.kc.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'nobody' } } });
    const asSa = (await cp.kubeConfigFor(ns, 'nobody')).makeApiClient(CoreV1Api);
    await assert.rejects(asSa.listNamespacedPod({ namespace: ns }), (err: unknown) => err instanceof ApiException && err.code === 403);
  });

  test('pods sharing one IP on distinct ports get one slice each', async () => {
    const core = cp.kc.makeApiClient(CoreV1Api);
    const hostIp = '10.244.9.9';
    await core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name: 'real' }, spec: { selector: { app: 'real' }, ports: [{ port: 80, targetPort: 'http' }] } },
    });
    for (const port of [18081, 18082]) {
      await cp.createReadyPod({ namespace: ns, name: `real-${port}`, labels: { app: 'real' }, ip: hostIp, ports: [{ name: 'http', containerPort: port }] });
    }
    const discovery = cp.kc.makeApiClient(DiscoveryV1Api);
    let targets: string[] = [];
    await waitFor('one slice per backend port', async () => {
      const list = await discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: 'kubernetes.io/service-name=real' });
      targets = list.items.flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses.map((a) => `${a}:${s.ports?.[0]?.port}`))).sort();
      return targets.length === 2;
    }, 30_000);
    assert.deepEqual(targets, [`${hostIp}:18081`, `${hostIp}:18082`]);
  });

  test('kubectl works against the admin kubeconfig', async () => {
    const { stdout } = await promisify(execFile)(cp.binaries.kubectl, ['--kubeconfig', cp.kubeconfigPath, 'get', 'pods', '-n', ns, '-o', 'name']);
    assert.deepEqual(stdout.trim().split('\n').sort(), ['pod/real-18081', 'pod/real-18082', 'pod/web-0', 'pod/web-1']);
  });

  test('stop() leaves no process behind', async () => {
    assert.equal(pids.length, 3);
    await cp.stop();
    await cp.stop();
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `pid ${pid} still running`);
    assert.deepEqual(cp.pids(), []);
  });
});
