import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onceWithin } from '../support/wait.ts';

export const toolsDir = join(dirname(fileURLToPath(import.meta.url)), 'tools');

/** Reads the version a wrapper module pins, so go.mod stays the single source of truth. */
function pinned(module: string, dir: string): string {
  const mod = readFileSync(join(toolsDir, dir, 'go.mod'), 'utf8');
  const m = new RegExp(`^(?:require)?\\s*${module.replaceAll('.', '\\.')} (v\\S+)`, 'm').exec(mod);
  if (!m?.[1]) throw new Error(`no pinned ${module} in tools/${dir}/go.mod`);
  return m[1];
}

/** Pinned versions of everything ensureBinaries builds. */
export const versions = {
  kubernetes: pinned('k8s.io/kubernetes', 'kubernetes'),
  etcd: pinned('go.etcd.io/etcd/server/v3', 'etcd'),
  helm: 'v3.22.0',
};

/** Absolute paths of the control-plane and client binaries. */
export interface Binaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubectl: string;
  helm: string;
  /** Folder holding etcd, kube-apiserver and kube-controller-manager (a KUBEBUILDER_ASSETS value). */
  assetsDir: string;
}

/** The versioned cache folder binaries are built into. */
export function cacheDir(): string {
  const base = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(base, 'stringsvc', `k8s-${versions.kubernetes}-etcd-${versions.etcd}-helm-${versions.helm}`);
}

export type Name = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kubectl' | 'helm';
/** What a real node adds (test/cluster/): scheduler, kubelet and kube-proxy, from the same Kubernetes build. */
export type NodeName = 'kube-scheduler' | 'kubelet' | 'kube-proxy';
const controlPlaneNames: Name[] = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubectl', 'helm'];

/** Where the user pointed us for a binary, if anywhere (envtest conventions plus HELM / KUBECTL). */
function override(name: Name | NodeName): string | undefined {
  const env = process.env;
  const direct: Record<Name | NodeName, string | undefined> = {
    etcd: env['TEST_ASSET_ETCD'],
    'kube-apiserver': env['TEST_ASSET_KUBE_APISERVER'],
    'kube-controller-manager': env['TEST_ASSET_KUBE_CONTROLLER_MANAGER'],
    kubectl: env['KUBECTL'] || env['TEST_ASSET_KUBECTL'],
    helm: env['HELM'],
    'kube-scheduler': env['TEST_ASSET_KUBE_SCHEDULER'],
    kubelet: env['TEST_ASSET_KUBELET'],
    'kube-proxy': env['TEST_ASSET_KUBE_PROXY'],
  };
  const d = direct[name];
  if (d) return d;
  const assets = env['KUBEBUILDER_ASSETS'];
  if (assets && existsSync(join(assets, name))) return join(assets, name);
  return undefined;
}

/** Resolves binaries without building; `missing` lists what a build would have to produce. */
export function findBinaries<N extends Name | NodeName = Name>(names: N[] = controlPlaneNames as N[]): { found: Partial<Record<N, string>>; missing: N[] } {
  const found: Partial<Record<N, string>> = {};
  const missing: N[] = [];
  for (const n of names) {
    const p = override(n) ?? join(cacheDir(), n);
    if (existsSync(p)) found[n] = p;
    else missing.push(n);
  }
  return { found, missing };
}

/** True when a `go` toolchain is on PATH. */
export function haveGo(): boolean {
  return spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
}

function log(msg: string): void {
  process.stderr.write(`[control-plane] ${msg}\n`);
}

/**
 * A stuck build (a module download that never ends) must fail the test waiting on it, but a slow
 * one must not: Kubernetes took 14 to 20 min at nice 19 beside the tests, so this is several times that.
 */
export const goBuildTimeoutMs = 90 * 60_000;

/** Runs go with a heartbeat on stderr, because a cold Kubernetes build takes many minutes. */
export async function go(args: string[], cwd: string, what: string, extraEnv: Record<string, string> = {}): Promise<void> {
  const started = Date.now();
  log(`building ${what} (go ${args.slice(0, 2).join(' ')} …); first build takes minutes`);
  const child = spawn('go', args, {
    cwd,
    stdio: ['ignore', 'inherit', 'pipe'],
    env: { ...process.env, CGO_ENABLED: '0', GOFLAGS: '-trimpath', ...extraEnv },
  });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString();
    process.stderr.write(b);
  });
  const beat = setInterval(() => log(`still building ${what}: ${Math.round((Date.now() - started) / 1000)}s`), 20_000);
  try {
    const [code] = await onceWithin(child, 'exit', goBuildTimeoutMs, `go to build ${what}`).catch((err: unknown) => {
      child.kill('SIGKILL');
      throw err;
    });
    if (code !== 0) throw new Error(`building ${what} failed (exit ${code}):\n${stderr.slice(-4000)}`);
  } finally {
    clearInterval(beat);
  }
  log(`built ${what} in ${Math.round((Date.now() - started) / 1000)}s`);
}

