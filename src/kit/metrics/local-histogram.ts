import { validateMetricName, type Metric, type MetricObjectWithValues, type MetricType, type MetricValueWithName, type Registry } from 'prom-client';

/** LocalHistogramOptions mirror prom-client's histogram configuration. */
export interface LocalHistogramOptions<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  /** Upper bounds, ascending; `+Inf` is implied. */
  buckets: readonly number[];
  registers: readonly Registry[];
}

/** HistogramSeries is the histogram of one label set. */
export interface HistogramSeries {
  observe(value: number): void;
}

/**
 * LocalHistogram is a Prometheus histogram counted in plain arrays, one series per label set
 * resolved up front, so an observation is a bucket search and three additions. prom-client's
 * Registry still exposes it (it reads metrics through `name`, `help`, `type`, `get` and `reset`),
 * in the same text as its own histograms.
 *
 * Why: prom-client's `observe` rebuilds and checks the label set on every call. On the backend's
 * request path, that was 0.3 µs and 240 bytes of garbage per request in profiles under load,
 * about a tenth of what the service adds to a bare node:http server.
 */
export class LocalHistogram<L extends string = never> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  readonly #bounds: readonly number[];
  readonly #labelNames: readonly L[];
  readonly #series = new Map<string, Series>();

  constructor(options: LocalHistogramOptions<L>) {
    if (!validateMetricName(options.name)) throw new Error(`invalid metric name "${options.name}"`);
    const bounds = options.buckets;
    if (bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= bounds[i - 1]!))) {
      throw new Error(`${options.name}: buckets must be finite and ascending`);
    }
    this.name = options.name;
    this.help = options.help;
    this.#bounds = [...bounds];
    this.#labelNames = options.labelNames ?? [];
    // The Registry's types name only prom-client's own classes; it needs no more than the above.
    for (const registry of options.registers) registry.registerMetric(this as unknown as Metric);
  }

  /** series returns the histogram of one label set, the same object each time it is asked for. */
  series(labels: Record<L, string>): HistogramSeries {
    const values = this.#labelNames.map((n) => labels[n]);
    const key = values.join('\0');
    let s = this.#series.get(key);
    if (s === undefined) {
      const own: Record<string, string> = {};
      this.#labelNames.forEach((n, i) => (own[n] = values[i]!));
      s = new Series(this.#bounds, own);
      this.#series.set(key, s);
    }
    return s;
  }

  /** get reports every label set observed so far, in prom-client's histogram shape (`le` first). */
  async get(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    const values: MetricValueWithName<string>[] = [];
    for (const s of this.#series.values()) {
      if (s.count === 0) continue; // as prom-client: a label set appears once observed
      let cumulative = 0;
      this.#bounds.forEach((le, i) => {
        cumulative += s.counts[i]!;
        values.push({ labels: { le, ...s.labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...s.labels }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...s.labels }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...s.labels }, value: s.count, metricName: `${this.name}_count` });
    }
    // prom-client's types declare `type` as a numeric enum it never exports; its metrics carry the string.
    const type = this.type as unknown as MetricType;
    return { name: this.name, help: this.help, type, aggregator: this.aggregator, values, collect: () => {} };
  }

  /** reset zeroes every series; the objects handed out by `series` stay valid. */
  reset(): void {
    for (const s of this.#series.values()) s.reset();
  }
}

/** Series counts per bucket (not cumulative); the last slot is above every bound. */
class Series implements HistogramSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly counts: Float64Array;
  readonly #bounds: readonly number[];
  sum = 0;
  count = 0;

  constructor(bounds: readonly number[], labels: Record<string, string>) {
    this.#bounds = bounds;
    this.labels = labels;
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`value is not a finite number: ${value}`);
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}
