import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type Cluster, startCluster } from '../test/cluster/cluster.ts';
import { backendSelector, discoveryLatencies, frontendSelector, loadPod, p99 } from '../test/cluster/measure.ts';
import { pods, waitPodsReady } from '../test/cluster/support.ts';
import { type BenchConfig, type Figures, repoRoot } from './lib/config.ts';
import { median, round } from './lib/stats.ts';

const changes = Number(process.env.BENCH_CLUSTER_CHANGES ?? 50);
const ns = 'stringsvc';

/**
 * clusterBench runs the chart on a real node (`test/cluster/`, root and the node's Debian
 * packages needed) and measures:
 * - discovery: a backend pod turning Ready or starting to terminate (as a watch delivers the
 *   kubelet's status write) → the frontends' balancers holding the new set (their log line's
 *   time), over `changes` changes seen by both frontends; p50 and p99;
 * - one frontend pod and one backend pod loaded at their pod IPs with the chart's limits, by
 *   16 keep-alive clients in this process sharing the machine's cores with the node: throughput,
 *   and the container's memory (cgroup RSS and working set, as the kubelet reports).
 */
export async function clusterBench(config: BenchConfig): Promise<Figures> {
  let cluster: Cluster | undefined;
  // The bench pins itself to the load core; a node started from here would inherit that and run
  // every pod on one core. A real node has the machine: free this process (and so its children).
  const all = `0-${availableParallelism() - 1}`;
  execFileSync('taskset', ['-a', '-p', '-c', all, String(process.pid)], { stdio: 'ignore' });
  try {
    cluster = await startCluster({ log: config.log });
    const c = cluster;
    await c.kubectl(['apply', '-f', join(repoRoot, 'k8s', 'namespace.yaml')]);
    await c.helm(['install', 'stringsvc', join(repoRoot, 'charts', 'stringsvc'), '--namespace', ns, '--wait', '--timeout', '5m',
      '--set', 'frontend.extraArgs={--qps=100000,--burst=100000}']);
    await waitPodsReady(c, ns, backendSelector, 3);
    const latencies = await discoveryLatencies(c, ns, changes);
    config.log(`cluster: discovery over ${latencies.length} samples: p50 ${median(latencies)} ms, p99 ${p99(latencies)} ms`);
    const [fe] = await pods(c, ns, frontendSelector);
    const [be] = await pods(c, ns, backendSelector);
    const f = await loadPod(c, ns, fe!, config.connections > 16 ? 16 : config.connections, config.durationS * 3);
    const b = await loadPod(c, ns, be!, config.connections > 16 ? 16 : config.connections, config.durationS * 3);
    config.log(`cluster: frontend pod ${Math.round(f.rps)} req/s, rss ${f.loaded.rssMiB.toFixed(1)} MiB; backend pod ${Math.round(b.rps)} req/s, rss ${b.loaded.rssMiB.toFixed(1)} MiB`);
    return {
      cluster_discovery_p50_ms: round(median(latencies), 1),
      cluster_discovery_p99_ms: round(p99(latencies), 1),
      cluster_discovery_samples: latencies.length,
      pod_frontend_rps: Math.round(f.rps),
      pod_backend_rps: Math.round(b.rps),
      pod_frontend_rss_mb: round(f.loaded.rssMiB, 1),
      pod_backend_rss_mb: round(b.loaded.rssMiB, 1),
      pod_frontend_working_set_mb: round(f.loaded.workingSetMiB, 1),
      pod_backend_working_set_mb: round(b.loaded.workingSetMiB, 1),
      pod_frontend_idle_working_set_mb: round(f.idle.workingSetMiB, 1),
      pod_backend_idle_working_set_mb: round(b.idle.workingSetMiB, 1),
    };
  } finally {
    await cluster?.stop();
    execFileSync('taskset', ['-a', '-p', '-c', config.loadCpus, String(process.pid)], { stdio: 'ignore' });
  }
}
