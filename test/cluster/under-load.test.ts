// A real node under load and churn, with the chart's default limits: a steady load the default
// buckets admit through the frontend Service while the backends, then the frontends, roll, and
// while a backend pod is force-deleted; not one client-visible error is allowed. Then a load over
// the buckets: 429 for what they refuse, nothing else. Then discovery's latency from a pod's status write to the
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
/**
 * Requests per second of the steady load, within what the chart's default buckets admit even at
 * the worst split: kube-proxy may put every keep-alive connection on one frontend, and a force-
 * deleted backend leaves it two instances until the new one is Ready: 150/s is 75/s each, under
 * the default 100/s per instance (burst 100).
 */
const rate = 150;
/** Over the budget of two frontends × three backends × 100/s, whatever the split. */
const overRate = 900;

describe('a real node under load and churn', { skip, timeout: 25 * 60_000 }, () => {
  let cluster: Cluster | undefined;
  let load: Load | undefined;
  const results: Record<string, LoadResult> = {};

  before(async () => {
    const c = (cluster = await startCluster());
    await c.kubectl(['apply', '-f', join(repoRoot, 'k8s', 'namespace.yaml')]);
    // The chart's defaults, buckets included: the promise is 0 errors as installed.
    await c.helm(['install', 'stringsvc', join(repoRoot, 'charts', 'stringsvc'), '--namespace', ns, '--wait', '--timeout', '5m']);
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

  test(`over the default buckets (${overRate} req/s): every request beyond them answered 429, never a 5xx, and the frontends' warnings bounded`, async (t) => {
    const c = cluster!;
    await load!.stop();
    load = undefined;
    const svc = await c.cp.kc.makeApiClient(CoreV1Api).readNamespacedService({ namespace: ns, name: 'stringsvc-frontend' });
    const since = new Date().toISOString();
    const began = Date.now();
    // Enough connections that the client's queue is not the limit at this rate.
    const over = startLoad(svc.spec?.clusterIP ?? '', 80, { rate: overRate, connections: 32, maxSeconds: 60 });
    await new Promise((r) => setTimeout(r, 20_000));
    const r = await over.stop();
    const seconds = (Date.now() - began) / 1000;
    t.diagnostic(summary(r));
    const { 'status 429': refused = 0, ...others } = r.failures;
    const statuses = Object.keys(others).filter((k) => k.startsWith('status '));
    assert.deepEqual(statuses, [], 'every answer 200 or 429: never a 5xx');
    assert.ok(refused > 0, `the load was over the budget (${r.sent} sent, ${r.ok} answered 200)`);
    // Transport errors are counted apart: a loaded run once saw 2 connection resets in 18,000 requests
    // (the answers were all 200 or 429); their cause is open, so they are bounded and shown, not hidden.
    const transport = Object.values(others).reduce((a, b) => a + b, 0);
    if (transport > 0) t.diagnostic(`transport errors: ${JSON.stringify(others)}`);
    assert.ok(transport <= r.sent / 1000, `${transport} transport errors in ${r.sent} requests`);
    // Two frontends × three backends × 100/s, plus each bucket's burst of 100.
    assert.ok(r.ok <= 600 * seconds + 600, `${r.ok} answered 200 in ${seconds.toFixed(1)} s: no more than the buckets let through`);
    // Each frontend sums up its warnings per 10 s window: at most two lines per kind (a status, an
    // instance and reason) per window, whatever the rate; so far below one per refused request.
    for (const p of await pods(c, ns, frontendSelector)) {
      const text = await c.kubectl(['--namespace', ns, 'logs', p.metadata?.name ?? '', `--since-time=${since}`]);
      const warns = text.split('\n').filter((l) => l.includes('"level":40'));
      t.diagnostic(`${p.metadata?.name}: ${warns.length} warn lines in ${seconds.toFixed(1)} s`);
      // What any other answer than 429 met on the way, should there be one.
      for (const l of warns.filter((w) => w.includes('"msg":"upstream failure') && !w.includes('"status":429'))) t.diagnostic(l);
      assert.ok(warns.length <= 2 * 8 * (2 + Math.floor(seconds / 10)), `${warns.length} warn lines from ${p.metadata?.name}`);
    }
  });

  // The 100 ms target at p99 is the bench's (`cluster_discovery_p99_ms`); this test holds that
  // every change reaches both frontends by their watch, and reports the figures.
  test('discovery: every backend turning Ready or terminating reaches both frontends\' balancers (≥ 50 changes)', { timeout: 20 * 60_000 }, async (t) => {
    await load?.stop();
    load = undefined;
    const restarts: string[] = [];
    const latencies = await discoveryLatencies(cluster!, ns, 50, restarts);
    const sorted = [...latencies].sort((a, b) => a - b);
    t.diagnostic(`${latencies.length} samples (changes × frontends): p50 ${sorted[Math.floor(sorted.length / 2)]} ms, p99 ${p99(latencies)} ms, max ${sorted.at(-1)} ms`);
    assert.ok(latencies.length >= 100, 'at least 50 changes seen by both frontends');
    // That every change came by the watch is an event, not a time: while the changes were measured
    // no frontend's watch restarted other than the server ending it, resumed at once from where it
    // was (reason `closed`, no delay); a relist (`gone`), a silent or failed watch would be here.
    const waited = restarts.filter((l) => !/"reason":"closed".*"delay_ms":0\b/.test(l));
    assert.deepEqual(waited, [], 'no change waited for a relist or a backoff');
  });

  test('one frontend pod and one backend pod under load, within the chart\'s limits: no failure, no restart, no OOM kill', async (t) => {
    const c = cluster!;
    // This one is about memory under as much load as a pod takes: the buckets opened, as the README
    // says to before a load test (the defaults would answer 429 past 300 calls/s).
    await c.helm(['upgrade', 'stringsvc', join(repoRoot, 'charts', 'stringsvc'), '--namespace', ns, '--reuse-values', '--wait', '--timeout', '5m',
      '--set', 'frontend.resilience.qps=100000', '--set', 'frontend.resilience.burst=100000']);
    await waitPodsReady(c, ns, frontendSelector, 2, 180_000, { gone: true });
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
