import { startServer, rssMb } from './lib/proc.ts';
import { cpuFigures, interleavedRounds, throughput, type Rounds } from './lib/rounds.ts';
import { median, round } from './lib/stats.ts';
import { repoRoot, type BenchConfig, type Figures } from './lib/config.ts';

/**
 * backendBench measures `/uppercase` throughput of our backend — default logging and metrics,
 * and with request logging off — against the raw `node:http` peer and Fastify (its pino logger
 * writing what ours writes per request, and off: peers/fastify-backend.ts) in the same run, each
 * pinned to the same core, in interleaved rounds; it reports medians and ratios.
 */
export async function backendBench(config: BenchConfig): Promise<Figures> {
  const node = process.execPath;
  const targets = {
    raw: [node, `${repoRoot}bench/peers/raw-node.ts`, '0'],
    ours: [node, `${repoRoot}dist/cmd/stringsvc.js`, '--listen=127.0.0.1:0'],
    ours_nolog: [node, `${repoRoot}dist/cmd/stringsvc.js`, '--listen=127.0.0.1:0', '--request-log=false'],
    fastify: [node, `${repoRoot}bench/peers/fastify-backend.ts`, '0', 'log'],
    fastify_nolog: [node, `${repoRoot}bench/peers/fastify-backend.ts`, '0', 'nolog'],
  };
  const servers = Object.fromEntries(
    await Promise.all(Object.entries(targets).map(async ([k, argv]) => [k, await startServer(argv, { cpus: config.serverCpus })] as const)),
  );
  const idleRss = rssMb(servers.ours!.proc.pid!);
  let rounds: Rounds;
  try {
    const at = (name: string) => ({ url: `${servers[name]!.url}/uppercase`, pid: servers[name]!.proc.pid! });
    rounds = await interleavedRounds(config, 'backend', Object.fromEntries(Object.keys(targets).map((k) => [k, at(k)])));
  } finally {
    await Promise.all(Object.values(servers).map((s) => s.stop()));
  }
  const { results, cpu } = rounds;
  const { rps, ratio } = throughput(results);
  return {
    backend_raw_rps: round(rps('raw'), 0),
    backend_rps: round(rps('ours'), 0),
    backend_rps_nolog: round(rps('ours_nolog'), 0),
    backend_vs_raw_rps_ratio: round(ratio('ours', 'raw'), 3),
    backend_vs_raw_rps_ratio_nolog: round(ratio('ours_nolog', 'raw'), 3),
    backend_fastify_rps: round(rps('fastify'), 0),
    backend_fastify_rps_nolog: round(rps('fastify_nolog'), 0),
    backend_vs_fastify_rps_ratio: round(ratio('ours', 'fastify'), 3),
    backend_vs_fastify_rps_ratio_nolog: round(ratio('ours_nolog', 'fastify_nolog'), 3),
    backend_p99_ms: round(median(results.ours!.map((r) => r.p99Ms)), 3),
    backend_rss_mb_idle: round(idleRss, 1),
    backend_rss_mb_loaded: round(rounds.peakRssMb.ours!, 1),
    ...cpuFigures('backend_raw', cpu.raw!),
    ...cpuFigures('backend', cpu.ours!),
    ...cpuFigures('backend_nolog', cpu.ours_nolog!),
    ...cpuFigures('backend_fastify', cpu.fastify!),
    ...cpuFigures('backend_fastify_nolog', cpu.fastify_nolog!),
  };
}
