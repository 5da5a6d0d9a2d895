import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { toolsDir } from './binaries.ts';
import { goTools, prometheusRelease, toolPath, toolVersion, toxiproxy } from './go-tools.ts';

test('every Go tool has a wrapper module that pins a release, and a cache folder named by it', () => {
  for (const t of goTools) {
    assert.ok(existsSync(join(toolsDir, t.dir, 'go.sum')), `${t.dir} has no go.sum`);
    assert.match(toolVersion(t), /^v\d+\.\d+\.\d+$/, t.bin);
    if (process.env[t.override]) continue;
    assert.ok(toolPath(t).endsWith(join('stringsvc', `${t.dir}-${toolVersion(t)}`, t.bin)), toolPath(t));
  }
  assert.equal(new Set(goTools.map((t) => t.override)).size, goTools.length, 'one override variable per tool');
});

test('a TEST_ASSET_* variable points at a prebuilt binary instead of the cache', () => {
  const before = process.env[toxiproxy.override];
  process.env[toxiproxy.override] = '/opt/prebuilt/toxiproxy-server';
  try {
    assert.equal(toolPath(toxiproxy), '/opt/prebuilt/toxiproxy-server');
  } finally {
    if (before === undefined) delete process.env[toxiproxy.override];
    else process.env[toxiproxy.override] = before;
  }
});

test("Prometheus's Go module version maps to its release", () => {
  assert.equal(prometheusRelease('v0.42.0'), 'v2.42.0');
});
