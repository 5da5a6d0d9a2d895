import { Pool } from 'undici';
import { quantile } from './stats.ts';

/** FixedRateResult is the latency distribution of an open-loop run, in milliseconds. */
export interface FixedRateResult {
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/**
 * fixedRate sends `rate` requests per second for `durationS`, on a schedule that does not wait
 * for answers (open loop, unlike wrk), and times each one: what a hop adds to latency shows up
 * here, where a closed loop would hide it behind reduced throughput.
 */
export async function fixedRate(url: string, body: string, rate: number, durationS: number): Promise<FixedRateResult> {
  const u = new URL(url);
  const pool = new Pool(u.origin, { connections: 32, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const total = Math.round(rate * durationS);
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      (async () => {
        const t0 = performance.now();
        try {
          const res = await pool.request({ path: u.pathname, method: 'POST', body, headers: { 'content-type': 'application/json' } });
          await res.body.text();
          if (res.statusCode !== 200) errors++;
          latencies.push(performance.now() - t0);
        } catch {
          errors++;
        }
      })(),
    );
  }
  await Promise.all(inflight);
  await pool.close();
  return { p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99), errors };
}
