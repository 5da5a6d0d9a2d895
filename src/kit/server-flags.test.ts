import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverFlags, serverSettings } from './server-flags.ts';

const defaults = Object.fromEntries(Object.entries(serverFlags).map(([k, v]) => [k, v.default]));
const settings = (flags: Record<string, string>) => serverSettings({ ...defaults, listen: ':0', ...flags } as Parameters<typeof serverSettings>[0]);

test('a request timeout shorter than the headers timeout bounds the headers too', () => {
  // Node's createServer throws on headersTimeout > requestTimeout: lowering one flag must not crash.
  assert.deepEqual(pick(settings({ 'request-timeout': '5s' })), { headersTimeoutMs: 5000, requestTimeoutMs: 5000 });
  assert.deepEqual(pick(settings({ 'request-timeout': '5s', 'headers-timeout': '2s' })), { headersTimeoutMs: 2000, requestTimeoutMs: 5000 });
  assert.deepEqual(pick(settings({})), { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 });
  // 0s turns Node's request timeout off; it must not turn the headers timeout off with it.
  assert.deepEqual(pick(settings({ 'request-timeout': '0s' })), { headersTimeoutMs: 10_000, requestTimeoutMs: 0 });
});

function pick({ headersTimeoutMs, requestTimeoutMs }: ReturnType<typeof serverSettings>) {
  return { headersTimeoutMs, requestTimeoutMs };
}
