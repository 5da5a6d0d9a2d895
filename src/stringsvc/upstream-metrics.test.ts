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

const ips = (n: number) => Array.from({ length: n }, (_, i) => `10.0.${Math.floor(i / 256)}.${i % 256}:8080`);

test('over detailLimit, healthy instances are counted together as "other"; an instance in trouble has its own series', async () => {
  const registry = new Registry();
  const m = upstreamMetrics({ registry, detailLimit: 2 });
  const [a, b, c, d, e] = ips(5) as [string, string, string, string, string];
  m.onInstances!([a, b, c, d, e]);
  for (const i of [a, b, c, d, e]) m.onRequest!(i, 'success', 0.001);
  m.onRequest!(b, 'timeout', 0.1);
  m.onLimited!(c);
  m.onBreakerStateChange!(d, 'closed', 'open');
  const lines = await series(registry);
  const of = (name: string) => lines.filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  assert.deepEqual(of('stringsvc_upstream_requests_total'), [
    'stringsvc_upstream_requests_total{instance="other",outcome="success"} 5',
    `stringsvc_upstream_requests_total{instance="${b}",outcome="timeout"} 1`,
  ], 'the failure under its instance; the calls before it, of every instance, under other');
  assert.deepEqual(of('stringsvc_upstream_rate_limited_total'), [`stringsvc_upstream_rate_limited_total{instance="${c}"} 1`]);
  assert.deepEqual(of('stringsvc_upstream_breaker_state'), [`stringsvc_upstream_breaker_state{instance="${d}"} 2`]);
  assert.deepEqual(of('stringsvc_upstream_breakers'), [
    'stringsvc_upstream_breakers{state="open"} 1',
    'stringsvc_upstream_breakers{state="halfOpen"} 0',
    'stringsvc_upstream_breakers{state="closed"} 4',
  ]);
  m.onRequest!(b, 'success', 0.001);
  m.onRequest!(a, 'success', 0.001);
  assert.ok((await series(registry)).includes(`stringsvc_upstream_requests_total{instance="${b}",outcome="success"} 1`), 'in trouble: its successes are its own too');
});

test('once its trouble is over (retainMs after the last failure, breaker closed) an instance goes back to "other"', async (t) => {
  t.mock.timers.enable({ apis: ['setInterval', 'Date'] });
  const registry = new Registry();
  const m = upstreamMetrics({ registry, detailLimit: 1, retainMs: 10_000 });
  const [a, b] = ips(2) as [string, string];
  m.onInstances!([a, b]);
  m.onRequest!(a, 'unreachable', 0.01);
  m.onBreakerStateChange!(b, 'closed', 'open');
  t.mock.timers.tick(30_000);
  const mine = async () => (await series(registry)).filter((l) => l.includes(a) || l.includes(b)).length;
  assert.ok((await mine()) > 0, 'an open breaker stays in trouble however long');
  m.onBreakerStateChange!(b, 'open', 'halfOpen');
  m.onBreakerStateChange!(b, 'halfOpen', 'closed');
  t.mock.timers.tick(20_000);
  assert.equal(await mine(), 0, 'both back to other, their series gone');
  m.onRequest!(a, 'success', 0.01);
  assert.ok((await series(registry)).includes('stringsvc_upstream_requests_total{instance="other",outcome="success"} 1'));
});

test('crossing detailLimit drops the healthy instances\' own series; falling back under it brings them back', async () => {
  const registry = new Registry();
  const m = upstreamMetrics({ registry, detailLimit: 3 });
  m.onInstances!(ips(3));
  assert.equal((await series(registry)).filter((l) => l.startsWith('stringsvc_upstream_breaker_state{')).length, 3);
  m.onRequest!(ips(3)[0]!, 'timeout', 0.1);
  m.onInstances!(ips(4));
  const over = await series(registry);
  assert.deepEqual(over.filter((l) => l.startsWith('stringsvc_upstream_breaker_state{')), [`stringsvc_upstream_breaker_state{instance="${ips(1)[0]}"} 0`], 'only the one in trouble');
  m.onInstances!(ips(3));
  assert.equal((await series(registry)).filter((l) => l.startsWith('stringsvc_upstream_rate_limited_total{')).length, 3, 'each at 0 again');
});

test('at 10,000 instances with a call to each, one scrape stays under 256 KiB', async () => {
  const registry = new Registry();
  const m = upstreamMetrics({ registry });
  const all = ips(10_000);
  m.onInstances!(all);
  for (const i of all) m.onRequest!(i, 'success', 0.002);
  // Trouble at the scale a real outage brings: a whole zone of 30 instances failing.
  for (const i of all.slice(0, 30)) {
    m.onRequest!(i, 'unreachable', 0.1);
    m.onBreakerStateChange!(i, 'closed', 'open');
  }
  const bytes = Buffer.byteLength(await registry.metrics());
  assert.ok(bytes < 256 * 1024, `${bytes} bytes`);
});
