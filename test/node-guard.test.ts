// The runtime guard: every built entry point, started on a Node older than 24, exits 1 with one
// line naming the version it needs and how to get it (issue 20: the README's by-hand commands once
// crashed deep inside undici on a machine whose `node` is 20).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { nodeTooOld, REQUIRED_NODE_MAJOR } from '../src/cmd/require-node.ts';
import { skipOrThrow } from './controlplane/require.ts';
import { FETCHED_NODE_VERSION, fetchOldNode, findOldNode, majorOf, nodeVersion } from './support/old-node.ts';
import { repoRoot } from './support/process.ts';

test('nodeTooOld accepts the required major and newer, names the version otherwise', () => {
  assert.equal(nodeTooOld(`v${REQUIRED_NODE_MAJOR}.0.0`, 'stringsvc'), undefined);
  assert.equal(nodeTooOld('v26.1.0', 'stringsvc'), undefined);
  assert.equal(
    nodeTooOld('v20.20.2', 'stringsvc'),
    "stringsvc: needs Node.js 24 or newer, this is v20.20.2; after `npm ci`, `npx stringsvc …` runs it on the project's pinned Node 24, or install Node 24 LTS",
  );
  assert.match(nodeTooOld('v22.19.0', 'demo')!, /`npm start` runs it/);
});

// The old Node comes from this machine when it has one, else from the npm registry (cached): never a
// skip in CI, where STRINGSVC_REQUIRE_CONTROL_PLANE=1 makes a failure to get one a failure.
describe('on a Node older than 24', () => {
  let old: { bin: string; version: string } | undefined;
  let skipped: string | false = false;
  before(async () => {
    try {
      const bin = findOldNode() ?? (await fetchOldNode());
      old = { bin, version: nodeVersion(bin) ?? '' };
    } catch (err) {
      skipped = skipOrThrow('old-Node guard', `no Node older than ${REQUIRED_NODE_MAJOR} here, and npm could not fetch ${FETCHED_NODE_VERSION}: ${(err as Error).message}`);
    }
  });

  test('the Node these tests run is really that old', (t) => {
    if (!old) return t.skip(skipped || 'no old Node');
    assert.ok(majorOf(old.version) < REQUIRED_NODE_MAJOR, `${old.bin} --version: ${old.version}`);
  });

  for (const program of ['stringsvc', 'countersvc', 'demo']) {
    test(`dist/cmd/${program}.js exits 1 with one line`, (t) => {
      if (!old) return t.skip(skipped || 'no old Node');
      const r = spawnSync(old.bin, [join(repoRoot, `dist/cmd/${program}.js`), '-listen=127.0.0.1:0'], { encoding: 'utf8', timeout: 10_000 });
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stdout, '');
      const lines = r.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, r.stderr);
      // The version it names is the old binary's own: the guard ran there, not on Node 24.
      assert.ok(lines[0]!.startsWith(`${program}: needs Node.js 24 or newer, this is ${old.version};`), lines[0]);
    });
  }
});
