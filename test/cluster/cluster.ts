// A real single-node Kubernetes cluster on this machine: the test control plane, plus
// containerd, kubelet, kube-proxy, kube-scheduler and CoreDNS, running our image built from the
// Dockerfile. One node per machine at a time (it owns fixed addresses and ports); stop() puts
// back every link, address, route, iptables rule, mount, sysctl and process it made.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api } from '@kubernetes/client-node';
import { acquireLock, ensureBuilt } from '../controlplane/binaries.ts';
import { coredns, ensureTool } from '../controlplane/go-tools.ts';
import { type ControlPlane, defaultControllers, startControlPlane } from '../controlplane/harness.ts';
import { freePort, GaveUp, type Proc, startProc, trackCommand, trackDir, untrackCommand, untrackDir, waitFor } from '../controlplane/procs.ts';
import * as host from './host.ts';
import { type HostState, hostState } from './snapshot.ts';
import { type BuiltImage, buildImage, loadIntoContainerd, pauseImage, prepareBaseImages, repoRoot, sh } from './images.ts';
import { kubeletConfig } from './kubelet-config.ts';
import { nodeSkipReason, type Runtime, startRuntime } from './runtime.ts';

export const nodeName = 'stringsvc-node';
/** Our image's reference in the node: the chart's default, `stringsvc:<appVersion>`, so `helm install` needs no --set. */
export const imageRef = `stringsvc:${/^appVersion:\s*"?([^"\s]+)"?/m.exec(readFileSync(join(repoRoot, 'charts', 'stringsvc', 'Chart.yaml'), 'utf8'))?.[1] ?? 'latest'}`;

export { nodeSkipReason };

/** A running node and what the tests and `npm run cluster` need of it. */
export interface Cluster {
  readonly cp: ControlPlane;
  readonly kubeconfigPath: string;
  readonly dir: string;
  /** Folder holding this cluster's `kubectl`, `helm` and `docker` (Debian's, whose BuildKit is built in; see docker-cli.sh), for PATH. */
  readonly binDir: string;
  /** What a client on the host needs to use this node: KUBECONFIG, DOCKER_HOST, CONTAINERD_ADDRESS, PATH. */
  readonly env: Record<string, string>;
  readonly image: BuiltImage;
  readonly runtime: Runtime;
  /** Runs kubectl against the cluster; resolves with stdout. */
  kubectl(args: string[], input?: string): Promise<string>;
  /** Runs helm against the cluster; resolves with stdout. */
  helm(args: string[]): Promise<string>;
  /** Host state before the node started, for the leak check after stop(). */
  readonly before: HostState;
  /** Markers that find this node's processes (its temp dir). */
  readonly processMarkers: string[];
  /** Tears everything down; idempotent. */
  stop(): Promise<void>;
}

/** A client tool bound to the cluster's kubeconfig; resolves with stdout. */
type Tool = (args: string[], input?: string) => Promise<string>;

export interface ClusterOptions {
  /** Progress lines (default: stderr). */
  log?: (msg: string) => void;
}

const lockDir = '/run/stringsvc-node.lock';

/** kubelet, kube-scheduler, kube-proxy from the control plane's build, and CoreDNS from its own module. */
async function nodeBinaries(): Promise<{ kubelet: string; scheduler: string; proxy: string; coredns: string }> {
  const b = await ensureBuilt(['kubelet', 'kube-scheduler', 'kube-proxy']);
  return { kubelet: b.kubelet, scheduler: b['kube-scheduler'], proxy: b['kube-proxy'], coredns: await ensureTool(coredns) };
}

