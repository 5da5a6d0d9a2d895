import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { type ControlPlane, startControlPlane } from './controlplane/harness.ts';
import { controlPlaneSkip } from './controlplane/require.ts';
import { isDiscoveryLine, loggedInstances } from './support/discovery-log.ts';
import { createTestNet, netnsSkip, type TestNet } from './support/netns.ts';
import { runBuilt, startBuilt, type Running } from './support/process.ts';
import { eventually, MissingSeriesError, metricValue, scrape } from './support/metrics.ts';
import { assertRoundRobin, spread } from './support/frontend.ts';
import { setupTimeout } from './tools.ts';

// End to end: real backends in a test network namespace, pods the test marks Ready (playing
// kubelet), EndpointSlices derived by the real controller-manager, the frontend process
// discovering them with only the chart's Role.

const ns = 'disc';
const skip = controlPlaneSkip() || netnsSkip();
const relaxed = ['--max-time=3s', '--attempt-timeout=1s', '--request-log=false'];

async function uppercase(fe: Running, s: string): Promise<{ status: number; text: string; ms: number }> {
  const begin = performance.now();
  const res = await fetch(`${fe.url}/uppercase`, { method: 'POST', body: JSON.stringify({ s }) });
  return { status: res.status, text: await res.text(), ms: performance.now() - begin };
}

async function served(backend: Running): Promise<number> {
  const text = await scrape(backend.url);
  return metricValue(text, 'my_group_string_service_request_count', { method: 'uppercase', error: 'false' }, { absentAs: 0 });
}

async function instancesMetric(fe: Running): Promise<number> {
  return metricValue(await scrape(fe.url), 'stringsvc_discovery_instances');
}

/**
 * zeroFromDiscovery: each discovered instance's rate-limit series is at 0 before any call went to
 * it (none has: no requests series yet), so its rate reads 0 rather than "no data".
 */
async function zeroFromDiscovery(fe: Running, hosts: string[], endpoints: number): Promise<void> {
  // The upstream metrics see the instance set in the same update that sets this gauge.
  await eventually('the balancer to use the instances', async () => metricValue(await scrape(fe.url), 'stringsvc_upstream_endpoints') === endpoints, 30_000);
  const text = await scrape(fe.url);
  for (const h of hosts) {
    const instance = `${h}:8080`;
    assert.throws(() => metricValue(text, 'stringsvc_upstream_requests_total', { instance, outcome: 'success' }), MissingSeriesError, `no call went to ${instance} yet`);
    assert.equal(metricValue(text, 'stringsvc_upstream_rate_limited_total', { instance }), 0, instance);
  }
}

/** role creates the chart's discovery Role for `resource` and binds it to the ServiceAccount. */
async function grant(cp: ControlPlane, sa: string, group: string, resource: string): Promise<void> {
  const rbac = cp.kc.makeApiClient(RbacAuthorizationV1Api);
  const name = `${sa}-${resource}`;
  await rbac.createNamespacedRole({
    namespace: ns,
    body: { metadata: { name }, rules: [{ apiGroups: [group], resources: [resource], verbs: ['get', 'list', 'watch'] }] },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: ns,
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
    },
  });
}

