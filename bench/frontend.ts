import { startServer, rssMb, type Server } from './lib/proc.ts';
import { startHaproxy, startNginx } from './lib/peers.ts';
import { cpuFigures, interleavedRounds, throughput } from './lib/rounds.ts';
import { fixedRates, type FixedRateResult } from './lib/fixed-rate.ts';
import { median, round } from './lib/stats.ts';
import { repoRoot, type BenchConfig, type Figures } from './lib/config.ts';

/**
 * frontendBench puts our proxying frontend, HAProxy, nginx, the bare Node proxy (the floor
 * for any Node proxy, see peers/raw-proxy.ts) and `@fastify/http-proxy` with its defaults (the
 * ecosystem's proxy, see peers/fastify-proxy.ts) in front of the same three backends, each proxy
 * pinned to the same core, and compares their throughput in interleaved rounds. Then, at a
 * fixed moderate rate, it measures what our hop adds to p99 latency over calling a backend
 * directly. The per-instance token bucket is opened wide and the deadlines set
 * as loose as the peers' (the seed's 250 ms would turn saturation queueing into 504s): this
 * compares proxying cost, not policy.
 */
export async function frontendBench(config: BenchConfig): Promise<Figures> {
  const node = process.execPath;
  const cli = `${repoRoot}dist/cmd/stringsvc.js`;
  const backends = await Promise.all(
    [0, 1, 2].map(() => startServer([node, cli, '--listen=127.0.0.1:0', '--request-log=false'], { cpus: config.loadCpus })),
  );
  const addrs = backends.map((b) => b.addr);
  const ours = (log: boolean) =>
    startServer(
      [node, cli, '--listen=127.0.0.1:0', `--proxy=${addrs.join(',')}`, `--request-log=${log}`, '--qps=1000000', '--burst=1000000', '--max-time=10s', '--attempt-timeout=5s'],
      { cpus: config.serverCpus },
    );
  const base = 20000 + (process.pid % 1000) * 10;
  const proxies: Record<string, Server> = {
    ours: await ours(false),
    ours_logged: await ours(true),
    haproxy: await startHaproxy(base + 1, addrs, config.serverCpus),
    nginx: await startNginx(base + 2, addrs, config.serverCpus),
    raw_proxy: await startServer([node, `${repoRoot}bench/peers/raw-proxy.ts`, '0', addrs.join(',')], { cpus: config.serverCpus }),
    fastify_proxy: await startServer([node, `${repoRoot}bench/peers/fastify-proxy.ts`, '0', addrs.join(',')], { cpus: config.serverCpus }),
  };
  const idleRss = rssMb(proxies.ours!.proc.pid!);
  const body = '{"s":"hello, world"}';
  try {
    const at = (name: string) => ({ url: `${proxies[name]!.url}/uppercase`, pid: proxies[name]!.proc.pid! });
    const { results, cpu, peakRssMb } = await interleavedRounds(
      config,
      'frontend',
      Object.fromEntries(Object.keys(proxies).map((n) => [n, at(n)])),
      { failOnErrors: true },
    );
    const hop = await hopLatency(config, backends[0]!.url, { ours: proxies.ours!.url, haproxy: proxies.haproxy!.url, raw_proxy: proxies.raw_proxy!.url }, body);
    const { rps, ratio } = throughput(results);
    return {
      frontend_rps: round(rps('ours'), 0),
      frontend_rps_logged: round(rps('ours_logged'), 0),
      haproxy_rps: round(rps('haproxy'), 0),
      nginx_rps: round(rps('nginx'), 0),
      raw_proxy_rps: round(rps('raw_proxy'), 0),
      fastify_proxy_rps: round(rps('fastify_proxy'), 0),
      frontend_vs_haproxy_rps_ratio: round(ratio('ours', 'haproxy'), 3),
      frontend_vs_nginx_rps_ratio: round(ratio('ours', 'nginx'), 3),
      frontend_vs_haproxy_rps_ratio_logged: round(ratio('ours_logged', 'haproxy'), 3),
      frontend_vs_raw_proxy_rps_ratio: round(ratio('ours', 'raw_proxy'), 3),
      frontend_vs_fastify_proxy_rps_ratio: round(ratio('ours', 'fastify_proxy'), 3),
      raw_proxy_vs_haproxy_rps_ratio: round(ratio('raw_proxy', 'haproxy'), 3),
      ...hop,
      frontend_rss_mb_idle: round(idleRss, 1),
      frontend_rss_mb: round(peakRssMb.ours!, 1),
      ...cpuFigures('frontend', cpu.ours!),
      ...cpuFigures('frontend_logged', cpu.ours_logged!),
      ...cpuFigures('haproxy', cpu.haproxy!),
      ...cpuFigures('nginx', cpu.nginx!),
      ...cpuFigures('raw_proxy', cpu.raw_proxy!),
      ...cpuFigures('fastify_proxy', cpu.fastify_proxy!),
    };
  } finally {
    await Promise.all([...Object.values(proxies), ...backends].map((s) => s.stop()));
  }
}

