import { Counter, Histogram, type Registry } from 'prom-client';
import { Batched } from '../kit/metrics/batched.ts';
import type { ServiceMiddleware } from './service.ts';

/** InstrumentingOptions name the metrics; go-kit's stringsvc2 uses `my_group_string_service_`. */
export interface InstrumentingOptions {
  registry: Registry;
  /** Metric name prefix, ending in `_` (default `my_group_string_service_`). */
  prefix?: string;
}

/** Labels of one method and outcome, made once and shared by every call's update. */
type Labels = { readonly method: 'uppercase' | 'count'; readonly error: 'true' | 'false' };

/** Call is one call's update: its labels, its duration, and count's result. */
interface Call {
  labels: Labels;
  seconds: number;
  n?: number;
}

/**
 * instrumentingMiddleware records stringsvc2's metrics: `request_count{method,error}`,
 * `request_latency_seconds{method,error}` (a histogram in seconds — go-kit names it
 * `_microseconds` while storing seconds; we do not copy that) and `count_result`.
 * `error` is "true"/"false" rather than Go's `%v` of the error, to keep cardinality bounded.
 * Calls are applied to prom-client's metrics in batches and before every scrape (see Batched).
 */
export function instrumentingMiddleware(options: InstrumentingOptions): ServiceMiddleware {
  const prefix = options.prefix ?? 'my_group_string_service_';
  const registers = [options.registry];
  const calls = new Batched<Call>(({ labels, seconds, n }) => {
    requestCount.inc(labels);
    requestLatency.observe(labels, seconds);
    if (n !== undefined) countResult.observe(n);
  });
  const collect = () => calls.flush();
  const requestCount = new Counter({
    name: `${prefix}request_count`,
    help: 'Number of requests received.',
    labelNames: ['method', 'error'] as const,
    registers,
    collect,
  });
  const requestLatency = new Histogram({
    name: `${prefix}request_latency_seconds`,
    help: 'Total duration of requests in seconds.',
    labelNames: ['method', 'error'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers,
    collect,
  });
  const countResult = new Histogram({
    name: `${prefix}count_result`,
    help: 'The result of each count method (UTF-8 bytes).',
    buckets: [0, 1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576],
    registers,
    collect,
  });
  const uppercase = { ok: labels('uppercase', 'false'), failed: labels('uppercase', 'true') };
  const count = { ok: labels('count', 'false'), failed: labels('count', 'true') };

  return (next) => ({
    async uppercase(ctx, s) {
      const begin = performance.now();
      let outcome = uppercase.failed;
      try {
        const v = await next.uppercase(ctx, s);
        outcome = uppercase.ok;
        return v;
      } finally {
        calls.add({ labels: outcome, seconds: (performance.now() - begin) / 1000 });
      }
    },
    async count(ctx, s) {
      const begin = performance.now();
      let outcome = count.failed;
      let n: number | undefined;
      try {
        n = await next.count(ctx, s);
        outcome = count.ok;
        return n;
      } finally {
        calls.add({ labels: outcome, seconds: (performance.now() - begin) / 1000, n });
      }
    },
  });
}

function labels(method: Labels['method'], error: Labels['error']): Labels {
  return { method, error };
}
