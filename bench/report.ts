/**
 * `node bench/report.ts` renders `bench/results/latest.json` twice, between the
 * `bench:start`/`bench:end` markers: the full tables (every figure with its target, and CPU per
 * request) in `docs/benchmarks.md`, and the short table (one line a targeted figure: ours, the
 * peer, the ratio against its target) in the README, so neither can drift from the last run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { repoRoot, type Figures } from './lib/config.ts';

interface Row {
  key: string;
  what: string;
  target?: { op: '>=' | '<='; value: number };
  /** A peer kept as a reference line: the runtime's ceiling, no longer a target of ours. */
  reference?: true;
}

const rows: Row[] = [
  { key: 'backend_vs_raw_rps_ratio', what: 'backend (default logging) ÷ raw node:http, throughput', target: { op: '>=', value: 0.6 } },
  { key: 'backend_vs_raw_rps_ratio_nolog', what: 'backend (request log off) ÷ raw node:http', target: { op: '>=', value: 0.95 } },
  { key: 'backend_vs_fastify_rps_ratio', what: 'backend (default logging) ÷ Fastify logging the same line', target: { op: '>=', value: 1 } },
  { key: 'backend_vs_fastify_rps_ratio_nolog', what: 'backend (request log off) ÷ Fastify (logger off)', target: { op: '>=', value: 1 } },
  { key: 'gokit2_backend_rps_ratio', what: 'backend (logging) ÷ go-kit stringsvc2, one core each', reference: true },
  { key: 'gokit1_backend_rps_ratio_nolog', what: 'backend (request log off) ÷ go-kit stringsvc1', reference: true },
  { key: 'gokit1_raw_node_rps_ratio', what: 'raw node:http ÷ go-kit stringsvc1 (the ceiling for any Node server)' },
  { key: 'frontend_vs_haproxy_rps_ratio', what: 'frontend ÷ HAProxy, same 3 backends', reference: true },
  { key: 'frontend_vs_nginx_rps_ratio', what: 'frontend ÷ nginx, same 3 backends', reference: true },
  { key: 'frontend_vs_fastify_proxy_rps_ratio', what: 'frontend ÷ @fastify/http-proxy (defaults), same 3 backends', target: { op: '>=', value: 1 } },
  { key: 'frontend_vs_haproxy_rps_ratio_logged', what: 'frontend with request logging on ÷ HAProxy' },
  { key: 'frontend_vs_raw_proxy_rps_ratio', what: 'frontend ÷ bare node:http + undici proxy (the floor of any Node proxy)', target: { op: '>=', value: 0.95 } },
  { key: 'raw_proxy_vs_haproxy_rps_ratio', what: 'bare node:http + undici proxy ÷ HAProxy (the ceiling for any Node proxy)' },
  { key: 'hop_added_p99_ms', what: 'p99 added by the frontend hop at a fixed moderate rate (ms)', target: { op: '<=', value: 1 } },
  { key: 'haproxy_hop_added_p99_ms', what: 'p99 added by an HAProxy hop, same rounds (ms): the VM\'s share' },
  { key: 'hop_added_p50_ms', what: 'p50 added by the frontend hop, same rounds (ms)' },
  { key: 'haproxy_hop_added_p50_ms', what: 'p50 added by an HAProxy hop, same rounds (ms)' },
  { key: 'raw_proxy_hop_added_p99_ms', what: 'p99 added by the bare Node proxy\'s hop, same rounds (ms): Node\'s share' },
  { key: 'raw_proxy_hop_added_p50_ms', what: 'p50 added by the bare Node proxy\'s hop, same rounds (ms)' },
  { key: 'healthy_p99_ms', what: 'three healthy backends (through toxiproxy), round robin, fixed rate, p99 (ms)' },
  { key: 'slow_backend_p99_ms_round_robin', what: 'one of three backends +20 ms, round robin, same rounds, p99 (ms)' },
  { key: 'slow_backend_p99_ms_p2c_ewma', what: 'one of three backends +20 ms, p2c-ewma, same rounds, p99 (ms)' },
  { key: 'slow_backend_p99_round_robin_vs_healthy_ratio', what: 'round robin with the slow backend ÷ healthy, p99, per-round median' },
  { key: 'slow_backend_p99_p2c_ewma_vs_healthy_ratio', what: 'p2c-ewma with the slow backend ÷ healthy, p99, per-round median', target: { op: '<=', value: 2 } },
  { key: 'slow_backend_share_round_robin', what: 'share of calls the +20 ms backend got, round robin' },
  { key: 'slow_backend_share_p2c_ewma', what: 'share of calls the +20 ms backend got, p2c-ewma' },
  { key: 'backend_traced_vs_untraced_rps_ratio', what: 'backend, tracing on (every request, exported to Jaeger) ÷ tracing off', target: { op: '>=', value: 0.75 } },
  { key: 'backend_tracing_off_vs_pretracing_rps_ratio', what: 'backend, tracing off ÷ the build before tracing', target: { op: '>=', value: 0.98 } },
  { key: 'frontend_traced_vs_untraced_rps_ratio', what: 'frontend, tracing on (every request, exported to Jaeger) ÷ tracing off', target: { op: '>=', value: 0.75 } },
  { key: 'frontend_tracing_off_vs_pretracing_rps_ratio', what: 'frontend, tracing off ÷ the build before tracing', target: { op: '>=', value: 0.98 } },
  { key: 'discovery_propagation_p50_ms', what: 'EndpointSlice write acknowledged → balancer uses it, p50 (ms)' },
  { key: 'discovery_propagation_p99_ms', what: 'same, p99 (ms)', target: { op: '<=', value: 50 } },
  { key: 'slice_update_cpu_ms_5000', what: 'CPU to apply one slice update, service of 5,000 endpoints (ms)' },
  { key: 'cluster_discovery_p99_ms', what: 'real node: backend pod Ready/terminating → frontends\' balancers, p99 (ms)', target: { op: '<=', value: 100 } },
  { key: 'pod_frontend_rps', what: 'real node: one frontend pod, chart limits, req/s' },
  { key: 'pod_frontend_rss_mb', what: 'real node: frontend pod memory under load, cgroup RSS (MiB)' },
  { key: 'pod_backend_rss_mb', what: 'real node: backend pod memory under load, cgroup RSS (MiB)' },
  { key: 'backend_rss_mb', what: 'backend RSS under load (MB)' },
  { key: 'frontend_rss_mb', what: 'frontend RSS under load (MB)' },
];

