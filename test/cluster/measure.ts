// Measurements on a real node, shared by the cluster tests (which assert them) and by
// `npm run bench -- cluster` (which records them): discovery latency and pods under load.
import { loggedSets } from '../support/discovery-log.ts';
import { Agent, request } from 'node:http';
import { CoreV1Api, type V1Pod, Watch } from '@kubernetes/client-node';
import { waitFor } from '../controlplane/procs.ts';
import type { Cluster } from './cluster.ts';
import { isReady, percentile, pods, waitPodsReady } from './support.ts';

/** The chart's backend Deployment and selectors, for a release named `stringsvc`. */
export const backendSelector = 'app.kubernetes.io/instance=stringsvc,app.kubernetes.io/component=backend';
export const frontendSelector = 'app.kubernetes.io/instance=stringsvc,app.kubernetes.io/component=frontend';

interface Change {
  ip: string;
  /** true: the pod became Ready (the frontends must add it); false: it started terminating. */
  added: boolean;
  /** When the status write reached us through a watch (epoch ms). */
  at: number;
}

/**
 * Scales the backends between 3 and 4 until `changes` pod changes (a pod turning Ready, a pod
 * starting to terminate) were seen, timing each from the status write, as a watch delivers it,
 * to the frontends' log line that shows their balancer's new set. Returns one latency per
 * change and frontend, in ms. Each frontend's `discovery watch restarting` lines from the same
 * span go to `restarts`, if given: a change a restart's relist delivered did not come by the watch.
 */
export async function discoveryLatencies(cluster: Cluster, namespace: string, changes: number, restarts?: string[]): Promise<number[]> {
  const seen: Change[] = [];
  const readyIps = new Set<string>();
  const terminating = new Set<string>();
  const watch = new Watch(cluster.cp.kc);
  const req = await watch.watch(`/api/v1/namespaces/${namespace}/pods`, { labelSelector: backendSelector }, (_type: string, pod: V1Pod) => {
    const ip = pod.status?.podIP;
    if (!ip) return;
    if (pod.metadata?.deletionTimestamp) {
      if (!terminating.has(ip) && readyIps.has(ip)) seen.push({ ip, added: false, at: Date.now() });
      terminating.add(ip);
    } else if (isReady(pod) && !readyIps.has(ip)) {
      readyIps.add(ip);
      seen.push({ ip, added: true, at: Date.now() });
    }
  }, () => undefined);
  const startedAt = Date.now();
  try {
    await waitPodsReady(cluster, namespace, backendSelector, 3);
    // The pods already there count as known, not as changes.
    await new Promise((r) => setTimeout(r, 500));
    seen.length = 0;
    // Each round adds a backend and removes one: a watch that sees none of it must fail, not loop.
    for (let round = 0; seen.length < changes; round++) {
      if (round >= changes) throw new Error(`only ${seen.length} of ${changes} backend changes seen after ${round} rounds of scaling`);
      for (const replicas of [4, 3]) {
        await cluster.kubectl(['--namespace', namespace, 'scale', 'deployment/stringsvc-backend', `--replicas=${replicas}`]);
        await waitFor(`backends at ${replicas}`, async () => (await pods(cluster, namespace, backendSelector)).filter(isReady).length === replicas, 120_000);
        // Let the frontends settle before the next change, so every change is timed on its own.
        await new Promise((r) => setTimeout(r, 300));
      }
    }
    // Pods scaled away must be gone before the next use of the release.
    await waitFor('terminated backends gone', async () => (await pods(cluster, namespace, backendSelector)).length === 3, 120_000);
  } finally {
    (req as { abort?: () => void }).abort?.();
  }
  const frontends = await pods(cluster, namespace, frontendSelector);
  const latencies: number[] = [];
  for (const fe of frontends) {
    // The whole log: its changes are diffs, folded from the `discovery synced` line on.
    const logs = await cluster.kubectl(['--namespace', namespace, 'logs', fe.metadata?.name ?? '']);
    const lines = logs.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const sets = loggedSets(lines).map((s) => ({ time: Number(s.line['time']), instances: s.instances }));
    restarts?.push(...lines.filter((l) => l['msg'] === 'discovery watch restarting' && Number(l['time']) >= startedAt - 1000).map((l) => `${fe.metadata?.name}: ${JSON.stringify(l)}`));
    for (const c of seen) {
      const hit = sets.find((s) => s.time >= c.at - 100 && s.instances.some((i) => i.startsWith(`${c.ip}:`)) === c.added);
      if (!hit) throw new Error(`${fe.metadata?.name} never logged the ${c.added ? 'addition' : 'removal'} of ${c.ip}`);
      latencies.push(Math.max(0, hit.time - c.at));
    }
  }
  return latencies;
}

