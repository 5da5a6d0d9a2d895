import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterFunc, nopLogger, withDeadline, type Context } from '../../context.ts';
import { startLoopback } from '../../../../test/support/loopback.ts';
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
  for (let i = 0; i < 300 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(ok(), what);
};

test('a client that goes away ends the context: afterFunc and the signal get the same AbortError', async (t) => {
  const reasons: unknown[] = [];
  let ctx: Context | undefined;
  const srv = await serveWith(10_000, (c) => {
    ctx = c;
    afterFunc(c, (r) => reasons.push(r));
  });
  t.after(srv.close);
  const req = srv.send();
  await until('the request arrived', () => ctx !== undefined);
  req.destroy();
  await until('afterFunc ran', () => reasons.length === 1);
  const reason = reasons[0] as DOMException;
  assert.equal(reason.name, 'AbortError');
  assert.equal(ctx!.signal.aborted, true, 'a signal built after the end is aborted already');
  assert.equal(ctx!.signal.reason, reason);
  let late: unknown;
  afterFunc(ctx!, (r) => (late = r));
  assert.equal(late, reason, 'a wait that begins after the end runs at once');
  assert.equal(reasons.length, 1, 'each wait runs once');
});

test('the handler deadline ends the context with a TimeoutError; an answered request never ends it', async (t) => {
  const reasons: Record<string, unknown> = {};
  const srv = await serveWith(50, (c, res) => {
    const kind = Object.keys(reasons).length === 0 ? 'unanswered' : 'answered';
    reasons[kind] = undefined;
    afterFunc(c, (r) => (reasons[kind] = r));
    if (kind === 'answered') res.end('ok');
  });
  t.after(srv.close);
  srv.send();
  await until('the deadline passed', () => reasons.unanswered !== undefined);
  assert.equal((reasons.unanswered as DOMException).name, 'TimeoutError');

  const answered = srv.send();
  await new Promise((r) => answered.on('response', (res) => res.resume().on('end', r)));
  await new Promise((r) => setTimeout(r, 120));
  assert.ok('answered' in reasons, 'the second request arrived');
  assert.equal(reasons.answered, undefined, 'neither the answer nor the passing deadline ended it');
});

test('stop takes one wait back; the others still run, through a derived deadline too', async (t) => {
  const ran: string[] = [];
  let ctx: Context | undefined;
  const srv = await serveWith(10_000, (c) => {
    ctx = c;
    const stop = afterFunc(c, () => ran.push('stopped'));
    afterFunc(withDeadline(c, 5_000), () => ran.push('derived'));
    afterFunc(c, () => ran.push('kept'));
    stop();
  });
  t.after(srv.close);
  const req = srv.send();
  await until('the request arrived', () => ctx !== undefined);
  req.destroy();
  await until('the waits ran', () => ran.length >= 2);
  assert.deepEqual(ran, ['derived', 'kept']);
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
  assert.equal((outcome as DOMException).name, 'AbortError', 'the caller\'s reason, not an upstream error');
  await until('the upstream connection was closed', () => upstream.openConnections() === 0);
});
