import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { eventually } from './support/metrics.ts';
import { rawExchange } from './support/raw-http.ts';
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

/**
 * probe asks for `request` on a fresh connection: the whole answer, or `refused` when nothing
 * listens any more; `reset` when a connection queued as the listener closed is dropped unanswered.
 */
async function probe(svc: Running, request: string): Promise<string> {
  const [host, port] = svc.addr.split(':');
  try {
    return (await rawExchange(host!, Number(port), request)) || 'reset';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED') return 'refused';
    if (code === 'ECONNRESET') return 'reset';
    throw err;
  }
}

const notReady = 'HTTP/1.1 503 ';
const readyz = 'GET /readyz HTTP/1.1\r\nHost: x\r\n\r\n';
const uppercase = 'POST /uppercase HTTP/1.1\r\nHost: x\r\nContent-Length: 13\r\n\r\n{"s":"delay"}';

test('--shutdown-delay: for the whole delay /readyz names why it is 503 and new connections are served; then the listener closes', async (t) => {
  const delayMs = 3000;
  const svc = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', `--shutdown-delay=${delayMs / 1000}s`, '--grace=10s']);
  t.after(() => stopAll([svc]));
  assert.ok((await probe(svc, readyz)).endsWith('\r\n\r\n{"status":"ready"}\n'));
  const exit = svc.stop('SIGTERM');
  const received = await svc.lastLine((l) => l.msg === 'signal received', undefined, 10_000);
  const signalledAt = received?.time;
  assert.equal(typeof signalledAt, 'number');
  // Fresh connections, one after the other, until one is refused: every one before it is served.
  const seen: Array<{ request: 'readyz' | 'uppercase'; answer: string; at: number }> = [];
  for (let i = 0; ; i++) {
    const request = i % 2 === 0 ? 'readyz' : 'uppercase';
    const answer = await probe(svc, request === 'readyz' ? readyz : uppercase);
    seen.push({ request, answer, at: Date.now() });
    if (answer === 'refused') break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const served = seen.filter((s) => s.answer !== 'refused' && s.answer !== 'reset');
  const firstUnserved = seen.findIndex((s) => s.answer === 'refused' || s.answer === 'reset');
  assert.ok(served.every((s) => seen.indexOf(s) < firstUnserved), 'nothing is served once a connection went unserved');
  for (const { request, answer } of served) {
    if (request === 'readyz') {
      assert.ok(answer.startsWith(notReady), answer);
      assert.ok(answer.endsWith('\r\n\r\n{"status":"not ready","reasons":["shutting down"]}\n'), answer);
    } else {
      assert.match(answer, /^HTTP\/1\.1 200 /);
      assert.ok(answer.endsWith('{"v":"DELAY"}\n'), answer);
    }
  }
  assert.ok(served.some((s) => s.request === 'readyz') && served.some((s) => s.request === 'uppercase'), 'served while unready');
  // Lower bounds only: a loaded machine can make the process late, never early.
  const draining = svc.lines().find((l) => l.msg === 'draining');
  assert.ok((draining?.time as number) - (signalledAt as number) >= delayMs, 'the drain began only after the delay');
  assert.ok(seen[firstUnserved]!.at - (signalledAt as number) >= delayMs, 'the listener closed only after the delay');
  assert.equal(await exit, 0);
});

test('draining: a new connection is refused while the in-flight request still finishes', async (t) => {
  const svc = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--grace=30s']);
  t.after(() => stopAll([svc]));
  const call = await inFlight(svc);
  const exit = svc.stop('SIGTERM', 60_000); // no SIGKILL before the grace: a dead process refuses too
  assert.ok(await svc.lastLine((l) => l.msg === 'draining', undefined, 10_000), 'the drain began');
  // During the notice new connections are still taken; the listener closes after it.
  await eventually('a refused connection', async () => (await probe(svc, readyz)) === 'refused');
  assert.equal(svc.proc.exitCode, null, 'refused by the draining process, not by a gone one');
  assert.equal(call.answer(), '', 'the in-flight request is still waiting for its body');
  call.finish();
  await call.closed;
  assert.match(call.answer(), /^HTTP\/1\.1 200 /);
  assert.ok(call.answer().endsWith('{"v":"IN FLIGHT"}\n'), call.answer());
  assert.equal(await exit, 0);
  assert.equal(svc.lines().find((l) => l.msg === 'stopped')?.outcome, 'drained');
});
