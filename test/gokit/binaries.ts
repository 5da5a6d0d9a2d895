import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { goBuildTimeoutMs, withLock } from '../controlplane/binaries.ts';
import { onceWithin } from '../support/wait.ts';

/**
 * The go-kit release the peers come from. The split-out `github.com/go-kit/examples` module is
 * not served by the module proxy (its version list answers 403), so the examples are built from
 * the last go-kit release that still carried them in-tree, `examples/stringsvc{1,2,3}`.
 */
export const gokitVersion = 'v0.10.0';

/** Go import path of the examples folder in the pinned module. */
export const examplesPath = 'github.com/go-kit/kit/examples';

/** Names of the go-kit example binaries ensureGokit builds. */
export const gokitNames = ['stringsvc1', 'stringsvc2', 'stringsvc3'] as const;

/** Absolute paths of the go-kit example binaries. */
export type GokitBinaries = Record<(typeof gokitNames)[number], string>;

/** The versioned cache folder the examples are built into. */
export function gokitCacheDir(): string {
  const base = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(base, 'stringsvc', `gokit-${gokitVersion}`);
}

/** Which example binaries are not yet in the cache. */
export function missingGokit(): string[] {
  return gokitNames.filter((n) => !existsSync(join(gokitCacheDir(), n)));
}

function log(msg: string): void {
  process.stderr.write(`[gokit] ${msg}\n`);
}

/** `go install pkg@version` needs no wrapper module: go-kit v0.10.0 has no replace directives. */
async function build(names: string[], dir: string): Promise<void> {
  const stage = join(dir, '.partial');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const started = Date.now();
  log(`building ${names.join(', ')} from go-kit ${gokitVersion} (go install, through the module proxy)`);
  const child = spawn('go', ['install', '-ldflags', '-s -w', ...names.map((n) => `${examplesPath}/${n}@${gokitVersion}`)], {
    cwd: dir,
    stdio: ['ignore', 'inherit', 'pipe'],
    env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-trimpath', GOBIN: stage },
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
    process.stderr.write(b);
  });
  const beat = setInterval(() => log(`still building: ${Math.round((Date.now() - started) / 1000)}s`), 20_000);
  try {
    const [code] = await onceWithin(child, 'exit', goBuildTimeoutMs, 'go to build the go-kit examples').catch((err: unknown) => {
      child.kill('SIGKILL');
      throw err;
    });
    if (code !== 0) throw new Error(`building go-kit examples failed (exit ${code}):\n${stderr.slice(-4000)}`);
  } finally {
    clearInterval(beat);
  }
  for (const n of names) renameSync(join(stage, n), join(dir, n));
  rmSync(stage, { recursive: true, force: true });
  log(`built in ${Math.round((Date.now() - started) / 1000)}s`);
}

/** Returns the go-kit example binaries, building the missing ones into the versioned cache under a lock. */
export async function ensureGokit(): Promise<GokitBinaries> {
  const dir = gokitCacheDir();
  if (missingGokit().length > 0) {
    mkdirSync(dir, { recursive: true });
    await withLock(dir, async () => {
      // Another test file may have built them while we waited.
      const missing = missingGokit();
      if (missing.length > 0) await build(missing, dir);
    });
  }
  return Object.fromEntries(gokitNames.map((n) => [n, join(dir, n)])) as GokitBinaries;
}