describe('Kubernetes discovery against a real control plane', { skip }, () => {
  let cp: ControlPlane;
  let net: TestNet;
  let core: CoreV1Api;
  const backends: Running[] = [];
  let fe: Running | undefined;
  let legacy: Running | undefined;
  let kubeconfig = '';

  before(async () => {
    net = createTestNet({ subnet: (process.pid % 120) + 1, hosts: 4 });
    cp = await startControlPlane();
    core = cp.kc.makeApiClient(CoreV1Api);
    await cp.createNamespace(ns);
    for (const host of net.hosts) {
      backends.push(await startBuilt('stringsvc', [`--listen=${host}:8080`, '--request-log=false'], {}, { wrap: net.wrap }));
    }
    await core.createNamespacedService({
      namespace: ns,
      body: { metadata: { name: 'backend' }, spec: { selector: { app: 'backend' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] } },
    });
    for (const [i, ip] of net.hosts.slice(0, 3).entries()) {
      await cp.createReadyPod({ namespace: ns, name: `backend-${i}`, labels: { app: 'backend' }, ip, ports: [{ name: 'http', containerPort: 8080 }] });
    }
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'frontend' } } });
    await grant(cp, 'frontend', 'discovery.k8s.io', 'endpointslices');
    kubeconfig = await cp.kubeconfigFileFor(ns, 'frontend');
    fe = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--discovery=endpointslices', '--service=backend', ...relaxed], { KUBECONFIG: kubeconfig });
  }, { timeout: setupTimeout() });

  after(async () => {
    await Promise.all([fe, legacy, ...backends].map((p) => p?.stop('SIGTERM', 3000)));
    if (cp) {
      for (let i = 0; i < 5; i++) await cp.forceDeletePod(ns, `backend-${i}`).catch(() => undefined);
      await cp.stop();
    }
    net?.close();
  });

  test('with only the chart Role: ready after the first sync, routes to every Ready pod, logs the instance list', async () => {
    await eventually('frontend ready', async () => (await fetch(`${fe!.url}/readyz`)).status === 200, 30_000);
    await eventually('three instances', async () => (await instancesMetric(fe!)) === 3, 30_000);
    await zeroFromDiscovery(fe!, net.hosts.slice(0, 3), 3);
    const before = await spread(fe!, backends);
    for (let i = 0; i < 30; i++) {
      const r = await uppercase(fe!, `x${i}`);
      assert.deepEqual([r.status, r.text], [200, `{"v":"X${i}"}\n`]);
    }
    assertRoundRobin(before, await spread(fe!, backends), [10, 10, 10, 0]);
    const expected = net.hosts.slice(0, 3).map((h) => `${h}:8080`).sort();
    await fe!.lastLine(isDiscoveryLine, () => JSON.stringify(loggedInstances(fe!.lines())) === JSON.stringify(expected));
    assert.deepEqual(loggedInstances(fe!.lines()), expected);
    const text = await scrape(fe!.url);
    assert.ok(metricValue(text, 'stringsvc_discovery_events_total', { type: 'RELIST' }) >= 1);
    assert.ok(metricValue(text, 'stringsvc_discovery_seconds_since_last_sync') < 300);
  });

  test('a pod turning NotReady is removed; Ready again, it is back', async () => {
    await cp.setPodReady(ns, 'backend-2', false);
    await eventually('two instances', async () => (await instancesMetric(fe!)) === 2, 30_000);
    const before = await served(backends[2]!);
    for (let i = 0; i < 10; i++) assert.equal((await uppercase(fe!, 'a')).status, 200);
    assert.equal(await served(backends[2]!), before);
    await cp.setPodReady(ns, 'backend-2', true);
    await eventually('three instances again', async () => (await instancesMetric(fe!)) === 3, 30_000);
  });

  test('a new Ready pod is routed to', async () => {
    await cp.createReadyPod({ namespace: ns, name: 'backend-3', labels: { app: 'backend' }, ip: net.hosts[3]!, ports: [{ name: 'http', containerPort: 8080 }] });
    await eventually('four instances', async () => (await instancesMetric(fe!)) === 4, 30_000);
    await zeroFromDiscovery(fe!, [net.hosts[3]!], 4);
    const before = await spread(fe!, backends);
    for (let i = 0; i < 8; i++) assert.equal((await uppercase(fe!, 'b')).status, 200);
    assertRoundRobin(before, await spread(fe!, backends), [2, 2, 2, 2]);
  });

  test('the legacy Endpoints mode works with the Role for endpoints', async () => {
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'legacy' } } });
    await grant(cp, 'legacy', '', 'endpoints');
    const file = await cp.kubeconfigFileFor(ns, 'legacy');
    legacy = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--discovery=endpoints', '--service=backend', '--port-name=8080', ...relaxed], { KUBECONFIG: file });
    await eventually('legacy frontend sees four', async () => (await instancesMetric(legacy!)) === 4, 30_000);
    assert.equal((await uppercase(legacy, 'legacy')).text, '{"v":"LEGACY"}\n');
    await legacy.stop();
  });

  test('without a RoleBinding the frontend exits 1 naming the missing verb and resource, without a stack trace', async () => {
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'nobody' } } });
    const file = await cp.kubeconfigFileFor(ns, 'nobody');
    const r = await runBuilt('stringsvc', ['--listen=127.0.0.1:0', '--discovery=endpointslices', '--service=backend'], { KUBECONFIG: file });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /user "system:serviceaccount:disc:nobody" may not list endpointslices\.discovery\.k8s\.io in namespace "disc"/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  test('an API server restart mid-watch: the watch recovers and follows later changes', async () => {
    const errorRestarts = async () => metricValue(await scrape(fe!.url), 'stringsvc_discovery_watch_restarts_total', { reason: 'error' }, { absentAs: 0 });
    const errorsBefore = await errorRestarts();
    const linesBefore = fe!.lines().length;
    await cp.stopApiserver();
    // The outage must reach the watch: a re-watch refused by the stopped API server restarts for
    // `error`, which a routine close of a healthy watch (`closed`) never counts. Two, so a retry failed too.
    await eventually('two watch restarts for an error', async () => (await errorRestarts()) >= errorsBefore + 2, 60_000);
    // The last good set keeps serving while the API server is away.
    assert.equal((await uppercase(fe!, 'down')).status, 200);
    await cp.startApiserver();
    // However many retries failed, one warning, and one line once it is back.
    const since = () => fe!.lines().slice(linesBefore);
    const recovered = await fe!.lastLine((l) => l.msg === 'discovery recovered' && since().includes(l), () => true, 60_000);
    assert.equal(recovered?.level, 30);
    const failed = since().filter((l) => l.msg === 'discovery failed; keeping the last good set' && l.level === 40);
    assert.equal(failed.length, 1, 'one warning for the whole outage');
    assert.ok(Number(recovered?.failures) >= 2, `the recovery line counts the failures: ${String(recovered?.failures)}`);
    await cp.setPodReady(ns, 'backend-3', false);
    await eventually('three instances after the restart', async () => (await instancesMetric(fe!)) === 3, 60_000);
    // Not just the count: exactly the Ready pods, nothing stale from before the outage.
    const ready = net.hosts.slice(0, 3).map((h) => `${h}:8080`).sort();
    await fe!.lastLine(isDiscoveryLine, () => JSON.stringify(loggedInstances(fe!.lines())) === JSON.stringify(ready));
    assert.deepEqual(loggedInstances(fe!.lines()), ready);
    assert.equal((await fetch(`${fe!.url}/readyz`)).status, 200);
  });

  test('terminating pods are drained: dropped while others are ready, used when none is', async () => {
    await cp.markPodTerminating(ns, 'backend-0');
    await eventually('backend-0 dropped', async () => (await instancesMetric(fe!)) === 2, 30_000);
    await cp.markPodTerminating(ns, 'backend-1');
    await cp.markPodTerminating(ns, 'backend-2');
    // No Ready endpoint left: the serving+terminating ones are the fallback.
    await eventually('three draining instances', async () => (await instancesMetric(fe!)) === 3, 30_000);
    assert.equal((await uppercase(fe!, 'drain')).status, 200);
  });

  test('an empty set answers 503 "no endpoints" at once instead of hanging', async () => {
    for (let i = 0; i < 4; i++) await cp.forceDeletePod(ns, `backend-${i}`);
    await eventually('no instances', async () => (await instancesMetric(fe!)) === 0, 30_000);
    const r = await uppercase(fe!, 'nobody home');
    // Not a hang: one that ran into --max-time would answer 504 "upstream deadline exceeded".
    assert.equal(r.status, 503);
    assert.match(r.text, /no upstream endpoints/);
  });
});
