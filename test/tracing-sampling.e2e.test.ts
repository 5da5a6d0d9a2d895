/**
 * Sampling end to end (see tracing.e2e.test.ts for the setup): with parentbased_traceidratio at
 * 0, an unsampled caller — or none — exports nothing, while a sampled caller is honoured by
 * every tier. Absence is asserted only after a later sampled trace has arrived from both tiers:
 * each process exports in order, so by then anything queued before it would have arrived too.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { jaegerSkip, startJaeger, type Jaeger } from './tracing/jaeger.ts';
import { newTrace, send, startStack, type Stack } from './tracing/stack.ts';
import { getTrace, tree, waitForTrace } from './tracing/query.ts';
import { setupTimeout } from './tools.ts';

describe('tracing: parent-based sampling', { skip: jaegerSkip(), timeout: 180_000 }, () => {
  let jaeger: Jaeger | undefined;
  let stack: Stack | undefined;

  before(async () => {
    jaeger = await startJaeger();
    stack = await startStack(jaeger.otlp, { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' });
  }, { timeout: setupTimeout() });

  after(async () => {
    await stack?.stop();
    await jaeger?.stop();
  });

  test('ratio 0: an unsampled caller exports nothing, a sampled one is exported end to end', async () => {
    const unsampled = newTrace(false);
    const r1 = await send(stack!.frontend, 'not me', { traceparent: unsampled.traceparent, 'x-request-id': 'unsampled' });
    assert.equal(r1.status, 200, r1.body);
    // No caller at all: the root sampler (ratio 0) decides, and drops it.
    const r2 = await send(stack!.frontend, 'nor me', { 'x-request-id': 'no-caller' });
    assert.equal(r2.status, 200, r2.body);
    const lines = await stack!.frontend.lastLine((l) => l['request_id'] === 'no-caller' && l['method'] === 'uppercase');
    const rootTraceId = lines?.['trace_id'];
    assert.equal(typeof rootTraceId, 'string', 'even unsampled, the log line carries its trace id');

    const sampled = newTrace(true);
    const r3 = await send(stack!.frontend, 'but me', { traceparent: sampled.traceparent });
    assert.equal(r3.status, 200, r3.body);
    const spans = await waitForTrace(jaeger!.query, sampled.traceId, (s) => s.length >= 4);
    assert.deepEqual(new Set(spans.map((s) => s.service)), new Set(['stringsvc-frontend', 'stringsvc-backend']), tree(spans));
    assert.equal(spans.length, 4, tree(spans));

    assert.equal(await getTrace(jaeger!.query, unsampled.traceId), undefined, 'the unsampled caller’s trace was not exported');
    assert.equal(await getTrace(jaeger!.query, rootTraceId as string), undefined, 'the root at ratio 0 was not exported');
    const services = (await (await fetch(`${jaeger!.query}/api/traces?service=stringsvc-frontend&limit=100`)).json()) as { data: unknown[] };
    assert.equal(services.data.length, 1, 'the frontend exported exactly one trace');
  });
});
