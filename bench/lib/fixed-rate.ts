import { Pool } from 'undici';
import { quantile } from './stats.ts';

/** FixedRateResult is the latency distribution of an open-loop run, in milliseconds. */
export interface FixedRateResult {
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/**
 * fixedRates sends `rate` requests per second for `durationS` to each of `urls`, on a schedule
 * that does not wait for answers (open loop, unlike wrk), and times each one: what a hop adds to
 * latency shows up here, where a closed loop would hide it behind reduced throughput.
 *
 * The targets take turns request by request (direct, via a proxy, via another, direct, …) rather
 * than one run after another, so every target meets the same moments of the shared machine: a
 * stall of the VM lands on all of them alike instead of on whichever run it happened to fall in,
 * and the difference of their percentiles is the hop's, not the noise's.
 */
export async function fixedRates(urls: string[], body: string, rate: number, durationS: number): Promise<FixedRateResult[]> {
  const targets = urls.map((url) => {
    const u = new URL(url);
    return { path: u.pathname, pool: new Pool(u.origin, { connections: 32, pipelining: 1 }), latencies: [] as number[], errors: 0 };
  });
  const total = Math.round(rate * durationS) * targets.length;
  const spacingMs = 1000 / (rate * targets.length);
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    // Yield between sends even when behind schedule, so answers are read as they come and a
    // late loop does not fire a burst that queues behind itself.
    const wait = start + i * spacingMs - performance.now();
    await new Promise((r) => (wait > 1 ? setTimeout(r, wait) : setImmediate(r)));
    const target = targets[i % targets.length]!;
    inflight.push(
      (async () => {
        const t0 = performance.now();
        try {
          const res = await target.pool.request({ path: target.path, method: 'POST', body, headers: { 'content-type': 'application/json' } });
          await res.body.text();
          if (res.statusCode !== 200) target.errors++;
          target.latencies.push(performance.now() - t0);
        } catch {
          target.errors++;
        }
      })(),
    );
  }
  await Promise.all(inflight);
  await Promise.all(targets.map((t) => t.pool.close()));
  return targets.map((t) => ({ p50Ms: quantile(t.latencies, 0.5), p99Ms: quantile(t.latencies, 0.99), errors: t.errors }));
}
