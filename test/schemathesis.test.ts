// Contract fuzzing with schemathesis (PyPI, pinned in .ci/schemathesis-requirements.txt, installed by
// .ci/run): each service's own /openapi.json drives a seeded, bounded run with every check on, and the
// run must find nothing. Missing schemathesis skips loudly, or fails under STRINGSVC_REQUIRE_CONTROL_PLANE=1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { skipOrThrow } from './controlplane/require.ts';
import { startBuilt, type Running } from './support/process.ts';
import { findSchemathesis, schemathesisVersion } from './support/schemathesis.ts';
import { onceWithin } from './support/wait.ts';

const SEED = 20;
const MAX_EXAMPLES = 50;

const found = findSchemathesis();

/** Runs `schemathesis run <url>/openapi.json` in a scratch directory (its caches stay out of the repo). */
async function schemathesis(bin: string, url: string): Promise<{ code: number | null; out: string }> {
  const cwd = await mkdtemp(join(tmpdir(), 'stringsvc-schemathesis-'));
  try {
    const args = [
      'run', `${url}/openapi.json`,
      '--checks', 'all',
      '--seed', String(SEED),
      '--max-examples', String(MAX_EXAMPLES),
      '--workers', '1',
      '--request-timeout', '10',
      '--generation-database', 'none',
      '--no-color',
    ];
    const proc = spawn(bin, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', COLUMNS: '120', NO_PROXY: '127.0.0.1,localhost', no_proxy: '127.0.0.1,localhost' },
    });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    // Under the test's own 180 s, so a stuck run ends with its output so far.
    const [code] = (await onceWithin(proc, 'close', 150_000, `schemathesis on ${url} to finish`).catch((err: unknown) => {
      proc.kill('SIGKILL');
      throw new Error(`${(err as Error).message}; its output so far:\n${out}`);
    })) as [number | null];
    return { code, out: `$ ${bin} ${args.join(' ')}\n${out}` };
  } finally {
    await rm(cwd, { recursive: true, force: true });
  }
}

/** How many operations the document at `url` declares (the run must test every one). */
async function operations(url: string): Promise<number> {
  const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
  return Object.values(doc.paths).reduce((n, ops) => n + Object.keys(ops).length, 0);
}

describe(`schemathesis ${schemathesisVersion} contract fuzz (--checks all, seed ${SEED}, ${MAX_EXAMPLES} examples)`, { skip: skipOrThrow('schemathesis', 'reason' in found ? found.reason : undefined) }, () => {
  const svcs: Record<string, Running> = {};
  before(async () => {
    svcs['stringsvc'] = await startBuilt('stringsvc', ['--listen=127.0.0.1:0']);
    // The article's limiter (1 add every 2 s) would answer most adds 429: opened wide, so the fuzz reaches the adder.
    svcs['countersvc'] = await startBuilt('countersvc', ['--listen=127.0.0.1:0', '--rate=1000000', '--burst=1000000']);
  });
  after(async () => {
    await Promise.all(Object.values(svcs).map((s) => s.stop()));
  });

  for (const name of ['stringsvc', 'countersvc']) {
    test(`${name}: 0 failures over every operation of its /openapi.json`, { timeout: 180_000 }, async () => {
      const url = svcs[name]!.url;
      const { code, out } = await schemathesis((found as { bin: string }).bin, url);
      assert.equal(code, 0, `schemathesis found contract violations in ${name} (exit ${code}):\n${out}`);
      const tested = Number(/Tested:\s+(\d+)/.exec(out)?.[1]);
      assert.equal(tested, await operations(url), `not every operation was tested:\n${out}`);
      const generated = Number(/(\d+) generated/.exec(out)?.[1]);
      assert.ok(generated >= tested * 3, `too few test cases (${generated}):\n${out}`);
      assert.match(out, /No issues found/, out);
    });
  }
});
