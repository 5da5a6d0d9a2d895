import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { json, startLoopback, type LoopbackHandler } from './support/loopback.ts';
import { metricValue, scrape } from './support/metrics.ts';
import { runBuilt, startBuilt, type Running } from './support/process.ts';
import { stopAll } from './support/frontend.ts';

// Per-client limits (--client-qps, --client-burst, --client-key-header) in a real frontend, with
// clients told apart the way the frontend tells them: by the loopback address their socket is
// bound to, or by a header.

const upper: LoopbackHandler = (req, res) => json(res, { v: (JSON.parse(req.body) as { s: string }).s.toUpperCase() });

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** client sends from `localAddress` (a loopback address of its own) over keep-alive connections. */
function client(t: TestContext, fe: Running, localAddress: string) {
  const agent = new Agent({ keepAlive: true });
  t.after(() => agent.destroy());
  return (path: string, options: { method?: string; body?: string; headers?: Record<string, string> } = {}) =>
    new Promise<Answer>((resolve, reject) => {
      const req = request(`${fe.url}${path}`, { method: options.method ?? 'POST', agent, localAddress, headers: options.headers ?? {} }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end(options.body);
    });
}

async function frontend(t: TestContext, flags: string[], env: NodeJS.ProcessEnv = {}): Promise<Running> {
  const back = await startLoopback(upper);
  t.after(() => back.close());
  const fe = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', `--proxy=${back.instance}`, '--max-time=10s', '--attempt-timeout=5s', ...flags], env);
  t.after(() => stopAll([fe]));
  return fe;
}

/** warnings are the refusal lines of one client: the first at once, the rest as summed repeats. */
function refusalsLogged(lines: Array<Record<string, unknown>>, client: string) {
  const mine = lines.filter((l) => l.client === client && l.level === 40);
  const first = mine.filter((l) => l.msg === 'client rate limited');
  const summed = mine.filter((l) => l.msg === 'client rate limited (repeated)');
  return { lines: mine.length, first: first.length, events: first.length + summed.reduce((n, l) => n + Number(l.repeated), 0) };
}

test('a flooding client gets 429 with Retry-After and RateLimit fields; a quiet one from another address never does; probes and scrapes are never limited', async (t) => {
  const fe = await frontend(t, ['--client-qps=5']);
  const flooder = client(t, fe, '127.0.0.2');
  const quiet = client(t, fe, '127.0.0.3');
  const began = Date.now();
  const flood: Answer[] = [];
  const calm: Answer[] = [];
  // Batches of 10 at once: a batch cannot fit in a client's 5 a second, however slow the machine.
  // The quiet client sends 4 in all, between batches: never more than its 5 in any second.
  for (let batch = 0; batch < 8; batch++) {
    flood.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => flooder('/uppercase', { body: `{"s":"f${batch}.${i}"}` })))));
    if (batch % 2 === 1) calm.push(await quiet('/uppercase', { body: `{"s":"q${batch}"}` }));
  }
  const elapsed = Date.now() - began;
  assert.deepEqual(calm.map((a) => [a.status, a.body]), [1, 3, 5, 7].map((b) => [200, `{"v":"Q${b}"}\n`]), 'the quiet client is never refused');

  const refused = flood.filter((a) => a.status === 429);
  const allowed = flood.filter((a) => a.status === 200);
  assert.equal(refused.length + allowed.length, flood.length, `only 200 and 429: ${[...new Set(flood.map((a) => a.status))].join(', ')}`);
  // Its windows start at its requests: the test's elapsed time bounds how many it can have had
  // (a slower machine only loosens the bound).
  assert.ok(allowed.length <= 5 * (Math.floor(elapsed / 1000) + 2), `${allowed.length} let through in ${elapsed} ms`);
  assert.ok(refused.length >= 5, `${refused.length} of ${flood.length} refused`);
  for (const r of refused) {
    assert.equal(r.body, '{"err":"client rate limit exceeded"}\n');
    assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(r.headers['retry-after'], '1', 'a one-second window ends within the second');
    assert.equal(r.headers['ratelimit-policy'], '"client";q=5;w=1');
    assert.equal(r.headers['ratelimit'], '"client";r=0;t=1');
    assert.match(String(r.headers['x-request-id']), /^[0-9a-f]{32}$/);
  }

  // Over its limit still, the flooder's probes and scrapes all pass.
  for (const path of ['/healthz', '/readyz', '/metrics']) {
    const answers = await Promise.all(Array.from({ length: 10 }, () => flooder(path, { method: 'GET' })));
    assert.deepEqual([...new Set(answers.map((a) => a.status))], [200], path);
  }

  // Counted by outcome, never by client; the probes and scrapes not at all.
  const text = await scrape(fe.url);
  assert.equal(metricValue(text, 'stringsvc_client_limit_total', { outcome: 'allowed' }), allowed.length + calm.length);
  assert.equal(metricValue(text, 'stringsvc_client_limit_total', { outcome: 'refused' }), refused.length);
  assert.doesNotMatch(text, /127\.0\.0\.[23]/, 'no client in any series');

  // One warning on the first refusal, the rest summed up (the summary at the latest on shutdown).
  await stopAll([fe]);
  const logged = refusalsLogged(fe.lines(), '127.0.0.2');
  assert.equal(logged.first, 1, 'one line on the first refusal');
  assert.equal(logged.events, refused.length, 'every refusal accounted for, in a line or a count');
  assert.ok(logged.lines <= 2 * (Math.floor(elapsed / 60_000) + 2), `${logged.lines} lines`);
  assert.equal(refusalsLogged(fe.lines(), '127.0.0.3').lines, 0);
});

