import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

/** repoRoot is the project root, so benches find `dist/` and peers wherever they run from. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Figures are flat `name: number` results, merged into `bench/results/latest.json`. */
export type Figures = Record<string, number>;

/** BenchConfig is shared by every bench section. */
export interface BenchConfig {
  rounds: number;
  durationS: number;
  warmupS: number;
  /** Longer warm-up before a target's first round: a Node server's JIT needs seconds of load to settle. */
  firstWarmupS: number;
  connections: number;
  /** Core(s) for servers under test and for the load generator, kept apart. */
  serverCpus: string;
  loadCpus: string;
  log: (line: string) => void;
}

/** benchConfig reads the BENCH_* environment (rounds, durations, connections, cores), with defaults. */
export function benchConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  return {
    rounds: Number(env.BENCH_ROUNDS ?? 5),
    durationS: Number(env.BENCH_DURATION_S ?? 5),
    warmupS: Number(env.BENCH_WARMUP_S ?? 1),
    firstWarmupS: Number(env.BENCH_FIRST_WARMUP_S ?? 8),
    connections: Number(env.BENCH_CONNECTIONS ?? 50),
    serverCpus: env.BENCH_SERVER_CPUS ?? '0',
    loadCpus: env.BENCH_LOAD_CPUS ?? (availableParallelism() >= 2 ? '1' : '0'),
    log: (line) => process.stderr.write(`${line}\n`),
  };
}
