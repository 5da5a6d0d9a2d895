import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { ApiException, ApiextensionsV1Api, AppsV1Api, CoreV1Api, CustomObjectsApi, DiscoveryV1Api, Watch } from '@kubernetes/client-node';
import { type ControlPlane, startControlPlane } from './harness.ts';
import { waitFor } from './procs.ts';
import { controlPlaneSkip } from './require.ts';
import { within } from '../support/wait.ts';
import { setupTimeout } from '../tools.ts';

const ns = 'h';

function isStatus(code: number) {
  return (err: unknown) => err instanceof ApiException && err.code === code;
}

describe('control plane harness', { skip: controlPlaneSkip() }, () => {
  let cp: ControlPlane;

  before(async () => {
    // Without the watch cache, compaction turns old resourceVersions into 410 at once.
    cp = await startControlPlane({ watchCache: false });
    await cp.createNamespace(ns, { 'pod-security.kubernetes.io/enforce': 'restricted' });
  }, { timeout: setupTimeout() });
  after(async () => {
    await cp?.stop();
  });

  test('a pod deleted while Ready stays terminating: serving+terminating in slices, gone from Endpoints', async () => {
    const core = cp.kc.makeApiClient(CoreV1Api);
    await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 't' }, spec: { selector: { app: 't' }, ports: [{ port: 80 }] } } });
    await cp.createReadyPod({ namespace: ns, name: 't-0', labels: { app: 't' }, ip: '10.244.1.10' });
    const endpointIps = async (): Promise<string[]> =>
      ((await core.readNamespacedEndpoints({ namespace: ns, name: 't' })).subsets ?? []).flatMap((s) => (s.addresses ?? []).map((a) => a.ip));
    await waitFor('endpoints with t-0', async () => (await endpointIps()).join() === '10.244.1.10', 30_000);
    await cp.markPodTerminating(ns, 't-0');
    const discovery = cp.kc.makeApiClient(DiscoveryV1Api);
    await waitFor('terminating endpoint in the slice', async () => {
      const list = await discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: 'kubernetes.io/service-name=t' });
      const c = list.items[0]?.endpoints?.[0]?.conditions;
      return c?.serving === true && c.terminating === true && c.ready === false;
    }, 30_000);
    await waitFor('endpoints without t-0', async () => (await endpointIps()).length === 0, 30_000);
    await cp.forceDeletePod(ns, 't-0');
  });

  test('Pod Security admission enforces the namespace level', async () => {
    const core = cp.kc.makeApiClient(CoreV1Api);
    const privileged = { name: 'c', image: 'x.invalid/x', securityContext: { privileged: true } };
    await assert.rejects(core.createNamespacedPod({ namespace: ns, body: { metadata: { name: 'p' }, spec: { containers: [privileged] } } }), isStatus(403));
  });

  test('loopback pod IPs are accepted on pods but rejected in EndpointSlices', async () => {
    const pod = await cp.createReadyPod({ namespace: ns, name: 'lo', labels: { app: 'no-service' }, ip: '127.0.0.2' });
    assert.equal(pod.status?.podIP, '127.0.0.2');
    const discovery = cp.kc.makeApiClient(DiscoveryV1Api);
    const body = { metadata: { name: 'lo' }, addressType: 'IPv4', endpoints: [{ addresses: ['127.0.0.2'] }], ports: [{ port: 8080 }] };
    await assert.rejects(discovery.createNamespacedEndpointSlice({ namespace: ns, body }), isStatus(422));
  });

  test('compactEtcd makes an older resourceVersion fail with 410', async () => {
    const core = cp.kc.makeApiClient(CoreV1Api);
    const rv = (await core.listNamespacedConfigMap({ namespace: ns })).metadata?.resourceVersion;
    // A watch from rv starts at rv+1, so two writes are needed for that to be compacted too.
    for (const name of ['after-rv-1', 'after-rv-2']) await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name } } });
    await cp.compactEtcd();
    await assert.rejects(core.listNamespacedConfigMap({ namespace: ns, resourceVersion: rv, resourceVersionMatch: 'Exact' }), isStatus(410));
    const code = await within(new Promise<number | undefined>((resolve, reject) => {
      new Watch(cp.kc)
        .watch(`/api/v1/namespaces/${ns}/configmaps`, { resourceVersion: rv }, (type, obj: { code?: number }) => {
          if (type === 'ERROR') resolve(obj.code);
        }, (err) => (err ? reject(err) : resolve(undefined)))
        .catch(reject);
    }), 60_000, 'a watch from the compacted resourceVersion to end or report an ERROR');
    assert.equal(code, 410);
  });

  test('installCrds makes ServiceMonitor usable: Established, stored as sent, checked against its schema', async () => {
    await cp.installCrds(['servicemonitors']);
    const crd = await cp.kc.makeApiClient(ApiextensionsV1Api).readCustomResourceDefinition({ name: 'servicemonitors.monitoring.coreos.com' });
    assert.ok(crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'), JSON.stringify(crd.status?.conditions));

    const custom = cp.kc.makeApiClient(CustomObjectsApi);
    const at = { group: 'monitoring.coreos.com', version: 'v1', namespace: ns, plural: 'servicemonitors' };
    const monitor = (name: string, spec: Record<string, unknown>) => ({ apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor', metadata: { name }, spec });
    const spec = { selector: { matchLabels: { app: 'sm' } }, endpoints: [{ port: 'http', path: '/metrics', interval: '15s' }], sampleLimit: 1000 };
    await custom.createNamespacedCustomObject({ ...at, body: monitor('sm', spec) });
    const stored = (await custom.getNamespacedCustomObject({ ...at, name: 'sm' })) as { spec: unknown };
    assert.deepEqual(stored.spec, spec);

    // The schema is enforced, not just installed: a wrong type and a pattern mismatch are refused.
    const refused = (field: string) => (err: unknown) => err instanceof ApiException && err.code === 422 && String(err.body).includes(field);
    await assert.rejects(custom.createNamespacedCustomObject({ ...at, body: monitor('sm-type', { ...spec, sampleLimit: 'lots' }) }), refused('spec.sampleLimit'));
    await assert.rejects(custom.createNamespacedCustomObject({ ...at, body: monitor('sm-pattern', { ...spec, endpoints: [{ port: 'http', interval: 'often' }] }) }), refused('spec.endpoints[0].interval'));
    const names = ((await custom.listNamespacedCustomObject(at)) as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name);
    assert.deepEqual(names, ['sm']);
  });

  test('a ServiceAccount kubeconfig file drives kubectl under RBAC', async () => {
    const core = cp.kc.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'reader' } } });
    const run = promisify(execFile);
    const admin = ['--kubeconfig', cp.kubeconfigPath, '-n', ns];
    await run(cp.binaries.kubectl, [...admin, 'create', 'role', 'read-cm', '--verb=get,list', '--resource=configmaps']);
    await run(cp.binaries.kubectl, [...admin, 'create', 'rolebinding', 'read-cm', '--role=read-cm', `--serviceaccount=${ns}:reader`]);
    const file = await cp.kubeconfigFileFor(ns, 'reader');
    const can = async (verb: string, res: string): Promise<string> =>
      (await run(cp.binaries.kubectl, ['--kubeconfig', file, 'auth', 'can-i', verb, res]).catch((e: { stdout: string }) => e)).stdout.trim();
    assert.equal(await can('list', 'configmaps'), 'yes');
    assert.equal(await can('list', 'secrets'), 'no');
  });

  test('runPendingPods plays kubelet for a Deployment until it is available', async () => {
    const apps = cp.kc.makeApiClient(AppsV1Api);
    const container = {
      name: 'app',
      image: 'x.invalid/app',
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
    };
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'd' },
        spec: { replicas: 2, selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: { containers: [container] } } },
      },
    });
    let ran = 0;
    await waitFor('deployment available', async () => {
      ran += (await cp.runPendingPods(ns, 'app=d')).length;
      return (await apps.readNamespacedDeployment({ namespace: ns, name: 'd' })).status?.availableReplicas === 2;
    }, 30_000);
    assert.equal(ran, 2);
  });

  test('helm talks to the control plane', async () => {
    const { stdout } = await promisify(execFile)(cp.binaries.helm, ['--kubeconfig', cp.kubeconfigPath, 'list', '-A', '-o', 'json']);
    assert.deepEqual(JSON.parse(stdout), []);
  });
});
