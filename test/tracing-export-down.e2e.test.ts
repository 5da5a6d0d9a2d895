/**
 * The collector down: tracing must never cost a request. With the OTLP endpoint hanging
 * (connections accepted, never answered), requests are answered while every process's export
 * hangs, and the loss of spans is one warning per outage, not one per batch or span. No Jaeger
 * here: a loopback listener that never answers is the dead collector.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { eventually } from './support/metrics.ts';
import { newTrace, send, startStack, type Stack } from './tracing/stack.ts';

describe('tracing: an export that never ends', { timeout: 120_000 }, () => {
  let stack: Stack | undefined;
  let hole: Server | undefined;
  /** Every connection to the collector: whether an export request arrived on it, and whether the exporter gave up on it. */
  const conns: Array<{ socket: Socket; posted: boolean; closed: boolean }> = [];

  before(async () => {
    hole = createServer((socket) => {
      const c = { socket, posted: false, closed: false };
      conns.push(c);
      socket.on('data', (b: Buffer) => void (c.posted ||= b.toString('latin1').startsWith('POST /v1/traces')));
      socket.on('close', () => void (c.closed = true));
    });
    await new Promise<void>((resolve) => hole!.listen(0, '127.0.0.1', resolve));
    const { port } = hole.address() as { port: number };
    // Neither the exporter's nor the batch processor's timeout ends an export within the test, and
    // the processor exports one batch at a time: once a process's first export is here, it has no
    // other way out for its spans. A queue of 8 is full after three proxied requests (three spans each).
    const hang = { OTEL_EXPORTER_OTLP_TIMEOUT: '600000', OTEL_BSP_EXPORT_TIMEOUT: '600000', OTEL_BSP_MAX_QUEUE_SIZE: '8', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '8' };
    stack = await startStack(`http://127.0.0.1:${port}`, hang);
  });

  after(async () => {
    await stack?.stop();
    for (const c of conns) c.socket.destroy();
    await new Promise((resolve) => (hole ? hole.close(resolve) : resolve(undefined)));
  });

  test('requests are answered while every process waits on its export, and past a full queue', async () => {
    const fe = stack!.frontend;
    // Round robin: three requests reach each backend once, so all four processes have spans to export.
    for (let i = 0; i < 3; i++) assert.equal((await send(fe, `warm ${i}`, { traceparent: newTrace().traceparent })).status, 200);
    const pending = () => conns.filter((c) => c.posted && !c.closed);
    await eventually('each of the four processes to have an export hanging at the collector', () => pending().length === 4, 30_000);
    for (let i = 0; i < 30; i++) {
      const res = await send(fe, `held ${i}`, { traceparent: newTrace().traceparent });
      assert.deepEqual([res.status, res.body], [200, `{"v":"HELD ${i}"}\n`]);
    }
    // The verdict is an order, not a time: all thirty were answered while those exports still hung.
    assert.equal(pending().length, 4, 'the exports were still pending when the last request was answered');
    assert.equal(conns.filter((c) => c.posted).length, 4, 'no process got a second export out past the hanging one');
  });
});

describe('tracing: exporter endpoint down, each export timing out', { timeout: 120_000 }, () => {
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
    // Keep traffic flowing until the outage was noticed and at least two more batches were dropped after it.
    const deadline = Date.now() + 60_000;
    for (let i = 0; Date.now() < deadline; i++) {
      const res = await send(fe, `down ${i}`, { traceparent: newTrace().traceparent });
      assert.equal(res.status, 200, res.body);
      assert.equal(res.body, `{"v":"DOWN ${i}"}\n`);
      if (fe.lines().filter(still).length >= 2 && i >= 50) break;
    }
    assert.ok(fe.lines().filter(still).length >= 2, `several exports failed within the minute: ${fe.stderr()}`);
    assert.equal(fe.lines().filter(failing).length, 1, 'one warning for the outage, not one per batch');
    const warning = fe.lines().find(failing)!;
    assert.equal(warning['level'], 40);
    assert.match(String(warning['endpoint']), /^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
