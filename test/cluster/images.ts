// Images without a registry: the base image our Dockerfile starts FROM and the pod sandbox's pause
// image are made here from Debian packages and Kubernetes' own source, then our image is built
// from the unmodified Dockerfile and loaded into the node's containerd.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, appendFileSync, chmodSync, chownSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withLock } from '../controlplane/binaries.ts';
import { timedOutMessage } from '../support/wait.ts';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The name our Dockerfile's `FROM` defaults to, stood in by a local Debian rootfs with the pinned Node. */
export const baseImage = 'node:24-bookworm-slim';
/** npm inside the base image (the Node package the project pins ships no npm). */
const npmVersion = '11.21.3';
/** Debian release of the base image: the one the official node:24-bookworm-slim uses. */
const suite = 'bookworm';
/** The sandbox image containerd is told to use; built from Kubernetes' pause.c. */
export const pauseImage = 'stringsvc.local/pause:3.10.2';

function log(msg: string): void {
  process.stderr.write(`[cluster] ${msg}\n`);
}

function imagesCache(): string {
  const base = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return join(base, 'stringsvc', 'images');
}

/**
 * Runs a command, streaming nothing; throws with its stderr. The slowest (debootstrap, a docker
 * build, helm --wait) take minutes; one still running after `timeoutMs` is killed and fails.
 */
