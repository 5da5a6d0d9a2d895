import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freeInstance } from './support/loopback.ts';
import { unusedPort } from './support/ports.ts';
import { startBuilt, type Running } from './support/process.ts';
import { eventually, metricSum, metricValue, scrape } from './support/metrics.ts';
import { assertRoundRobin, post, relaxed, served, spread, startBackends, stopAll, uppercase } from './support/frontend.ts';
import { within } from './support/wait.ts';

describe('a backend is SIGKILLed under load, then restarted', () => {
  let backends: Running[] = [];
  let fe: Running | undefined;
  let revived: Running | undefined;
  before(async () => {
    // The victim is restarted on its port: one outside the kernel's ephemeral range, so no other
    // process can take it while it is down.
    backends = [await startBuilt('stringsvc', [`--listen=127.0.0.1:${await unusedPort()}`, '--request-log=false']), ...(await startBackends(2))];
    fe = await startBuilt('stringsvc', [
      '--listen=127.0.0.1:0',
      `--proxy=${backends.map((b) => b.addr).join(',')}`,
      '--breaker-reset=1s',
      '--request-log=false',
      // Three closed-loop clients reach ~750 req/s on a fast machine: past the default 100/s bucket
      // of the two live instances, which would answer 429 (a subject of its own, tested above).
      '--qps=100000',
      '--burst=100000',
      ...relaxed,
    ]);
  });
  after(() => stopAll([fe, revived, ...backends]));

  test('zero client-visible errors; its breaker opens and it is skipped', async () => {
    const victim = backends[0]!;
    const total = 300;
    let sent = 0;
    let done = 0;
    const failures: string[] = [];
    const worker = async () => {
      while (sent < total) {
        const i = sent++;
        const r = await uppercase(fe!, `k${i}`);
        if (r.status !== 200 || r.text !== `{"v":"K${i}"}\n`) failures.push(`${r.status} ${r.text}`);
        done++;
      }
    };
    const load = Promise.all([worker(), worker(), worker()]);
    await eventually('60 answers', () => done >= 60);
    victim.proc.kill('SIGKILL');
    await within(load, 120_000, 'the 300 requests to be answered');
    assert.deepEqual(failures, []);

    const text = await scrape(fe!.url);
    const at = { instance: victim.addr };
    assert.ok(metricValue(text, 'stringsvc_upstream_breaker_transitions_total', { ...at, from: 'closed', to: 'open' }) >= 1);
    assert.notEqual(metricValue(text, 'stringsvc_upstream_breaker_state', at), 0, 'not closed');
    const failed = ['unreachable', 'timeout'].reduce((n, outcome) => n + metricValue(text, 'stringsvc_upstream_requests_total', { ...at, outcome }, { absentAs: 0 }), 0);
    // Skipped once open: the calls it got are the five that opened it, at most one more from each
    // of the other two clients already on their way, and one trial per half-open (however many
    // resets a slow run lasts). Without skipping, a third of the ~240 later requests would try it.
    const trials = metricValue(text, 'stringsvc_upstream_breaker_transitions_total', { ...at, from: 'open', to: 'halfOpen' }, { absentAs: 0 });
    assert.ok(failed >= 1 && failed <= 5 + 2 + trials, `failed calls to the dead backend: ${failed}, half-open trials: ${trials}`);
    assert.ok(metricValue(text, 'stringsvc_upstream_retries_total') >= 1);
    // The retries absorbed every failure, so only the log tells of them: one warn line each.
    const line = await fe!.lastLine((l) => l['msg'] === 'upstream attempt failed; retrying' && l['instance'] === victim.addr);
    assert.ok(line, 'a failed attempt the retry absorbed is logged');
    assert.equal(line['level'], 40);
    assert.match(String(line['request_id']), /^[0-9a-f]{32}$/);
    assert.equal(line['attempt'], 1);
    assert.equal(typeof line['error'], 'string');
  });

  test('restarted on the same port, it rejoins after the reset timeout', async () => {
    const victim = backends[0]!;
    revived = await startBuilt('stringsvc', [`--listen=${victim.addr}`, '--request-log=false']);
    await eventually('the revived backend to get traffic', async () => {
      assert.equal((await uppercase(fe!, 'again')).status, 200);
      return (await served(revived!)) > 0;
    });
    const text = await scrape(fe!.url);
    const at = { instance: victim.addr };
    assert.equal(metricValue(text, 'stringsvc_upstream_breaker_state', at), 0);
    assert.ok(metricValue(text, 'stringsvc_upstream_breaker_transitions_total', { ...at, from: 'halfOpen', to: 'closed' }) >= 1);
    // Back in the round robin.
    const rotation = [revived, backends[1]!, backends[2]!];
    const before = await spread(fe!, rotation);
    for (let i = 0; i < 30; i++) assert.equal((await uppercase(fe!, 'even')).status, 200);
    assertRoundRobin(before, await spread(fe!, rotation), [10, 10, 10]);
  });
});

