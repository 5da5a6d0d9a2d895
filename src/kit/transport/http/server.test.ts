import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { Readiness } from '../../health.ts';
import { createApp } from './app.ts';
import { listen } from './listen.ts';
import { jsonObjectBody, stringField } from './body.ts';
import { goJSON, serve } from './server.ts';
import { isHttpError } from './errors.ts';
import { rawExchange } from '../../../../test/support/raw-http.ts';

/** echoServer serves one endpoint that answers the decoded `s`, behind the shared app. */
async function echoServer(bodyLimitBytes: number): Promise<{ server: Server; port: number }> {
  const echo = serve(async (_ctx, req: { s: string }) => ({ v: req.s }), {
    decode: (r) => ({ s: stringField(jsonObjectBody(r), 's') }),
  });
  const app = createApp({
    logger: pino({ level: 'silent' }),
    registry: new Registry(),
    readiness: new Readiness(),
    routes: [{ method: 'POST', path: '/echo', handler: echo }],
    bodyLimitBytes,
    handlerTimeoutMs: 5000,
    accessLog: 'off',
  });
  const server = await listen(app, { host: '127.0.0.1', port: 0, headersTimeoutMs: 5000, requestTimeoutMs: 5000, keepAliveTimeoutMs: 1000 });
  return { server, port: (server.address() as { port: number }).port };
}

/** raw sends exact bytes and returns the whole answer (the connection is closed by the request). */
const raw = (port: number, bytes: string) => rawExchange('127.0.0.1', port, bytes);

test('goJSON escapes like Go: HTML-safe characters and a trailing newline', () => {
  assert.equal(goJSON({ v: 'a<b>&c\u2028\u2029' }), '{"v":"a\\u003cb\\u003e\\u0026c\\u2028\\u2029"}\n');
  assert.equal(goJSON({ v: 12 }), '{"v":12}\n');
});

test('stringField names the field, and turns lone surrogates into U+FFFD as Go does', () => {
  assert.equal(stringField({ s: 'a\ud800b' }, 's'), 'a\ufffdb');
  assert.throws(() => stringField({}, 's'), (e) => isHttpError(e) && e.status === 400 && /missing field "s"/.test(e.message));
  assert.throws(() => stringField({ s: 1 }, 's'), (e) => isHttpError(e) && /must be a string/.test(e.message));
});

test('the body reader accepts chunked bodies and refuses oversize ones, declared or streamed', async (t) => {
  const { server, port } = await echoServer(64);
  t.after(() => server.close());
  const chunked = await raw(port, 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\n{"s":\r\n6\r\n"hey"}\r\n0\r\n\r\n');
  assert.match(chunked, /^HTTP\/1\.1 200/);
  assert.ok(chunked.endsWith('{"v":"hey"}\n'), chunked);
  const big = JSON.stringify({ s: 'x'.repeat(100) });
  const declared = await raw(port, `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${big.length}\r\nConnection: close\r\n\r\n${big}`);
  assert.match(declared, /^HTTP\/1\.1 413[\s\S]*"err":"request body exceeds the 64-byte limit"/);
  const hex = big.length.toString(16);
  const streamed = await raw(port, `POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${hex}\r\n${big}\r\n0\r\n\r\n`);
  assert.match(streamed, /^HTTP\/1\.1 413/);
  const gzip = await raw(port, 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}');
  assert.match(gzip, /^HTTP\/1\.1 415[\s\S]*unsupported Content-Encoding/);
});

test('routing answers 404 and 405 with Allow, as JSON', async (t) => {
  const { server, port } = await echoServer(1024);
  t.after(() => server.close());
  const notFound = await raw(port, 'GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
  assert.match(notFound, /^HTTP\/1\.1 404[\s\S]*\{"err":"no route for GET \/nope"\}/);
  const wrongMethod = await raw(port, 'PUT /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  assert.match(wrongMethod, /^HTTP\/1\.1 405/);
  assert.match(wrongMethod, /\r\nallow: POST\r\n/i);
});
