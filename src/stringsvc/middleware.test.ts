import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { background, nopLogger, type Logger } from '../kit/context.ts';
import { newStringService } from './service.ts';
import { loggingMiddleware } from './logging.ts';
import { instrumentingMiddleware } from './instrumenting.ts';

function recordingLogger(): { logger: Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const logger: Logger = { ...nopLogger, info: (obj) => void records.push(obj as Record<string, unknown>), child: () => logger };
  return { logger, records };
}

test("logging middleware logs the seed's fields on the request's logger", async () => {
  const { logger, records } = recordingLogger();
  const svc = loggingMiddleware()(newStringService());
  const ctx = background(logger);
  await svc.uppercase(ctx, 'foo');
  await assert.rejects(svc.uppercase(ctx, ''));
  await svc.count(ctx, 'héllo');
  assert.equal(records.length, 3);
  assert.deepEqual({ ...records[0], took: undefined }, { method: 'uppercase', input: 'foo', output: 'FOO', err: null, took: undefined });
  assert.equal(records[1]!.err, 'empty string');
  assert.deepEqual({ ...records[2], took: undefined }, { method: 'count', input: 'héllo', n: 6, took: undefined });
  assert.match(String(records[0]!.took), /^[\d.]+(µs|ms|s)$/);
});

test('instrumenting middleware counts by method and error, in seconds', async () => {
  const registry = new Registry();
  const svc = instrumentingMiddleware({ registry, prefix: 't_' })(newStringService());
  const ctx = background();
  await svc.uppercase(ctx, 'a');
  await assert.rejects(svc.uppercase(ctx, ''));
  await svc.count(ctx, 'abcd');
  const text = await registry.metrics();
  assert.match(text, /^t_request_count\{method="uppercase",error="false"\} 1$/m);
  assert.match(text, /^t_request_count\{method="uppercase",error="true"\} 1$/m);
  assert.match(text, /^t_request_count\{method="count",error="false"\} 1$/m);
  assert.match(text, /^t_request_latency_seconds_count\{method="count",error="false"\} 1$/m);
  assert.match(text, /^t_count_result_sum 4$/m);
  const sum = Number(/^t_request_latency_seconds_sum\{method="uppercase",error="false"\} (\S+)$/m.exec(text)?.[1]);
  assert.ok(sum > 0 && sum < 1, `latency is recorded in seconds (${sum})`);
});
