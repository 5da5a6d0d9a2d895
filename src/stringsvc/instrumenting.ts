import { Counter, type Registry } from 'prom-client';
import { LocalHistogram, type HistogramSeries } from '../kit/metrics/local-histogram.ts';
import type { ServiceMiddleware } from './service.ts';

/** InstrumentingOptions name the metrics; go-kit's stringsvc2 uses `my_group_string_service_`. */
export interface InstrumentingOptions {
  registry: Registry;
  /** Metric name prefix, ending in `_` (default `my_group_string_service_`). */
  prefix?: string;
}

/**
 * instrumentingMiddleware records stringsvc2's metrics: `request_count{method,error}`,
 * `request_latency_seconds{method,error}` (a histogram in seconds — go-kit names it
 * `_microseconds` while storing seconds; we do not copy that) and `count_result`.
 * `error` is "true"/"false" rather than Go's `%v` of the error, to keep cardinality bounded.
 * The histograms are LocalHistograms, counted in plain arrays (see there why).
 */
export function instrumentingMiddleware(options: InstrumentingOptions): ServiceMiddleware {
  const prefix = options.prefix ?? 'my_group_string_service_';
  const registers = [options.registry];
  // Calls are tallied in plain numbers and added to the counter before each scrape, the only
  // time a counter is read: prom-client builds a label key string on every inc.
  const collect = () => {
    for (const series of allSeries) {
      if (series.calls === 0) continue;
      series.count.inc(series.calls);
      series.calls = 0;
    }
  };
  const requestCount = new Counter({
    name: `${prefix}request_count`,
    help: 'Number of requests received.',
    labelNames: ['method', 'error'] as const,
    registers,
    collect,
  });
  const requestLatency = new LocalHistogram({
    name: `${prefix}request_latency_seconds`,
    help: 'Total duration of requests in seconds.',
    labelNames: ['method', 'error'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers,
  });
  const countResult = new LocalHistogram({
    name: `${prefix}count_result`,
    help: 'The result of each count method (UTF-8 bytes).',
    buckets: [0, 1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576],
    registers,
  }).series({});
  // Label children resolved once: looking labels up per request is measurable at high rates.
  const seriesOf = (method: string, error: 'true' | 'false'): Series => ({
    count: requestCount.labels(method, error),
    latency: requestLatency.series({ method, error }),
    calls: 0,
  });
  const uppercase = { ok: seriesOf('uppercase', 'false'), failed: seriesOf('uppercase', 'true') };
  const count = { ok: seriesOf('count', 'false'), failed: seriesOf('count', 'true') };
  const allSeries = [uppercase.ok, uppercase.failed, count.ok, count.failed];
  const record = (series: Series, begin: number) => {
    series.calls++;
    series.latency.observe((performance.now() - begin) / 1000);
  };

  return (next) => ({
    async uppercase(ctx, s) {
      const begin = performance.now();
      let series = uppercase.failed;
      try {
        const v = await next.uppercase(ctx, s);
        series = uppercase.ok;
        return v;
      } finally {
        record(series, begin);
      }
    },
    async count(ctx, s) {
      const begin = performance.now();
      let series = count.failed;
      try {
        const n = await next.count(ctx, s);
        series = count.ok;
        countResult.observe(n);
        return n;
      } finally {
        record(series, begin);
      }
    },
  });
}

/** Series are one method's label children for one outcome, and its calls not yet counted. */
interface Series {
  count: { inc(n: number): void };
  latency: HistogramSeries;
  calls: number;
}
