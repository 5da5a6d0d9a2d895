import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cancelled, CancelledError, DeadlineExceededError, expired, nopLogger, withDeadline, type Context } from '../../context.ts';
import { startLoopback } from '../../../../test/support/loopback.ts';
import { within } from '../../../../test/support/wait.ts';
import { httpClient } from './client.ts';
import { requestContext } from './request-context.ts';
import type { ServerReply, ServerRequest } from './handler.ts';

/** serveWith runs a real server that hands each request's Context, with a `timeoutMs` deadline, to `onRequest`. */
async function serveWith(timeoutMs: number, onRequest: (ctx: Context, res: ServerResponse) => void) {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    onRequest(requestContext(req as ServerRequest, res as ServerReply, 'r-1', nopLogger, timeoutMs), res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const send = (): ClientRequest => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/' });
    req.on('error', () => {}); // the tests hang up on purpose
    req.end('{}');
    return req;
  };
  const close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      server.closeAllConnections(); // hanging requests are the point of these tests
    });
  return { send, close };
}

const until = async (what: string, ok: () => boolean) => {
  for (const deadline = Date.now() + 10_000; !ok() && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
  assert.ok(ok(), what);
};

test('a client that goes away aborts the signal with a CancelledError', async (t) => {
  const reasons: unknown[] = [];
  let ctx: Context | undefined;
  const srv = await serveWith(10_000, (c) => {
    ctx = c;
    c.signal.addEventListener('abort', () => reasons.push(c.signal.reason));
  });
  t.after(srv.close);
  const req = srv.send();
  await until('the request arrived', () => ctx !== undefined);
  req.destroy();
  await until('the signal aborted', () => reasons.length === 1);
  const reason = reasons[0];
  assert.ok(reason instanceof CancelledError);
  assert.equal(reason.name, 'AbortError');
  assert.equal(cancelled(ctx!), true);
  assert.equal(expired(ctx!), false);
  assert.equal(ctx!.signal, ctx!.signal, 'one signal per request');
});

test('a signal first read after the client went away is aborted already', async (t) => {
  let ctx: Context | undefined;
  let gone: Promise<unknown> | undefined;
  const srv = await serveWith(10_000, (c, res) => ((ctx = c), (gone = new Promise((r) => res.once('close', r)))));
  t.after(srv.close);
  const req = srv.send();
  await until('the request arrived', () => ctx !== undefined);
  req.destroy();
  await within(gone!, 10_000, 'the server to see the client go'); // the server has seen the client go; only now is the signal read
  assert.equal(ctx!.signal.aborted, true);
  assert.ok(ctx!.signal.reason instanceof CancelledError);
});

test('the handler deadline aborts the signal with a DeadlineExceededError; an answered request never aborts', async (t) => {
  const reasons: Record<string, unknown> = {};
  const srv = await serveWith(50, (c, res) => {
    const kind = Object.keys(reasons).length === 0 ? 'unanswered' : 'answered';
    reasons[kind] = undefined;
    c.signal.addEventListener('abort', () => (reasons[kind] = c.signal.reason));
    if (kind === 'answered') res.end('ok');
  });
  t.after(srv.close);
  srv.send();
  await until('the deadline passed', () => reasons.unanswered !== undefined);
  assert.ok(reasons.unanswered instanceof DeadlineExceededError);
  assert.equal((reasons.unanswered as Error).name, 'TimeoutError');

  const answered = srv.send();
  await within(new Promise((r) => answered.on('response', (res) => res.resume().on('end', r))), 10_000, 'the answer to the second request');
  // A timer set after the 50 ms deadline's own, and longer, fires after it would have.
  await new Promise((r) => setTimeout(r, 120));
  assert.ok('answered' in reasons, 'the second request arrived');
  assert.equal(reasons.answered, undefined, 'neither the answer nor the passing deadline ended it');
});

test('a derived deadline shares the request signal: a client that goes away cancels it too', async (t) => {
  let derived: Context | undefined;
  const srv = await serveWith(10_000, (c) => (derived = withDeadline(c, 5_000)));
  t.after(srv.close);
  const req = srv.send();
  await until('the request arrived', () => derived !== undefined);
  const aborted = new Promise((r) => derived!.signal.addEventListener('abort', r));
  req.destroy();
  await within(aborted, 10_000, 'the derived signal to abort when the client went away');
  assert.equal(cancelled(derived!), true);
});

test('a client that goes away cancels the upstream call made on its behalf, and its connection', async (t) => {
  const upstream = await startLoopback(() => {}); // never answers
  const client = httpClient<{ s: string }, unknown>({ instance: upstream.instance, path: '/uppercase', decode: (b) => b, timeoutMs: 10_000 });
  let outcome: unknown;
  const srv = await serveWith(10_000, (c) => {
    client.endpoint(c, { s: 'x' }).then(
      () => (outcome = 'answered'),
      (err: unknown) => (outcome = err),
    );
  });
  t.after(async () => {
    await srv.close();
    await client.close();
    await upstream.close();
  });
  const req = srv.send();
  await until('the upstream call arrived', () => upstream.received.length === 1 && upstream.openConnections() === 1);
  req.destroy();
  await until('the upstream call ended', () => outcome !== undefined);
  assert.ok(outcome instanceof CancelledError, 'the caller\'s reason, not an upstream error');
  await until('the upstream connection was closed', () => upstream.openConnections() === 0);
});
