import { startServer, type Server } from './lib/proc.ts';
import { fixedRates, type FixedRateResult } from './lib/fixed-rate.ts';
import { median, round } from './lib/stats.ts';
import { repoRoot, type BenchConfig, type Figures } from './lib/config.ts';
import { startToxiproxy } from '../test/support/toxiproxy.ts';
import { metricValue, scrape } from '../test/support/metrics.ts';

/** slowShare is the share of a frontend's upstream calls that went to `slow`, over its whole life. */
async function slowShare(url: string, set: string[], slow: string): Promise<number> {
  const text = await scrape(url);
  const calls = (instance: string) => metricValue(text, 'stringsvc_upstream_requests_total', { instance, outcome: 'success' });
  const total = set.reduce((n, i) => n + calls(i), 0);
  return total === 0 ? 0 : calls(slow) / total;
}

/**
 * balancerBench measures what a slow backend does to the frontend's tail latency. Three backends
 * are reached through toxiproxy twice over: a healthy set of three proxies, and a set whose third
 * proxy adds 20 ms to every answer. Three frontends take turns request by request at the same fixed
 * rate (see fixedRates), so they meet the same moments of the shared machine: round robin over the
 * healthy set (the baseline), and round robin and p2c-ewma over the set with the slow one. Every
 * frontend crosses toxiproxy, so the baseline pays the same extra hop. Each figure is the median
 * over rounds of the p99; the slow backend's share of each frontend's calls shows the mechanism apart
 * from the VM's stalls, which can set the p99s. The token bucket is opened wide and the deadlines
 * loosened, as in the frontend section: this measures balancing, not policy (a stall of the shared VM
 * must not turn into 504s).
 */
export async function balancerBench(config: BenchConfig): Promise<Figures> {
  const node = process.execPath;
  const cli = `${repoRoot}dist/cmd/stringsvc.js`;
  const slowMs = 20;
  const rate = Number(process.env.BENCH_BALANCER_RATE ?? 50);
  const toxi = await startToxiproxy({ prefix: ['taskset', '-c', config.loadCpus] });
  const servers: Server[] = [];
  try {
    for (let i = 0; i < 3; i++) servers.push(await startServer([node, cli, '--listen=127.0.0.1:0', '--request-log=false'], { cpus: config.loadCpus }));
    const healthySet = await Promise.all(servers.map((b, i) => toxi.proxy(`healthy${i}`, b.addr)));
    const slowSet = await Promise.all(servers.map((b, i) => toxi.proxy(`slow${i}`, b.addr)));
    await toxi.addLatency('slow2', slowMs);
    const frontend = (set: string[], balancer: string) =>
      startServer([node, cli, '--listen=127.0.0.1:0', `--proxy=${set.join(',')}`, `--balancer=${balancer}`, '--request-log=false', '--qps=1000000', '--burst=1000000', '--max-time=10s', '--attempt-timeout=5s'], { cpus: config.serverCpus });
    const healthy = await frontend(healthySet, 'round-robin');
    servers.push(healthy);
    const rr = await frontend(slowSet, 'round-robin');
    servers.push(rr);
    const ewma = await frontend(slowSet, 'p2c-ewma');
    servers.push(ewma);
    const urls = [healthy, rr, ewma].map((s) => `${s.url}/uppercase`);
    const body = '{"s":"hello, world"}';
    // A warm-up run, discarded: JIT, connection pools, and p2c-ewma's first estimates.
    await fixedRates(urls, body, rate, config.firstWarmupS);
    const rounds: FixedRateResult[][] = [];
    for (let i = 0; i < config.rounds; i++) {
      const r = await fixedRates(urls, body, rate, config.durationS);
      const errors = r.reduce((n, x) => n + x.errors, 0);
      if (errors > 0) throw new Error(`balancer round ${i + 1}: errors ${r.map((x) => x.errors).join(", ")}, p99 ${r.map((x) => x.p99Ms.toFixed(1)).join(", ")} ms`);
      rounds.push(r);
      config.log(`balancer round ${i + 1}/${config.rounds} at ${rate}/s each: p99 healthy ${r[0]!.p99Ms.toFixed(2)} ms, one slow: round robin ${r[1]!.p99Ms.toFixed(2)} ms, p2c-ewma ${r[2]!.p99Ms.toFixed(2)} ms`);
    }
    const share = async (s: Server) => round(await slowShare(s.url, slowSet, slowSet[2]!), 3);
    const p99 = (k: number) => round(median(rounds.map((r) => r[k]!.p99Ms)), 2);
    const ratio = (k: number) => round(median(rounds.map((r) => r[k]!.p99Ms / r[0]!.p99Ms)), 3);
    return {
      balancer_rate_rps: rate,
      balancer_slow_added_ms: slowMs,
      healthy_p99_ms: p99(0),
      slow_backend_p99_ms_round_robin: p99(1),
      slow_backend_p99_ms_p2c_ewma: p99(2),
      slow_backend_p99_round_robin_vs_healthy_ratio: ratio(1),
      slow_backend_share_round_robin: await share(rr),
      slow_backend_share_p2c_ewma: await share(ewma),
      slow_backend_p99_p2c_ewma_vs_healthy_ratio: ratio(2),
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await toxi.stop();
  }
}