test('keyed by a header (from the environment): each tenant has its own limit, named in the log by a digest, never by its value; without the header, by address', async (t) => {
  const fe = await frontend(t, ['--client-burst=2'], { STRINGSVC_CLIENT_QPS: '3', STRINGSVC_CLIENT_KEY_HEADER: 'X-Tenant' });
  const same = client(t, fe, '127.0.0.2');
  const as = (tenant?: string) => () => same('/count', { body: '{"s":"abc"}', ...(tenant ? { headers: { 'x-tenant': tenant } } : {}) });
  const many = async (send: () => Promise<Answer>, n: number) => (await Promise.all(Array.from({ length: n }, send))).map((a) => a.status);

  // 3 a second and a burst of 2: of 12 at once, 5 pass, unless a window ended among them.
  const noisy = await many(as('noisy-tenant-7f3a9c'), 12);
  assert.ok(noisy.filter((s) => s === 429).length >= 2, `noisy tenant: ${noisy.join(' ')}`);
  const refusal = await as('noisy-tenant-7f3a9c')();
  assert.equal(refusal.status, 429);
  assert.equal(refusal.headers['ratelimit-policy'], '"client";q=3;w=1, "client-burst";q=2;w=60');
  // Same address, other tenant; then no header at all: keyed by address, a limit of its own.
  assert.deepEqual(await many(as('calm-tenant'), 3), [200, 200, 200]);
  assert.deepEqual(await many(as(), 3), [200, 200, 200]);

  await stopAll([fe]);
  const digest = `sha256:${createHash('sha256').update('noisy-tenant-7f3a9c').digest('hex').slice(0, 32)}`;
  assert.equal(refusalsLogged(fe.lines(), digest).first, 1, 'the first refusal names the tenant by its digest');
  assert.ok(!fe.lines().some((l) => JSON.stringify(l).includes('noisy-tenant')), 'the header value is in no line');
  assert.ok(fe.lines().some((l) => l.msg === 'client limits' && l.client_qps === 3 && l.client_burst === 2 && l.client_key === 'x-tenant'));
});

test('bad values of the client-limit flags (or their variables) exit 2 with one line naming the flag', async () => {
  const cases: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
    [['--client-qps=-1'], {}, /^stringsvc: --client-qps: "-1" is not a whole number ≥ 0$/],
    [['--client-qps=2.5'], {}, /^stringsvc: --client-qps: "2.5" /],
    [[], { STRINGSVC_CLIENT_QPS: 'lots' }, /^stringsvc: --client-qps: "lots" /],
    [['--client-qps=5', '--client-burst=x'], {}, /^stringsvc: --client-burst: "x" /],
    [['--client-burst=5'], {}, /^stringsvc: --client-burst needs --client-qps greater than 0$/],
    [['--client-key-header=X-Tenant'], {}, /^stringsvc: --client-key-header needs --client-qps/],
    [['--client-qps=5', '--client-key-header=x tenant'], {}, /^stringsvc: --client-key-header: "x tenant" is not a header name$/],
  ];
  for (const [args, env, message] of cases) {
    const r = await runBuilt('stringsvc', args, env);
    const what = `${args.join(' ')} ${JSON.stringify(env)}`;
    assert.equal(r.code, 2, what);
    const lines = r.stderr.trimEnd().split('\n');
    assert.match(lines[0]!, message, what);
    assert.deepEqual(lines.slice(1), ["Run 'stringsvc --help' for usage."], `${what}: one line and the usage hint`);
  }
  const help = await runBuilt('stringsvc', ['--help']);
  for (const flag of ['--client-qps', '--client-burst', '--client-key-header']) assert.ok(help.stdout.includes(`${flag}=`), flag);
});
