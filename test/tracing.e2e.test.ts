/**
 * Distributed tracing end to end: a traced frontend over three traced backends (from dist/),
 * exporting over OTLP to a real Jaeger (built from the Go module proxy, see test/tracing/jaeger.ts),
 * read back through Jaeger's query API. Parent ids are checked, not just span counts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { jaegerSkip, startJaeger, type Jaeger } from './tracing/jaeger.ts';
import { startBuilt } from './support/process.ts';
import { newTrace, send, startStack, type Stack } from './tracing/stack.ts';
import { getTrace, tracesOf, tree, waitForTrace, type Span } from './tracing/query.ts';
import { stopAll } from './support/frontend.ts';
import { setupTimeout } from './tools.ts';

/** one finds the single span matching `pred`, failing with the whole tree otherwise. */
function one(spans: Span[], what: string, pred: (s: Span) => boolean): Span {
  const found = spans.filter(pred);
  assert.equal(found.length, 1, `expected one ${what}, got ${found.length}:\n${tree(spans)}`);
  return found[0]!;
}

/**
 * bothTiers: the frontend's server span and a backend's have arrived. Each process exports its
 * spans in the order they ended, and the server span ends last, so the frontend's others are in too.
 */
const bothTiers = (spans: Span[]) => spans.some((s) => s.service === 'stringsvc-backend') && spans.some((s) => s.service === 'stringsvc-frontend' && s.tags['span.kind'] === 'server');

