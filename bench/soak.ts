import { startServer, rssMb, type Server } from './lib/proc.ts';
import { liveHeapMb } from './lib/inspector.ts';
import { wrk } from './lib/wrk.ts';
import { round } from './lib/stats.ts';
import { repoRoot, type BenchConfig, type Figures } from './lib/config.ts';

const minutes = Number(process.env.BENCH_SOAK_MINUTES ?? 10);

/**
 * soakBench looks for leaks: our frontend over three of our backends, all with their default
 * logging and metrics, under saturating load for `BENCH_SOAK_MINUTES` (default 10). After the
 * first minute (JIT, pools and metric series settled) and at the end, each process collects
 * garbage in full and reports its live heap; the growth between the two is what a leak would
 * show. Not in the default run (it takes minutes): `npm run bench soak`.
 */
export async function soakBench(config: BenchConfig): Promise<Figures> {
  const node = process.execPath;
  const cli = `${repoRoot}dist/cmd/stringsvc.js`;
  const inspectBase = 30000 + (process.pid % 1000) * 10;
  const start = (args: string[], inspect: number, cpus: string) =>
    startServer([node, `--inspect=127.0.0.1:${inspect}`, cli, '--listen=127.0.0.1:0', ...args], { cpus });
  const backends = await Promise.all([1, 2, 3].map((i) => start([], inspectBase + i, config.loadCpus)));
  const frontend = await start(
    [`--proxy=${backends.map((b) => b.addr).join(',')}`, '--qps=1000000', '--burst=1000000', '--max-time=10s', '--attempt-timeout=5s'],
    inspectBase,
    config.serverCpus,
  );
  const all: Array<[Server, number]> = [[frontend, inspectBase], ...backends.map((b, i): [Server, number] => [b, inspectBase + 1 + i])];
  const heaps = () => Promise.all(all.map(([, port]) => liveHeapMb(port)));
  try {
    const load = (durationS: number) =>
      wrk({ url: `${frontend.url}/uppercase`, body: '{"s":"hello, world"}', connections: config.connections, durationS, cpus: config.loadCpus });
    const first = await load(60);
    const settled = await heaps();
    config.log(`soak minute 1: ${Math.round(first.rps)} req/s, live heap MiB ${settled.map((h) => h.toFixed(1)).join(' ')}`);
    let requests = first.rps * 60;
    let errors = first.errors;
    for (let m = 2; m <= minutes; m++) {
      const r = await load(60);
      requests += r.rps * 60;
      errors += r.errors;
      config.log(`soak minute ${m}: ${Math.round(r.rps)} req/s, frontend RSS ${rssMb(frontend.proc.pid!).toFixed(0)} MiB`);
    }
    const end = await heaps();
    config.log(`soak end: live heap MiB ${end.map((h) => h.toFixed(1)).join(' ')}`);
    if (errors > 0) throw new Error(`soak had ${errors} errors`);
    const growth = end.map((h, i) => h - settled[i]!);
    return {
      soak_minutes: minutes,
      soak_requests: Math.round(requests),
      frontend_live_heap_mb: round(end[0]!, 1),
      frontend_live_heap_growth_mb: round(growth[0]!, 2),
      backend_live_heap_mb: round(Math.max(...end.slice(1)), 1),
      backend_live_heap_growth_mb: round(Math.max(...growth.slice(1)), 2),
    };
  } finally {
    await Promise.all(all.map(([s]) => s.stop()));
  }
}
