// `npm run bench` looks up every external tool its sections need before it builds anything, and
// says in one line which Debian packages to install (issue 20: it once built, then died with
// `taskset: failed to execute wrk`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missingMessage, missingTools, sectionNeeds } from '../bench/lib/tools.ts';
import { repoRoot } from './support/process.ts';

test('missingTools names each missing tool once, with the sections that need it', () => {
  const have = (c: string) => c === 'taskset' || c === 'go';
  const missing = missingTools(['backend', 'frontend'], have);
  assert.deepEqual(missing.map((m) => [m.command, m.sections]), [['wrk', ['backend', 'frontend']], ['haproxy', ['frontend']], ['nginx', ['frontend']]]);
  assert.equal(
    missingMessage(missing),
    'npm run bench: not found on the PATH: wrk (for backend, frontend), haproxy (for frontend), nginx (for frontend); install the Debian packages: sudo apt-get install wrk haproxy nginx (npm run bench -- --list says what each section needs)',
  );
  assert.deepEqual(missingTools(['backend', 'frontend'], () => true), []);
});

test('every section of the bench says what it needs', () => {
  for (const name of ['backend', 'gokit', 'frontend', 'discovery', 'tracing', 'soak', 'cluster']) assert.ok(sectionNeeds[name], name);
});

/** bench runs `node bench/run.ts` with a PATH holding only the pinned node. */
function bench(args: string[]): ReturnType<typeof spawnSync> & { stdout: string; stderr: string } {
  const bin = mkdtempSync(join(tmpdir(), 'bench-path-'));
  try {
    symlinkSync(process.execPath, join(bin, 'node'));
    return spawnSync(join(bin, 'node'), [join(repoRoot, 'bench/run.ts'), ...args], {
      cwd: repoRoot,
      encoding: 'utf8',
      env: { ...process.env, PATH: bin },
      timeout: 60_000,
    }) as ReturnType<typeof spawnSync> & { stdout: string; stderr: string };
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}

test('without its tools, npm run bench exits 2 with one line naming the Debian packages, before building', () => {
  const r = bench(['backend', 'frontend']);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stdout, '', 'nothing built, nothing run');
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^npm run bench: not found on the PATH: taskset \(for backend, frontend\), wrk \(for backend, frontend\), haproxy \(for frontend\), nginx \(for frontend\); install the Debian packages: sudo apt-get install util-linux wrk haproxy nginx /);
});

test('npm run bench -- --list says what each section needs and what is missing', () => {
  const r = bench(['--list']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.deepEqual(lines.map((l) => l.split(/[ :]/)[0]), ['backend', 'gokit', 'frontend', 'discovery', 'balancer', 'tracing', 'soak', 'cluster']);
  assert.match(r.stdout, /^frontend: taskset \(util-linux\) MISSING, wrk \(wrk\) MISSING, haproxy \(haproxy\) MISSING, nginx \(nginx\) MISSING$/m);
});