describe('tracing through Jaeger', { skip: jaegerSkip(), timeout: 240_000 }, () => {
  let jaeger: Jaeger | undefined;
  let stack: Stack | undefined;

  before(async () => {
    jaeger = await startJaeger();
    stack = await startStack(jaeger.otlp);
  }, { timeout: setupTimeout() });

  after(async () => {
    await stack?.stop();
    await jaeger?.stop();
  });

  test('one request is one trace: frontend server span → call → attempt → backend server span', async (tc) => {
    const t = newTrace();
    const res = await send(stack!.frontend, 'trace me', { traceparent: t.traceparent, 'x-request-id': 'trace-test-1' });
    assert.equal(res.status, 200, res.body);
    const spans = await waitForTrace(jaeger!.query, t.traceId, bothTiers);
    const server = one(spans, 'frontend server span', (s) => s.service === 'stringsvc-frontend' && s.tags['span.kind'] === 'server');
    assert.equal(server.parentId, t.parentId, 'the frontend continues the caller’s trace');
    assert.equal(server.name, 'POST /uppercase');
    assert.equal(server.tags['http.response.status_code'], 200);
    assert.equal(server.tags['request.id'], 'trace-test-1');
    const call = one(spans, 'call span', (s) => s.name === 'call /uppercase');
    assert.equal(call.parentId, server.spanId);
    const attempt = one(spans, 'attempt span', (s) => s.name.startsWith('attempt '));
    assert.equal(attempt.parentId, call.spanId);
    assert.equal(attempt.tags['attempt.number'], 1);
    assert.equal(attempt.tags['attempt.outcome'], 'success');
    assert.ok(stack!.backends.some((b) => b.addr === attempt.tags['server.address']), `attempt names a backend: ${String(attempt.tags['server.address'])}`);
    const backend = one(spans, 'backend server span', (s) => s.service === 'stringsvc-backend');
    assert.equal(backend.parentId, attempt.spanId, 'the backend’s span is the attempt’s child');
    assert.equal(backend.tags['request.id'], 'trace-test-1', 'X-Request-Id still travels as it did');
    assert.equal(spans.length, 4, tree(spans));
    tc.diagnostic(`trace ${t.traceId}\n${tree(spans)}`);
  });

  test('log lines of a traced request carry the trace id Jaeger shows, and their server span’s id', async (tc) => {
    const t = newTrace();
    const res = await send(stack!.frontend, 'log me', { traceparent: t.traceparent, 'x-request-id': 'trace-test-logs' });
    assert.equal(res.status, 200, res.body);
    const spans = await waitForTrace(jaeger!.query, t.traceId, bothTiers);
    const ofRequest = (l: Record<string, unknown>) => l['request_id'] === 'trace-test-logs' && l['method'] === 'uppercase';
    const feLine = await stack!.frontend.lastLine(ofRequest);
    assert.ok(feLine, 'the frontend logged the call');
    const beLines = await Promise.all(stack!.backends.map((b) => b.lastLine(ofRequest, undefined, 500)));
    const beLine = beLines.find((l) => l !== undefined);
    assert.ok(beLine, 'one backend logged the call');
    const byService = (svc: string) => one(spans, `${svc} server span`, (s) => s.service === svc && s.tags['span.kind'] === 'server');
    assert.equal(feLine['trace_id'], t.traceId);
    assert.equal(feLine['span_id'], byService('stringsvc-frontend').spanId);
    assert.equal(beLine['trace_id'], t.traceId);
    assert.equal(beLine['span_id'], byService('stringsvc-backend').spanId);
    tc.diagnostic(`${tree(spans)}\n${JSON.stringify(feLine)}\n${JSON.stringify(beLine)}`);
  });

  test('probes and scrapes make no span: Jaeger holds only the real request’s trace', async (tc) => {
    // A pair of its own, under service names nothing else uses, so Jaeger's every trace of them is this test's.
    const names = { frontend: 'probes-frontend', backend: 'probes-backend' };
    const quick = { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger!.otlp, OTEL_BSP_SCHEDULE_DELAY: '100' };
    const backend = await startBuilt('stringsvc', ['--listen=127.0.0.1:0'], { ...quick, OTEL_SERVICE_NAME: names.backend });
    const frontend = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', `--proxy=${backend.addr}`], { ...quick, OTEL_SERVICE_NAME: names.frontend }).catch(async (err: unknown) => {
      await backend.stop();
      throw err;
    });
    try {
      // Kubelet probes carry no trace context; a scraper or mesh might: try both.
      const probeTrace = newTrace();
      for (const proc of [frontend, backend]) {
        for (const path of ['/healthz', '/readyz', '/metrics']) {
          for (const headers of [{}, { traceparent: probeTrace.traceparent }]) {
            const res = await fetch(`${proc.url}${path}`, { headers });
            assert.equal(res.status, 200, `${path}: ${await res.text()}`);
          }
        }
      }
      // Each process exports its spans in the order they ended: once this request's are in, a
      // probe's span would be too.
      const t = newTrace();
      const res = await send(frontend, 'not a probe', { traceparent: t.traceparent });
      assert.equal(res.status, 200, res.body);
      const spans = await waitForTrace(jaeger!.query, t.traceId, (s) => s.some((x) => x.service === names.backend) && s.some((x) => x.service === names.frontend && x.tags['span.kind'] === 'server'));
      assert.deepEqual(spans.map((s) => s.name).sort(), ['POST /uppercase', 'POST /uppercase', `attempt ${backend.addr}`, 'call /uppercase'], tree(spans));
      assert.equal(await getTrace(jaeger!.query, probeTrace.traceId), undefined, 'no span joined the probes’ trace');
      for (const service of [names.frontend, names.backend]) {
        const traces = await tracesOf(jaeger!.query, service);
        assert.deepEqual([...traces.keys()], [t.traceId], `${service}: only the request’s trace, no root span per probe:\n${[...traces.values()].map(tree).join('\n')}`);
      }
      tc.diagnostic(tree(spans));
    } finally {
      await stopAll([frontend, backend]);
    }
  });

  test('a backend SIGKILLed: the retried request’s trace shows the failed attempt and the one that succeeded', async (tc) => {
    const dead = stack!.backends[0]!;
    await dead.stop('SIGKILL');
    // Round robin reaches the dead instance within three requests; its breaker opens only after five failures.
    let retried: { traceId: string; spans: Span[] } | undefined;
    for (let i = 0; i < 6 && !retried; i++) {
      const t = newTrace();
      const res = await send(stack!.frontend, `retry ${i}`, { traceparent: t.traceparent });
      assert.equal(res.status, 200, `the retry hides the dead backend: ${res.body}`);
      const spans = await waitForTrace(jaeger!.query, t.traceId, bothTiers);
      if (spans.filter((s) => s.name.startsWith('attempt ')).length > 1) retried = { traceId: t.traceId, spans };
    }
    assert.ok(retried, 'one of six requests hit the dead backend first');
    const { spans } = retried;
    const call = one(spans, 'call span', (s) => s.name === 'call /uppercase');
    const attempts = spans.filter((s) => s.parentId === call.spanId).sort((a, b) => Number(a.tags['attempt.number']) - Number(b.tags['attempt.number']));
    assert.equal(attempts.length, 2, tree(spans));
    const [failed, ok] = attempts as [Span, Span];
    assert.equal(failed.tags['server.address'], dead.addr);
    assert.equal(failed.tags['attempt.number'], 1);
    assert.equal(failed.tags['attempt.outcome'], 'unreachable');
    assert.equal(failed.tags['error'], true, 'the failed attempt is marked as an error');
    assert.ok(failed.events.some((e) => e['event'] === 'exception'), 'the failed attempt records its exception');
    assert.equal(ok.tags['attempt.number'], 2);
    assert.equal(ok.tags['attempt.outcome'], 'success');
    assert.notEqual(ok.tags['server.address'], dead.addr);
    const retry = call.events.find((e) => e['event'] === 'retry');
    assert.ok(retry, `the call span records the retry:\n${tree(spans)}`);
    assert.equal(retry['previous.instance'], dead.addr);
    const backend = one(spans, 'backend server span', (s) => s.service === 'stringsvc-backend');
    assert.equal(backend.parentId, ok.spanId, 'the backend that answered is the successful attempt’s child');
    tc.diagnostic(tree(spans));
  });

  test('countersvc: the add is a child span of its server span', async () => {
    const counter = await startBuilt('countersvc', ['--listen=127.0.0.1:0'], { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger!.otlp, OTEL_BSP_SCHEDULE_DELAY: '100' });
    try {
      const t = newTrace();
      const res = await fetch(`${counter.url}/add`, { method: 'POST', body: '{"v":2}', headers: { traceparent: t.traceparent } });
      assert.equal(res.status, 200, await res.text());
      const spans = await waitForTrace(jaeger!.query, t.traceId, (s) => s.length >= 2);
      const server = one(spans, 'countersvc server span', (s) => s.name === 'POST /add');
      assert.equal(server.service, 'countersvc');
      assert.equal(server.parentId, t.parentId);
      assert.equal(one(spans, 'add span', (s) => s.name === 'countersvc.add').parentId, server.spanId);
      const line = await counter.lastLine((l) => l['path'] === '/add');
      assert.equal(line?.['trace_id'], t.traceId, 'the counter’s log line joins the trace');
    } finally {
      await counter.stop();
    }
  });
});
