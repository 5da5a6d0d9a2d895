import { rssMb } from './proc.ts';
import { wrk, type WrkResult } from './wrk.ts';
import { median, pairedRatio, round } from './stats.ts';
import { cpuTime } from './cpu.ts';
import type { BenchConfig } from './config.ts';

/** RoundTarget is one server a section loads: its `/uppercase` URL, its pid, and how to reach it. */
export interface RoundTarget {
  url: string;
  pid: number;
  /** Command prefix for wrk, e.g. to enter the network namespace a peer runs in. */
  prefix?: string[];
}

/** CpuPerRequest is what one request cost a target's process tree in one round, in µs of CPU. */
export interface CpuPerRequest {
  userUs: number;
  sysUs: number;
}

/**
 * Rounds are every target's wrk results and CPU per request, one per round, and its peak RSS
 * under load (MB).
 */
export interface Rounds {
  results: Record<string, WrkResult[]>;
  cpu: Record<string, CpuPerRequest[]>;
  peakRssMb: Record<string, number>;
}

/**
 * interleavedRounds loads each target in turn with the same body and connections (a warm-up,
 * longer before the first round, then a timed run), round after round, starting each round one
 * target later so drift in the machine's load is shared by all. With `failOnErrors`, any error
 * or non-2xx answer aborts.
 */
export async function interleavedRounds(
  config: BenchConfig,
  section: string,
  targets: Record<string, RoundTarget>,
  options: { failOnErrors?: boolean } = {},
): Promise<Rounds> {
  const names = Object.keys(targets);
  const results: Record<string, WrkResult[]> = Object.fromEntries(names.map((n) => [n, []]));
  const cpu: Record<string, CpuPerRequest[]> = Object.fromEntries(names.map((n) => [n, []]));
  const peakRssMb: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  for (let index = 0; index < config.rounds; index++) {
    const k = index % names.length;
    for (const name of [...names.slice(k), ...names.slice(0, k)]) {
      const t = targets[name]!;
      const load = {
        url: t.url,
        body: '{"s":"hello, world"}',
        connections: config.connections,
        cpus: config.loadCpus,
        ...(t.prefix ? { prefix: t.prefix } : {}),
      };
      // Fresh, our frontend needs 4–8 s of load before its JIT settles (the bare Node proxy 2 s).
      await wrk({ ...load, durationS: index === 0 ? config.firstWarmupS : config.warmupS });
      const before = cpuTime(t.pid);
      const r = await wrk({ ...load, durationS: config.durationS });
      const after = cpuTime(t.pid);
      if (options.failOnErrors && r.errors > 0) throw new Error(`${section} ${name}: ${r.errors} errors under load`);
      peakRssMb[name] = Math.max(peakRssMb[name]!, rssMb(t.pid));
      results[name]!.push(r);
      const c = { userUs: ((after.userMs - before.userMs) * 1000) / r.requests, sysUs: ((after.sysMs - before.sysMs) * 1000) / r.requests };
      cpu[name]!.push(c);
      config.log(
        `${section} round ${index + 1}/${config.rounds} ${name}: ${Math.round(r.rps)} req/s, p99 ${r.p99Ms} ms, errors ${r.errors}, ` +
          `CPU ${c.userUs.toFixed(1)} µs user + ${c.sysUs.toFixed(1)} µs kernel per request`,
      );
    }
  }
  return { results, cpu, peakRssMb };
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

/**
 * cpuFigures names a target's median CPU per request: `<key>_user_us_per_req` (its own code and
 * runtime) and `<key>_sys_us_per_req` (the kernel: sockets, loopback TCP, wake-ups).
 */
export function cpuFigures(key: string, rounds: CpuPerRequest[]): Record<string, number> {
  return {
    [`${key}_user_us_per_req`]: round(median(rounds.map((c) => c.userUs)), 1),
    [`${key}_sys_us_per_req`]: round(median(rounds.map((c) => c.sysUs)), 1),
  };
}