/** One line of the README's short table: our figure, the peer's, and the targeted figure between them. */
interface ShortRow {
  what: string;
  ours?: string;
  peer?: { key: string; name: string };
  unit: 'req/s' | 'ms';
  /** The targeted figure: a ratio (ours ÷ peer, the median of per-round ratios), or `ours` itself. */
  figure: string;
}

const shortRows: ShortRow[] = [
  { what: 'backend, default logging', ours: 'backend_rps', peer: { key: 'backend_raw_rps', name: 'raw node:http' }, unit: 'req/s', figure: 'backend_vs_raw_rps_ratio' },
  { what: 'backend, request log off', ours: 'backend_rps_nolog', peer: { key: 'backend_raw_rps', name: 'raw node:http' }, unit: 'req/s', figure: 'backend_vs_raw_rps_ratio_nolog' },
  { what: 'backend, default logging', ours: 'backend_rps', peer: { key: 'backend_fastify_rps', name: 'Fastify, same log line' }, unit: 'req/s', figure: 'backend_vs_fastify_rps_ratio' },
  { what: 'backend, request log off', ours: 'backend_rps_nolog', peer: { key: 'backend_fastify_rps_nolog', name: 'Fastify, logger off' }, unit: 'req/s', figure: 'backend_vs_fastify_rps_ratio_nolog' },
  { what: 'backend, logging, one core each', ours: 'gokit_ours_backend_rps', peer: { key: 'gokit2_backend_rps', name: 'go-kit stringsvc2' }, unit: 'req/s', figure: 'gokit2_backend_rps_ratio' },
  { what: 'backend, request log off, one core each', ours: 'gokit_ours_backend_rps_nolog', peer: { key: 'gokit1_backend_rps', name: 'go-kit stringsvc1' }, unit: 'req/s', figure: 'gokit1_backend_rps_ratio_nolog' },
  { what: 'frontend over 3 backends', ours: 'frontend_rps', peer: { key: 'haproxy_rps', name: 'HAProxy' }, unit: 'req/s', figure: 'frontend_vs_haproxy_rps_ratio' },
  { what: 'frontend over 3 backends', ours: 'frontend_rps', peer: { key: 'nginx_rps', name: 'nginx' }, unit: 'req/s', figure: 'frontend_vs_nginx_rps_ratio' },
  { what: 'frontend over 3 backends', ours: 'frontend_rps', peer: { key: 'fastify_proxy_rps', name: '@fastify/http-proxy' }, unit: 'req/s', figure: 'frontend_vs_fastify_proxy_rps_ratio' },
  { what: 'frontend over 3 backends', ours: 'frontend_rps', peer: { key: 'raw_proxy_rps', name: 'bare Node proxy' }, unit: 'req/s', figure: 'frontend_vs_raw_proxy_rps_ratio' },
  { what: 'p99 added by the hop at 500 req/s', ours: 'hop_added_p99_ms', peer: { key: 'haproxy_hop_added_p99_ms', name: 'HAProxy' }, unit: 'ms', figure: 'hop_added_p99_ms' },
  { what: 'one of 3 backends +20 ms, round robin, p99', ours: 'slow_backend_p99_ms_round_robin', peer: { key: 'healthy_p99_ms', name: 'all healthy' }, unit: 'ms', figure: 'slow_backend_p99_round_robin_vs_healthy_ratio' },
  { what: 'one of 3 backends +20 ms, p2c-ewma, p99', ours: 'slow_backend_p99_ms_p2c_ewma', peer: { key: 'healthy_p99_ms', name: 'all healthy' }, unit: 'ms', figure: 'slow_backend_p99_p2c_ewma_vs_healthy_ratio' },
  { what: 'backend, tracing on (100 %, to Jaeger)', ours: 'backend_traced_rps', peer: { key: 'backend_tracing_off_rps', name: 'tracing off' }, unit: 'req/s', figure: 'backend_traced_vs_untraced_rps_ratio' },
  { what: 'backend, tracing off', ours: 'backend_tracing_off_rps', peer: { key: 'backend_pretracing_rps', name: 'build before tracing' }, unit: 'req/s', figure: 'backend_tracing_off_vs_pretracing_rps_ratio' },
  { what: 'frontend, tracing on (100 %, to Jaeger)', ours: 'frontend_traced_rps', peer: { key: 'frontend_tracing_off_rps', name: 'tracing off' }, unit: 'req/s', figure: 'frontend_traced_vs_untraced_rps_ratio' },
  { what: 'frontend, tracing off', ours: 'frontend_tracing_off_rps', peer: { key: 'frontend_pretracing_rps', name: 'build before tracing' }, unit: 'req/s', figure: 'frontend_tracing_off_vs_pretracing_rps_ratio' },
  { what: 'EndpointSlice write → balancer, p99', ours: 'discovery_propagation_p99_ms', unit: 'ms', figure: 'discovery_propagation_p99_ms' },
  { what: 'real node: pod Ready/terminating → balancers, p99', ours: 'cluster_discovery_p99_ms', unit: 'ms', figure: 'cluster_discovery_p99_ms' },
];

