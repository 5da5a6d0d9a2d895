import assert from 'node:assert/strict';
import { test } from 'node:test';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { BrokenCircuitError, circuitBreaker, type Breaker } from '../circuitbreaker/breaker.ts';
import { background, type Context } from '../context.ts';
import type { Endpoint } from '../endpoint.ts';
import { erroringLimiter, tokenBucket } from '../ratelimit/limiter.ts';
import { clientSpans } from './client.ts';

function setup() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const spans = clientSpans(provider.getTracer('test'), new W3CTraceContextPropagator());
  const byName = (name: string): ReadableSpan => {
    const found = exporter.getFinishedSpans().filter((s) => s.name === name);
    assert.equal(found.length, 1, `one span ${name}: ${exporter.getFinishedSpans().map((s) => s.name).join(', ')}`);
    return found[0]!;
  };
  return { spans, byName };
}

const seen: Context[] = [];
const ok: Endpoint<string, string> = async (ctx, s) => {
  seen.push(ctx);
  return s.toUpperCase();
};

test('a refused attempt then a retry: the bucket’s refusal on the first attempt, the retry on the call, parents and numbers right', async () => {
  const { spans, byName } = setup();
  const bucket = tokenBucket({ rate: 0.001, burst: 1 });
  bucket.allow(); // the bucket is empty from here on
  const refused = spans.attempt<string, string>('10.0.0.1:8080')(erroringLimiter<string, string>(bucket)(ok));
  const fine = spans.attempt<string, string>('10.0.0.2:8080')(ok);
  // The retry layer's shape: another instance after a failure.
  const call = spans.call<string, string>('/uppercase')(async (ctx, s) => {
    try {
      return await refused(ctx, s);
    } catch {
      return fine(ctx, s);
    }
  });
  seen.length = 0;
  assert.equal(await call(background(), 'hi'), 'HI');

  const c = byName('call /uppercase');
  const a1 = byName('attempt 10.0.0.1:8080');
  const a2 = byName('attempt 10.0.0.2:8080');
  assert.equal(a1.parentSpanContext?.spanId, c.spanContext().spanId);
  assert.equal(a2.parentSpanContext?.spanId, c.spanContext().spanId);
  assert.deepEqual([a1.attributes['attempt.number'], a1.attributes['attempt.outcome']], [1, 'rate_limited']);
  assert.deepEqual(a1.events.map((e) => e.name), ['token bucket refused', 'exception']);
  assert.deepEqual([a2.attributes['attempt.number'], a2.attributes['attempt.outcome']], [2, 'success']);
  const retry = c.events.find((e) => e.name === 'retry');
  assert.deepEqual(retry?.attributes, { attempt: 2, 'previous.instance': '10.0.0.1:8080', 'previous.outcome': 'rate_limited', 'previous.error': 'rate limit exceeded' });
  assert.equal(c.attributes['call.attempts'], 2);
  // What goes upstream is the attempt's own span, sampled.
  assert.equal(seen[0]!.traceparent, `00-${a2.spanContext().traceId}-${a2.spanContext().spanId}-01`);
});

test('an open breaker is an event and the outcome of the attempt; the failed call is an error span', async () => {
  const { spans, byName } = setup();
  const open: Breaker = {
    state: 'open',
    execute: () => Promise.reject(new BrokenCircuitError()),
    dispose() {},
  };
  const call = spans.call<string, string>('/uppercase')(spans.attempt<string, string>('10.0.0.3:8080')(circuitBreaker<string, string>(open)(ok)));
  await assert.rejects(call(background(), 'hi'), BrokenCircuitError);
  const a = byName('attempt 10.0.0.3:8080');
  assert.equal(a.attributes['attempt.outcome'], 'breaker_open');
  assert.ok(a.events.some((e) => e.name === 'breaker open'));
  assert.equal(byName('call /uppercase').status.code, 2, 'the call span is marked as an error');
});

test('a caller’s sampled trace is continued: the call span is its child', async () => {
  const { spans, byName } = setup();
  // A server span of another tracer stands for the request's span.
  const provider = new BasicTracerProvider();
  const server = provider.getTracer('t').startSpan('POST /uppercase');
  const ctx: Context = { ...background(), span: server };
  await spans.call<string, string>('/uppercase')(spans.attempt<string, string>('10.0.0.4:8080')(ok))(ctx, 'x');
  const c = byName('call /uppercase');
  assert.equal(c.spanContext().traceId, server.spanContext().traceId);
  assert.equal(c.parentSpanContext?.spanId, server.spanContext().spanId);
});
