// The runtime guard: every built entry point, started on a Node older than 24, exits 1 with one
// line naming the version it needs and how to get it (issue 20: the README's by-hand commands once
// crashed deep inside undici on a machine whose `node` is 20).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { nodeTooOld, REQUIRED_NODE_MAJOR } from '../src/cmd/require-node.ts';
import { repoRoot } from './support/process.ts';

/** oldNode finds a `node` older than the required major: `STRINGSVC_OLD_NODE`, else one on the PATH or in /usr/bin. */
function oldNode(): string | undefined {
  const candidates = [process.env['STRINGSVC_OLD_NODE'], ...(process.env['PATH'] ?? '').split(delimiter).map((d) => join(d, 'node')), '/usr/bin/node', '/usr/local/bin/node'];
  for (const bin of candidates) {
    if (!bin || !existsSync(bin)) continue;
    try {
      const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
      if (nodeTooOld(version, 'x')) return bin;
    } catch {
      // not runnable: try the next
    }
  }
  return undefined;
}

test('nodeTooOld accepts the required major and newer, names the version otherwise', () => {
  assert.equal(nodeTooOld(`v${REQUIRED_NODE_MAJOR}.0.0`, 'stringsvc'), undefined);
  assert.equal(nodeTooOld('v26.1.0', 'stringsvc'), undefined);
  assert.equal(
    nodeTooOld('v20.20.2', 'stringsvc'),
    "stringsvc: needs Node.js 24 or newer, this is v20.20.2; after `npm ci`, `npx stringsvc …` runs it on the project's pinned Node 24, or install Node 24 LTS",
  );
  assert.match(nodeTooOld('v22.19.0', 'demo')!, /`npm start` runs it/);
});

const old = oldNode();
for (const program of ['stringsvc', 'countersvc', 'demo']) {
  test(`dist/cmd/${program}.js on an old Node exits 1 with one line`, { skip: old ? false : 'no Node older than 24 on this machine (set STRINGSVC_OLD_NODE)' }, () => {
    const r = spawnSync(old!, [join(repoRoot, `dist/cmd/${program}.js`), '-listen=127.0.0.1:0'], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, '');
    const lines = r.stderr.split('\n').filter(Boolean);
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`^${program}: needs Node\\.js 24 or newer, this is v\\d+\\.`));
  });
}