/** Servers whose CPU per request the sections measure (`<key>_user_us_per_req`, `<key>_sys_us_per_req`). */
const cpuRows: Array<[key: string, what: string]> = [
  ['backend_raw', 'raw node:http backend'],
  ['backend', 'our backend, default logging'],
  ['backend_nolog', 'our backend, request log off'],
  ['backend_fastify', 'Fastify backend, same log line'],
  ['backend_fastify_nolog', 'Fastify backend, logger off'],
  ['gokit1', 'go-kit stringsvc1'],
  ['gokit2', 'go-kit stringsvc2'],
  ['frontend', 'our frontend (proxy process only)'],
  ['frontend_logged', 'our frontend, logging on'],
  ['backend_pretracing', 'our backend, request log off, build before tracing'],
  ['backend_tracing_off', 'our backend, request log off, tracing off'],
  ['backend_traced', 'our backend, request log off, tracing every request'],
  ['frontend_pretracing', 'our frontend, build before tracing'],
  ['frontend_tracing_off', 'our frontend, tracing off'],
  ['frontend_traced', 'our frontend, tracing every request'],
  ['raw_proxy', 'bare node:http + undici proxy'],
  ['fastify_proxy', '@fastify/http-proxy'],
  ['haproxy', 'HAProxy'],
  ['nginx', 'nginx'],
];

