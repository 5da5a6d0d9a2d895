import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AmbiguousSeriesError, MissingSeriesError, metricSum, metricValue } from './support/metrics.ts';

// The helper every process test reads metrics with: a missing series must not read as a quiet 0,
// and labels that fit several series must not read whichever comes first.
const text = [
  '# HELP calls_total Calls.',
  '# TYPE calls_total counter',
  'calls_total{outcome="ok",instance="a"} 3',
  'calls_total{outcome="ok",instance="b"} 4',
  'calls_total{outcome="failed",instance="b"} 1',
  '# HELP latency_seconds Latency.',
  '# TYPE latency_seconds histogram',
  'latency_seconds_bucket{le="0.1",method="get"} 1',
  'latency_seconds_bucket{le="+Inf",method="get"} 2',
  'latency_seconds_sum{method="get"} 0.55',
  'latency_seconds_count{method="get"} 2',
  '# HELP up Up.',
  '# TYPE up gauge',
  'up 1',
  '',
].join('\n');

test('a series named by its full label set reads its value', () => {
  assert.equal(metricValue(text, 'calls_total', { outcome: 'ok', instance: 'b' }), 4);
  assert.equal(metricValue(text, 'calls_total', { instance: 'a', outcome: 'ok' }), 3, 'label order does not matter');
  assert.equal(metricValue(text, 'latency_seconds_count', { method: 'get' }), 2);
  assert.equal(metricValue(text, 'up'), 1);
});

test('labels that fit several series are refused, naming every one of them', () => {
  assert.throws(() => metricValue(text, 'calls_total', { outcome: 'ok' }), (e: Error) => {
    assert.ok(e instanceof AmbiguousSeriesError);
    assert.match(e.message, /calls_total\{outcome="ok",instance="a"\}, calls_total\{outcome="ok",instance="b"\}/);
    assert.doesNotMatch(e.message, /failed/);
    return true;
  });
  assert.throws(() => metricValue(text, 'calls_total'), /instance="a".*instance="b".*outcome="failed"/);
  // absentAs is for a series that is not there, not for one spelt too loosely.
  assert.throws(() => metricValue(text, 'calls_total', { outcome: 'ok' }, { absentAs: 0 }), AmbiguousSeriesError);
});

test('labels that fit one series only partially are refused too, so the check spells them out', () => {
  assert.throws(() => metricValue(text, 'calls_total', { outcome: 'failed' }), /matches calls_total\{outcome="failed",instance="b"\} \(give every label/);
});

test('a histogram bucket is one series only with its le label', () => {
  assert.equal(metricValue(text, 'latency_seconds_bucket', { method: 'get', le: '0.1' }), 1);
  assert.equal(metricValue(text, 'latency_seconds_bucket', { method: 'get', le: '+Inf' }), 2);
  assert.throws(() => metricValue(text, 'latency_seconds_bucket', { method: 'get' }), /le="0\.1".*le="\+Inf"/);
});

test('metricSum adds every series the labels fit', () => {
  assert.equal(metricSum(text, 'calls_total', { outcome: 'ok' }), 7);
  assert.equal(metricSum(text, 'calls_total'), 8);
  assert.equal(metricSum(text, 'calls_total', { outcome: 'failed', instance: 'b' }), 1);
  assert.throws(() => metricSum(text, 'calls_total', { outcome: 'timeout' }), MissingSeriesError);
  assert.equal(metricSum(text, 'calls_total', { outcome: 'timeout' }, { absentAs: 0 }), 0);
  assert.throws(() => metricSum(text, 'call_total', {}, { absentAs: 0 }), /call_total is not exposed at all/);
});

test('a missing series is an error unless absentAs is asked for', () => {
  assert.throws(() => metricValue(text, 'calls_total', { outcome: 'failed', instance: 'a' }), MissingSeriesError);
  assert.equal(metricValue(text, 'calls_total', { outcome: 'failed', instance: 'a' }, { absentAs: 0 }), 0);
});

test('a metric that is not declared at all is an error even with absentAs', () => {
  assert.throws(() => metricValue(text, 'call_total', {}, { absentAs: 0 }), /call_total is not exposed at all/);
  // A histogram's series belong to the family its # TYPE line declares.
  assert.equal(metricValue(text, 'latency_seconds_bucket', { method: 'get', le: '1' }, { absentAs: 0 }), 0);
});
