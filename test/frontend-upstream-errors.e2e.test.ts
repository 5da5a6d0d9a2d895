import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { hang, json, startLoopback, type Loopback, type LoopbackHandler } from './support/loopback.ts';
import { eventually, metricValue, scrape } from './support/metrics.ts';
import { startBuilt, type Running } from './support/process.ts';
import { stopAll } from './support/frontend.ts';

// The frontend process against backends the test controls (real HTTP servers on loopback that hang,
// answer garbage or fail on cue): the statuses, headers, logs and metrics the docs promise.

const upper: LoopbackHandler = (req, res) => json(res, { v: (JSON.parse(req.body) as { s: string }).s.toUpperCase() });
const garbage: LoopbackHandler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('<html>not json</html>');
const failing: LoopbackHandler = (_req, res) => json(res, { error: 'boom' }, 500);

async function backends(t: TestContext, ...handlers: LoopbackHandler[]): Promise<Loopback[]> {
  const started = await Promise.all(handlers.map((h) => startLoopback(h)));
  t.after(() => Promise.all(started.map((b) => b.close())));
  return started;
}

async function frontend(t: TestContext, upstreams: Loopback[], flags: string[]): Promise<Running> {
  const fe = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', `--proxy=${upstreams.map((b) => b.instance).join(',')}`, ...flags]);
  t.after(() => stopAll([fe]));
  return fe;
}

async function call(fe: Running, s: string, id: string) {
  const res = await fetch(`${fe.url}/uppercase`, { method: 'POST', body: JSON.stringify({ s }), headers: { 'x-request-id': id }, signal: AbortSignal.timeout(15_000) });
  return { status: res.status, text: await res.text(), id: res.headers.get('x-request-id') };
}

test('every attempt times out → 504 upstream deadline exceeded, each attempt logged at warn with the request id', async (t) => {
  const hung = await backends(t, hang, hang);
  // The overall deadline is far away: only the per-attempt timeouts can end this call.
  const fe = await frontend(t, hung, ['--attempt-timeout=300ms', '--max-time=60s', '--max-attempts=2']);
  const r = await call(fe, 'late', 'dl-1');
  assert.deepEqual([r.status, r.text], [504, '{"v":"","err":"upstream deadline exceeded"}\n']);
  assert.deepEqual(hung.map((b) => b.received.map((q) => q.headers['x-request-id'])), [['dl-1'], ['dl-1']], 'one attempt each, the id forwarded');
  const text = await scrape(fe.url);
  for (const b of hung) assert.equal(metricValue(text, 'stringsvc_upstream_requests_total', { instance: b.instance, outcome: 'timeout' }), 1);
  const retried = await fe.lastLine((l) => l.msg === 'upstream attempt failed; retrying' && l.request_id === 'dl-1');
  assert.equal(retried?.level, 40);
  assert.equal(retried.attempt, 1);
  const failed = await fe.lastLine((l) => l.msg === 'upstream failure' && l.request_id === 'dl-1');
  assert.deepEqual([failed?.level, failed?.status], [40, 504]);
});

for (const [name, handler] of [['garbage (200, not JSON)', garbage], ['a non-2xx status', failing]] as const) {
  test(`a backend answering ${name} → 502 bad upstream response`, async (t) => {
    const [bad] = await backends(t, handler);
    const fe = await frontend(t, [bad!], ['--max-attempts=1', '--max-time=10s', '--attempt-timeout=5s']);
    const r = await call(fe, 'x', 'bad-1');
    assert.deepEqual([r.status, r.text], [502, '{"v":"","err":"bad upstream response"}\n']);
    assert.equal(bad!.received.length, 1);
    const text = await scrape(fe.url);
    assert.equal(metricValue(text, 'stringsvc_upstream_requests_total', { instance: bad!.instance, outcome: 'bad_response' }), 1);
  });
}

test('X-Request-Id reaches the backend, given or generated; a retried failure is logged at warn with it', async (t) => {
  const [bad, good] = await backends(t, garbage, upper);
  const fe = await frontend(t, [bad!, good!], ['--max-attempts=2', '--max-time=10s', '--attempt-timeout=5s']);
  // Round robin: of two calls, at least one goes to the bad backend first and is retried on the good one.
  for (const id of ['fwd-1', 'fwd-2']) assert.deepEqual(await call(fe, id, id), { status: 200, text: `{"v":"${id.toUpperCase()}"}\n`, id });
  assert.deepEqual(good!.received.map((q) => q.headers['x-request-id']).sort(), ['fwd-1', 'fwd-2']);
  const retried = bad!.received.map((q) => q.headers['x-request-id']);
  assert.ok(retried.length >= 1 && retried.every((id) => id === 'fwd-1' || id === 'fwd-2'), `forwarded ids ${retried.join(', ')}`);
  // The first failure of an instance and reason is logged at once, with its request id.
  const line = await fe.lastLine((l) => l.msg === 'upstream attempt failed; retrying' && l.request_id === retried[0]);
  assert.equal(line?.level, 40, `the failed attempt of ${retried[0]} at warn`);
  assert.equal(line.instance, bad!.instance);
  assert.match(String(line.error), /not JSON/);
  // Without an incoming id the frontend makes one, answers with it and forwards that same id.
  const res = await fetch(`${fe.url}/uppercase`, { method: 'POST', body: '{"s":"anon"}' });
  await res.text();
  const made = res.headers.get('x-request-id');
  assert.match(made ?? '', /^[0-9a-f]{32}$/);
  assert.ok([...bad!.received, ...good!.received].some((q) => q.headers['x-request-id'] === made), `${made} forwarded`);
  // Its repeats within the window are one summary line, written at the latest on shutdown.
  const repeats = bad!.received.length - 1;
  await stopAll([fe]);
  const summary = fe.lines().find((l) => l.msg === 'upstream attempt failed; retrying (repeated)');
  if (repeats === 0) assert.equal(summary, undefined, 'nothing repeated, no summary');
  else {
    assert.equal(summary?.level, 40);
    assert.deepEqual([summary.instance, summary.repeated, summary.example_request_id], [bad!.instance, repeats, bad!.received.at(-1)?.headers['x-request-id']]);
  }
});

