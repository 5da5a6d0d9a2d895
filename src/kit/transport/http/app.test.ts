import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Readiness } from '../../health.ts';
import { createApp, type Route } from './app.ts';
import type { AccessLogFormat } from './access-log.ts';
import { listen } from './listen.ts';
import { encodeJSON } from './server.ts';
import { onceWithin } from '../../../../test/support/wait.ts';

/**
 * started serves `routes` with a logger whose lines land in the returned array. `settled` is the
 * positive sign that every earlier request's access line is in: an access line is written when
 * its response closes, before the server takes the next request on the connection, so once a
 * later marker request has logged from its handler, the earlier lines are there (or never will be).
 */
async function started(routes: Route[], accessLog: AccessLogFormat) {
  const lines: Record<string, unknown>[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) });
  const mark: Route = { method: 'GET', path: '/mark', handler: (_req, res) => (logger.info({ mark: true }, 'mark'), encodeJSON(res, {})) };
  const app = createApp({ logger, registry: new Registry(), readiness: new Readiness(), routes: [...routes, mark], bodyLimitBytes: 1024, handlerTimeoutMs: 5000, accessLog });
  const server: Server = await listen(app, { host: '127.0.0.1', port: 0, headersTimeoutMs: 5000, requestTimeoutMs: 5000, keepAliveTimeoutMs: 1000 });
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const settled = async () => {
    await (await fetch(`${base}/mark`)).text();
    assert.ok(lines.some((l) => l['mark'] === true));
    return lines.filter((l) => l['url'] !== '/mark' && l['mark'] !== true && (l['req'] as { url?: string } | undefined)?.url !== '/mark');
  };
  return { base, lines, server, settled, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const echo: Route = {
  method: 'POST',
  path: '/echo',
  handler: (req, res) => encodeJSON(res, { body: String(req.body), id: res.locals.ctx?.requestId, url: req.url }),
};

test('exact routes and the express fallback give the same answer (query, trailing slash, HEAD)', async (t) => {
  const greet: Route = { method: 'GET', path: '/greet', handler: (_req, res) => encodeJSON(res, { hi: true }) };
  const srv = await started([echo, greet], 'off');
  t.after(srv.close);
  for (const path of ['/echo', '/echo?x=1', '/echo/', '/ECHO']) {
    const res = await fetch(srv.base + path, { method: 'POST', body: 'abc', headers: { 'x-request-id': 'r-1' } });
    assert.equal(res.status, 200, path);
    const got = (await res.json()) as { body: string; id: string };
    assert.deepEqual([got.body, got.id, res.headers.get('x-request-id')], ['abc', 'r-1', 'r-1'], path);
  }
  const head = await fetch(srv.base + '/greet', { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-type'), 'application/json; charset=utf-8');
});

test('a route that throws, rejects (with or without a reason) or calls next answers JSON 500, and the server goes on', async (t) => {
  const boom: Route[] = [
    { method: 'GET', path: '/throws', handler: () => { throw new Error('sync'); } },
    { method: 'GET', path: '/rejects', handler: async () => { throw new Error('async'); } },
    { method: 'GET', path: '/next', handler: (_req, _res, next) => next(new Error('next')) },
    // A route handler is the last in its chain: next() without an error is a bug, not a pass.
    { method: 'GET', path: '/next-empty', handler: (_req, _res, next) => next() },
    { method: 'GET', path: '/rejects-empty', handler: () => Promise.reject(undefined) },
  ];
  const srv = await started(boom, 'off');
  t.after(srv.close);
  for (const path of ['/throws', '/rejects', '/next', '/next-empty', '/rejects-empty']) {
    const res = await fetch(srv.base + path);
    assert.equal(res.status, 500, path);
    assert.deepEqual(await res.json(), { err: 'internal server error' });
  }
  assert.equal((await fetch(srv.base + '/healthz')).status, 200);
});

test('the lean access log writes one line per request with id, method, url, status and time', async (t) => {
  const srv = await started([echo], 'lean');
  t.after(srv.close);
  await (await fetch(srv.base + '/echo?q=1', { method: 'POST', body: 'x', headers: { 'x-request-id': 'lean-1' } })).text();
  await (await fetch(srv.base + '/missing')).text();
  const access = (await srv.settled()).filter((l) => typeof l['status'] === 'number');
  assert.equal(access.length, 2, JSON.stringify(srv.lines));
  const [ok, missing] = access;
  assert.equal(ok!['request_id'], 'lean-1');
  assert.deepEqual([ok!['method'], ok!['url'], ok!['status'], ok!['msg']], ['POST', '/echo?q=1', 200, 'request completed']);
  assert.equal(typeof ok!['responseTime'], 'number');
  assert.deepEqual([missing!['status'], missing!['level']], [404, 30]);
  assert.match(String(missing!['request_id']), /^[0-9a-f]{32}$/);
});

test('the errors access log (the default) writes the lean line only for answers of 400 and up', async (t) => {
  const srv = await started([echo], 'errors');
  t.after(srv.close);
  await (await fetch(srv.base + '/echo', { method: 'POST', body: 'x', headers: { 'x-request-id': 'ok-1' } })).text();
  await (await fetch(srv.base + '/healthz')).text();
  await (await fetch(srv.base + '/missing', { headers: { 'x-request-id': 'missing-1' } })).text();
  await (await fetch(srv.base + '/echo', { method: 'PUT', body: 'x' })).text();
  const access = (await srv.settled()).filter((l) => typeof l['status'] === 'number');
  assert.deepEqual(access.map((l) => [l['request_id'] === 'missing-1' ? 'missing-1' : 'generated', l['status'], l['url']]), [
    ['missing-1', 404, '/missing'],
    ['generated', 405, '/echo'],
  ]);
});

test('the full access log is pino-http with its req and res objects', async (t) => {
  const srv = await started([echo], 'full');
  t.after(srv.close);
  await (await fetch(srv.base + '/echo', { method: 'POST', body: 'x', headers: { 'x-request-id': 'full-1' } })).text();
  const line = (await srv.settled()).find((l) => l['msg'] === 'request completed');
  assert.ok(line, JSON.stringify(srv.lines));
  assert.equal(line['request_id'], 'full-1');
  assert.deepEqual((line['req'] as { method: string; url: string }).method, 'POST');
  assert.equal((line['res'] as { statusCode: number }).statusCode, 200);
});

test('access-log off writes no access line but still names the request', async (t) => {
  const srv = await started([echo], 'off');
  t.after(srv.close);
  const res = await fetch(srv.base + '/echo', { method: 'POST', body: 'x' });
  assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}$/);
  await res.text();
  assert.equal((await srv.settled()).filter((l) => 'status' in l).length, 0);
});

test('a body the client cuts off midway: the handler never runs, the request is logged as aborted, and the server goes on', async (t) => {
  let ran = 0;
  const counted: Route = { method: 'POST', path: '/echo', handler: (req, res, next) => (ran++, echo.handler(req, res, next)) };
  const srv = await started([counted], 'errors');
  t.after(srv.close);
  const { port } = new URL(srv.base);
  const socket = connect(Number(port), '127.0.0.1');
  await onceWithin(socket, 'connect', 10_000, 'a connection to the server');
  // Cut only once the server has the headers: the request must have begun to be cut off midway.
  const begun = onceWithin(srv.server, 'request', 10_000, "the server to take cut-1's headers");
  socket.write('POST /echo HTTP/1.1\r\nHost: x\r\nX-Request-Id: cut-1\r\nContent-Length: 100\r\n\r\n{"s":"only part');
  await begun;
  socket.destroy();
  const aborted = () => srv.lines.find((l) => l.request_id === 'cut-1');
  for (let i = 0; i < 500 && !aborted(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(aborted()?.msg, 'request aborted');
  assert.equal(aborted()?.status, undefined, 'no status: nothing was answered');
  assert.equal(ran, 0);
  // The same on a chunked body, then a whole request still gets its answer.
  const chunked = connect(Number(port), '127.0.0.1');
  await onceWithin(chunked, 'connect', 10_000, 'a second connection to the server');
  const chunkBegun = onceWithin(srv.server, 'request', 10_000, "the server to take cut-2's headers");
  chunked.write('POST /echo HTTP/1.1\r\nHost: x\r\nX-Request-Id: cut-2\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n');
  await chunkBegun;
  chunked.destroy();
  for (let i = 0; i < 500 && !srv.lines.some((l) => l.request_id === 'cut-2'); i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(srv.lines.find((l) => l.request_id === 'cut-2')?.msg, 'request aborted');
  assert.equal(ran, 0);
  const res = await fetch(srv.base + '/echo', { method: 'POST', body: 'whole' });
  assert.deepEqual(((await res.json()) as { body: string }).body, 'whole');
  assert.equal(ran, 1);
});

test('every kind of answer carries the request id: routes, operations, and every error', async (t) => {
  const srv = await started([echo, { method: 'GET', path: '/fails', handler: () => { throw new Error('x'); } }], 'off');
  t.after(srv.close);
  const cases: Array<[string, RequestInit, number]> = [
    ['/echo', { method: 'POST', body: 'ok' }, 200],
    ['/echo/', { method: 'POST', body: 'ok' }, 200],
    ['/echo', { method: 'POST', body: 'x'.repeat(2000) }, 413],
    ['/echo', { method: 'POST', body: 'x', headers: { 'content-encoding': 'gzip' } }, 415],
    ['/echo', { method: 'GET' }, 405],
    ['/missing', { method: 'GET' }, 404],
    ['/fails', { method: 'GET' }, 500],
    ['/healthz', { method: 'GET' }, 200],
    ['/healthz', { method: 'HEAD' }, 200],
    ['/readyz', { method: 'GET' }, 200],
    ['/metrics', { method: 'GET' }, 200],
  ];
  for (const [i, [path, init, status]] of cases.entries()) {
    const id = `kind-${i}`;
    const res = await fetch(srv.base + path, { ...init, headers: { ...(init.headers as Record<string, string>), 'x-request-id': id } });
    await res.arrayBuffer();
    assert.deepEqual([res.status, res.headers.get('x-request-id')], [status, id], `${init.method} ${path}`);
  }
});