/**
 * hopLatency measures, at a fixed moderate rate, what each hop adds to latency: our frontend's,
 * HAProxy's and the bare Node proxy's. Each round runs one pair per proxy (see fixedRates): direct
 * calls to a backend taking turns, request by request, with calls through that proxy, so both
 * meet the same moments of the VM. Pairs rather than one stream through all three: on their shared
 * core one proxy's work would delay another's answers, and HAProxy's tail would carry the Node
 * proxies' bursts. The order of the pairs turns from round to round. What a hop adds is the median
 * over rounds of its p99 (and p50) minus the direct one of the same pair. HAProxy's figure shows how
 * much of ours is the VM's (waking an idle vCPU, crossing cores), the bare proxy's how much is
 * Node's and undici's rather than our code's. When the VM stalls, the stall sets both p99s of a
 * pair alike and the difference shrinks; the p50 difference is the steadier reading of the hop.
 */
async function hopLatency(config: BenchConfig, direct: string, vias: Record<Via, string>, body: string): Promise<Figures> {
  const rate = Number(process.env.BENCH_HOP_RATE ?? 500);
  const order = Object.keys(vias) as Via[];
  const rounds: Record<Via, { direct: FixedRateResult; via: FixedRateResult }[]> = { ours: [], haproxy: [], raw_proxy: [] };
  for (let i = 0; i < config.rounds; i++) {
    const k = i % order.length;
    for (const name of [...order.slice(k), ...order.slice(0, k)]) {
      const [d, v] = (await fixedRates([direct, vias[name]].map((u) => `${u}/uppercase`), body, rate, config.durationS)) as [FixedRateResult, FixedRateResult];
      if (d.errors + v.errors > 0) throw new Error(`hop latency run had errors: direct ${d.errors}, via ${name} ${v.errors}`);
      rounds[name].push({ direct: d, via: v });
      config.log(`hop round ${i + 1}/${config.rounds} at ${rate}/s: p99 direct ${d.p99Ms.toFixed(3)} ms, via ${name} ${v.p99Ms.toFixed(3)} ms`);
    }
  }
  const at = (name: Via, q: 'p50Ms' | 'p99Ms') => round(median(rounds[name].map((r) => r.via[q])), 3);
  // Like the throughput ratios: the median of per-round differences.
  const added = (name: Via, q: 'p50Ms' | 'p99Ms') => round(median(rounds[name].map((r) => r.via[q] - r.direct[q])), 3);
  return {
    hop_rate_rps: rate,
    direct_p99_ms: round(median(order.flatMap((n) => rounds[n].map((r) => r.direct.p99Ms))), 3),
    frontend_p99_ms: at('ours', 'p99Ms'),
    haproxy_p99_ms: at('haproxy', 'p99Ms'),
    hop_added_p99_ms: added('ours', 'p99Ms'),
    haproxy_hop_added_p99_ms: added('haproxy', 'p99Ms'),
    hop_added_p50_ms: added('ours', 'p50Ms'),
    haproxy_hop_added_p50_ms: added('haproxy', 'p50Ms'),
    raw_proxy_p99_ms: at('raw_proxy', 'p99Ms'),
    raw_proxy_hop_added_p99_ms: added('raw_proxy', 'p99Ms'),
    raw_proxy_hop_added_p50_ms: added('raw_proxy', 'p50Ms'),
  };
}

/** Via names the proxies whose hop is measured. */
type Via = 'ours' | 'haproxy' | 'raw_proxy';
