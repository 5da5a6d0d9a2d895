import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, Registry } from 'prom-client';
import { LocalHistogram } from './local-histogram.ts';

const buckets = [0.001, 0.01, 0.1, 1];
const observations: Array<[string, number]> = [
  ['ok', 0.0005], ['ok', 0.001], ['ok', 0.002], ['failed', 0.5], ['ok', 3], ['failed', 0.01], ['ok', 0],
];

test('LocalHistogram exposes exactly what a prom-client histogram given the same observations does', async () => {
  const ours = new Registry();
  const theirs = new Registry();
  const local = new LocalHistogram({ name: 'latency_seconds', help: 'Latency.', labelNames: ['outcome'], buckets, registers: [ours] });
  const reference = new Histogram({ name: 'latency_seconds', help: 'Latency.', labelNames: ['outcome'], buckets, registers: [theirs] });
  for (const [outcome, v] of observations) {
    local.series({ outcome }).observe(v);
    reference.labels(outcome).observe(v);
  }
  assert.equal(await ours.metrics(), await theirs.metrics());
  assert.match(await ours.metrics(), /^latency_seconds_bucket\{le="0.01",outcome="ok"\} 4$/m);
  assert.deepEqual(normalised(await ours.getMetricsAsJSON()), normalised(await theirs.getMetricsAsJSON()));
});

/** normalised keeps what a JSON consumer reads; prom-client adds internals (exemplars, shared labels). */
function normalised(metrics: Awaited<ReturnType<Registry['getMetricsAsJSON']>>) {
  return metrics.map(({ name, help, type, aggregator, values }) => ({
    name, help, type, aggregator,
    values: values.map((v) => {
      const { metricName, value, labels, sharedLabels } = v as typeof v & { metricName?: string; sharedLabels?: object };
      return { metricName, value, labels: { ...labels, ...sharedLabels } };
    }),
  }));
}

test('LocalHistogram without labels, and a label set never observed is not shown (as prom-client)', async () => {
  const registry = new Registry();
  const h = new LocalHistogram({ name: 'n', help: 'N.', buckets: [1, 10], registers: [registry] });
  assert.equal(await registry.metrics(), '# HELP n N.\n# TYPE n histogram\n');
  h.series({}).observe(5);
  h.series({}).observe(50);
  assert.equal(
    await registry.metrics(),
    '# HELP n N.\n# TYPE n histogram\nn_bucket{le="1"} 0\nn_bucket{le="10"} 1\nn_bucket{le="+Inf"} 2\nn_sum 55\nn_count 2\n',
  );
});

test('LocalHistogram series are resolved once; reset zeroes them and they keep counting', async () => {
  const registry = new Registry();
  const h = new LocalHistogram({ name: 'h', help: 'H.', labelNames: ['a', 'b'], buckets: [1], registers: [registry] });
  const s = h.series({ a: 'x', b: 'y' });
  assert.equal(h.series({ b: 'y', a: 'x' }), s);
  assert.notEqual(h.series({ a: 'x', b: 'z' }), s);
  s.observe(0.5);
  registry.resetMetrics();
  assert.doesNotMatch(await registry.metrics(), /h_count/);
  s.observe(2);
  assert.match(await registry.metrics(), /^h_count\{a="x",b="y"\} 1$/m);
  assert.match(await registry.metrics(), /^h_bucket\{le="1",a="x",b="y"\} 0$/m);
});

test('LocalHistogram refuses a bad name, unsorted buckets, a taken name and a non-finite value', () => {
  const registry = new Registry();
  assert.throws(() => new LocalHistogram({ name: 'bad-name', help: 'x', buckets: [1], registers: [] }), /invalid metric name/);
  assert.throws(() => new LocalHistogram({ name: 'u', help: 'x', buckets: [2, 1], registers: [] }), /ascending/);
  assert.throws(() => new LocalHistogram({ name: 'i', help: 'x', buckets: [1, Infinity], registers: [] }), /finite/);
  new Histogram({ name: 'taken', help: 'x', registers: [registry] });
  assert.throws(() => new LocalHistogram({ name: 'taken', help: 'x', buckets: [1], registers: [registry] }), /already been registered/);
  const h = new LocalHistogram({ name: 'v', help: 'x', buckets: [1], registers: [] });
  assert.throws(() => h.series({}).observe(Number.NaN), TypeError);
});
