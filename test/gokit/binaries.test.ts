import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { requireEnv, skipOrThrow } from '../controlplane/require.ts';
import { gokitCacheDir, gokitVersion } from './binaries.ts';

test('go-kit examples are cached per pinned version under XDG_CACHE_HOME', (t) => {
  const saved = process.env['XDG_CACHE_HOME'];
  t.after(() => {
    if (saved === undefined) delete process.env['XDG_CACHE_HOME'];
    else process.env['XDG_CACHE_HOME'] = saved;
  });
  process.env['XDG_CACHE_HOME'] = '/x';
  assert.match(gokitVersion, /^v0\.\d+\.\d+$/);
  assert.equal(gokitCacheDir(), join('/x', 'stringsvc', `gokit-${gokitVersion}`));
});

test('skipOrThrow skips loudly, or fails when CI requires the peers', (t) => {
  const saved = process.env[requireEnv];
  t.after(() => {
    if (saved === undefined) delete process.env[requireEnv];
    else process.env[requireEnv] = saved;
  });
  assert.equal(skipOrThrow('skip-banner unit test', undefined), false);
  delete process.env[requireEnv];
  const write = t.mock.method(process.stderr, 'write', () => true);
  assert.equal(skipOrThrow('skip-banner unit test', 'no Go'), 'SKIPPED: no Go');
  write.mock.restore();
  assert.match(String(write.mock.calls[0]?.arguments[0]), /SKIPPING SKIP-BANNER UNIT TEST TESTS/);
  process.env[requireEnv] = '1';
  assert.throws(() => skipOrThrow('skip-banner unit test', 'no Go'), /STRINGSVC_REQUIRE_CONTROL_PLANE=1 but no Go/);
});
