// A Node older than the programs accept, for the runtime guard's test (test/node-guard.test.ts):
// `STRINGSVC_OLD_NODE`, else one on the PATH or in /usr/bin, else one fetched from the npm registry
// and cached, so the test runs on a machine that has only Node 24.
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { REQUIRED_NODE_MAJOR } from '../../src/cmd/require-node.ts';

/** The Node fetched when none is found: the last 22.x, pinned so the cache folder never goes stale. */
export const FETCHED_NODE_VERSION = '22.23.3';

/**
 * npm's per-platform Node package: the binary the `node` package's install script fetches, taken
 * directly, so nothing depends on npm still running install scripts (npm 11 already warns about them).
 */
const nodePackage = `node-${process.platform}-${process.arch}`;

/** nodeVersion is what `bin --version` prints (`v20.20.2`), or undefined when it does not run. */
export function nodeVersion(bin: string): string | undefined {
  try {
    return execFileSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 }).trim();
  } catch {
    return undefined;
  }
}

/** majorOf reads the major of a `v20.20.2` version. */
export function majorOf(version: string): number {
  return Number(/^v(\d+)\./.exec(version)?.[1]);
}

/** findOldNode looks for a Node older than required on this machine: `STRINGSVC_OLD_NODE`, the PATH, /usr/bin, /usr/local/bin. */
export function findOldNode(): string | undefined {
  const candidates = [process.env['STRINGSVC_OLD_NODE'], ...(process.env['PATH'] ?? '').split(delimiter).map((d) => join(d, 'node')), '/usr/bin/node', '/usr/local/bin/node'];
  for (const bin of candidates) {
    if (!bin || !existsSync(bin)) continue;
    const version = nodeVersion(bin);
    if (version && majorOf(version) < REQUIRED_NODE_MAJOR) return bin;
  }
  return undefined;
}

/** Where the fetched Node is cached: `${XDG_CACHE_HOME:-~/.cache}/stringsvc/old-node-<version>/`. */
export function fetchedNodeDir(): string {
  const base = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(base, 'stringsvc', `old-node-${FETCHED_NODE_VERSION}`);
}

const binIn = (dir: string) => join(dir, 'node_modules', nodePackage, 'bin', 'node');

/**
 * fetchOldNode returns the cached Node FETCHED_NODE_VERSION, installing it with `npm install` first
 * when missing; it rejects with npm's output when that fails.
 */
export async function fetchOldNode(): Promise<string> {
  const dir = fetchedNodeDir();
  if (existsSync(binIn(dir))) return binIn(dir);
  mkdirSync(join(dir, '..'), { recursive: true });
  // Installed beside the cache folder and renamed into place: the rename is atomic, so a parallel
  // run sees the whole install or none, and the one that loses the race drops its copy.
  const scratch = mkdtempSync(`${dir}.partial-`);
  try {
    await npm(['install', '--prefix', scratch, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `${nodePackage}@${FETCHED_NODE_VERSION}`]);
    const got = nodeVersion(binIn(scratch));
    if (got !== `v${FETCHED_NODE_VERSION}`) throw new Error(`npm installed ${nodePackage}@${FETCHED_NODE_VERSION}, but its node reports ${got ?? 'nothing'}`);
    chmodSync(scratch, 0o755); // mkdtemp's 0700 would keep the cache from other users
    try {
      renameSync(scratch, dir);
    } catch (err) {
      if (!existsSync(binIn(dir))) throw err;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return binIn(dir);
}

/** npm runs the `npm` on the PATH, rejecting with its output unless it exits 0. */
function npm(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const proc = spawn('npm', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
    proc.once('error', reject);
    proc.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`npm ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}
