// skaffold as a developer runs it against the test node: on a copy of the repository (the dev
// loop edits files), with the node's DOCKER_HOST, CONTAINERD_ADDRESS, kubectl, helm and docker,
// and a global config of its own so it never checks for updates or sends metrics.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { trackDir, untrackDir, waitFor } from '../controlplane/procs.ts';
import type { Cluster } from './cluster.ts';
import { ensureTool, skaffold } from '../controlplane/go-tools.ts';
import { repoRoot } from './images.ts';
import { within } from '../support/wait.ts';

/** A copy of the repository's files (tracked and untracked, not ignored) in a fresh git repo, so skaffold's gitCommit tagger works. */
export function copyRepo(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'stringsvc-skaffold-'));
  trackDir(dir);
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: repoRoot, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of files) {
    mkdirSync(join(dir, dirname(f)), { recursive: true });
    try {
      cpSync(join(repoRoot, f), join(dir, f));
    } catch {
      // A file deleted in the work tree but still tracked: nothing to copy.
    }
  }
  const git = (args: string[]): void => void execFileSync('git', ['-c', 'user.name=dev', '-c', 'user.email=dev@localhost', ...args], { cwd: dir, stdio: 'ignore' });
  git(['init', '-q']);
  git(['add', '-A']);
  git(['commit', '-q', '-m', 'copy']);
  return { dir, remove: () => { rmSync(dir, { recursive: true, force: true }); untrackDir(dir); } };
}

/** A skaffold process and everything it printed. */
export interface SkaffoldRun {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the first match of `re` in the output after `from` (an output offset), within the deadline. */
  waitOutput(re: RegExp, timeoutMs: number, from?: number): Promise<RegExpExecArray>;
  /** SIGINT, then waits for the exit; resolves with the exit code. */
  interrupt(timeoutMs?: number): Promise<number | null>;
  exited(): Promise<number | null>;
}

/** Environment and global config for skaffold against this node, with its own artifact cache. */
async function skaffoldEnv(c: Cluster, workDir: string): Promise<{ bin: string; env: NodeJS.ProcessEnv; globalArgs: string[] }> {
  const bin = await ensureTool(skaffold);
  const home = join(workDir, '.skaffold-home');
  mkdirSync(home, { recursive: true });
  const config = join(home, 'config');
  writeFileSync(config, 'global:\n  collect-metrics: false\n  update-check: false\n  survey:\n    disable-prompt: true\n');
  return {
    bin,
    // Flags also read from SKAFFOLD_<FLAG>: the artifact cache is a flag of build, dev and run only.
    env: { ...process.env, ...c.env, SKAFFOLD_CACHE_FILE: join(home, 'cache') },
    globalArgs: ['--config', config, '--interactive=false', '--update-check=false'],
  };
}

/** Starts `skaffold <args>` in `workDir`. */
export async function startSkaffold(c: Cluster, workDir: string, args: string[]): Promise<SkaffoldRun> {
  const { bin, env, globalArgs } = await skaffoldEnv(c, workDir);
  const child = spawn(bin, [...args, ...globalArgs], { cwd: workDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exit = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  let done = false;
  void exit.then(() => (done = true));
  return {
    child,
    output: () => out,
    exited: () => exit,
    async waitOutput(re, timeoutMs, from = 0) {
      let m: RegExpExecArray | null = null;
      await waitFor(`skaffold printing ${re}`, async () => {
        m = re.exec(out.slice(from));
        if (!m && done) throw new Error(`skaffold exited before printing ${re}`);
        return m !== null;
      }, timeoutMs, () => out.slice(-4000));
      return m!;
    },
    async interrupt(timeoutMs = 120_000) {
      if (!done) child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await within(exit, timeoutMs + 30_000, `skaffold ${args[0]} to exit after SIGINT (SIGKILL after ${timeoutMs / 1000} s)`);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** `skaffold <args>` to completion; resolves with its output, throws with it on failure. */
export async function runSkaffold(c: Cluster, workDir: string, args: string[], timeoutMs = 600_000): Promise<string> {
  const run = await startSkaffold(c, workDir, args);
  const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs);
  let code: number | null;
  try {
    code = await within(run.exited(), timeoutMs + 30_000, `skaffold ${args.join(' ')} to finish (SIGKILL after ${timeoutMs / 1000} s)`);
  } finally {
    clearTimeout(timer);
  }
  if (code !== 0) throw new Error(`skaffold ${args.join(' ')} exited ${code}:\n${run.output().slice(-6000)}`);
  return run.output();
}
