// The container runtime of the test node: containerd (the kubelet's CRI) and a Docker daemon on
// top of it that builds images with BuildKit. Both keep every file, socket and mount under one
// temp folder, and neither touches the host's networking.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GaveUp, type Proc, startProc, waitFor } from '../controlplane/procs.ts';
import { plan } from './host.ts';
import { type Docker, dockerClient, pauseImage, sh, writeDockerConfig } from './images.ts';

/** Debian package for each command the node needs, so a missing one is named exactly. */
const needs: Record<string, string> = {
  containerd: 'containerd',
  'containerd-shim-runc-v2': 'containerd',
  ctr: 'containerd',
  runc: 'runc',
  '/usr/lib/cni/bridge': 'containernetworking-plugins',
  '/usr/lib/cni/host-local': 'containernetworking-plugins',
  '/usr/lib/cni/loopback': 'containernetworking-plugins',
  '/usr/lib/cni/portmap': 'containernetworking-plugins',
  conntrack: 'conntrack',
  iptables: 'iptables',
  'iptables-save': 'iptables',
  nft: 'nftables',
  socat: 'socat',
  debootstrap: 'debootstrap',
  dockerd: 'docker.io',
  '/usr/bin/docker': 'docker.io',
  gcc: 'gcc',
  strip: 'binutils',
  ip: 'iproute2',
  go: 'golang (or Go from go.dev)',
};

/** Why a real node cannot run here (not root, or commands missing with their packages), or undefined. */
export function nodeSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'the test node needs root (containerd, kubelet, iptables)';
  const missing = Object.entries(needs).filter(([cmd]) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status !== 0);
  if (missing.length === 0) return undefined;
  const pkgs = [...new Set(missing.map(([, p]) => p))];
  return `the test node needs ${missing.map(([c]) => c).join(', ')}: apt-get install -y ${pkgs.join(' ')}`;
}

/** containerd's config: CRI with runc on cgroupfs, CNI from Debian, state and netns under `dir`. */
function containerdConfig(dir: string): string {
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "${dir}/containerd.sock"
[ttrpc]
  address = "${dir}/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${pauseImage}"
  # This VM grants root no CAP_SYS_RESOURCE: runc may not lower a process's oom_score_adj.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${dir}/net.d"
`;
}

/** The pod network: one bridge, host-local addresses, no masquerade (nothing is meant to leave). */
function cniConfig(dir: string): string {
  return JSON.stringify({
    cniVersion: '0.4.0',
    name: 'stringsvc',
    plugins: [
      {
        type: 'bridge',
        bridge: plan.bridge,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet: plan.podCidr, gateway: plan.podGateway }]],
          routes: [{ dst: '0.0.0.0/0' }],
          dataDir: join(dir, 'ipam'),
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  });
}

/** A running containerd and Docker daemon. */
export interface Runtime {
  readonly containerdSocket: string;
  readonly docker: Docker;
  readonly procs: Proc[];
  /** Stops dockerd, kills every container left in containerd, then stops containerd and its shims. */
  stop(): Promise<void>;
}

/** Starts containerd and dockerd under `dir`. */
export async function startRuntime(dir: string): Promise<Runtime> {
  const cdir = join(dir, 'containerd');
  mkdirSync(join(cdir, 'net.d'), { recursive: true });
  writeFileSync(join(cdir, 'config.toml'), containerdConfig(cdir));
  writeFileSync(join(cdir, 'net.d', '10-stringsvc.conflist'), cniConfig(cdir));
  const socket = join(cdir, 'containerd.sock');
  const containerd = startProc('containerd', 'containerd', ['--config', join(cdir, 'config.toml')], join(dir, 'containerd.log'));
  const procs: Proc[] = [containerd];
  let dockerd: Proc | undefined;
  const ctr = (args: string[]): Promise<string> => sh('ctr', ['--address', socket, ...args]);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await dockerd?.stop(15_000);
    for (const ns of ['k8s.io', 'moby']) {
      const tasks = await ctr(['-n', ns, 'tasks', 'ls', '-q']).catch(() => '');
      for (const id of tasks.split('\n').filter(Boolean)) await ctr(['-n', ns, 'tasks', 'kill', '-s', 'SIGKILL', id]).catch(() => '');
    }
    await containerd.stop(10_000);
    // Shims outlive containerd by design (containers survive its restarts); this node's go with it.
    spawnSync('pkill', ['-KILL', '-f', `containerd-shim-runc-v2 .*-address ${socket}`]);
  };
  try {
    await waitFor('containerd', async () => {
      if (containerd.done()) throw new GaveUp('containerd exited');
      await ctr(['version']);
      return true;
    }, 30_000, containerd.logTail);
    const ddir = join(dir, 'docker');
    mkdirSync(ddir, { recursive: true });
    writeDockerConfig(ddir);
    const dsock = join(ddir, 'docker.sock');
    dockerd = startProc('dockerd', 'dockerd', [
      `--data-root=${join(ddir, 'data')}`,
      `--exec-root=${join(ddir, 'exec')}`,
      `--pidfile=${join(ddir, 'docker.pid')}`,
      `--host=unix://${dsock}`,
      `--containerd=${socket}`,
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
      '--ip-masq=false',
      '--storage-driver=overlay2',
    ], join(dir, 'dockerd.log'));
    procs.push(dockerd);
    const docker = dockerClient(dsock);
    await waitFor('dockerd', async () => {
      if (dockerd?.done()) throw new GaveUp('dockerd exited');
      await docker.run(['version']);
      return true;
    }, 60_000, dockerd.logTail);
    return { containerdSocket: socket, docker, procs, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
