import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { upstreamMetrics } from './upstream-metrics.ts';

async function series(registry: Registry): Promise<string[]> {
  return (await registry.metrics()).split('\n').filter((l) => l.startsWith('stringsvc_upstream') && !l.includes('_bucket'));
}

test('records per-instance requests, breaker state and transitions, limits, retries and endpoints', async () => {
  const registry = new Registry();
  const m = upstreamMetrics({ registry });
  m.onInstances!(['a:1', 'b:1']);
  m.onRequest!('a:1', 'success', 0.002);
  m.onRequest!('b:1', 'unreachable', 0.001);
  m.onBreakerStateChange!('b:1', 'closed', 'open');
  m.onLimited!('a:1');
  m.onRetry!();
  const lines = await series(registry);
  for (const expected of [
    'stringsvc_upstream_requests_total{instance="a:1",outcome="success"} 1',
    'stringsvc_upstream_requests_total{instance="b:1",outcome="unreachable"} 1',
    'stringsvc_upstream_request_duration_seconds_count{instance="a:1"} 1',
    'stringsvc_upstream_breaker_state{instance="a:1"} 0',
    'stringsvc_upstream_breaker_state{instance="b:1"} 2',
    'stringsvc_upstream_breaker_transitions_total{instance="b:1",from="closed",to="open"} 1',
    'stringsvc_upstream_rate_limited_total{instance="a:1"} 1',
    'stringsvc_upstream_retries_total 1',
    'stringsvc_upstream_endpoints 2',
  ]) {
    assert.ok(lines.includes(expected), `${expected}\nin\n${lines.join('\n')}`);
  }
});

test("with retainMs 0 a removed instance's series are dropped at once and late events do not bring them back", async () => {
  const registry = new Registry();
  const m = upstreamMetrics({ registry, retainMs: 0 });
  m.onInstances!(['a:1', 'b:1']);
  m.onRequest!('b:1', 'timeout', 0.1);
  m.onBreakerStateChange!('b:1', 'closed', 'open');
  m.onLimited!('b:1');
  m.onInstances!(['a:1']);
  m.onRequest!('b:1', 'cancelled', 0.1);
  m.onBreakerStateChange!('b:1', 'open', 'halfOpen');
  const lines = await series(registry);
  assert.deepEqual(lines.filter((l) => l.includes('b:1')), []);
  assert.ok(lines.includes('stringsvc_upstream_endpoints 1'));
  assert.ok(lines.includes('stringsvc_upstream_breaker_state{instance="a:1"} 0'));
});

test("a removed instance's series stay for retainMs, so its last failures are scraped, then go for good", async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const registry = new Registry();
  const m = upstreamMetrics({ registry, retainMs: 60_000 });
  m.onInstances!(['a:1', 'b:1']);
  m.onInstances!(['a:1']);
  // A call in flight when it left still counts while its series are kept.
  m.onRequest!('b:1', 'unreachable', 0.1);
  let lines = await series(registry);
  assert.ok(lines.includes('stringsvc_upstream_requests_total{instance="b:1",outcome="unreachable"} 1'), lines.join('\n'));
  assert.ok(lines.includes('stringsvc_upstream_endpoints 1'), 'the gauge counts instances in use only');
  t.mock.timers.tick(60_000);
  m.onRequest!('b:1', 'cancelled', 0.1);
  lines = await series(registry);
  assert.deepEqual(lines.filter((l) => l.includes('b:1')), []);
});

test('an instance that comes back while its series are kept keeps them', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const registry = new Registry();
  const m = upstreamMetrics({ registry, retainMs: 60_000 });
  m.onInstances!(['a:1', 'b:1']);
  m.onRequest!('b:1', 'success', 0.001);
  m.onInstances!(['a:1']);
  m.onInstances!(['a:1', 'b:1']);
  t.mock.timers.tick(60_000);
  m.onRequest!('b:1', 'success', 0.001);
  const lines = await series(registry);
  assert.ok(lines.includes('stringsvc_upstream_requests_total{instance="b:1",outcome="success"} 2'), lines.join('\n'));
  assert.ok(lines.includes('stringsvc_upstream_endpoints 2'));
});
