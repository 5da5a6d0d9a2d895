import assert from 'node:assert/strict';
import { startBuilt, type Running } from './process.ts';
import { metricValue, scrape } from './metrics.ts';

/** post sends a body like the seed's `curl -d` and returns status, raw text and elapsed ms. */
export async function post(url: string, body: string) {
  const begin = performance.now();
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  return { status: res.status, text: await res.text(), ms: performance.now() - begin };
}

/** uppercase sends `{"s":s}` to the frontend's /uppercase. */
export function uppercase(fe: Running, s: string) {
  return post(`${fe.url}/uppercase`, JSON.stringify({ s }));
}

/** served is how many uppercase calls a backend answered, from its stringsvc2 metrics. */
export async function served(backend: Running, method = 'uppercase'): Promise<number> {
  const text = await scrape(backend.url);
  // A series appears with its first call: none yet means none served.
  return metricValue(text, 'my_group_string_service_request_count', { method, error: 'false' }, { absentAs: 0 }) +
    metricValue(text, 'my_group_string_service_request_count', { method, error: 'true' }, { absentAs: 0 });
}

/** Spread is who took a frontend's calls: each backend's own count, the frontend's attempts per instance, its retries. */
export interface Spread {
  served: number[];
  attempts: number[];
  retries: number;
}

/** spread reads a Spread; `instances` are the frontend's names for `backends` (their addresses unless discovered). */
export async function spread(fe: Running, backends: Running[], instances: string[] = backends.map((b) => b.addr)): Promise<Spread> {
  const text = await scrape(fe.url);
  const outcomes = ['success', 'unreachable', 'timeout', 'bad_response', 'cancelled'];
  const attempts = instances.map((instance) => outcomes.reduce((n, outcome) => n + metricValue(text, 'stringsvc_upstream_requests_total', { instance, outcome }, { absentAs: 0 }), 0));
  return { served: await Promise.all(backends.map((b) => served(b))), attempts, retries: metricValue(text, 'stringsvc_upstream_retries_total') };
}

/**
 * assertRoundRobin checks that the calls between two spreads went round robin; `expected` is each
 * backend's share when nothing was retried, then asserted exactly from the backends' own metrics.
 * A busy machine can stretch a live attempt past its timeout, and its retry is one more pick of
 * the rotation: then the frontend's attempts are judged instead, as many as calls plus retries,
 * each instance in the rotation within one of the others, none to those outside it.
 */
export function assertRoundRobin(before: Spread, after: Spread, expected: number[]): void {
  const since = (now: number[], then: number[]) => now.map((n, i) => n - then[i]!);
  const retries = after.retries - before.retries;
  if (retries === 0) {
    assert.deepEqual(since(after.served, before.served), expected, 'calls answered by each backend');
    return;
  }
  const attempts = since(after.attempts, before.attempts);
  const why = `${retries} retried; attempts per instance ${attempts.join(', ')}`;
  assert.equal(attempts.reduce((a, b) => a + b, 0), expected.reduce((a, b) => a + b, 0) + retries, why);
  const rotation = attempts.filter((_, i) => expected[i]! > 0);
  assert.ok(Math.max(...rotation) - Math.min(...rotation) <= 1, `round robin: ${why}`);
  assert.deepEqual(attempts.filter((_, i) => expected[i] === 0), expected.filter((n) => n === 0), `outside the rotation: ${why}`);
}

/** startBackends starts n plain backends on ephemeral ports, without request logs. */
export function startBackends(n: number): Promise<Running[]> {
  return Promise.all(Array.from({ length: n }, () => startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--request-log=false'])));
}

/** stopAll stops every process that was started, even after a failed test; hung ones are killed. */
export async function stopAll(procs: Array<Running | undefined>): Promise<void> {
  await Promise.all(
    procs.map(async (p) => {
      if (!p) return;
      p.proc.kill('SIGCONT');
      await p.stop('SIGTERM', 3_000);
    }),
  );
}

// Generous per-attempt timeouts unless the test is about timing: the machine is shared and loaded.
export const relaxed = ['--max-time=3s', '--attempt-timeout=1s'];
