import { CoreV1Api, DiscoveryV1Api, type V1EndpointSlice } from '@kubernetes/client-node';
import { startControlPlane } from '../test/controlplane/harness.ts';
import { Endpointer } from '../src/kit/sd/endpointer.ts';
import { MergedSet, sliceContribution, type EndpointSliceLike } from '../src/kit/sd/kubernetes/endpointslices.ts';
import { KubernetesInstancer } from '../src/kit/sd/kubernetes/instancer.ts';
import { endpointSliceClient, serviceNameLabel } from '../src/kit/sd/kubernetes/resources.ts';
import type { BenchConfig, Figures } from './lib/config.ts';
import { median, quantile, round } from './lib/stats.ts';

const changes = Number(process.env.BENCH_DISCOVERY_CHANGES ?? 250);

/**
 * discoveryBench measures the discovery line:
 * - propagation: from the API server acknowledging an EndpointSlice write to the Endpointer
 *   (what round robin reads) holding the new set, over `changes` sequential writes against
 *   the real control plane; p50 and p99. The watch event often arrives before the writer
 *   has decoded its own response (counted as 0), so the time from the write's start is
 *   reported too, as an upper bound that includes the write itself;
 * - CPU to apply one slice update to a service of 5,000 endpoints in 50 slices (and of
 *   50,000 in 500, to show the cost follows the slice, not the service); median.
 */
export async function discoveryBench(config: BenchConfig): Promise<Figures> {
  const propagation = await propagationMs(config);
  const cpu5k = sliceUpdateCpuMs(50, 100);
  const cpu50k = sliceUpdateCpuMs(500, 100);
  config.log(`discovery: propagation p50 ${propagation.p50} ms, p99 ${propagation.p99} ms; slice update ${cpu5k.apply} ms at 5,000, ${cpu50k.apply} ms at 50,000`);
  return {
    discovery_propagation_p50_ms: round(propagation.p50, 2),
    discovery_propagation_p99_ms: round(propagation.p99, 2),
    discovery_propagation_changes: changes,
    discovery_propagation_before_ack_ratio: round(propagation.beforeAck, 3),
    discovery_write_to_balancer_p50_ms: round(propagation.startP50, 2),
    discovery_write_to_balancer_p99_ms: round(propagation.startP99, 2),
    slice_update_cpu_ms_5000: round(cpu5k.apply, 4),
    slice_update_cpu_ms_50000: round(cpu50k.apply, 4),
    slice_update_publish_cpu_ms_5000: round(cpu5k.publish, 4),
  };
}

function slice(name: string, service: string, ips: string[]): V1EndpointSlice {
  return {
    metadata: { name, labels: { [serviceNameLabel]: service } },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
  };
}

/** Propagation are the latency quantiles from the write's acknowledgement and, as an upper bound, from its start. */
interface Propagation {
  p50: number;
  p99: number;
  startP50: number;
  startP99: number;
  /** beforeAck is the share of changes the balancer had before the writer saw its own acknowledgement. */
  beforeAck: number;
}

async function propagationMs(config: BenchConfig): Promise<Propagation> {
  const cp = await startControlPlane();
  const ns = 'bench';
  try {
    await cp.createNamespace(ns);
    const core = cp.kc.makeApiClient(CoreV1Api);
    const discovery = cp.kc.makeApiClient(DiscoveryV1Api);
    // No selector: the controllers leave this Service's slices to us.
    await core.createNamespacedService({ namespace: ns, body: { metadata: { name: 'prop' }, spec: { ports: [{ name: 'http', port: 80 }] } } });
    await discovery.createNamespacedEndpointSlice({ namespace: ns, body: slice('prop-a', 'prop', ['10.50.0.1']) });
    const instancer = new KubernetesInstancer({ client: endpointSliceClient(cp.kc, { namespace: ns, service: 'prop' }), kind: 'endpointslices', port: 'http' });
    let waiting: { instance: string; resolve: (at: number) => void } | undefined;
    const endpointer = new Endpointer(instancer, () => ({ endpoint: async () => undefined, close() {} }), {
      onChange(instances) {
        if (waiting && instances.includes(waiting.instance)) waiting.resolve(performance.now());
      },
    });
    instancer.start();
    await instancer.synced;
    const samples: number[] = [];
    const fromStart: number[] = [];
    try {
      for (let i = 1; i <= changes; i++) {
        const ip = `10.50.${1 + (i >> 8)}.${i & 255}`;
        const seen = new Promise<number>((resolve) => (waiting = { instance: `${ip}:8080`, resolve }));
        const begin = performance.now();
        await discovery.replaceNamespacedEndpointSlice({ namespace: ns, name: 'prop-a', body: slice('prop-a', 'prop', ['10.50.0.1', ip]) });
        const acked = performance.now();
        // The watch event can beat the write's own response; that counts as zero delay.
        const at = await seen;
        samples.push(Math.max(0, at - acked));
        fromStart.push(at - begin);
        if (i % 50 === 0) config.log(`discovery propagation ${i}/${changes}: p50 ${round(median(samples))} ms`);
      }
    } finally {
      endpointer.close();
      await instancer.stop();
    }
    return {
      p50: quantile(samples, 0.5),
      p99: quantile(samples, 0.99),
      startP50: quantile(fromStart, 0.5),
      startP99: quantile(fromStart, 0.99),
      beforeAck: samples.filter((x) => x === 0).length / samples.length,
    };
  } finally {
    await cp.stop();
  }
}

/** sliceUpdateCpuMs is the median CPU time of one slice update (recompute + merge), and of publishing the full set after it. */
function sliceUpdateCpuMs(slices: number, perSlice: number): { apply: number; publish: number } {
  const make = (s: number, variant: number): EndpointSliceLike => ({
    metadata: { name: `s${s}` },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080 }],
    endpoints: Array.from({ length: perSlice }, (_, j) => ({
      addresses: [`10.${s >> 8}.${s & 255}.${j + 1}`],
      // Each update flips a different endpoint's readiness, so every apply changes the set.
      conditions: { ready: j !== variant % perSlice },
    })),
  });
  const merged = new MergedSet();
  for (let s = 0; s < slices; s++) merged.apply(`s${s}`, sliceContribution(make(s, -1), 'http'));
  merged.instances();
  const updates = Array.from({ length: 400 }, (_, k) => make(k % slices, k));
  const apply: number[] = [];
  const publish: number[] = [];
  for (const [k, u] of updates.entries()) {
    const a = process.cpuUsage();
    merged.apply(`s${k % slices}`, sliceContribution(u, 'http'));
    const b = process.cpuUsage(a);
    merged.instances();
    const c = process.cpuUsage();
    apply.push((b.user + b.system) / 1000);
    publish.push((c.user + c.system - a.user - a.system - b.user - b.system) / 1000);
  }
  return { apply: median(apply.slice(100)), publish: median(publish.slice(100)) };
}
