import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startBuilt, type Running } from './support/process.ts';
import { metricValue, scrape } from './support/metrics.ts';
import { startBackends, stopAll, uppercase } from './support/frontend.ts';
import { startToxiproxy, toxiproxySkip, type Toxiproxy } from './support/toxiproxy.ts';

// Three backends, the third behind toxiproxy; mid-run toxiproxy delays its answers to ten times
// the healthy round trip (latency on the wire, outside our code), then stops delaying.
// p2c-ewma must move traffic away and back; round robin must keep sending it a third.

const skip = toxiproxySkip();
const workers = 4;
// The slowed instance answers in ten times a loaded machine's round trip: no attempt may time out.
// The buckets are opened wide: two instances take all the load when the third is avoided.
const patient = ['--max-time=20s', '--attempt-timeout=10s', '--qps=1000000', '--burst=1000000'];

/** requestsTo reads the frontend's per-instance call counters, all outcomes together. */
async function requestsTo(fe: Running, instances: string[]): Promise<number[]> {
  const text = await scrape(fe.url);
  const outcomes = ['success', 'unreachable', 'timeout', 'bad_response', 'cancelled'];
  return instances.map((instance) => outcomes.reduce((n, outcome) => n + metricValue(text, 'stringsvc_upstream_requests_total', { instance, outcome }, { absentAs: 0 }), 0));
}

/** healthyRttMs is the mean upstream call time of an instance so far, from the frontend's histogram. */
async function healthyRttMs(fe: Running, instance: string): Promise<number> {
  const text = await scrape(fe.url);
  const sum = metricValue(text, 'stringsvc_upstream_request_duration_seconds_sum', { instance });
  const count = metricValue(text, 'stringsvc_upstream_request_duration_seconds_count', { instance });
  return (sum / count) * 1000;
}

/** Load keeps `workers` callers busy until stopped, and counts failures. */
function load(fe: Running): { stop(): Promise<string> } {
  let running = true;
  let failed = 0;
  let first = '';
  const loops = Array.from({ length: workers }, async (_, w) => {
    for (let i = 0; running; i++) {
      const r = await uppercase(fe, `w${w}-${i}`);
      if (r.status === 200) continue;
      failed++;
      first ||= `${r.status} ${r.text}`;
    }
  });
  return {
    /** stop ends the load and says how many calls failed, and how the first did. */
    async stop() {
      running = false;
      await Promise.all(loops);
      return failed === 0 ? 'none failed' : `${failed} failed, the first: ${first}`;
    },
  };
}

/** slowShare is the slow instance's share of calls over one window of `ms`. */
async function slowShare(fe: Running, instances: string[], ms: number): Promise<number> {
  const before = await requestsTo(fe, instances);
  await new Promise((r) => setTimeout(r, ms));
  const delta = (await requestsTo(fe, instances)).map((n, i) => n - before[i]!);
  const total = delta.reduce((a, b) => a + b, 0);
  assert.ok(total >= 20, `too few calls in the window to judge: ${delta.join(', ')}`);
  return delta[2]! / total;
}

/** shareWithin polls one-second windows until `ok(share)` or the deadline; returns the seconds it took. */
async function shareWithin(fe: Running, instances: string[], what: string, ok: (share: number) => boolean, deadlineMs: number): Promise<number> {
  const begin = Date.now();
  const seen: string[] = [];
  while (Date.now() - begin < deadlineMs) {
    const share = await slowShare(fe, instances, 1000);
    seen.push(share.toFixed(2));
    if (ok(share)) return (Date.now() - begin) / 1000;
  }
  assert.fail(`${what}: not within ${deadlineMs} ms; one-second shares: ${seen.join(' ')}`);
}

describe('balancing around a backend slowed on the wire', { skip }, () => {
  let backends: Running[] = [];
  let fe: Running | undefined;
  let toxi: Toxiproxy | undefined;
  let instances: string[] = [];
  after(async () => {
    await stopAll([fe, ...backends]);
    await toxi?.stop();
  });

  /** tenfold is the delay that makes the slow instance's round trip ten times the healthy one. */
  async function tenfold(fe: Running): Promise<number> {
    const rtt = Math.max(await healthyRttMs(fe, instances[0]!), await healthyRttMs(fe, instances[2]!));
    return Math.max(20, Math.ceil(9 * rtt));
  }

  async function frontend(balancer: string): Promise<Running> {
    if (!toxi) {
      toxi = await startToxiproxy();
      backends = await startBackends(3);
      instances = [backends[0]!.addr, backends[1]!.addr, await toxi.proxy('slow', backends[2]!.addr)];
    }
    await fe?.stop('SIGTERM', 3000);
    return startBuilt('stringsvc', ['--listen=127.0.0.1:0', `--proxy=${instances.join(',')}`, `--balancer=${balancer}`, '--balancer-decay=1s', '--request-log=false', ...patient]);
  }

  test('p2c-ewma: the slow instance gets under 10 % within seconds, and its share back once healthy', async (t) => {
    fe = await frontend('p2c-ewma');
    assert.equal(fe.lines().find((l) => l.msg === 'proxying')?.balancer, 'p2c-ewma');
    const running = load(fe);
    try {
      await shareWithin(fe, instances, 'healthy, it takes its part', (s) => s > 0.2, 10_000);
      const delay = await tenfold(fe);
      await toxi!.addLatency('slow', delay);
      const took = await shareWithin(fe, instances, 'slow share below 10 %', (s) => s < 0.1, 5_000);
      const held = await slowShare(fe, instances, 2000);
      assert.ok(held < 0.1, `stays below 10 % (+${delay} ms, ${took} s to get there): ${held}`);
      await toxi!.removeLatency('slow');
      const back = await shareWithin(fe, instances, 'healthy again, its share comes back', (s) => s > 0.2, 15_000);
      t.diagnostic(`+${delay} ms: under 10 % after ${took} s, then ${held.toFixed(3)}; back after ${back} s`);
    } finally {
      assert.equal(await running.stop(), 'none failed');
    }
  });

  test('round-robin: the slow instance keeps a third', async (t) => {
    fe = await frontend('round-robin');
    assert.equal(fe.lines().find((l) => l.msg === 'proxying')?.balancer, undefined, "the seed's line, unchanged");
    const running = load(fe);
    try {
      await slowShare(fe, instances, 1000);
      await toxi!.addLatency('slow', await tenfold(fe));
      await slowShare(fe, instances, 500);
      const share = await slowShare(fe, instances, 3000);
      assert.ok(share > 0.3 && share < 0.37, `a third: ${share}`);
      t.diagnostic(`slow share ${share.toFixed(3)}`);
    } finally {
      await toxi!.removeLatency('slow').catch(() => undefined);
      assert.equal(await running.stop(), 'none failed');
    }
  });
});
