import { startServer, rssMb, type Server } from './lib/proc.ts';
import { startHaproxy, startNginx } from './lib/peers.ts';
import { cpuFigures, interleavedRounds, throughput } from './lib/rounds.ts';
import { fixedRates, type FixedRateResult } from './lib/fixed-rate.ts';
import { median, round } from './lib/stats.ts';
import { repoRoot, type BenchConfig, type Figures } from './lib/config.ts';

/**
 * frontendBench puts our proxying frontend, HAProxy, nginx and the bare Node proxy (the floor
 * for any Node proxy, see peers/raw-proxy.ts) in front of the same three backends, each proxy
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
    const hop = await hopLatency(config, backends[0]!.url, proxies.ours!.url, proxies.haproxy!.url, proxies.raw_proxy!.url, body);
    const { rps, ratio } = throughput(results);
    return {
      frontend_rps: round(rps('ours'), 0),
      frontend_rps_logged: round(rps('ours_logged'), 0),
      haproxy_rps: round(rps('haproxy'), 0),
      nginx_rps: round(rps('nginx'), 0),
      raw_proxy_rps: round(rps('raw_proxy'), 0),
      frontend_vs_haproxy_rps_ratio: round(ratio('ours', 'haproxy'), 3),
      frontend_vs_nginx_rps_ratio: round(ratio('ours', 'nginx'), 3),
      frontend_vs_haproxy_rps_ratio_logged: round(ratio('ours_logged', 'haproxy'), 3),
      frontend_vs_raw_proxy_rps_ratio: round(ratio('ours', 'raw_proxy'), 3),
      raw_proxy_vs_haproxy_rps_ratio: round(ratio('raw_proxy', 'haproxy'), 3),
      ...hop,
      frontend_rss_mb_idle: round(idleRss, 1),
      frontend_rss_mb: round(peakRssMb.ours!, 1),
      ...cpuFigures('frontend', cpu.ours!),
      ...cpuFigures('frontend_logged', cpu.ours_logged!),
      ...cpuFigures('haproxy', cpu.haproxy!),
      ...cpuFigures('nginx', cpu.nginx!),
      ...cpuFigures('raw_proxy', cpu.raw_proxy!),
    };
  } finally {
    await Promise.all([...Object.values(proxies), ...backends].map((s) => s.stop()));
  }
}

/**
 * hopLatency runs fixed-rate rounds that send, taking turns request by request, straight to a
 * backend, through our frontend, through HAProxy and through the bare Node proxy (see
 * fixedRates); what each hop adds at a moderate load is the median over rounds of its p99 (and
 * p50) minus the direct one of the same round. HAProxy's figure shows how much of ours is the
 * VM's (waking an idle vCPU, crossing cores), the bare proxy's how much is Node's and undici's,
 * rather than our code's. When the VM stalls, the stalls set every target's p99 alike and
 * the difference shrinks; the p50 difference is the steadier reading of the hop's own cost.
 */
async function hopLatency(config: BenchConfig, direct: string, proxied: string, peer: string, floor: string, body: string): Promise<Figures> {
  const rate = Number(process.env.BENCH_HOP_RATE ?? 500);
  const rounds: FixedRateResult[][] = [];
  for (let i = 0; i < config.rounds; i++) {
    const round = await fixedRates([direct, proxied, peer, floor].map((u) => `${u}/uppercase`), body, rate, config.durationS);
    const [d, p, h, f] = round as [FixedRateResult, FixedRateResult, FixedRateResult, FixedRateResult];
    if (d.errors + p.errors + h.errors + f.errors > 0) {
      throw new Error(`hop latency run had errors: direct ${d.errors}, ours ${p.errors}, haproxy ${h.errors}, bare proxy ${f.errors}`);
    }
    rounds.push(round);
    config.log(
      `hop round ${i + 1}/${config.rounds} at ${rate}/s: p99 direct ${d.p99Ms.toFixed(3)} ms, via frontend ${p.p99Ms.toFixed(3)} ms, ` +
        `via haproxy ${h.p99Ms.toFixed(3)} ms, via bare proxy ${f.p99Ms.toFixed(3)} ms`,
    );
  }
  const [DIRECT, OURS, HAPROXY, FLOOR] = [0, 1, 2, 3];
  const at = (target: number, q: 'p50Ms' | 'p99Ms') => round(median(rounds.map((r) => r[target]![q])), 3);
  // Like the throughput ratios: the median of per-round differences.
  const added = (via: number, q: 'p50Ms' | 'p99Ms') => round(median(rounds.map((r) => r[via]![q] - r[DIRECT]![q])), 3);
  return {
    hop_rate_rps: rate,
    direct_p99_ms: at(DIRECT, 'p99Ms'),
    frontend_p99_ms: at(OURS, 'p99Ms'),
    haproxy_p99_ms: at(HAPROXY, 'p99Ms'),
    hop_added_p99_ms: added(OURS, 'p99Ms'),
    haproxy_hop_added_p99_ms: added(HAPROXY, 'p99Ms'),
    hop_added_p50_ms: added(OURS, 'p50Ms'),
    haproxy_hop_added_p50_ms: added(HAPROXY, 'p50Ms'),
    raw_proxy_p99_ms: at(FLOOR, 'p99Ms'),
    raw_proxy_hop_added_p99_ms: added(FLOOR, 'p99Ms'),
    raw_proxy_hop_added_p50_ms: added(FLOOR, 'p50Ms'),
  };
}
