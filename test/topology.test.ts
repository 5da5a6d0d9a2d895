import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { type ControlPlane, startControlPlane } from './controlplane/harness.ts';
import { controlPlaneSkip } from './controlplane/require.ts';
import { loggedInstances } from './support/discovery-log.ts';
import { createTestNet, netnsSkip, type TestNet } from './support/netns.ts';
import { runBuilt, startBuilt, type Running } from './support/process.ts';
import { eventually, metricValue, scrape } from './support/metrics.ts';
import { setupTimeout } from './tools.ts';

// Topology on the real control plane: Nodes node-a and node-a2 in zone a, node-b in zone b, backend
// pods spread over them, Services with trafficDistribution PreferSameZone and PreferSameNode whose
// hints the real EndpointSlice controller fills, and a frontend "on node-a" (its zone read from its
// Node's label).

const ns = 'topo';
const skip = controlPlaneSkip() || netnsSkip();
const relaxed = ['--max-time=3s', '--attempt-timeout=1s', '--request-log=false'];

async function served(backend: Running): Promise<number> {
  return metricValue(await scrape(backend.url), 'my_group_string_service_request_count', { method: 'uppercase', error: 'false' }, { absentAs: 0 });
}

/** spread sends n calls through the frontend and returns how many each backend answered. */
async function spread(fe: Running, backends: Running[], n: number): Promise<number[]> {
  const before = await Promise.all(backends.map(served));
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${fe.url}/uppercase`, { method: 'POST', body: JSON.stringify({ s: `t${i}` }) });
    assert.equal(res.status, 200, await res.text());
  }
  return (await Promise.all(backends.map(served))).map((v, i) => v - before[i]!);
}

async function instances(fe: Running): Promise<number> {
  return metricValue(await scrape(fe.url), 'stringsvc_discovery_instances');
}

/** grantAll gives the ServiceAccount the chart's discovery Role and, as with topology on, get on nodes. */
async function grantAll(cp: ControlPlane, sa: string, nodes = true): Promise<void> {
  const rbac = cp.kc.makeApiClient(RbacAuthorizationV1Api);
  const subjects = [{ kind: 'ServiceAccount', name: sa, namespace: ns }];
  await rbac.createNamespacedRole({ namespace: ns, body: { metadata: { name: sa }, rules: [{ apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] }] } });
  await rbac.createNamespacedRoleBinding({ namespace: ns, body: { metadata: { name: sa }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: sa }, subjects } });
  if (!nodes) return;
  await rbac.createClusterRole({ body: { metadata: { name: `${ns}-${sa}-nodes` }, rules: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }] } });
  await rbac.createClusterRoleBinding({ body: { metadata: { name: `${ns}-${sa}-nodes` }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${ns}-${sa}-nodes` }, subjects } });
}

