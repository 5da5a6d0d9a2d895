import { startServer, type Server } from './lib/proc.ts';
import type { WrkResult } from './lib/wrk.ts';
import { cpuFigures, interleavedRounds, throughput, type CpuPerRequest } from './lib/rounds.ts';
import { median, round } from './lib/stats.ts';
import { repoRoot, type BenchConfig, type Figures } from './lib/config.ts';
import { ensureGokit } from '../test/gokit/binaries.ts';
import { createNetns, waitForPort, type Netns } from '../test/gokit/netns.ts';

/** A target under load; go-kit peers bring the namespace wrk must enter to reach their `:8080`. */
interface Target {
  server: Server;
  ns?: Netns;
}

/**
 * gokitBench measures `/uppercase` throughput of our backend against go-kit's own examples:
 * ours (request logging on) vs stringsvc2 (logging + metrics), ours with request logging off vs
 * stringsvc1 (neither). All pinned to the same core, the Go peers with GOMAXPROCS=1 too, in
 * interleaved rounds; medians and ratios (ours / go-kit). The bare `node:http` peer runs too,
 * as the ceiling any Node server has against Go on one core.
 */
export async function gokitBench(config: BenchConfig): Promise<Figures> {
  const bins = await ensureGokit();
  const node = process.execPath;
  const pin = { cpus: config.serverCpus };
  const gokit = async (binary: string): Promise<Target> => {
    // stringsvc1/2 hard-code :8080, so each runs in a network namespace of its own.
    const ns = await createNetns();
    const ready = async () => (await waitForPort(ns, 8080), '127.0.0.1:8080');
    const server = await startServer([...ns.enter, binary], { ...pin, env: { GOMAXPROCS: '1' }, ready });
    return { server, ns };
  };
  const ours = async (...flags: string[]): Promise<Target> => ({
    server: await startServer([node, `${repoRoot}dist/cmd/stringsvc.js`, '--listen=127.0.0.1:0', ...flags], pin),
  });
  const targets: Record<string, Target> = {};
  const order = ['gokit2', 'ours', 'gokit1', 'ours_nolog', 'raw'];
  let results: Record<string, WrkResult[]> = {};
  let rss: Record<string, number> = {};
  let cpu: Record<string, CpuPerRequest[]> = {};
  try {
    targets.gokit2 = await gokit(bins.stringsvc2);
    targets.gokit1 = await gokit(bins.stringsvc1);
    targets.ours = await ours();
    targets.ours_nolog = await ours('--request-log=false');
    targets.raw = { server: await startServer([node, `${repoRoot}bench/peers/raw-node.ts`, '0'], pin) };
    const at = (name: string) => {
      const { server, ns } = targets[name]!;
      return { url: `${server.url}/uppercase`, pid: server.proc.pid!, ...(ns ? { prefix: ns.enter } : {}) };
    };
    ({ results, cpu, peakRssMb: rss } = await interleavedRounds(config, 'gokit', Object.fromEntries(order.map((n) => [n, at(n)]))));
  } finally {
    await Promise.all(Object.values(targets).map((t) => t.server.stop()));
    for (const t of Object.values(targets)) t.ns?.close();
  }
  const { rps, ratio } = throughput(results);
  const p99 = (name: string) => round(median(results[name]!.map((r) => r.p99Ms)), 3);
  return {
    gokit2_backend_rps: round(rps('gokit2'), 0),
    gokit1_backend_rps: round(rps('gokit1'), 0),
    gokit_ours_backend_rps: round(rps('ours'), 0),
    gokit_ours_backend_rps_nolog: round(rps('ours_nolog'), 0),
    gokit_raw_node_rps: round(rps('raw'), 0),
    gokit2_backend_rps_ratio: round(ratio('ours', 'gokit2'), 3),
    gokit1_backend_rps_ratio_nolog: round(ratio('ours_nolog', 'gokit1'), 3),
    gokit1_raw_node_rps_ratio: round(ratio('raw', 'gokit1'), 3),
    gokit2_backend_p99_ms: p99('gokit2'),
    gokit_ours_backend_p99_ms: p99('ours'),
    backend_rss_mb: round(rss.ours ?? NaN, 1),
    gokit2_backend_rss_mb: round(rss.gokit2 ?? NaN, 1),
    ...cpuFigures('gokit1', cpu.gokit1!),
    ...cpuFigures('gokit2', cpu.gokit2!),
  };
}
