/**
 * `npm run bench [section…]` checks that the machine has every tool the sections need (exit 2 with
 * one line naming the Debian packages if not; `--list` prints what each needs), builds, runs the
 * benchmark sections (all by default), prints their figures and merges them into
 * `bench/results/latest.json`. Targets are ratios against peers measured
 * in the same run, never absolute numbers: the machine is shared and noisy.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { benchConfig, repoRoot, type BenchConfig, type Figures } from './lib/config.ts';
import { backendBench } from './backend.ts';
import { balancerBench } from './balancer.ts';
import { clusterBench } from './cluster.ts';
import { discoveryBench } from './discovery.ts';
import { frontendBench } from './frontend.ts';
import { gokitBench } from './gokit.ts';
import { soakBench } from './soak.ts';
import { tracingBench } from './tracing.ts';
import { listNeeds, missingMessage, missingTools } from './lib/tools.ts';

const sections: Record<string, (c: BenchConfig) => Promise<Figures>> = {
  backend: backendBench,
  gokit: gokitBench,
  frontend: frontendBench,
  discovery: discoveryBench,
  balancer: balancerBench,
  tracing: tracingBench,
  soak: soakBench,
  cluster: clusterBench,
};
/** Sections that run only when named: they take minutes (the soak), or need root and a real node (cluster). */
const optional = new Set(['soak', 'cluster']);

const config = benchConfig();

const args = process.argv.slice(2);
if (args.includes('--list')) {
  console.log(listNeeds(Object.keys(sections), optional));
  process.exit(0);
}
const wanted = args;
for (const name of wanted) if (!sections[name]) throw new Error(`unknown bench section "${name}"; have ${Object.keys(sections).join(', ')}`);
const toRun = wanted.length ? wanted : Object.keys(sections).filter((n) => !optional.has(n));

// Every external tool is looked up before anything is built or started.
const missing = missingTools(toRun);
if (missing.length > 0) {
  process.stderr.write(`${missingMessage(missing)}\n`);
  process.exit(2);
}
execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });

// This process drains the servers' log pipes and runs the fixed-rate client: keep it (every
// thread) off the servers' core, as a container runtime's log reader is off the pod's CPUs.
execFileSync('taskset', ['-a', '-p', '-c', config.loadCpus, String(process.pid)], { stdio: 'ignore' });

const file = `${repoRoot}bench/results/latest.json`;
const results: Figures = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Figures) : {};
for (const name of toRun) {
  const figures = await sections[name]!(config);
  Object.assign(results, figures);
  writeFileSync(file, JSON.stringify(results, Object.keys(results).sort(), 2) + '\n');
  console.log(`\n${name}`);
  console.table(figures);
}

// Redraw the chart and the tables (README, docs/benchmarks.md) from everything measured so far.
await import('./chart.ts');
await import('./report.ts');
