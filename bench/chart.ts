/**
 * `node bench/chart.ts` draws `bench/results/latest.json` as `bench/results/chart.svg`: the
 * throughput of each server next to the peer it is measured against, and the p99 latency at a
 * fixed rate with and without our frontend's hop. Plain SVG text, so the README can show it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { repoRoot, type Figures } from './lib/config.ts';

interface Bar {
  label: string;
  value: number;
  ours: boolean;
}

const results = JSON.parse(readFileSync(`${repoRoot}bench/results/latest.json`, 'utf8')) as Figures;
const pick = (entries: Array<[string, string, boolean]>): Bar[] =>
  entries.filter(([key]) => Number.isFinite(results[key])).map(([key, label, ours]) => ({ label, value: results[key]!, ours }));

const throughput = pick([
  ['backend_raw_rps', 'raw node:http (no logs)', false],
  ['backend_rps_nolog', 'stringsvc backend, request log off', true],
  ['gokit1_backend_rps', 'go-kit stringsvc1 (no logs), GOMAXPROCS=1', false],
  ['backend_rps', 'stringsvc backend, default logging', true],
  ['gokit2_backend_rps', 'go-kit stringsvc2 (logging), GOMAXPROCS=1', false],
  ['frontend_rps', 'stringsvc frontend → 3 backends', true],
  ['frontend_rps_logged', 'stringsvc frontend, logging on', true],
  ['haproxy_rps', 'HAProxy → 3 backends', false],
  ['nginx_rps', 'nginx → 3 backends', false],
  ['raw_proxy_rps', 'bare node:http + undici proxy', false],
]);
const latency = pick([
  ['direct_p99_ms', 'backend called directly', false],
  ['frontend_p99_ms', 'through the stringsvc frontend', true],
  ['haproxy_p99_ms', 'through HAProxy', false],
  ['raw_proxy_p99_ms', 'through the bare Node proxy', false],
]);

const width = 760;
const labelW = 290;
const barH = 22;
const gap = 8;

function section(title: string, unit: string, bars: Bar[], top: number): { svg: string; height: number } {
  const max = Math.max(...bars.map((b) => b.value), 1);
  const scale = (width - labelW - 90) / max;
  const rows = bars.map((b, i) => {
    const y = top + 28 + i * (barH + gap);
    const w = Math.max(1, b.value * scale);
    return [
      `<text x="${labelW - 8}" y="${y + 15}" text-anchor="end">${escape(b.label)}</text>`,
      `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${b.ours ? '#2b6cb0' : '#a0aec0'}"/>`,
      `<text x="${(labelW + w + 6).toFixed(1)}" y="${y + 15}">${format(b.value)} ${unit}</text>`,
    ].join('');
  });
  return {
    svg: `<text x="10" y="${top + 16}" font-weight="bold">${escape(title)}</text>${rows.join('')}`,
    height: 28 + bars.length * (barH + gap) + 16,
  };
}

const a = section('Throughput, /uppercase (median of rounds, higher is better)', 'req/s', throughput, 10);
const b = section(`p99 latency at ${format(results.hop_rate_rps ?? 0)} req/s, open loop (lower is better)`, 'ms', latency, 10 + a.height);
const height = 10 + a.height + b.height + 24;
const legend = `<rect x="10" y="${height - 22}" width="12" height="12" fill="#2b6cb0"/><text x="28" y="${height - 12}">ours</text><rect x="80" y="${height - 22}" width="12" height="12" fill="#a0aec0"/><text x="98" y="${height - 12}">peer, same run</text>`;
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12"><rect width="100%" height="100%" fill="white"/>${a.svg}${b.svg}${legend}</svg>\n`;
writeFileSync(`${repoRoot}bench/results/chart.svg`, svg);
console.log(`wrote bench/results/chart.svg (${throughput.length + latency.length} bars)`);

function format(x: number): string {
  return x >= 100 ? Math.round(x).toLocaleString('en-US') : String(Math.round(x * 1000) / 1000);
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
}
