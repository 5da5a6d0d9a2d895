import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResolvedEndpoint } from '../sd/endpointer.ts';
import { isNoEndpointsError, isNoHealthyEndpointsError } from './balancer.ts';
import { outstanding } from './load.ts';
import { p2c } from './p2c.ts';
import { peakEwma } from './peak-ewma.ts';

type E = ResolvedEndpoint<string, string>;

/** fixed makes endpoints whose answers take `delay[instance]` ms on a fake clock. */
function fixed(instances: string[], clock: { t: number }, delay: Record<string, number> = {}, down = new Set<string>()): E[] {
  return instances.map((instance) => ({
    instance,
    endpoint: async () => {
      clock.t += delay[instance] ?? 1;
      return instance;
    },
    healthy: () => !down.has(instance),
  }));
}

/** seeded is a small deterministic PRNG (mulberry32), so shares are reproducible. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function shares(lb: { pick(): E }, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const e = lb.pick();
    counts[e.instance] = (counts[e.instance] ?? 0) + 1;
    await e.endpoint({} as never, 'x');
  }
  return counts;
}

test('p2c over peak EWMA sends almost nothing to a 10× slower instance, and tries a new one', async () => {
  const clock = { t: 0 };
  const endpoints = fixed(['a:1', 'b:1', 'c:1'], clock, { 'c:1': 10 });
  const lb = p2c({ endpoints: () => endpoints }, { load: peakEwma({ decayMs: 10_000 }), random: seeded(1), now: () => clock.t });
  const counts = await shares(lb, 300);
  assert.ok((counts['c:1'] ?? 0) < 15, `slow share ${JSON.stringify(counts)}`);
  endpoints.push(...fixed(['d:1'], clock));
  const more = await shares(lb, 60);
  assert.ok((more['d:1'] ?? 0) >= 10, `new instance tried: ${JSON.stringify(more)}`);
});

test('least-request prefers the instance with fewer calls in flight', async () => {
  let release!: () => void;
  const hang = new Promise<void>((r) => (release = r));
  const endpoints: E[] = ['a:1', 'b:1'].map((instance) => ({
    instance,
    endpoint: async () => {
      if (instance === 'a:1') await hang;
      return instance;
    },
    healthy: () => true,
  }));
  const lb = p2c({ endpoints: () => endpoints }, { load: outstanding(), random: seeded(2) });
  let held: E;
  do held = lb.pick();
  while (held.instance !== 'a:1');
  const call = held.endpoint({} as never, 'x');
  for (let i = 0; i < 20; i++) assert.equal(lb.pick().instance, 'b:1');
  release();
  await call;
  const after = new Set(Array.from({ length: 40 }, () => lb.pick().instance));
  assert.deepEqual([...after].sort(), ['a:1', 'b:1'], 'idle again: both are picked');
});

test('never picks an open breaker while another is healthy; tried ones only as a last resort', () => {
  const clock = { t: 0 };
  const down = new Set(['b:1']);
  const lb = p2c({ endpoints: () => fixed(['a:1', 'b:1', 'c:1'], clock, {}, down) }, { load: outstanding(), random: seeded(3) });
  for (let i = 0; i < 50; i++) assert.notEqual(lb.pick().instance, 'b:1');
  for (let i = 0; i < 20; i++) assert.equal(lb.pick(['a:1']).instance, 'c:1');
  assert.notEqual(lb.pick(['a:1', 'c:1']).instance, 'b:1', 'the only healthy ones were tried: one of them again');
  down.add('a:1').add('c:1');
  assert.throws(() => lb.pick(), isNoHealthyEndpointsError);
  const empty = p2c({ endpoints: () => [] }, { load: outstanding() });
  assert.throws(() => empty.pick(), isNoEndpointsError);
});