test('an overload over the buckets answers 429 and logs a bounded number of lines, not one or more per refused request', async (t) => {
  const backs = await backends(t, upper, upper, upper);
  // One token a minute per instance: after the first three calls every attempt is refused.
  const fe = await frontend(t, backs, ['--qps=0.0167', '--burst=1', '--max-time=10s', '--attempt-timeout=5s']);
  const began = Date.now();
  const statuses: number[] = [];
  for (let i = 0; i < 300; i++) statuses.push((await call(fe, 'x', `over-${i}`)).status);
  assert.deepEqual(statuses.slice(0, 3), [200, 200, 200], 'a token each');
  assert.deepEqual([...new Set(statuses.slice(3))], [429], 'then every request refused, by 429 alone');
  // The refusal says when to come back: the soonest bucket's next token, under a minute away.
  const refused = await fetch(`${fe.url}/uppercase`, { method: 'POST', body: '{"s":"x"}', headers: { 'x-request-id': 'over-300' } });
  assert.equal(refused.status, 429);
  await refused.text();
  const retryAfter = refused.headers.get('retry-after');
  assert.match(retryAfter ?? '', /^\d+$/);
  assert.ok(Number(retryAfter) >= 1 && Number(retryAfter) <= 60, `Retry-After: ${retryAfter}`);
  const retries = metricValue(await scrape(fe.url), 'stringsvc_upstream_retries_total', {});
  await stopAll([fe]);
  // Summaries come per 10 s window (and one on shutdown): a slow run has more windows, never more per window.
  const windows = 2 + Math.floor((Date.now() - began) / 10_000);
  const warns = fe.lines().filter((l) => l.level === 40);
  const count = (msg: string) => {
    const first = warns.filter((l) => l.msg === msg);
    const summed = warns.filter((l) => l.msg === `${msg} (repeated)`);
    return { lines: first.length + summed.length, events: first.length + summed.reduce((n, l) => n + Number(l.repeated), 0), all: [...first, ...summed] };
  };
  const failed = count('upstream failure');
  assert.equal(failed.events, 298, 'every refused request accounted for, in a line or a count');
  assert.ok(failed.all.every((l) => l.status === 429));
  assert.ok(failed.lines <= 2 * windows, `${failed.lines} lines for 298 failures in ${windows} windows`);
  // The attempts a retry absorbed: three instances, so at most three kinds.
  const retried = count('upstream attempt failed; retrying');
  assert.equal(retried.events, retries, 'every retry accounted for');
  assert.ok(retried.lines <= 2 * 3 * windows, `${retried.lines} lines for ${retries} retries`);
  assert.equal(warns.length, failed.lines + retried.lines, 'no other warning');
});

test('the breaker opens, half-opens on its own (state 1), fails its trial, half-opens again and closes on success', async (t) => {
  let answer: (res: ServerResponse) => void = (res) => json(res, { error: 'down' }, 500);
  const [flaky] = await backends(t, (_req, res) => answer(res));
  const fe = await frontend(t, [flaky!], ['--max-attempts=1', '--breaker-failures=2', '--breaker-reset=3s', '--max-time=10s', '--attempt-timeout=5s']);
  const at = { instance: flaky!.instance };
  const metric = async (name: string, labels: Record<string, string> = {}) => metricValue(await scrape(fe.url), name, { ...at, ...labels }, { absentAs: 0 });
  const state = () => metric('stringsvc_upstream_breaker_state');
  const moves = (from: string, to: string) => metric('stringsvc_upstream_breaker_transitions_total', { from, to });

  for (let i = 0; i < 2; i++) assert.equal((await call(fe, 'x', `b-${i}`)).status, 502);
  assert.equal(await state(), 2, 'open after two failures');
  assert.equal(await moves('closed', 'open'), 1);
  assert.equal((await call(fe, 'x', 'b-open')).status, 503, 'refused while open');
  assert.equal(flaky!.received.length, 2, 'an open breaker sends nothing');

  // Half-open comes from the reset timer alone, with no traffic: the gauge reads 1.
  await eventually('half-open', async () => (await state()) === 1, 15_000);
  assert.equal(await moves('open', 'halfOpen'), 1);
  assert.equal((await call(fe, 'x', 'b-trial-1')).status, 502, 'the trial call reaches the backend and fails');
  assert.equal(await state(), 2);
  assert.equal(await moves('halfOpen', 'open'), 1);

  await eventually('half-open again', async () => (await state()) === 1, 15_000);
  assert.equal(await moves('open', 'halfOpen'), 2);
  answer = (res) => json(res, { v: 'BACK' });
  assert.deepEqual((await call(fe, 'back', 'b-trial-2')).status, 200);
  assert.equal(await state(), 0, 'closed after a good trial');
  assert.equal(await moves('halfOpen', 'closed'), 1);
  assert.equal(flaky!.received.length, 4, 'two failures and two trials, nothing while open');
});
