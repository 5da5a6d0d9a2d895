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