/** Bakes the release version in, so `kubectl version` and helm's kubeVersion checks see v1.x, not v0.0.0. */
function k8sLdflags(): string {
  const v = versions.kubernetes;
  const [major, minor] = v.slice(1).split('.');
  const flags = ['-s', '-w'];
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    flags.push(`-X ${pkg}.gitVersion=${v}`, `-X ${pkg}.gitMajor=${major}`, `-X ${pkg}.gitMinor=${minor}`);
    flags.push(`-X ${pkg}.gitTreeState=clean`);
  }
  return flags.join(' ');
}

/** Builds the missing binaries into `dir`; each lands under a temp name and is renamed, so the cache never holds half a file. */
async function build(missing: (Name | NodeName)[], dir: string): Promise<void> {
  const stage = join(dir, '.partial');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const k8s = missing.filter((n) => n !== 'etcd' && n !== 'helm');
  if (k8s.length > 0) {
    const pkgs = k8s.map((n) => `k8s.io/kubernetes/cmd/${n}`);
    await go(['build', '-ldflags', k8sLdflags(), '-o', stage + '/', ...pkgs], join(toolsDir, 'kubernetes'), `${k8s.join(', ')} ${versions.kubernetes}`);
  }
  if (missing.includes('etcd')) {
    await go(['build', '-ldflags', '-s -w', '-o', join(stage, 'etcd'), 'go.etcd.io/etcd/server/v3'], join(toolsDir, 'etcd'), `etcd ${versions.etcd}`);
  }
  if (missing.includes('helm')) {
    await go(['install', '-ldflags', '-s -w', `helm.sh/helm/v3/cmd/helm@${versions.helm}`], toolsDir, `helm ${versions.helm}`, { GOBIN: stage });
  }
  for (const n of missing) renameSync(join(stage, n), join(dir, n));
  rmSync(stage, { recursive: true, force: true });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Takes the lock dir `lock` (mkdir is atomic), waiting while a live process holds it; a stale lock
 * (its pid dead) is taken over. `waiting` describes the holder in the progress line. Returns the release.
 */
export async function acquireLock(lock: string, waiting: string): Promise<() => void> {
  for (let waited = 0; ; waited++) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return () => rmSync(lock, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let pid = 0;
      try {
        pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch {
        // The owner may not have written its pid yet.
      }
      if (pid > 0 && !alive(pid)) {
        rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (waited % 30 === 0) log(`waiting for another process (pid ${pid || '?'}) ${waiting}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** Exclusive lock dir so parallel test files don't run the same multi-minute build twice. */
export async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const release = await acquireLock(join(dir, '.lock'), `building into ${dir}`);
  try {
    return await fn();
  } finally {
    release();
  }
}

/** Builds whichever of `names` is missing into the versioned cache, under the lock; returns their paths. */
export async function ensureBuilt<N extends Name | NodeName>(names: N[]): Promise<Record<N, string>> {
  let { found, missing } = findBinaries(names);
  if (missing.length > 0) {
    const dir = cacheDir();
    mkdirSync(dir, { recursive: true });
    await withLock(dir, async () => {
      // Another process may have finished the build while we waited for the lock.
      ({ missing } = findBinaries(names));
      if (missing.length > 0) await build(missing, dir);
    });
    ({ found, missing } = findBinaries(names));
    if (missing.length > 0) throw new Error(`still missing after build: ${missing.join(', ')}`);
  }
  return found as Record<N, string>;
}

/**
 * Returns the binaries, building whatever is missing into the versioned cache.
 * Honours KUBEBUILDER_ASSETS, TEST_ASSET_ETCD / _KUBE_APISERVER / _KUBE_CONTROLLER_MANAGER / _KUBECTL,
 * HELM and KUBECTL: anything they point at is used as is and not built.
 */
export async function ensureBinaries(): Promise<Binaries> {
  const b = await ensureBuilt(controlPlaneNames);
  return {
    etcd: b['etcd'],
    kubeApiserver: b['kube-apiserver'],
    kubeControllerManager: b['kube-controller-manager'],
    kubectl: b['kubectl'],
    helm: b['helm'],
    assetsDir: assetsDir(b),
  };
}

/** One folder holding the three server binaries under their usual names; symlinks them together when they don't already share one. */
function assetsDir(b: Record<Name, string>): string {
  const servers = ['etcd', 'kube-apiserver', 'kube-controller-manager'] as const;
  const dirs = new Set(servers.map((n) => dirname(b[n])));
  const [only] = dirs;
  if (dirs.size === 1 && only && servers.every((n) => basename(b[n]) === n)) return only;
  // Keyed by the sources, and built aside then renamed, so concurrent test files agree on one folder.
  const key = createHash('sha256').update(servers.map((n) => b[n]).join('\0')).digest('hex').slice(0, 12);
  const linked = join(cacheDir(), `assets-${key}`);
  if (existsSync(linked)) return linked;
  const stage = `${linked}.${process.pid}`;
  mkdirSync(stage, { recursive: true });
  for (const n of servers) symlinkSync(b[n], join(stage, n));
  try {
    renameSync(stage, linked);
  } catch {
    rmSync(stage, { recursive: true, force: true });
  }
  return linked;
}