/** Starts the node and loads our freshly built image; see Cluster. */
export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  const log = opts.log ?? ((m: string) => process.stderr.write(`[cluster] ${m}\n`));
  const reason = nodeSkipReason();
  if (reason) throw new Error(reason);
  host.checkResolvers();
  const bins = await nodeBinaries();
  const releaseLock = await acquireLock(lockDir, 'running the test node');
  const dir = mkdtempSync(join(tmpdir(), 'stringsvc-node-'));
  trackDir(dir);
  const markers = [dir];
  const before = hostState(markers);
  const saved = host.saveHost();
  const procs: Proc[] = [];
  let cp: ControlPlane | undefined;
  let runtime: Runtime | undefined;
  let stopped = false;
  let kubectl: Tool | undefined;

  // If this process dies without stop(), the reaper puts the host back.
  const cleanupArgv = [process.execPath, join(dirname(fileURLToPath(import.meta.url)), 'cleanup.ts'), dir, bins.proxy, JSON.stringify(saved), lockDir];
  trackCommand(cleanupArgv);

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    const step = async (what: string, fn: () => Promise<unknown> | unknown): Promise<void> => {
      try {
        await fn();
      } catch (err) {
        log(`teardown: ${what}: ${String(err)}`);
      }
    };
    // Politely first: pods get their CNI teardown from the kubelet, processes their SIGTERM.
    if (cp && kubectl && procs.some((p) => p.name === 'kubelet' && !p.done())) await step('deleting pods', () => deleteAllPods(cp!, kubectl!, runtime));
    for (const p of [...procs].reverse()) await step(`stopping ${p.name}`, () => p.stop(10_000));
    await step('stopping the runtime', () => runtime?.stop());
    await step('stopping the control plane', () => cp?.stop());
    await step('cleaning the host', () => host.cleanHost({ dir, proxyBin: bins.proxy, saved }));
    rmSync(dir, { recursive: true, force: true });
    untrackDir(dir);
    untrackCommand(cleanupArgv);
    releaseLock();
  };

  try {
    host.addNodeAddress();
    host.addGuard();
    host.setSysctl('net/ipv4/ip_forward', '1');
    host.setSysctl('net/bridge/bridge-nf-call-iptables', '1');

    log('starting the control plane');
    cp = await startControlPlane({
      address: host.plan.nodeIp,
      serviceCidr: host.plan.serviceCidr,
      fakeNode: false,
      controllers: [...defaultControllers, 'node-lifecycle-controller', 'disruption-controller', 'pod-garbage-collector-controller', 'horizontal-pod-autoscaler-controller', 'statefulset-controller'],
    });
    const kubeconfig = cp.kubeconfigPath;
    const tool = (bin: string): Tool => (args, input) =>
      sh(bin, args, { env: { ...process.env, KUBECONFIG: kubeconfig }, ...(input !== undefined ? { input } : {}) });
    kubectl = tool(cp.binaries.kubectl);

    log('starting containerd and the image builder');
    runtime = await startRuntime(dir);
    await prepareBaseImages(runtime.docker);
    log('building our image from the Dockerfile');
    const image = await buildImage(runtime.docker, imageRef);
    log(`built ${imageRef} in ${Math.round(image.buildMs / 1000)}s (${Math.round(image.sizeBytes / 2 ** 20)} MiB); loading it into containerd`);
    await loadIntoContainerd(runtime.docker, runtime.containerdSocket, [pauseImage, imageRef]);

    const corefile = join(dir, 'Corefile');
    writeFileSync(corefile, `cluster.local:53 in-addr.arpa:53 ip6.arpa:53 {
  bind ${host.plan.nodeIp}
  errors
  kubernetes cluster.local in-addr.arpa ip6.arpa {
    kubeconfig ${kubeconfig}
    pods insecure
    fallthrough in-addr.arpa ip6.arpa
  }
  cache 5
}
`);
    procs.push(startProc('coredns', bins.coredns, ['-conf', corefile], join(dir, 'coredns.log')));
    procs.push(startProc('kube-scheduler', bins.scheduler, [
      `--kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${await freePort()}`,
    ], join(dir, 'kube-scheduler.log')));
    procs.push(startProc('kube-proxy', bins.proxy, [
      `--kubeconfig=${kubeconfig}`,
      '--proxy-mode=iptables',
      `--cluster-cidr=${host.plan.podCidr}`,
      `--hostname-override=${nodeName}`,
      `--bind-address=${host.plan.nodeIp}`,
      `--healthz-bind-address=127.0.0.1:${await freePort()}`,
      `--metrics-bind-address=127.0.0.1:${await freePort()}`,
      `--nodeport-addresses=${host.plan.nodeIp}/32`,
      // Leave the host's conntrack and loopback settings as they are.
      '--conntrack-max-per-core=0',
      '--conntrack-min=0',
      '--conntrack-tcp-timeout-established=0',
      '--conntrack-tcp-timeout-close-wait=0',
      '--iptables-localhost-nodeports=false',
    ], join(dir, 'kube-proxy.log')));
    const kubeletConf = join(dir, 'kubelet.json');
    writeFileSync(kubeletConf, kubeletConfig(dir, runtime.containerdSocket, await freePort()));
    const kubelet = startProc('kubelet', bins.kubelet, [
      `--config=${kubeletConf}`,
      `--kubeconfig=${kubeconfig}`,
      `--root-dir=${join(dir, 'kubelet')}`,
      `--hostname-override=${nodeName}`,
      `--node-ip=${host.plan.nodeIp}`,
    ], join(dir, 'kubelet.log'));
    procs.push(kubelet);

    const core = cp.kc.makeApiClient(CoreV1Api);
    await waitFor('node Ready', async () => {
      for (const p of procs) if (p.done()) throw new GaveUp(`${p.name} exited`);
      const node = await core.readNode({ name: nodeName });
      return !!node.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
    }, 90_000, () => procs.map((p) => `--- ${p.name}\n${p.logTail().slice(-1500)}`).join('\n'));
    const resolver = new Resolver();
    resolver.setServers([host.plan.nodeIp]);
    await waitFor('cluster DNS', async () => (await resolver.resolve4('kubernetes.default.svc.cluster.local')).includes(host.plan.apiServiceIp), 30_000);
    log(`node ${nodeName} Ready`);

    const binDir = join(dir, 'bin');
    mkdirSync(binDir);
    symlinkSync(cp.binaries.kubectl, join(binDir, 'kubectl'));
    symlinkSync(cp.binaries.helm, join(binDir, 'helm'));
    symlinkSync(join(dirname(fileURLToPath(import.meta.url)), 'docker-cli.sh'), join(binDir, 'docker'));
    const env = {
      KUBECONFIG: kubeconfig,
      DOCKER_HOST: runtime.docker.host,
      CONTAINERD_ADDRESS: runtime.containerdSocket,
      PATH: `${binDir}:${process.env['PATH'] ?? '/usr/bin:/bin'}`,
    };
    return {
      cp,
      kubeconfigPath: kubeconfig,
      dir,
      binDir,
      env,
      image,
      runtime,
      kubectl,
      helm: tool(cp.binaries.helm),
      before,
      processMarkers: markers,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Deletes every pod with a short grace and waits until the kubelet has removed them and their sandboxes. */
async function deleteAllPods(cp: ControlPlane, kubectl: Tool, runtime: Runtime | undefined): Promise<void> {
  // Workloads first (orphaning their pods), or their controllers would replace the pods deleted below.
  await kubectl(['delete', 'deployments,replicasets,statefulsets,daemonsets,jobs,cronjobs', '--all', '--all-namespaces', '--cascade=orphan', '--wait=false']);
  const core = cp.kc.makeApiClient(CoreV1Api);
  const pods = await core.listPodForAllNamespaces();
  for (const p of pods.items) {
    await core.deleteNamespacedPod({ namespace: p.metadata?.namespace ?? '', name: p.metadata?.name ?? '', gracePeriodSeconds: 1 }).catch(() => undefined);
  }
  await waitFor('pods gone', async () => (await core.listPodForAllNamespaces()).items.length === 0, 60_000).catch(() => undefined);
  if (!runtime) return;
  // Sandboxes (and with them the pods' veths and netns) go a moment after the API objects.
  await waitFor('sandboxes gone', async () => {
    const tasks = await sh('ctr', ['--address', runtime.containerdSocket, '-n', 'k8s.io', 'tasks', 'ls', '-q']);
    return tasks.trim() === '';
  }, 30_000).catch(() => undefined);
}
