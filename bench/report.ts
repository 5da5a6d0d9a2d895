/**
 * `node bench/report.ts` renders `bench/results/latest.json` as the README's benchmark table
 * (between the `bench:start`/`bench:end` markers), with each issue's target next to the
 * measured figure, so the README cannot drift from the last run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { repoRoot, type Figures } from './lib/config.ts';

interface Row {
  key: string;
  what: string;
  target?: { op: '>=' | '<='; value: number };
}

const rows: Row[] = [
  { key: 'backend_vs_raw_rps_ratio', what: 'backend (default logging) ÷ raw node:http, throughput', target: { op: '>=', value: 0.6 } },
  { key: 'backend_vs_raw_rps_ratio_nolog', what: 'backend (request log off) ÷ raw node:http', target: { op: '>=', value: 0.85 } },
  { key: 'gokit2_backend_rps_ratio', what: 'backend (logging) ÷ go-kit stringsvc2, one core each', target: { op: '>=', value: 1 } },
  { key: 'gokit1_backend_rps_ratio_nolog', what: 'backend (request log off) ÷ go-kit stringsvc1', target: { op: '>=', value: 1 } },
  { key: 'gokit1_raw_node_rps_ratio', what: 'raw node:http ÷ go-kit stringsvc1 (the ceiling for any Node server)' },
  { key: 'frontend_vs_haproxy_rps_ratio', what: 'frontend ÷ HAProxy, same 3 backends', target: { op: '>=', value: 0.8 } },
  { key: 'frontend_vs_nginx_rps_ratio', what: 'frontend ÷ nginx, same 3 backends', target: { op: '>=', value: 0.8 } },
  { key: 'frontend_vs_haproxy_rps_ratio_logged', what: 'frontend with request logging on ÷ HAProxy' },
  { key: 'frontend_vs_raw_proxy_rps_ratio', what: 'frontend ÷ bare node:http + undici proxy (what is ours to win back)' },
  { key: 'raw_proxy_vs_haproxy_rps_ratio', what: 'bare node:http + undici proxy ÷ HAProxy (the ceiling for any Node proxy)' },
  { key: 'hop_added_p99_ms', what: 'p99 added by the frontend hop at a fixed moderate rate (ms)', target: { op: '<=', value: 1 } },
  { key: 'haproxy_hop_added_p99_ms', what: 'p99 added by an HAProxy hop, same rounds (ms): the VM\'s share' },
  { key: 'hop_added_p50_ms', what: 'p50 added by the frontend hop, same rounds (ms)' },
  { key: 'haproxy_hop_added_p50_ms', what: 'p50 added by an HAProxy hop, same rounds (ms)' },
  { key: 'raw_proxy_hop_added_p99_ms', what: 'p99 added by the bare Node proxy\'s hop, same rounds (ms): Node\'s share' },
  { key: 'raw_proxy_hop_added_p50_ms', what: 'p50 added by the bare Node proxy\'s hop, same rounds (ms)' },
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

/** Servers whose CPU per request the sections measure (`<key>_user_us_per_req`, `<key>_sys_us_per_req`). */
const cpuRows: Array<[key: string, what: string]> = [
  ['backend_raw', 'raw node:http backend'],
  ['backend', 'our backend, default logging'],
  ['backend_nolog', 'our backend, request log off'],
  ['gokit1', 'go-kit stringsvc1'],
  ['gokit2', 'go-kit stringsvc2'],
  ['frontend', 'our frontend (proxy process only)'],
  ['frontend_logged', 'our frontend, logging on'],
  ['raw_proxy', 'bare node:http + undici proxy'],
  ['haproxy', 'HAProxy'],
  ['nginx', 'nginx'],
];

const results = JSON.parse(readFileSync(`${repoRoot}bench/results/latest.json`, 'utf8')) as Figures;
const lines = ['| figure | key | measured | target |', '| --- | --- | ---: | --- |'];
for (const r of rows) {
  const v = results[r.key];
  if (v === undefined) continue;
  const met = r.target ? (r.target.op === '>=' ? v >= r.target.value : v <= r.target.value) : undefined;
  const target = r.target ? `${r.target.op === '>=' ? '≥' : '≤'} ${r.target.value} ${met ? '✅ met' : '❌ missed'}` : '';
  lines.push(`| ${r.what} | \`${r.key}\` | ${v} | ${target} |`);
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
const readme = `${repoRoot}README.md`;
const text = readFileSync(readme, 'utf8');
const start = '<!-- bench:start -->';
const end = '<!-- bench:end -->';
const a = text.indexOf(start);
const b = text.indexOf(end);
if (a < 0 || b < a) throw new Error('README.md has no bench:start/bench:end markers');
writeFileSync(readme, `${text.slice(0, a + start.length)}\n${lines.join('\n')}\n${text.slice(b)}`);
console.log(`README benchmark tables updated (${rows.filter((r) => results[r.key] !== undefined).length} figures, CPU of ${cpu.length} servers)`);