const results = JSON.parse(readFileSync(`${repoRoot}bench/results/latest.json`, 'utf8')) as Figures;
const byKey = new Map(rows.map((r) => [r.key, r]));

/** targetCell renders a target with whether `v` meets it (`≥ 0.8 ✅ met`). */
function targetCell(r: Row | undefined, v: number): string {
  if (r?.reference) return 'reference: the runtime\'s ceiling';
  if (!r?.target) return '';
  const met = r.target.op === '>=' ? v >= r.target.value : v <= r.target.value;
  return `${r.target.op === '>=' ? '≥' : '≤'} ${r.target.value} ${met ? '✅ met' : '❌ missed'}`;
}

/** amount renders a figure with its unit, thousands grouped (`29,416 req/s`, `1.148 ms`). */
function amount(v: number, unit: string): string {
  return `${unit === 'req/s' ? v.toLocaleString('en-US') : v} ${unit}`;
}

const lines = ['| figure | key | measured | target |', '| --- | --- | ---: | --- |'];
for (const r of rows) {
  const v = results[r.key];
  if (v === undefined) continue;
  lines.push(`| ${r.what} | \`${r.key}\` | ${v} | ${targetCell(r, v)} |`);
}
const cpu = cpuRows.filter(([key]) => results[`${key}_user_us_per_req`] !== undefined);
if (cpu.length > 0) {
  lines.push('', 'CPU per request under the same load, median over rounds (µs; *user* is the server\'s own code and runtime, *kernel* its sockets and loopback TCP):', '');
  lines.push('| server | user | kernel | total |', '| --- | ---: | ---: | ---: |');
  for (const [key, what] of cpu) {
    const user = results[`${key}_user_us_per_req`]!;
    const sys = results[`${key}_sys_us_per_req`]!;
    lines.push(`| ${what} | ${user} | ${sys} | ${Math.round((user + sys) * 10) / 10} |`);
  }
}

const short = ['| figure | ours | peer | ours ÷ peer | target |', '| --- | ---: | ---: | ---: | --- |'];
for (const r of shortRows) {
  const v = results[r.figure];
  if (v === undefined) continue;
  const ours = r.ours !== undefined && results[r.ours] !== undefined ? amount(results[r.ours]!, r.unit) : '';
  const peer = r.peer && results[r.peer.key] !== undefined ? `${r.peer.name}: ${amount(results[r.peer.key]!, r.unit)}` : '';
  short.push(`| ${r.what} | ${ours} | ${peer} | ${r.figure === r.ours ? '' : v} | ${targetCell(byKey.get(r.figure), v)} |`);
}

/** rewrite replaces what lies between the bench markers of `file` (relative to the repository) with `body`. */
function rewrite(file: string, body: string[]): void {
  const path = `${repoRoot}${file}`;
  const text = readFileSync(path, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${file} has no bench:start/bench:end markers`);
  writeFileSync(path, `${text.slice(0, a + start.length)}\n${body.join('\n')}\n${text.slice(b)}`);
}

rewrite('docs/benchmarks.md', lines);
rewrite('README.md', short);
console.log(`benchmark tables updated: docs/benchmarks.md (${rows.filter((r) => results[r.key] !== undefined).length} figures, CPU of ${cpu.length} servers), README.md (${short.length - 2} lines)`);
