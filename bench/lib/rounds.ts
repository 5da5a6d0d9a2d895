import { rssMb } from './proc.ts';
import { wrk, type WrkResult } from './wrk.ts';
import { median, pairedRatio } from './stats.ts';
import type { BenchConfig } from './config.ts';

/** RoundTarget is one server a section loads: its `/uppercase` URL, its pid, and how to reach it. */
export interface RoundTarget {
  url: string;
  pid: number;
  /** Command prefix for wrk, e.g. to enter the network namespace a peer runs in. */
  prefix?: string[];
}

/** Rounds are every target's wrk results, one per round, and its peak RSS under load (MB). */
export interface Rounds {
  results: Record<string, WrkResult[]>;
  peakRssMb: Record<string, number>;
}

/**
 * interleavedRounds loads each target in turn with the same body and connections (a warm-up,
 * then a timed run), round after round, starting each round one target later so drift in the
 * machine's load is shared by all. With `failOnErrors`, any error or non-2xx answer aborts.
 */
export async function interleavedRounds(
  config: BenchConfig,
  section: string,
  targets: Record<string, RoundTarget>,
  options: { failOnErrors?: boolean } = {},
): Promise<Rounds> {
  const names = Object.keys(targets);
  const results: Record<string, WrkResult[]> = Object.fromEntries(names.map((n) => [n, []]));
  const peakRssMb: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  for (let round = 0; round < config.rounds; round++) {
    const k = round % names.length;
    for (const name of [...names.slice(k), ...names.slice(0, k)]) {
      const t = targets[name]!;
      const load = {
        url: t.url,
        body: '{"s":"hello, world"}',
        connections: config.connections,
        cpus: config.loadCpus,
        ...(t.prefix ? { prefix: t.prefix } : {}),
      };
      await wrk({ ...load, durationS: config.warmupS });
      const r = await wrk({ ...load, durationS: config.durationS });
      if (options.failOnErrors && r.errors > 0) throw new Error(`${section} ${name}: ${r.errors} errors under load`);
      peakRssMb[name] = Math.max(peakRssMb[name]!, rssMb(t.pid));
      results[name]!.push(r);
      config.log(`${section} round ${round + 1}/${config.rounds} ${name}: ${Math.round(r.rps)} req/s, p99 ${r.p99Ms} ms, errors ${r.errors}`);
    }
  }
  return { results, peakRssMb };
}

/**
 * throughput reads a section's rounds: `rps(name)` is the median over rounds and
 * `ratio(a, b)` the median of per-round ratios (see pairedRatio).
 */
export function throughput(results: Record<string, WrkResult[]>) {
  const series = (name: string) => results[name]!.map((r) => r.rps);
  return {
    rps: (name: string) => median(series(name)),
    ratio: (a: string, b: string) => pairedRatio(series(a), series(b)),
  };
}
