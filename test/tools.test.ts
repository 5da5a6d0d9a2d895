import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { cacheDir } from './controlplane/binaries.ts';
import { goTools, toolPath } from './controlplane/go-tools.ts';
import { gokitCacheDir, gokitNames } from './gokit/binaries.ts';
import { repoRoot } from './support/process.ts';
import { onceWithin } from './support/wait.ts';
import { steps, uncached } from './tools.ts';

const dir = mkdtempSync(join(tmpdir(), 'stringsvc-tools-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('with an empty cache every tool is to be built, in the order the tests need them; with all in place, none', (t) => {
  const saved = process.env['XDG_CACHE_HOME'];
  t.after(() => (saved === undefined ? delete process.env['XDG_CACHE_HOME'] : (process.env['XDG_CACHE_HOME'] = saved)));
  process.env['XDG_CACHE_HOME'] = join(dir, 'cache');
  assert.deepEqual(uncached().map((s) => s.name), steps.map((s) => s.name));
  assert.equal(steps.length, goTools.length + 2, 'every Go tool, Kubernetes and go-kit');

  const put = (p: string): void => {
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, '');
  };
  for (const n of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubectl', 'helm', 'kube-scheduler', 'kubelet']) put(join(cacheDir(), n));
  for (const tool of goTools) put(toolPath(tool));
  for (const n of gokitNames) put(join(gokitCacheDir(), n));
  assert.deepEqual(uncached().map((s) => s.name), ['kubernetes, etcd, helm'], 'kube-proxy is still missing');
  put(join(cacheDir(), 'kube-proxy'));
  assert.deepEqual(uncached(), []);
});

// The global setup is checked with a `go` on PATH that records how it was called and then hangs
// like a long build: what is under test is when the builder starts, at what priority, and that it
// is stopped with the run.
async function runWithGlobalSetup(env: Record<string, string>): Promise<{ calls: string[]; output: string }> {
  const bin = join(dir, 'bin');
  const calls = join(dir, `calls-${Date.now()}`);
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'go'), `#!/bin/sh\necho "$(ps -o ni= -p $$) $$ $*" >> ${calls}\n[ "$1" = version ] && { echo go version go1.26.0 linux/amd64; exit 0; }\nexec sleep 300 >/dev/null 2>&1\n`);
  chmodSync(join(bin, 'go'), 0o755);
  const probe = join(dir, 'probe.test.ts');
  writeFileSync(probe, `import { test } from 'node:test';\ntest('a test file that runs for a while', () => new Promise((r) => setTimeout(r, 1500)));\n`);
  // Without NODE_TEST_CONTEXT, which would make it report to this run instead of running on its own.
  const { NODE_TEST_CONTEXT: _, ...outer } = process.env;
  const child = spawn(process.execPath, ['--test', `--test-global-setup=${join(repoRoot, 'test/global-setup.ts')}`, probe], {
    env: { ...outer, PATH: `${bin}:${process.env['PATH']}`, XDG_CACHE_HOME: join(dir, 'empty-cache'), ...env },
  });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b));
  child.stderr.on('data', (b: Buffer) => (output += b));
  // 'exit', not 'close': a build left running would hold the output open.
  // The fake build sleeps 300 s: a run that does not stop it at its end is caught well before that.
  const [code] = await onceWithin(child, 'exit', 120_000, 'the node --test run with the global setup to exit').catch((err: unknown) => {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}; its output:\n${output}`);
  });
  assert.equal(code, 0, output);
  let text = '';
  try {
    text = readFileSync(calls, 'utf8');
  } catch {
    // No call at all.
  }
  return { calls: text.trim().split('\n').filter(Boolean).map((l) => l.trim()), output };
}

/** Whether `pid` still runs (a zombie waiting for its reaper does not). */
const running = (pid: number): boolean => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

test('npm test on a cold cache: the global setup builds in the background at nice 19, and stops the build when the run ends', async () => {
  const { calls, output } = await runWithGlobalSetup({});
  assert.ok(calls.length > 0);
  assert.match(output, /\[tools\] building in the background/);
  const build = calls.find((c) => / build /.test(c));
  assert.ok(build, `no go build started: ${calls.join(' | ')}`);
  // The longest build first, at the lowest priority.
  assert.match(build, /^19 \d+ build .* k8s\.io\/kubernetes\/cmd\/kube-apiserver /);
  // It would hang for minutes: the run's end stopped it.
  const pid = Number(build.split(' ')[1]);
  for (const until = Date.now() + 10_000; running(pid) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50));
  assert.equal(running(pid), false, 'the background build outlived the test run');
});

test('STRINGSVC_PREBUILD=0 turns the background build off', async () => {
  const { calls, output } = await runWithGlobalSetup({ STRINGSVC_PREBUILD: '0' });
  assert.doesNotMatch(output, /\[tools\]/);
  assert.deepEqual(calls.filter((c) => / build /.test(c)), []);
});
