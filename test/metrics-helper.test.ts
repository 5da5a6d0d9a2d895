import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MissingSeriesError, metricValue } from './support/metrics.ts';

// The helper every process test reads metrics with: a missing series must not read as a quiet 0.
const text = [
  '# HELP calls_total Calls.',
  '# TYPE calls_total counter',
  'calls_total{outcome="ok",instance="a"} 3',
  '# HELP latency_seconds Latency.',
  '# TYPE latency_seconds histogram',
  'latency_seconds_bucket{le="0.1"} 1',
  'latency_seconds_sum 0.05',
  'latency_seconds_count 1',
  '',
].join('\n');

test('a present series reads its value, matching a subset of its labels', () => {
  assert.equal(metricValue(text, 'calls_total', { outcome: 'ok' }), 3);
  assert.equal(metricValue(text, 'latency_seconds_count'), 1);
});

test('a missing series is an error unless absentAs is asked for', () => {
  assert.throws(() => metricValue(text, 'calls_total', { outcome: 'failed' }), MissingSeriesError);
  assert.equal(metricValue(text, 'calls_total', { outcome: 'failed' }, { absentAs: 0 }), 0);
});

test('a metric that is not declared at all is an error even with absentAs', () => {
  assert.throws(() => metricValue(text, 'call_total', {}, { absentAs: 0 }), /call_total is not exposed at all/);
  // A histogram's series belong to the family its # TYPE line declares.
  assert.equal(metricValue(text, 'latency_seconds_bucket', { le: '1' }, { absentAs: 0 }), 0);
});
