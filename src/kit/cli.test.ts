import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bool, bytes, durationMs, listenAddress, parseFlags, UsageError } from './cli.ts';

const isUsageError = (e: unknown): e is UsageError => e instanceof UsageError;

const specs = { listen: { default: ':8080', help: 'l' }, 'body-limit': { default: '1mb', help: 'b' } };
const program = { name: 't', summary: 's', envPrefix: 'T' };

test('flags beat environment variables, which beat defaults', () => {
  assert.deepEqual(parseFlags([], specs, program, {}), { listen: ':8080', 'body-limit': '1mb' });
  assert.deepEqual(parseFlags([], specs, program, { T_BODY_LIMIT: '2kb' }), { listen: ':8080', 'body-limit': '2kb' });
  assert.deepEqual(parseFlags(['--body-limit=3kb'], specs, program, { T_BODY_LIMIT: '2kb' })?.['body-limit'], '3kb');
  assert.equal(parseFlags(['-listen=:8001'], specs, program, {})?.listen, ':8001', 'Go-style flag');
});

test('unknown flags and stray arguments are usage errors', () => {
  assert.throws(() => parseFlags(['--nope=1'], specs, program, {}), (e) => isUsageError(e) && /--nope/.test(e.message));
  assert.throws(() => parseFlags(['extra'], specs, program, {}), isUsageError);
});

test('value parsers accept the documented forms and name the flag otherwise', () => {
  assert.equal(durationMs('d', '250ms'), 250);
  assert.equal(durationMs('d', '1.5s'), 1500);
  assert.equal(durationMs('d', '2m'), 120_000);
  assert.throws(() => durationMs('grace', '10'), /--grace: "10" is not a duration/);
  assert.equal(bytes('b', '1mb'), 1048576);
  assert.equal(bytes('b', '512'), 512);
  assert.throws(() => bytes('b', 'lots'), isUsageError);
  assert.equal(bool('x', 'false'), false);
  assert.throws(() => bool('x', 'maybe'), isUsageError);
  assert.deepEqual(listenAddress('l', ':8080'), { port: 8080 });
  assert.deepEqual(listenAddress('l', '127.0.0.1:0'), { host: '127.0.0.1', port: 0 });
  assert.deepEqual(listenAddress('l', '[::1]:9000'), { host: '::1', port: 9000 });
  assert.throws(() => listenAddress('l', 'host:99999'), isUsageError);
});
