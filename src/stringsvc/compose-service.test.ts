import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import pino from 'pino';
import { background } from '../kit/context.ts';
import { json, startLoopback } from '../../test/support/loopback.ts';
import { eventually } from '../../test/support/metrics.ts';
import { composeService } from './compose-service.ts';
import { proxyConfig, proxyFlags } from './proxy-flags.ts';

// What the frontend's drain relies on (cmd/stringsvc.ts calls close() once the server has
// drained): close() ends the keep-alive connections to every upstream while the process lives.

test('close() ends the upstream keep-alive connections', async (t) => {
  // The server would keep an idle connection for a minute: only the client can end it in time.
  const backends = [await startLoopback((_r, res) => json(res, { v: 'UP' }), '127.0.0.1', { keepAliveTimeoutMs: 60_000 }), await startLoopback((_r, res) => json(res, { v: 'UP' }), '127.0.0.1', { keepAliveTimeoutMs: 60_000 })];
  t.after(() => Promise.all(backends.map((b) => b.close())));
  const defaults = Object.fromEntries(Object.entries(proxyFlags).map(([k, v]) => [k, v.default])) as Record<keyof typeof proxyFlags, string>;
  const proxy = proxyConfig({ ...defaults, proxy: backends.map((b) => b.instance).join(','), 'attempt-timeout': '2s', 'max-time': '5s' });
  const built = composeService({ proxy, registry: new Registry(), logger: pino({ level: 'silent' }), requestLog: false, metricsPrefix: 'test_' });
  for (let i = 0; i < 4; i++) assert.equal(await built.svc.uppercase(background(), 'up'), 'UP');
  assert.deepEqual(backends.map((b) => b.openConnections()), [1, 1], 'one kept-alive connection to each');
  built.close();
  await eventually('every upstream connection closed', () => backends.every((b) => b.openConnections() === 0), 10_000);
});
