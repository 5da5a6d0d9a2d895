import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../kit/cli.ts';

const isUsageError = (e: unknown): e is UsageError => e instanceof UsageError;
import { instanceList, proxyConfig, proxyFlags } from './proxy-flags.ts';

const defaults = Object.fromEntries(Object.entries(proxyFlags).map(([k, v]) => [k, v.default])) as Parameters<typeof proxyConfig>[0];

test("defaults are the seed's: 3 attempts in 250ms, 100 qps, and no proxying", () => {
  assert.deepEqual(proxyConfig(defaults), {
    instances: [],
    resilience: {
      maxAttempts: 3,
      maxTimeMs: 250,
      attemptTimeoutMs: 100,
      qps: 100,
      burst: 100,
      breakerFailures: 5,
      breakerResetMs: 10_000,
      retryBudgetRatio: 0.2,
    },
  });
});

test('instance lists: the seed form, IPv6, blanks and duplicates', () => {
  assert.deepEqual(instanceList('proxy', 'localhost:8001,localhost:8002,localhost:8003'), ['localhost:8001', 'localhost:8002', 'localhost:8003']);
  assert.deepEqual(instanceList('proxy', ' [::1]:8001 , 10.0.0.7:80,,10.0.0.7:80'), ['[::1]:8001', '10.0.0.7:80']);
  assert.deepEqual(instanceList('proxy', ''), []);
});

test('bad values are usage errors naming the flag', () => {
  const bad: Array<[string, string]> = [
    ['proxy', 'localhost'],
    ['proxy', 'http://a:1'],
    ['proxy', 'a:0'],
    ['max-attempts', '0'],
    ['max-attempts', '1.5'],
    ['max-time', '250'],
    ['attempt-timeout', '0ms'],
    ['qps', '-1'],
    ['burst', '0'],
    ['retry-budget', 'lots'],
  ];
  for (const [flag, value] of bad) {
    assert.throws(() => proxyConfig({ ...defaults, [flag]: value }), (e) => isUsageError(e) && e.message.includes(`--${flag}`), `${flag}=${value}`);
  }
});
