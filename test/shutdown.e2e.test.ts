import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { eventually } from './support/metrics.ts';
import { startBuilt, type Running } from './support/process.ts';
import { stopAll } from './support/frontend.ts';
import { onceWithin, within } from './support/wait.ts';

// The drain of src/kit/lifecycle.ts in a real process: Ctrl-C (SIGINT) does what Kubernetes'
// SIGTERM does, and the grace period is a promise to exit, not only to wait.

/** inFlight starts a request whose body is held back, so it is in flight until `finish`. */
async function inFlight(svc: Running) {
  const [host, port] = svc.addr.split(':');
  const sock: Socket = connect(Number(port), host);
  await onceWithin(sock, 'connect', 10_000, 'a connection to stringsvc');
  const body = '{"s":"in flight"}';
  let answer = '';
  sock.on('data', (d: Buffer) => (answer += d.toString()));
  const closed = once(sock, 'close');
  sock.write(`POST /uppercase HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`);
  return { answer: () => answer, closed, finish: () => sock.write(body.slice(5)) };
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal}: unready, the drain waits out the shutdown delay, the in-flight request finishes, exit 0`, async (t) => {
    const svc = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--shutdown-delay=1s', '--grace=10s']);
    t.after(() => stopAll([svc]));
    const call = await inFlight(svc);
    const exit = svc.stop(signal);
    const received = await svc.lastLine((l) => l.msg === 'signal received', undefined, 10_000);
    assert.equal(received?.signal, signal);
    // Readiness turns false at the signal, while new connections are still taken (delay, notice).
    await eventually('/readyz 503', async () => (await fetch(`${svc.url}/readyz`)).status === 503);
    assert.ok(await svc.lastLine((l) => l.msg === 'draining', undefined, 10_000), 'the drain began after the delay');
    call.finish();
    // Answered, then closed by the server: the connection does not outlive the drain.
    await within(call.closed, 30_000, 'the server to close the drained connection');
    assert.match(call.answer(), /^HTTP\/1\.1 200 /);
    assert.ok(call.answer().endsWith('{"v":"IN FLIGHT"}\n'), call.answer());
    assert.equal(await exit, 0);
    const stopped = svc.lines().find((l) => l.msg === 'stopped');
    assert.equal(stopped?.outcome, 'drained');
  });
}

test('--grace: a request still busy when it ends is cut, and the process exits 0 anyway', async (t) => {
  const svc = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--grace=1s', '--request-timeout=60s']);
  t.after(() => stopAll([svc]));
  const call = await inFlight(svc); // never finished
  const exit = svc.stop('SIGTERM', 30_000);
  await within(call.closed, 60_000, 'the server to cut the busy connection when the 1 s grace ended');
  assert.equal(call.answer(), '', 'cut without an answer');
  assert.equal(await exit, 0);
  const over = svc.lines().find((l) => l.msg === 'grace period over; closing remaining connections');
  assert.equal(over?.level, 40);
  assert.equal(over.grace_ms, 1000);
  assert.equal(svc.lines().find((l) => l.msg === 'stopped')?.outcome, 'timeout');
});
