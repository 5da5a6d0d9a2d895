/**
 * `npm run bench [section…]` runs the benchmark sections (all by default), prints their figures
 * and merges them into `bench/results/latest.json`. Targets are ratios against peers measured
 * in the same run, never absolute numbers: the machine is shared and noisy.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { benchConfig, repoRoot, type BenchConfig, type Figures } from './lib/config.ts';
import { backendBench } from './backend.ts';
import { discoveryBench } from './discovery.ts';
import { frontendBench } from './frontend.ts';
import { gokitBench } from './gokit.ts';
import { soakBench } from './soak.ts';

const sections: Record<string, (c: BenchConfig) => Promise<Figures>> = {
  backend: backendBench,
  gokit: gokitBench,
  frontend: frontendBench,
  discovery: discoveryBench,
  soak: soakBench,
};
/** Sections that run only when named: they take minutes and have no target to compare with. */
const optional = new Set(['soak']);

const config = benchConfig();

// This process drains the servers' log pipes and runs the fixed-rate client: keep it (every
// thread) off the servers' core, as a container runtime's log reader is off the pod's CPUs.
execFileSync('taskset', ['-a', '-p', '-c', config.loadCpus, String(process.pid)], { stdio: 'ignore' });

const wanted = process.argv.slice(2);
for (const name of wanted) if (!sections[name]) throw new Error(`unknown bench section "${name}"; have ${Object.keys(sections).join(', ')}`);
const file = `${repoRoot}bench/results/latest.json`;
const results: Figures = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Figures) : {};
for (const name of wanted.length ? wanted : Object.keys(sections).filter((n) => !optional.has(n))) {
  const figures = await sections[name]!(config);
  Object.assign(results, figures);
  writeFileSync(file, JSON.stringify(results, Object.keys(results).sort(), 2) + '\n');
  console.log(`\n${name}`);
  console.table(figures);
}

// Redraw the README chart and table from everything measured so far.
await import('./chart.ts');
await import('./report.ts');
