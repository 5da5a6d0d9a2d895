import { startServer, rssMb } from './lib/proc.ts';
import { wrk, type WrkResult } from './lib/wrk.ts';
import { median, round } from './lib/stats.ts';
import { repoRoot, type BenchConfig, type Figures } from './lib/config.ts';

/**
 * backendBench measures `/uppercase` throughput of our backend — default logging and metrics,
 * and with request logging off — against the raw `node:http` peer in the same run, each pinned
 * to the same core, in interleaved rounds; it reports medians and ratios.
 */
export async function backendBench(config: BenchConfig): Promise<Figures> {
  const node = process.execPath;
  const targets = {
    raw: [node, `${repoRoot}bench/peers/raw-node.ts`, '0'],
    ours: [node, `${repoRoot}dist/cmd/stringsvc.js`, '--listen=127.0.0.1:0'],
    ours_nolog: [node, `${repoRoot}dist/cmd/stringsvc.js`, '--listen=127.0.0.1:0', '--request-log=false'],
  };
  const servers = Object.fromEntries(
    await Promise.all(Object.entries(targets).map(async ([k, argv]) => [k, await startServer(argv, { cpus: config.serverCpus })] as const)),
  );
  const results: Record<string, WrkResult[]> = { raw: [], ours: [], ours_nolog: [] };
  const idleRss = rssMb(servers.ours!.proc.pid!);
  let loadedRss = 0;
  try {
    for (let round = 0; round < config.rounds; round++) {
      for (const name of rotate(Object.keys(targets), round)) {
        const url = `${servers[name]!.url}/uppercase`;
        const load = { url, body: '{"s":"hello, world"}', connections: config.connections, cpus: config.loadCpus };
        await wrk({ ...load, durationS: config.warmupS });
        const r = await wrk({ ...load, durationS: config.durationS });
        if (name === 'ours') loadedRss = Math.max(loadedRss, rssMb(servers.ours!.proc.pid!));
        results[name]!.push(r);
        config.log(`backend round ${round + 1}/${config.rounds} ${name}: ${Math.round(r.rps)} req/s, p99 ${r.p99Ms} ms`);
      }
    }
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  }
  const rps = (name: string) => median(results[name]!.map((r) => r.rps));
  return {
    backend_raw_rps: round(rps('raw'), 0),
    backend_rps: round(rps('ours'), 0),
    backend_rps_nolog: round(rps('ours_nolog'), 0),
    backend_vs_raw_rps_ratio: round(rps('ours') / rps('raw'), 3),
    backend_vs_raw_rps_ratio_nolog: round(rps('ours_nolog') / rps('raw'), 3),
    backend_p99_ms: round(median(results.ours!.map((r) => r.p99Ms)), 3),
    backend_rss_mb_idle: round(idleRss, 1),
    backend_rss_mb_loaded: round(loadedRss, 1),
  };
}

/** rotate changes which target goes first each round, so drift in machine load is shared. */
function rotate<T>(xs: T[], n: number): T[] {
  const k = n % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}
