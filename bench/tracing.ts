import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type Server } from './lib/proc.ts';
import { cpuFigures, interleavedRounds, throughput } from './lib/rounds.ts';
import { round } from './lib/stats.ts';
import { repoRoot, type BenchConfig, type Figures } from './lib/config.ts';
import { startJaeger } from '../test/tracing/jaeger.ts';

/**
 * tracingBench measures what tracing costs, backend and frontend alike, in interleaved rounds:
 * `on` (every request sampled, exported over OTLP to a local Jaeger on the load core), `off`
 * (this build, no endpoint configured) and `base`, the build from just before tracing was added,
 * so `off ÷ base` shows whether code that is never switched on costs anything. The frontends
 * proxy to the same three untraced backends: the figure is the frontend's own cost.
 */
export async function tracingBench(config: BenchConfig): Promise<Figures> {
  const node = process.execPath;
  const base = buildBaseline();
  const jaeger = await startJaeger();
  execFileSync('taskset', ['-a', '-p', '-c', config.loadCpus, String(jaeger.proc.pid)], { stdio: 'ignore' });
  const servers: Server[] = [];
  const start = async (argv: string[], cpus: string, env: NodeJS.ProcessEnv = {}) => {
    const s = await startServer([node, ...argv], { cpus, env });
    servers.push(s);
    return s;
  };
  const on = { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlp, OTEL_TRACES_SAMPLER: 'always_on' };
  try {
    const cli = (root: string) => join(root, 'dist', 'cmd', 'stringsvc.js');
    const backendArgs = (root: string) => [cli(root), '--listen=127.0.0.1:0', '--request-log=false'];
    const backends = {
      backend_base: await start(backendArgs(base.root), config.serverCpus),
      backend_off: await start(backendArgs(repoRoot), config.serverCpus),
      backend_on: await start(backendArgs(repoRoot), config.serverCpus, on),
    };
    const upstreams = await Promise.all([0, 1, 2].map(() => start(backendArgs(repoRoot), config.loadCpus)));
    const proxyArgs = (root: string) => [
      ...backendArgs(root), `--proxy=${upstreams.map((u) => u.addr).join(',')}`, '--qps=1000000', '--burst=1000000', '--max-time=10s', '--attempt-timeout=5s',
    ];
    const frontends = {
      frontend_base: await start(proxyArgs(base.root), config.serverCpus),
      frontend_off: await start(proxyArgs(repoRoot), config.serverCpus),
      frontend_on: await start(proxyArgs(repoRoot), config.serverCpus, on),
    };
    const at = (s: Server) => ({ url: `${s.url}/uppercase`, pid: s.proc.pid! });
    const be = await interleavedRounds(config, 'tracing backend', Object.fromEntries(Object.entries(backends).map(([k, s]) => [k, at(s)])), { failOnErrors: true });
    const fe = await interleavedRounds(config, 'tracing frontend', Object.fromEntries(Object.entries(frontends).map(([k, s]) => [k, at(s)])), { failOnErrors: true });
    const b = throughput(be.results);
    const f = throughput(fe.results);
    return {
      backend_traced_rps: round(b.rps('backend_on'), 0),
      backend_tracing_off_rps: round(b.rps('backend_off'), 0),
      backend_pretracing_rps: round(b.rps('backend_base'), 0),
      backend_traced_vs_untraced_rps_ratio: round(b.ratio('backend_on', 'backend_off'), 3),
      backend_tracing_off_vs_pretracing_rps_ratio: round(b.ratio('backend_off', 'backend_base'), 3),
      frontend_traced_rps: round(f.rps('frontend_on'), 0),
      frontend_tracing_off_rps: round(f.rps('frontend_off'), 0),
      frontend_pretracing_rps: round(f.rps('frontend_base'), 0),
      frontend_traced_vs_untraced_rps_ratio: round(f.ratio('frontend_on', 'frontend_off'), 3),
      frontend_tracing_off_vs_pretracing_rps_ratio: round(f.ratio('frontend_off', 'frontend_base'), 3),
      // CPU per request is the steadier reading when the machine is shared: contention moves throughput, not it.
      ...cpuFigures('backend_traced', be.cpu.backend_on!),
      ...cpuFigures('backend_tracing_off', be.cpu.backend_off!),
      ...cpuFigures('backend_pretracing', be.cpu.backend_base!),
      ...cpuFigures('frontend_traced', fe.cpu.frontend_on!),
      ...cpuFigures('frontend_tracing_off', fe.cpu.frontend_off!),
      ...cpuFigures('frontend_pretracing', fe.cpu.frontend_base!),
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await jaeger.stop();
    base.remove();
  }
}

/**
 * buildBaseline builds the commit before the one that added kit/tracing into a scratch folder
 * (sharing node_modules), so the untraced code can be measured against this build.
 */
function buildBaseline(): { root: string; remove(): void } {
  const git = (args: string[]) => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
  const added = git(['log', '--diff-filter=A', '--format=%H', '--', 'src/kit/tracing/flags.ts']).split('\n').at(-1);
  if (!added) throw new Error('no commit adds src/kit/tracing/flags.ts: cannot find the build before tracing');
  const root = mkdtempSync(join(tmpdir(), 'stringsvc-pretracing-'));
  execFileSync('sh', ['-c', `git archive ${added}^ src package.json tsconfig.json tsconfig.build.json | tar -x -C ${root}`], { cwd: repoRoot });
  symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'));
  execFileSync(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}
