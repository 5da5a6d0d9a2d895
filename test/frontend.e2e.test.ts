import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runBuilt, startBuilt, type Running } from './support/process.ts';
import { MissingSeriesError, metricValue, scrape } from './support/metrics.ts';
import { assertRoundRobin, post, relaxed, served, spread, startBackends, stopAll, uppercase } from './support/frontend.ts';

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

  // Runs before any test sends traffic through `fe`.
  test('before any traffic, every instance has its series: rate limiting at 0, breaker closed', async () => {
    const text = await scrape(fe!.url);
    assert.equal(metricValue(text, 'stringsvc_upstream_retries_total'), 0);
    for (const b of backends) {
      // No call went out yet, so the 0 below is not from traffic.
      assert.throws(() => metricValue(text, 'stringsvc_upstream_requests_total', { instance: b.addr, outcome: 'success' }), MissingSeriesError);
      assert.equal(metricValue(text, 'stringsvc_upstream_rate_limited_total', { instance: b.addr }), 0, 'present at 0, so its rate reads 0, not "no data"');
      assert.equal(metricValue(text, 'stringsvc_upstream_breaker_state', { instance: b.addr }), 0);
    }
  });

  test('round robin spreads uppercase evenly over the backends', async () => {
    const before = await spread(fe!, backends);
    for (let i = 0; i < 30; i++) {
      const r = await uppercase(fe!, `s${i}`);
      assert.deepEqual([r.status, r.text], [200, `{"v":"S${i}"}\n`]);
    }
    assertRoundRobin(before, await spread(fe!, backends), [10, 10, 10]);
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
    assert.deepEqual([r.status, r.text], [429, '{"v":"","err":"upstream rate limit exceeded"}\n']);
    const text = await scrape(limited.url);
    for (const b of backends) assert.equal(metricValue(text, 'stringsvc_upstream_rate_limited_total', { instance: b.addr }), 1);
  });

  // That the drain then closes the upstream pools is held in-process, where it can be seen before
  // the exit: src/stringsvc/compose-service.test.ts.
  test('SIGTERM drains (nothing left for the grace to cut) and exits 0', async () => {
    assert.equal(await fe!.stop('SIGTERM'), 0);
    const stopped = fe!.lines().find((l) => l.msg === 'stopped');
    assert.equal(stopped?.outcome, 'drained', JSON.stringify(stopped));
    assert.ok(!fe!.lines().some((l) => l.msg === 'grace period over; closing remaining connections'));
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
