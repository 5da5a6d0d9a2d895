import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../kit/cli.ts';

const isUsageError = (e: unknown): e is UsageError => e instanceof UsageError;
import { discoveryConfig, discoveryFlags } from './discovery-flags.ts';

const defaults = Object.fromEntries(Object.entries(discoveryFlags).map(([k, v]) => [k, v.default])) as { [K in keyof typeof discoveryFlags]: string };

test('mode defaults to static with --proxy and to none without', () => {
  assert.equal(discoveryConfig(defaults, ['a:1']).mode, 'static');
  assert.equal(discoveryConfig(defaults, []).mode, 'none');
});

test('kubernetes modes need --service, refuse --proxy, and parse the tuning flags', () => {
  const c = discoveryConfig({ ...defaults, discovery: 'endpointslices', service: 'backend', 'invalidate-after': '30s', 'watch-timeout': '90s' }, []);
  assert.deepEqual(c, { mode: 'endpointslices', service: 'backend', namespace: '', port: 'http', silentMs: 90_000, invalidateOnErrorMs: 30_000 });
  assert.equal(discoveryConfig({ ...defaults, discovery: 'endpoints', service: 'b', 'port-name': '8080' }, []).port, '8080');
  assert.equal(discoveryConfig({ ...defaults, discovery: 'endpoints', service: 'b' }, []).invalidateOnErrorMs, undefined);
});

test('mistakes are usage errors', () => {
  const bad = [
    [{ ...defaults, discovery: 'static' }, []],
    [{ ...defaults, discovery: 'dns' }, []],
    [{ ...defaults, discovery: 'endpointslices' }, []],
    [{ ...defaults, discovery: 'endpointslices', service: 'b' }, ['a:1']],
    [{ ...defaults, discovery: 'endpointslices', service: 'b', 'port-name': 'Not_A_Port' }, []],
    [{ ...defaults, discovery: 'endpointslices', service: 'b', 'watch-timeout': '0s' }, []],
  ] as const;
  for (const [flags, proxy] of bad) assert.throws(() => discoveryConfig(flags, proxy), isUsageError, JSON.stringify(flags));
});
