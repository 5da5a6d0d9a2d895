/**
 * The collector down: tracing must never cost a request. With the OTLP endpoint hanging
 * (connections accepted, never answered, so each export waits out its timeout), requests answer
 * as before and as fast, and the loss of spans is one warning per outage, not one per batch or
 * span. No Jaeger here: a loopback listener that never answers is the dead collector.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { newTrace, send, startStack, type Stack } from './tracing/stack.ts';

describe('tracing: exporter endpoint down', { timeout: 120_000 }, () => {
  let stack: Stack | undefined;
  let hole: Server | undefined;
  const held: Socket[] = [];

  before(async () => {
    hole = createServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => hole!.listen(0, '127.0.0.1', resolve));
    const { port } = hole.address() as { port: number };
    // A short export timeout, so failed exports come back quickly; --log-level=debug shows each later failure.
    stack = await startStack(`http://127.0.0.1:${port}`, { OTEL_EXPORTER_OTLP_TIMEOUT: '500' }, ['--log-level=debug']);
  });

  after(async () => {
    await stack?.stop();
    for (const s of held) s.destroy();
    await new Promise((resolve) => (hole ? hole.close(resolve) : resolve(undefined)));
  });

  test('requests are unaffected, and spans are dropped with one warning', async () => {
    const fe = stack!.frontend;
    const failing = (l: Record<string, unknown>) => l['msg'] === 'trace export failing; dropping spans until the collector answers';
    const still = (l: Record<string, unknown>) => l['msg'] === 'trace export still failing';
    const times: number[] = [];
    // Keep traffic flowing until the outage was noticed and at least two more batches were dropped after it.
    const deadline = Date.now() + 60_000;
    for (let i = 0; Date.now() < deadline; i++) {
      const res = await send(fe, `down ${i}`, { traceparent: newTrace().traceparent });
      assert.equal(res.status, 200, res.body);
      assert.equal(res.body, `{"v":"DOWN ${i}"}\n`);
      times.push(res.ms);
      if (fe.lines().filter(still).length >= 2 && i >= 50) break;
    }
    assert.ok(fe.lines().filter(still).length >= 2, `several exports failed within the minute: ${fe.stderr()}`);
    assert.equal(fe.lines().filter(failing).length, 1, 'one warning for the outage, not one per batch');
    const warning = fe.lines().find(failing)!;
    assert.equal(warning['level'], 40);
    assert.match(String(warning['endpoint']), /^http:\/\/127\.0\.0\.1:\d+$/);
    // The export runs off the request path: requests that waited for it would take its 500 ms timeout.
    times.sort((a, b) => a - b);
    const at = (q: number) => times[Math.floor((times.length - 1) * q)]!;
    const summary = `${times.length} requests: median ${at(0.5).toFixed(1)} ms, p90 ${at(0.9).toFixed(1)} ms, slowest ${at(1).toFixed(1)} ms`;
    assert.ok(at(0.5) < 250 && at(0.9) < 450, `no request waited for the exporter: ${summary}`);
  });
});