/** Closed-loop load: `connections` keep-alive clients each sending POST /uppercase back to back. */
export async function closedLoop(host: string, port: number, connections: number, seconds: number): Promise<{ rps: number; failures: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections });
  const body = '{"s":"hello, world"}';
  const deadline = Date.now() + seconds * 1000;
  let ok = 0;
  let failures = 0;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const req = request({ host, port, method: 'POST', path: '/uppercase', agent, headers: { 'content-length': body.length }, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode === 200) ok++;
          else failures++;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        failures++;
        resolve();
      });
      req.end(body);
    });
  const started = Date.now();
  await Promise.all(Array.from({ length: connections }, async () => {
    while (Date.now() < deadline) await one();
  }));
  agent.destroy();
  return { rps: ok / ((Date.now() - started) / 1000), failures };
}

/** A container's memory as the kubelet reports it (cgroup figures). */
export interface PodMemory {
  rssMiB: number;
  workingSetMiB: number;
}

/** Memory of a pod's container from the kubelet's summary API (through the apiserver's node proxy). */
export async function podMemory(cluster: Cluster, namespace: string, name: string): Promise<PodMemory> {
  const raw = await cluster.kubectl(['get', '--raw', '/api/v1/nodes/stringsvc-node/proxy/stats/summary?only_cpu_and_memory=true']);
  const summary = JSON.parse(raw) as { pods: { podRef: { name: string; namespace: string }; containers?: { memory?: { rssBytes?: number; workingSetBytes?: number } }[] }[] };
  const pod = summary.pods.find((p) => p.podRef.name === name && p.podRef.namespace === namespace);
  const mem = pod?.containers?.[0]?.memory;
  if (!mem?.rssBytes || !mem.workingSetBytes) throw new Error(`no memory figures for ${namespace}/${name} in the kubelet's summary`);
  return { rssMiB: mem.rssBytes / 2 ** 20, workingSetMiB: mem.workingSetBytes / 2 ** 20 };
}

/** What one pod did under load with the chart's limits. */
export interface PodUnderLoad {
  name: string;
  rps: number;
  failures: number;
  idle: PodMemory;
  loaded: PodMemory;
  restarts: number;
  oomKilled: boolean;
}

/** Loads one pod directly at its IP for `seconds`, sampling its memory at the end of the run. */
export async function loadPod(cluster: Cluster, namespace: string, pod: V1Pod, connections: number, seconds: number): Promise<PodUnderLoad> {
  const name = pod.metadata?.name ?? '';
  const ip = pod.status?.podIP ?? '';
  const idle = await podMemory(cluster, namespace, name);
  let loaded = idle;
  const sampler = (async () => {
    const until = Date.now() + seconds * 1000;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 2000));
      const m = await podMemory(cluster, namespace, name).catch(() => undefined);
      if (m && m.workingSetMiB > loaded.workingSetMiB) loaded = m;
    }
  })();
  const { rps, failures } = await closedLoop(ip, 8080, connections, seconds);
  await sampler;
  const core = cluster.cp.kc.makeApiClient(CoreV1Api);
  const now = await core.readNamespacedPod({ namespace, name });
  const statuses = now.status?.containerStatuses ?? [];
  return {
    name,
    rps,
    failures,
    idle,
    loaded,
    restarts: statuses.reduce((n, s) => n + s.restartCount, 0),
    oomKilled: statuses.some((s) => s.lastState?.terminated?.reason === 'OOMKilled'),
  };
}

export function p99(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 99);
}
