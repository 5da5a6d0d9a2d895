import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runBuilt, startBuilt, type Running } from './support/process.ts';

/** add posts a body the way the article's `curl -X POST -d` does and returns status + raw text. */
async function add(url: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/add`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** logged waits for the batched logger and returns the service log line of a request id. */
function logged(svc: Running, requestId: string): Promise<Record<string, unknown> | undefined> {
  return svc.lastLine((l) => l['request_id'] === requestId && l['path'] === '/add', undefined, 10_000);
}

describe("countersvc with the article's rate limit (1 per 2s, burst 1)", () => {
  let svc: Running;
  before(async () => {
    svc = await startBuilt('countersvc', ['--listen=127.0.0.1:0']);
  });
  after(() => svc.stop());

  test('a second add right away is refused with 429 "rate limit exceeded", logged and counted', async () => {
    assert.deepEqual(await add(svc.url, '{"v":1}').then((r) => [r.status, r.text]), [200, '{"v":1}\n']);
    const limited = await add(svc.url, '{"v":1}', { 'x-request-id': 'too-fast' });
    assert.deepEqual([limited.status, limited.text], [429, '{"err":"rate limit exceeded"}\n']);
    // The process-wide bucket's next token is at most 2 s away (one every 2 s).
    assert.match(limited.headers.get('retry-after') ?? '', /^[12]$/);
    const line = await logged(svc, 'too-fast');
    assert.ok(line, 'the refused add is logged');
    assert.equal(line['err'], 'rate limit exceeded');
    assert.equal(line['result'], null);
    const vars = await (await fetch(`${svc.url}/debug/vars`)).text();
    assert.match(vars, /^"request\.count": 2$/m);
  });
});

describe('countersvc process', () => {
  let svc: Running;
  before(async () => {
    // PORT is what the article's platform sets; an explicit --listen wins over it.
    svc = await startBuilt('countersvc', ['--listen=127.0.0.1:0', '--rate=1000', '--burst=1000', '--body-limit=1kb'], { PORT: '1' });
  });
  after(() => svc.stop());

  test("the article's curl flow keeps a running total", async () => {
    assert.deepEqual(await add(svc.url, '{"v":1}').then((r) => [r.status, r.text]), [200, '{"v":1}\n']);
    assert.deepEqual(await add(svc.url, '{"v":2}').then((r) => [r.status, r.text]), [200, '{"v":3}\n']);
    assert.deepEqual(await add(svc.url, '{"v":3}').then((r) => [r.status, r.text]), [200, '{"v":6}\n']);
  });

  const bad: Array<[string, string, number, RegExp]> = [
    ['a float', '{"v":1.5}', 400, /must be an integer/],
    ['a string', '{"v":"1"}', 400, /must be an integer/],
    ['missing v', '{"x":1}', 400, /missing field "v"/],
    ['beyond 2^53', '{"v":9007199254740993}', 400, /must be a safe integer/],
    ['a total leaving the safe range', `{"v":${Number.MAX_SAFE_INTEGER}}`, 409, /would leave the safe-integer range/],
    ['malformed JSON', '{"v":', 400, /malformed JSON/],
    ['a body over the limit', `{"v":1,"pad":"${'a'.repeat(2000)}"}`, 413, /exceeds the 1024-byte limit/],
  ];
  for (const [name, body, status, err] of bad) {
    test(`bad input: ${name} → ${status} with a JSON err, total unchanged`, async () => {
      const before = JSON.parse((await add(svc.url, '{"v":0}')).text) as { v: number };
      const r = await add(svc.url, body);
      assert.equal(r.status, status);
      assert.match(r.headers.get('content-type') ?? '', /application\/json/);
      assert.match((JSON.parse(r.text) as { err: string }).err, err);
      assert.deepEqual(JSON.parse((await add(svc.url, '{"v":0}')).text), before);
    });
  }

  test('X-Request-Id is honoured, echoed and logged with the article fields', async () => {
    const r = await add(svc.url, '{"v":4}', { 'x-request-id': '9c248150-03ac-4b24-b5a7-f7c1f0fb05ed' });
    assert.equal(r.headers.get('x-request-id'), '9c248150-03ac-4b24-b5a7-f7c1f0fb05ed');
    const line = await logged(svc, '9c248150-03ac-4b24-b5a7-f7c1f0fb05ed');
    assert.ok(line, 'a service log line carries the request id');
    const result = (JSON.parse(r.text) as { v: number }).v;
    assert.deepEqual({ ...line, level: undefined, time: undefined, listen: undefined, elapsed: undefined }, {
      level: undefined,
      time: undefined,
      listen: undefined,
      elapsed: undefined,
      path: '/add',
      request: 4,
      result,
      err: null,
      request_id: '9c248150-03ac-4b24-b5a7-f7c1f0fb05ed',
    });
    assert.match(String(line['elapsed']), /^[\d.]+(µs|ms|s)$/);
  });

  test('/debug/vars is Go expvar JSON with request.count, cmdline and memstats', async () => {
    const res = await fetch(`${svc.url}/debug/vars`, { headers: { 'x-request-id': 'vars-1' } });
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.equal(res.headers.get('x-request-id'), 'vars-1');
    const text = await res.text();
    assert.match(text, /^\{\n"cmdline": \[.*\],\n"memoryUsage": \{.*\},\n"memstats": \{.*\},\n"request\.count": \d+\n\}\n$/);
    const vars = JSON.parse(text) as { 'request.count': number; cmdline: string[] };
    assert.ok(vars['request.count'] >= 3);
    assert.ok(vars.cmdline.includes('--rate=1000'));
  });

  test('/metrics counts adds by outcome, and the shared endpoints are there', async () => {
    const text = await (await fetch(`${svc.url}/metrics`)).text();
    assert.match(text, /^countersvc_request_count\{outcome="ok"\} [1-9]/m);
    assert.match(text, /^countersvc_request_count\{outcome="invalid"\} [1-9]/m);
    assert.match(text, /^process_resident_memory_bytes \d+/m);
    assert.equal((await fetch(`${svc.url}/healthz`)).status, 200);
    assert.equal((await fetch(`${svc.url}/readyz`)).status, 200);
    assert.equal((await fetch(`${svc.url}/add`)).status, 405);
  });
});

describe('countersvc command line', () => {
  test('PORT sets the listen port when --listen is not given', async () => {
    const svc = await startBuilt('countersvc', [], { PORT: '0' });
    try {
      assert.equal(svc.lines()[0]?.['listen'], ':0');
      assert.match(svc.addr, /:\d+$/);
    } finally {
      assert.equal(await svc.stop(), 0);
    }
  });

  test('--help lists the flags; a bad --store or --rate exits 2', async () => {
    const help = await runBuilt('countersvc', ['--help']);
    assert.equal(help.code, 0);
    for (const flag of ['listen', 'rate', 'burst', 'store', 'configmap', 'namespace']) assert.match(help.stdout, new RegExp(`--${flag}=…`));
    const store = await runBuilt('countersvc', ['--store=redis']);
    assert.equal(store.code, 2);
    assert.match(store.stderr, /--store: "redis" is not memory or kubernetes/);
    const rate = await runBuilt('countersvc', ['--rate=0']);
    assert.equal(rate.code, 2);
    assert.match(rate.stderr, /--rate: "0" is not a positive number/);
  });
});