describe('a backend hangs (SIGSTOP)', () => {
  let backends: Running[] = [];
  let fe: Running | undefined;
  before(async () => {
    backends = await startBackends(3);
    fe = await startBuilt('stringsvc', [
      '--listen=127.0.0.1:0',
      `--proxy=${backends.map((b) => b.addr).join(',')}`,
      // The timer under test: it must fire for the stopped backend. A busy machine may stretch a
      // live attempt past it too; that one is retried like the others, so the verdict counts what
      // the timer did rather than requiring it fired only for the victim. The call's own deadline
      // and attempts are wide enough to absorb such retries and are not what is judged.
      '--attempt-timeout=200ms',
      '--max-time=30s',
      '--max-attempts=6',
      '--request-log=false',
    ]);
  });
  after(() => stopAll([fe, ...backends]));

  test('every attempt to it times out and is retried on another, every request succeeds, and its breaker opens', async () => {
    const victim = backends[0]!;
    for (let i = 0; i < 3; i++) assert.equal((await uppercase(fe!, 'warm')).status, 200);
    const outcomes = ['success', 'unreachable', 'timeout', 'bad_response', 'cancelled'] as const;
    const attempts = async () => {
      const text = await scrape(fe!.url);
      const by = (instance: string, outcome: string) => metricValue(text, 'stringsvc_upstream_requests_total', { instance, outcome }, { absentAs: 0 });
      const of = (outcome: string) => backends.reduce((n, b) => n + by(b.addr, outcome), 0);
      return {
        victim: Object.fromEntries(outcomes.map((o) => [o, by(victim.addr, o)])) as Record<(typeof outcomes)[number], number>,
        success: of('success'),
        failed: outcomes.filter((o) => o !== 'success').reduce((n, o) => n + of(o), 0),
        retries: metricValue(text, 'stringsvc_upstream_retries_total'),
      };
    };
    const before = await attempts();
    victim.proc.kill('SIGSTOP');
    for (let i = 0; i < 21; i++) {
      const r = await uppercase(fe!, `h${i}`);
      assert.deepEqual([r.status, r.text], [200, `{"v":"H${i}"}\n`]);
    }
    const after = await attempts();
    const victimDelta = Object.fromEntries(outcomes.map((o) => [o, after.victim[o] - before.victim[o]]));
    // Which timer fired: the attempt timeout, for every call the stopped backend got (five open its breaker).
    assert.ok(victimDelta['timeout']! >= 5, `timed out on the victim: ${JSON.stringify(victimDelta)}`);
    assert.deepEqual({ ...victimDelta, timeout: 0 }, { success: 0, unreachable: 0, timeout: 0, bad_response: 0, cancelled: 0 }, 'its calls only ever timed out');
    // What the retry did: each failed attempt was followed by another, and each request ended in
    // exactly one success, on a live backend (the victim had none).
    assert.equal(after.retries - before.retries, after.failed - before.failed, 'every failed attempt was retried');
    assert.equal(after.success - before.success, 21, 'one success per request');
    assert.equal(metricValue(await scrape(fe!.url), 'stringsvc_upstream_breaker_state', { instance: victim.addr }), 2, 'open');
  });
});

describe('no backend reachable', () => {
  let fe: Running | undefined;
  before(async () => {
    const dead = [await freeInstance(), await freeInstance()];
    // Configured through the environment, as a Kubernetes manifest would.
    fe = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--request-log=false', ...relaxed], { STRINGSVC_PROXY: dead.join(',') });
  });
  after(() => stopAll([fe]));

  test('answers 503 unreachable (refused, not timed out), then refuses without calling once every breaker is open', async () => {
    const first = await uppercase(fe!, 'x');
    assert.deepEqual([first.status, first.text], [503, '{"v":"","err":"no upstream instance reachable"}\n']);
    let last = first;
    for (let i = 0; i < 10; i++) {
      last = await uppercase(fe!, 'x');
      assert.equal(last.status, 503);
    }
    assert.equal(last.text, '{"v":"","err":"every upstream circuit breaker is open"}\n');
    // What "fast" means, without a clock: every call that went out was refused, none waited for
    // a timeout, and once the breakers are open nothing goes out at all.
    const calls = async () => {
      const text = await scrape(fe!.url);
      // Over both dead instances: one alone could hide a call the other got.
      const of = (outcome: string) => metricSum(text, 'stringsvc_upstream_requests_total', { outcome }, { absentAs: 0 });
      return { unreachable: of('unreachable'), timeout: of('timeout') };
    };
    const before = await calls();
    assert.ok(before.unreachable >= 1);
    assert.equal(before.timeout, 0);
    assert.equal((await uppercase(fe!, 'x')).status, 503);
    assert.deepEqual(await calls(), before, 'refused without an upstream call');
    assert.equal((await post(`${fe!.url}/count`, '{"s":"abc"}')).text, '{"v":3}\n', 'count is still served');
  });
});
