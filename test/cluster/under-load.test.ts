// A real node under load and churn: a steady load through the frontend Service while the
// backends, then the frontends, roll, and while a backend pod is force-deleted; not one
// client-visible error is allowed. Then discovery's latency from a pod's status write to the
// frontends' balancers, and one pod of each tier loaded within the chart's limits.
// The load goes to the Service's ClusterIP, which kube-proxy sends to pod IPs on this test's own
// bridge: nothing leaves the machine.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { skipOrThrow } from '../controlplane/require.ts';
import { type Cluster, nodeSkipReason, startCluster } from './cluster.ts';
import { repoRoot } from './images.ts';
import { backendSelector, discoveryLatencies, frontendSelector, loadPod, p99 } from './measure.ts';
import { type Load, type LoadResult, nodeSetupTimeout, pods, startLoad, summary, waitPodsReady } from './support.ts';

const skip = skipOrThrow('cluster', nodeSkipReason());
const ns = 'stringsvc';
/** Requests per second of the steady load; the floor is 200. */
const rate = 250;

describe('a real node under load and churn', { skip, timeout: 25 * 60_000 }, () => {
  let cluster: Cluster | undefined;
  let load: Load | undefined;
  const results: Record<string, LoadResult> = {};

  before(async () => {
    const c = (cluster = await startCluster());
    await c.kubectl(['apply', '-f', join(repoRoot, 'k8s', 'namespace.yaml')]);
    // The seed's bucket (100/s per backend) would answer 429 once a rollout leaves one backend
    // to a frontend: open it, as the load is about churn, not rate limits.
    await c.helm(['install', 'stringsvc', join(repoRoot, 'charts', 'stringsvc'), '--namespace', ns, '--wait', '--timeout', '5m',
      '--set', 'frontend.extraArgs={--qps=100000,--burst=100000}']);
    await waitPodsReady(c, ns, backendSelector, 3);
    await waitPodsReady(c, ns, frontendSelector, 2);
    const core = c.cp.kc.makeApiClient(CoreV1Api);
    const svc = await core.readNamespacedService({ namespace: ns, name: 'stringsvc-frontend' });
    load = startLoad(svc.spec?.clusterIP ?? '', 80, { rate, connections: 4, maxSeconds: 15 * 60 });
    // Warm the connections and pools before the first measured scenario.
    await new Promise((r) => setTimeout(r, 3000));
    await load.take();
  }, { timeout: nodeSetupTimeout() });

  after(async () => {
    await load?.stop();
    await cluster?.stop();
  });

  const scenario = (name: string, act: (c: Cluster) => Promise<void>) =>
    // A rollout may take its 5 min, then both tiers their 3 min each to settle.
    test(name, { timeout: 15 * 60_000 }, async (t) => {
      const c = cluster!;
      await load!.take();
      await act(c);
      // Old pods must be gone, their preStop sleep and drain over, then a little more load.
      await waitPodsReady(c, ns, backendSelector, 3, 180_000, { gone: true });
      await waitPodsReady(c, ns, frontendSelector, 2, 180_000, { gone: true });
      await new Promise((r) => setTimeout(r, 2000));
      const r = (results[name] = await load!.take());
      t.diagnostic(summary(r));
      assert.ok(r.sent >= 2 * rate, `a steady load ran (${r.sent} requests)`);
      assert.deepEqual(r.failures, {}, 'no client-visible error');
      assert.equal(r.ok, r.sent - Object.values(r.failures).reduce((a, b) => a + b, 0));
    });

  scenario('kubectl rollout restart of the backends under load: every request answered 200', async (c) => {
    await c.kubectl(['--namespace', ns, 'rollout', 'restart', 'deployment/stringsvc-backend']);
    await c.kubectl(['--namespace', ns, 'rollout', 'status', 'deployment/stringsvc-backend', '--timeout=5m']);
  });

  scenario('kubectl rollout restart of the frontends under load: every request answered 200', async (c) => {
    await c.kubectl(['--namespace', ns, 'rollout', 'restart', 'deployment/stringsvc-frontend']);
    await c.kubectl(['--namespace', ns, 'rollout', 'status', 'deployment/stringsvc-frontend', '--timeout=5m']);
  });

  scenario('kubectl delete pod --grace-period=0 --force of one backend under load: every request answered 200', async (c) => {
    const [victim] = await pods(c, ns, backendSelector);
    await c.kubectl(['--namespace', ns, 'delete', 'pod', victim?.metadata?.name ?? '', '--grace-period=0', '--force']);
  });

  // The 100 ms target at p99 is the bench's (`cluster_discovery_p99_ms`); this test holds that
  // every change reaches both frontends, and reports the figures.
  test('discovery: every backend turning Ready or terminating reaches both frontends\' balancers (≥ 50 changes)', { timeout: 20 * 60_000 }, async (t) => {
    await load!.stop();
    load = undefined;
    const latencies = await discoveryLatencies(cluster!, ns, 50);
    const sorted = [...latencies].sort((a, b) => a - b);
    t.diagnostic(`${latencies.length} samples (changes × frontends): p50 ${sorted[Math.floor(sorted.length / 2)]} ms, p99 ${p99(latencies)} ms, max ${sorted.at(-1)} ms`);
    assert.ok(latencies.length >= 100, 'at least 50 changes seen by both frontends');
    assert.ok((sorted.at(-1) ?? Infinity) < 5000, 'no change waited for a resync');
  });

  test('one frontend pod and one backend pod under load, within the chart\'s limits: no failure, no restart, no OOM kill', async (t) => {
    const c = cluster!;
    const [fe] = await pods(c, ns, frontendSelector);
    const [be] = await pods(c, ns, backendSelector);
    for (const [tier, pod] of [['frontend', fe], ['backend', be]] as const) {
      const r = await loadPod(c, ns, pod!, 16, 15);
      t.diagnostic(`${tier} ${r.name}: ${Math.round(r.rps)} req/s; memory idle rss ${r.idle.rssMiB.toFixed(1)} MiB / working set ${r.idle.workingSetMiB.toFixed(1)}, loaded ${r.loaded.rssMiB.toFixed(1)} / ${r.loaded.workingSetMiB.toFixed(1)} MiB`);
      assert.equal(r.failures, 0);
      assert.ok(r.rps > 100, `${tier} served (${Math.round(r.rps)} req/s)`);
      assert.equal(r.restarts, 0);
      assert.equal(r.oomKilled, false);
      assert.ok(r.loaded.workingSetMiB < 256, 'under the 256Mi limit');
    }
  });
});