export async function sh(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string; timeoutMs?: number } = {}): Promise<string> {
  const timeoutMs = opts.timeoutMs ?? 30 * 60_000;
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      rej(new Error(`${timedOutMessage(timeoutMs, `${cmd} ${args.join(' ')} to finish`)}:\n${(err || out).slice(-4000)}`));
    }, timeoutMs);
    child.on('close', () => clearTimeout(timer));
    child.on('error', rej);
    // A command that exits without reading its input must not fail us with EPIPE.
    child.stdin.on('error', () => undefined);
    child.on('close', (code) => (code === 0 ? res(out) : rej(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${(err || out).slice(-4000)}`))));
    child.stdin.end(opts.input ?? '');
  });
}

/** The node binary npm installed for the project (the `node` devDependency), not the machine's. */
function pinnedNode(): { bin: string; version: string } {
  const bin = join(repoRoot, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run npm ci first`);
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
  return { bin, version };
}

/** The Debian mirror apt uses here, so the rootfs comes from the same packages. */
function debianMirror(): string {
  for (const f of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    if (!existsSync(f)) continue;
    const text = readFileSync(f, 'utf8');
    const m = /^URIs:\s*(\S+)/m.exec(text) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+\s+main/m.exec(text);
    if (m?.[1]) return m[1];
  }
  throw new Error('no Debian mirror in /etc/apt/sources.list(.d): cannot debootstrap the base image');
}

/**
 * Makes the base image's rootfs tarball once and caches it: a Debian minbase, the pinned Node
 * (debug symbols stripped), npm, the `node` user (uid 1000) as in the official image, and the
 * machine's CA bundle, since outbound TLS here is intercepted and `npm ci` must trust it.
 */
async function baseRootfs(): Promise<string> {
  const node = pinnedNode();
  const dir = imagesCache();
  const out = join(dir, `node-${node.version}-${suite}-npm-${npmVersion}.tar`);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  return withLock(dir, async () => {
    if (existsSync(out)) return out;
    const started = Date.now();
    log(`making the base image ${baseImage} (Debian ${suite} minbase + Node ${node.version}); once, then cached`);
    const work = mkdtempSync(join(tmpdir(), 'stringsvc-rootfs-'));
    try {
      const root = join(work, 'root');
      await sh('debootstrap', ['--variant=minbase', suite, root, debianMirror()]);
      for (const d of ['var/cache/apt/archives', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man', 'usr/share/locale']) {
        rmSync(join(root, d), { recursive: true, force: true });
        mkdirSync(join(root, d), { recursive: true });
      }
      const nodeBin = join(root, 'usr/local/bin/node');
      mkdirSync(dirname(nodeBin), { recursive: true });
      copyFileSync(node.bin, nodeBin);
      chmodSync(nodeBin, 0o755);
      await sh('strip', ['--strip-debug', nodeBin]).catch(() => log('strip failed; keeping node with its debug symbols'));
      const npmDir = join(root, 'usr/local/lib/node_modules/npm');
      mkdirSync(npmDir, { recursive: true });
      const packed = (await sh('npm', ['pack', `npm@${npmVersion}`, '--silent'], { cwd: work })).trim().split('\n').pop() ?? '';
      await sh('tar', ['-xzf', join(work, packed), '-C', npmDir, '--strip-components=1']);
      symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(root, 'usr/local/bin/npm'));
      symlinkSync('../lib/node_modules/npm/bin/npx-cli.js', join(root, 'usr/local/bin/npx'));
      appendFileSync(join(root, 'etc/passwd'), 'node:x:1000:1000::/home/node:/bin/sh\n');
      appendFileSync(join(root, 'etc/group'), 'node:x:1000:\n');
      mkdirSync(join(root, 'home/node'), { recursive: true });
      chownSync(join(root, 'home/node'), 1000, 1000);
      mkdirSync(join(root, 'etc/ssl/certs'), { recursive: true });
      copyFileSync('/etc/ssl/certs/ca-certificates.crt', join(root, 'etc/ssl/certs/ca-certificates.crt'));
      await sh('tar', ['--numeric-owner', '-C', root, '-cf', `${out}.partial`, '.']);
      renameSync(`${out}.partial`, out);
      log(`base image rootfs ${Math.round(statSync(out).size / 2 ** 20)} MiB in ${Math.round((Date.now() - started) / 1000)}s`);
      return out;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
}

/** The static pause binary, from pause.c in the Kubernetes module the control plane is built from. */
async function pauseBinary(): Promise<string> {
  const dir = imagesCache();
  const out = join(dir, 'pause-3.10.2');
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const gomodcache = (await sh('go', ['env', 'GOMODCACHE'])).trim();
  const src = join(gomodcache, 'k8s.io', 'kubernetes@v1.37.2', 'build', 'pause', 'linux', 'pause.c');
  if (!existsSync(src)) {
    await sh('go', ['mod', 'download', 'k8s.io/kubernetes'], { cwd: join(repoRoot, 'test', 'controlplane', 'tools', 'kubernetes') });
  }
  await sh('gcc', ['-Os', '-static', '-DVERSION=v3.10.2', '-o', `${out}.partial`, src]);
  await sh('strip', [`${out}.partial`]);
  renameSync(`${out}.partial`, out);
  return out;
}

/** A docker client bound to one daemon; /usr/bin/docker is Debian's, whose BuildKit is built in. */
export interface Docker {
  readonly host: string;
  run(args: string[], input?: string): Promise<string>;
}

export function dockerClient(socket: string): Docker {
  const host = `unix://${socket}`;
  const env = { ...process.env, DOCKER_HOST: host, DOCKER_BUILDKIT: '1', DOCKER_CONFIG: join(dirname(socket), 'docker-config') };
  return { host, run: (args, input) => sh('/usr/bin/docker', args, { env, ...(input !== undefined ? { input } : {}) }) };
}

/** Imports the base and pause images into the daemon, unless it has them. */
export async function prepareBaseImages(docker: Docker): Promise<void> {
  const have = async (ref: string): Promise<boolean> => docker.run(['image', 'inspect', ref]).then(() => true, () => false);
  if (!(await have(baseImage))) {
    await docker.run([
      'import',
      '--change', 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--change', 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt',
      '--change', 'CMD ["node"]',
      await baseRootfs(),
      baseImage,
    ]);
  }
  if (!(await have(pauseImage))) {
    const work = mkdtempSync(join(tmpdir(), 'stringsvc-pause-'));
    try {
      copyFileSync(await pauseBinary(), join(work, 'pause'));
      await sh('tar', ['--numeric-owner', '-C', work, '-cf', join(work, 'pause.tar'), 'pause']);
      await docker.run(['import', '--change', 'ENTRYPOINT ["/pause"]', '--change', 'USER 65535:65535', join(work, 'pause.tar'), pauseImage]);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
}

/** What building our image gave. */
export interface BuiltImage {
  ref: string;
  id: string;
  sizeBytes: number;
  buildMs: number;
}

/**
 * Builds our Dockerfile, unmodified, from the repository. `--network host`: the daemon runs with
 * no bridge of its own (it must not touch the host's networking), so RUN steps use the host's.
 */
export async function buildImage(docker: Docker, ref: string): Promise<BuiltImage> {
  const started = Date.now();
  await docker.run(['build', '--network', 'host', '-t', ref, repoRoot]);
  const buildMs = Date.now() - started;
  const [id = '', size = '0'] = (await docker.run(['image', 'inspect', '-f', '{{.Id}} {{.Size}}', ref])).trim().split(' ');
  return { ref, id, sizeBytes: Number(size), buildMs };
}

/** Copies images from the daemon into containerd's `k8s.io` namespace, where the kubelet looks. */
export async function loadIntoContainerd(docker: Docker, containerdSocket: string, refs: string[]): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'stringsvc-save-'));
  try {
    const tar = join(work, 'images.tar');
    await docker.run(['save', '-o', tar, ...refs]);
    await sh('ctr', ['--address', containerdSocket, '-n', 'k8s.io', 'images', 'import', tar]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function writeDockerConfig(dir: string): void {
  mkdirSync(join(dir, 'docker-config'), { recursive: true });
  writeFileSync(join(dir, 'docker-config', 'config.json'), '{}');
}