describe('topology hints against a real control plane', { skip }, () => {
  let cp: ControlPlane;
  let net: TestNet;
  const backends: Running[] = [];
  const fes: Running[] = [];
  let kubeconfig = '';
  const nodeOf = ['node-a', 'node-a2', 'node-b', 'node-b'];

  before(async () => {
    net = createTestNet({ subnet: (process.pid % 120) + 121, hosts: 4 });
    cp = await startControlPlane();
    const core = cp.kc.makeApiClient(CoreV1Api);
    await cp.createNamespace(ns);
    for (const [name, zone] of [['node-a', 'a'], ['node-a2', 'a'], ['node-b', 'b']] as const) {
      await core.createNode({ body: { metadata: { name, labels: { 'kubernetes.io/hostname': name, 'topology.kubernetes.io/zone': zone } } } });
    }
    for (const host of net.hosts) backends.push(await startBuilt('stringsvc', [`--listen=${host}:8080`, '--request-log=false'], {}, { wrap: net.wrap }));
    const ports = [{ name: 'http', port: 80, targetPort: 'http' }];
    await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'backend' }, spec: { selector: { app: 'backend' }, ports, trafficDistribution: 'PreferSameZone' } } });
    await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'same-node' }, spec: { selector: { app: 'backend' }, ports, trafficDistribution: 'PreferSameNode' } } });
    await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'plain' }, spec: { selector: { app: 'backend' }, ports } } });
    for (const [i, ip] of net.hosts.entries()) {
      await cp.createReadyPod({ namespace: ns, name: `backend-${i}`, labels: { app: 'backend' }, ip, nodeName: nodeOf[i], ports: [{ name: 'http', containerPort: 8080 }] });
    }
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'frontend' } } });
    await grantAll(cp, 'frontend');
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'nodeless' } } });
    await grantAll(cp, 'nodeless', false);
    kubeconfig = await cp.kubeconfigFileFor(ns, 'frontend');
  }, { timeout: setupTimeout() });

  after(async () => {
    await Promise.all([...fes, ...backends].map((p) => p.stop('SIGTERM', 3000)));
    if (cp) {
      for (let i = 0; i < 4; i++) await cp.forceDeletePod(ns, `backend-${i}`).catch(() => undefined);
      await cp.stop();
    }
    net?.close();
  });

  async function frontend(service: string): Promise<Running> {
    const args = ['--listen=127.0.0.1:0', '--discovery=endpointslices', `--service=${service}`, '--topology-hints=true', ...relaxed];
    const fe = await startBuilt('stringsvc', args, { KUBECONFIG: kubeconfig, STRINGSVC_NODE_NAME: 'node-a' });
    fes.push(fe);
    return fe;
  }

  test('PreferSameZone: only zone-a backends, then all once zone a has no ready backend', async () => {
    const fe = await frontend('backend');
    const decided = await fe.lastLine((l) => typeof l.msg === 'string' && l.msg.startsWith('topology:'));
    assert.deepEqual([decided?.zone, decided?.zone_from, decided?.node], ['a', 'node label', 'node-a']);
    await eventually('the two zone-a instances', async () => (await instances(fe)) === 2, 30_000);
    const line = await fe.lastLine((l) => l.msg === 'discovery synced' || l.msg === 'discovered instances changed', (l) => l.topology === 'zone');
    assert.equal(line?.topology, 'zone');
    assert.deepEqual(loggedInstances(fe.lines()), net.hosts.slice(0, 2).map((h) => `${h}:8080`).sort());
    assert.deepEqual(await spread(fe, backends, 20), [10, 10, 0, 0]);

    await cp.setPodReady(ns, 'backend-0', false);
    await cp.setPodReady(ns, 'backend-1', false);
    await eventually('zone b serves', async () => (await instances(fe)) === 2 && (await fe.lastLine((l) => l.msg === 'discovered instances changed'))?.topology === 'all', 30_000);
    assert.deepEqual(await spread(fe, backends, 20), [0, 0, 10, 10]);

    await cp.setPodReady(ns, 'backend-0', true);
    await cp.setPodReady(ns, 'backend-1', true);
    await eventually('back to zone a', async () => (await instances(fe)) === 2 && (await fe.lastLine((l) => l.msg === 'discovered instances changed'))?.topology === 'zone', 30_000);
    assert.deepEqual(await spread(fe, backends, 20), [10, 10, 0, 0]);
  });

  test('PreferSameNode: only the backend on our node, then our zone once it is not ready', async () => {
    const fe = await frontend('same-node');
    await eventually('the node-a instance alone', async () => (await instances(fe)) === 1, 30_000);
    const line = await fe.lastLine((l) => l.msg === 'discovery synced' || l.msg === 'discovered instances changed', (l) => l.topology === 'node');
    assert.equal(line?.topology, 'node');
    assert.deepEqual(loggedInstances(fe.lines()), [`${net.hosts[0]}:8080`]);
    assert.deepEqual(await spread(fe, backends, 20), [20, 0, 0, 0]);

    // The controller gives PreferSameNode endpoints zone hints too: kube-proxy's fallback.
    await cp.setPodReady(ns, 'backend-0', false);
    await eventually('zone a serves', async () => (await fe.lastLine((l) => l.msg === 'discovered instances changed'))?.topology === 'zone', 30_000);
    assert.deepEqual(await spread(fe, backends, 20), [0, 20, 0, 0]);
    await cp.setPodReady(ns, 'backend-0', true);
    await eventually('back to node-a', async () => (await fe.lastLine((l) => l.msg === 'discovered instances changed'))?.topology === 'node', 30_000);
    assert.deepEqual(await spread(fe, backends, 20), [20, 0, 0, 0]);
  });

  test('without trafficDistribution there are no hints: every backend', async () => {
    const fe = await frontend('plain');
    await eventually('all four instances', async () => (await instances(fe)) === 4, 30_000);
    const line = await fe.lastLine((l) => l.msg === 'discovery synced' || l.msg === 'discovered instances changed', (l) => l.count === 4);
    assert.deepEqual([line?.topology, line?.topology_reason], ['all', 'an instance has no zone hints']);
    assert.deepEqual(await spread(fe, backends, 20), [5, 5, 5, 5]);
  });

  test('without get on nodes and no --zone, the frontend exits 1 naming what to grant', async () => {
    const file = await cp.kubeconfigFileFor(ns, 'nodeless');
    const r = await runBuilt('stringsvc', ['--listen=127.0.0.1:0', '--discovery=endpointslices', '--service=backend', '--topology-hints=true', '--node-name=node-a'], { KUBECONFIG: file });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /may not get nodes; topology needs get on nodes .* or --zone/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
