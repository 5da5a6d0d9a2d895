import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { freeInstance } from './support/loopback.ts';
import { runBuilt, startBuilt, type Running } from './support/process.ts';
import { eventually, metricValue, scrape } from './support/metrics.ts';

/** post sends a body like the seed's `curl -d` and returns status, raw text and elapsed ms. */
async function post(url: string, body: string) {
  const begin = performance.now();
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  return { status: res.status, text: await res.text(), ms: performance.now() - begin };
}

/** uppercase sends `{"s":s}` to the frontend's /uppercase. */
function uppercase(fe: Running, s: string) {
  return post(`${fe.url}/uppercase`, JSON.stringify({ s }));
}

/** served is how many uppercase calls a backend answered, from its stringsvc2 metrics. */
async function served(backend: Running, method = 'uppercase'): Promise<number> {
  const text = await scrape(backend.url);
  return metricValue(text, 'my_group_string_service_request_count', { method, error: 'false' }) +
    metricValue(text, 'my_group_string_service_request_count', { method, error: 'true' });
}

/** startBackends starts n plain backends on ephemeral ports, without request logs. */
function startBackends(n: number): Promise<Running[]> {
  return Promise.all(Array.from({ length: n }, () => startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--request-log=false'])));
}

/** stopAll stops every process that was started, even after a failed test; hung ones are killed. */
async function stopAll(procs: Array<Running | undefined>): Promise<void> {
  await Promise.all(
    procs.map(async (p) => {
      if (!p) return;
      p.proc.kill('SIGCONT');
      await p.stop('SIGTERM', 3_000);
    }),
  );
}

// Generous per-attempt timeouts unless the test is about timing: the machine is shared and loaded.
const relaxed = ['--max-time=3s', '--attempt-timeout=1s'];

describe('frontend over three healthy backends', () => {
  let backends: Running[] = [];
  let fe: Running | undefined;
  let limited: Running | undefined;
  before(async () => {
    backends = await startBackends(3);
    fe = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', `--proxy=${backends.map((b) => b.addr).join(',')}`, ...relaxed]);
  });
  after(() => stopAll([fe, limited, ...backends]));

  test('logs where it proxies to, the way the seed does', () => {
    const line = fe!.lines().find((l) => l.msg === 'proxying');
    assert.equal(line?.proxy_to, `[${backends.map((b) => b.addr).join(' ')}]`);
    assert.equal(backends[0]!.lines().find((l) => l.msg === 'proxying')?.proxy_to, 'none');
  });

  test('round robin spreads uppercase evenly over the backends', async () => {
    const before = await Promise.all(backends.map((b) => served(b)));
    for (let i = 0; i < 30; i++) {
      const r = await uppercase(fe!, `s${i}`);
      assert.deepEqual([r.status, r.text], [200, `{"v":"S${i}"}\n`]);
    }
    const delta = (await Promise.all(backends.map((b) => served(b)))).map((n, i) => n - before[i]!);
    assert.deepEqual(delta, [10, 10, 10]);
    const text = await scrape(fe!.url);
    for (const b of backends) {
      assert.ok(metricValue(text, 'stringsvc_upstream_requests_total', { instance: b.addr, outcome: 'success' }) >= 10);
      assert.equal(metricValue(text, 'stringsvc_upstream_breaker_state', { instance: b.addr }), 0);
    }
    assert.equal(metricValue(text, 'stringsvc_upstream_endpoints'), 3);
    assert.ok(metricValue(text, 'my_group_string_service_request_count', { method: 'uppercase', error: 'false' }) >= 30);
  });

  test("a backend's business error passes through as 200 with err", async () => {
    const r = await uppercase(fe!, '');
    assert.deepEqual([r.status, r.text], [200, '{"v":"","err":"empty string"}\n']);
    assert.equal(metricValue(await scrape(fe!.url), 'stringsvc_upstream_retries_total'), 0, 'never retried');
  });

  test('count is served locally', async () => {
    const r = await post(`${fe!.url}/count`, '{"s":"héllo"}');
    assert.deepEqual([r.status, r.text], [200, '{"v":6}\n']);
    assert.deepEqual(await Promise.all(backends.map((b) => served(b, 'count'))), [0, 0, 0]);
  });

  test('bad input is rejected locally without touching any backend', async () => {
    const before = await Promise.all(backends.map((b) => served(b)));
    const cases: Array<[string, number]> = [
      ['{"s":', 400],
      ['', 400],
      ['{"t":"x"}', 400],
      ['{"s":42}', 400],
      [`{"s":"${'a'.repeat(1_100_000)}"}`, 413],
    ];
    for (const [body, status] of cases) {
      const r = await post(`${fe!.url}/uppercase`, body);
      assert.equal(r.status, status, body.slice(0, 20));
      assert.match(r.text, /^\{"err":"/);
    }
    assert.deepEqual(await Promise.all(backends.map((b) => served(b))), before);
  });

  test('every instance rate-limited → 429 with the response shape', async () => {
    limited = await startBuilt('stringsvc', [
      '--listen=127.0.0.1:0',
      `--proxy=${backends.map((b) => b.addr).join(',')}`,
      '--qps=0.001',
      '--burst=1',
      ...relaxed,
    ]);
    for (let i = 0; i < 3; i++) assert.equal((await uppercase(limited, 'x')).status, 200, 'one token per instance');
    const r = await uppercase(limited, 'x');
    assert.deepEqual([r.status, r.text], [429, '{"v":"","err":"rate limit exceeded on every upstream instance"}\n']);
    const text = await scrape(limited.url);
    for (const b of backends) assert.equal(metricValue(text, 'stringsvc_upstream_rate_limited_total', { instance: b.addr }), 1);
  });

  test('SIGTERM drains and exits 0, closing the upstream pools', async () => {
    assert.equal(await fe!.stop('SIGTERM'), 0);
    assert.ok(fe!.lines().some((l) => l.msg === 'stopped'));
  });
});

describe('a backend is SIGKILLed under load, then restarted', () => {
  let backends: Running[] = [];
  let fe: Running | undefined;
  let revived: Running | undefined;
  before(async () => {
    backends = await startBackends(3);
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
    await load;
    assert.deepEqual(failures, []);

    const text = await scrape(fe!.url);
    const at = { instance: victim.addr };
    assert.ok(metricValue(text, 'stringsvc_upstream_breaker_transitions_total', { ...at, from: 'closed', to: 'open' }) >= 1);
    assert.notEqual(metricValue(text, 'stringsvc_upstream_breaker_state', at), 0, 'not closed');
    const failed = ['unreachable', 'timeout'].reduce((n, outcome) => n + metricValue(text, 'stringsvc_upstream_requests_total', { ...at, outcome }), 0);
    // Without skipping, about a third of the ~240 later requests would have tried it first.
    assert.ok(failed >= 1 && failed < 30, `failed calls to the dead backend: ${failed}`);
    assert.ok(metricValue(text, 'stringsvc_upstream_retries_total') >= 1);
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
    const before = await served(revived);
    for (let i = 0; i < 30; i++) assert.equal((await uppercase(fe!, 'even')).status, 200);
    assert.equal((await served(revived)) - before, 10, 'back in the round robin');
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
      '--attempt-timeout=200ms',
      '--max-time=1500ms',
      '--request-log=false',
    ]);
  });
  after(() => stopAll([fe, ...backends]));

  test('requests still complete within max-time via the others, and its breaker opens', async () => {
    const victim = backends[0]!;
    for (let i = 0; i < 3; i++) assert.equal((await uppercase(fe!, 'warm')).status, 200);
    victim.proc.kill('SIGSTOP');
    for (let i = 0; i < 21; i++) {
      const r = await uppercase(fe!, `h${i}`);
      assert.deepEqual([r.status, r.text], [200, `{"v":"H${i}"}\n`]);
      assert.ok(r.ms < 1500 + 1000, `answered in ${r.ms.toFixed(0)}ms`);
    }
    const text = await scrape(fe!.url);
    const at = { instance: victim.addr };
    assert.ok(metricValue(text, 'stringsvc_upstream_requests_total', { ...at, outcome: 'timeout' }) >= 5);
    assert.equal(metricValue(text, 'stringsvc_upstream_breaker_state', at), 2, 'open');
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

  test('answers 503 fast, then refuses at once once every breaker is open', async () => {
    const first = await uppercase(fe!, 'x');
    assert.deepEqual([first.status, first.text], [503, '{"v":"","err":"no upstream instance reachable"}\n']);
    let last = first;
    for (let i = 0; i < 10; i++) {
      last = await uppercase(fe!, 'x');
      assert.equal(last.status, 503);
      assert.ok(last.ms < 1000, `answered in ${last.ms.toFixed(0)}ms`);
    }
    assert.equal(last.text, '{"v":"","err":"every upstream circuit breaker is open"}\n');
    assert.equal((await post(`${fe!.url}/count`, '{"s":"abc"}')).text, '{"v":3}\n', 'count is still served');
  });
});

describe('frontend flags', () => {
  const bad: Array<[string, RegExp]> = [
    ['--proxy=localhost', /--proxy: "localhost" is not an instance/],
    ['--max-attempts=0', /--max-attempts/],
    ['--breaker-reset=soon', /--breaker-reset/],
  ];
  for (const [arg, message] of bad) {
    test(`${arg} is a usage error (exit 2)`, async () => {
      const r = await runBuilt('stringsvc', [arg]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, message);
    });
  }

  test('--help lists the frontend flags', async () => {
    const r = await runBuilt('stringsvc', ['--help']);
    for (const flag of ['--proxy', '--max-attempts', '--max-time', '--attempt-timeout', '--qps', '--burst', '--breaker-failures', '--breaker-reset', '--retry-budget']) {
      assert.ok(r.stdout.includes(`${flag}=`), flag);
    }
  });
});
