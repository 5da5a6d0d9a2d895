import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ApiextensionsV1Api,
  ApiException,
  CoreV1Api,
  KubeConfig,
  loadAllYaml,
  type V1CustomResourceDefinition,
  type V1Pod,
  type V1PodCondition,
} from '@kubernetes/client-node';
import { type Binaries, ensureBinaries } from './binaries.ts';
import { freePort, GaveUp, type Proc, startProc, trackDir, untrackDir, waitFor } from './procs.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Name of the Node object pods are bound to; no kubelet runs, the harness plays its part. */
export const fakeNodeName = 'fake-node';

/**
 * Controllers the controller-manager runs: enough for discovery (endpoints, slices), ServiceAccount
 * tokens, the aggregated admin/edit/view ClusterRoles, namespace deletion and Deployments/ReplicaSets
 * from the chart. Node lifecycle stays off
 * so the fake node is never tainted and its pods never evicted.
 */
export const defaultControllers = [
  'endpoints-controller',
  'endpointslice-controller',
  'endpointslice-mirroring-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'root-ca-certificate-publisher-controller',
  'clusterrole-aggregation-controller',
  'namespace-controller',
  'garbage-collector-controller',
  'deployment-controller',
  'replicaset-controller',
];

/** Options for startControlPlane. */
export interface ControlPlaneOptions {
  /** Controller-manager controllers; defaults to defaultControllers. */
  controllers?: string[];
  /** Keep the apiserver watch cache (default true). With false, every watch/list hits etcd, so compactEtcd() makes old resourceVersions fail with 410 at once. */
  watchCache?: boolean;
  /** Extra kube-apiserver flags, e.g. `--feature-gates=...`. */
  apiserverArgs?: string[];
  /** Prebuilt binaries; defaults to ensureBinaries(). */
  binaries?: Binaries;
  /**
   * Address the apiserver binds and advertises (default 127.0.0.1). A real node's pods reach the
   * apiserver through the `kubernetes` Service, whose endpoint cannot be loopback: give it a
   * non-loopback local address and the Service gets its endpoint.
   */
  address?: string;
  /** Service ClusterIP range (default 10.0.0.0/24). */
  serviceCidr?: string;
  /** Create the kubelet-less `fake-node` (default true); false when a real kubelet registers its node. */
  fakeNode?: boolean;
}

/** What createReadyPod needs; the pod is bound to the fake node and gets a Running status at once. */
export interface ReadyPodSpec {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /** Pod IP the endpoint controllers will publish. */
  ip: string;
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  /** Ready condition (default true). */
  ready?: boolean;
  /** nodeName binds the pod to this Node instead of the fake node (e.g. one labelled with a zone). */
  nodeName?: string;
}

/** A running etcd + kube-apiserver + kube-controller-manager. */
export interface ControlPlane {
  /** Admin kubeconfig file (system:masters token), for kubectl, helm and child processes. */
  readonly kubeconfigPath: string;
  /** Admin client config. */
  readonly kc: KubeConfig;
  /** https://127.0.0.1:<port> */
  readonly server: string;
  /** The binaries in use (kubectl and helm included). */
  readonly binaries: Binaries;
  /** Temp dir holding data, certs, logs and kubeconfigs; removed by stop(). */
  readonly dir: string;
  /** Client config authenticated as a ServiceAccount via the TokenRequest API, so RBAC applies for real. The SA must exist. */
  kubeConfigFor(namespace: string, serviceAccount: string): Promise<KubeConfig>;
  /** Same as kubeConfigFor, written to a kubeconfig file for child processes. */
  kubeconfigFileFor(namespace: string, serviceAccount: string): Promise<string>;
  /** Creates a namespace and waits for its `default` ServiceAccount, which pod admission requires. */
  createNamespace(name: string, labels?: Record<string, string>): Promise<void>;
  /** Creates a pod on the fake node and gives it a Running status with IP and Ready condition, as a kubelet would. */
  createReadyPod(spec: ReadyPodSpec): Promise<V1Pod>;
  /**
   * Plays kubelet for pods created by controllers (e.g. a chart's Deployment): binds each unbound pod
   * matching the selector to the fake node and gives it a Ready status with the next free 10.244.x.y IP.
   * Returns the pods it handled; call again for pods created later.
   */
  runPendingPods(namespace: string, labelSelector: string): Promise<V1Pod[]>;
  /** Flips the pod's Ready and ContainersReady conditions. */
  setPodReady(namespace: string, name: string, ready: boolean): Promise<void>;
  /** Deletes the pod gracefully; with no kubelet to finish the job it stays terminating (slices show serving+terminating while Ready). */
  markPodTerminating(namespace: string, name: string): Promise<void>;
  /** Removes a pod immediately (grace period 0), also one left terminating. */
  forceDeletePod(namespace: string, name: string): Promise<void>;
  /** Stops kube-apiserver: SIGTERM, SIGKILL after 2s (etcd and controller-manager keep running). */
  stopApiserver(): Promise<void>;
  /** Starts kube-apiserver again on the same port with the same etcd and certs, waiting for /readyz. */
  startApiserver(): Promise<void>;
  /** Compacts etcd to its current revision (returned): lists at an older resourceVersion and watches from one at least two writes back get 410 (with watchCache: false). */
  compactEtcd(): Promise<number>;
  /** Installs CRDs by plural name (e.g. 'servicemonitors') from ../shared/kubernetes/crds and waits until Established. */
  installCrds(names: string[]): Promise<void>;
  /** Pids (= process group ids) of the running processes, for leak checks. */
  pids(): number[];
  /** Kills everything and removes the temp dir; idempotent. */
  stop(): Promise<void>;
}

function kubeconfigJson(server: string, caPem: string, token: string, namespace = 'default'): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'stringsvc', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: 'user', user: { token } }],
    contexts: [{ name: 'stringsvc', context: { cluster: 'stringsvc', user: 'user', namespace } }],
    'current-context': 'stringsvc',
  });
}

/** GET over TLS without verification: used only to poll /readyz before we trust the generated cert. */
function probe(url: string, token: string): Promise<number> {
  return new Promise((res, rej) => {
    const req = request(url, { rejectUnauthorized: false, headers: { authorization: `Bearer ${token}` }, timeout: 2000 }, (r) => {
      r.resume();
      res(r.statusCode ?? 0);
    });
    req.on('error', rej);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

function isStatus(err: unknown, code: number): boolean {
  return err instanceof ApiException && err.code === code;
}

/** Starts etcd, kube-apiserver and kube-controller-manager on free loopback ports and waits until usable. */
export async function startControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const binaries = opts.binaries ?? (await ensureBinaries());
  const dir = mkdtempSync(join(tmpdir(), 'stringsvc-cp-'));
  trackDir(dir);
  const procs: { etcd?: Proc; apiserver?: Proc; kcm?: Proc } = {};
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    // Reverse start order, so the apiserver doesn't spin on a vanished etcd.
    await procs.kcm?.stop();
    await procs.apiserver?.stop();
    await procs.etcd?.stop();
    rmSync(dir, { recursive: true, force: true });
    untrackDir(dir);
  };

  try {
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const address = opts.address ?? '127.0.0.1';
    const loopback = address.startsWith('127.');
    const server = `https://${address}:${apiPort}`;
    const pki = join(dir, 'pki');
    mkdirSync(pki);

    procs.etcd = startProc('etcd', binaries.etcd, [
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      // Test data is disposable; skipping fsync makes startup and writes fast.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ], join(dir, 'etcd.log'));

    const token = randomBytes(24).toString('hex');
    writeFileSync(join(pki, 'tokens.csv'), `${token},admin,admin,system:masters\n`);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const saKey = join(pki, 'sa.key');
    writeFileSync(saKey, privateKey.export({ type: 'pkcs1', format: 'pem' }));

    const apiserverArgs = [
      `--etcd-servers=${etcdUrl}`,
      `--secure-port=${apiPort}`,
      `--bind-address=${address}`,
      `--advertise-address=${address}`,
      // The `kubernetes` Service's endpoints would hold 127.0.0.1, which Endpoints validation rejects.
      ...(loopback ? ['--endpoint-reconciler-type=none'] : []),
      // A real node registers under its hostname, which resolves nowhere: exec, logs and port-forward dial its IP.
      '--kubelet-preferred-address-types=InternalIP,Hostname',
      // No --tls-cert-file: the apiserver writes a self-signed cert + CA here and reuses it on restart.
      `--cert-dir=${pki}`,
      `--token-auth-file=${join(pki, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
      `--service-account-key-file=${saKey}`,
      `--service-account-signing-key-file=${saKey}`,
      `--service-cluster-ip-range=${opts.serviceCidr ?? '10.0.0.0/24'}`,
      '--allow-privileged=true',
      `--watch-cache=${opts.watchCache ?? true}`,
      ...(opts.apiserverArgs ?? []),
    ];
    const startApiserver = async (): Promise<void> => {
      const p = startProc('kube-apiserver', binaries.kubeApiserver, apiserverArgs, join(dir, 'kube-apiserver.log'));
      procs.apiserver = p;
      await waitFor('kube-apiserver /readyz', async () => {
        if (p.done()) throw new GaveUp('kube-apiserver exited');
        return (await probe(`${server}/readyz`, token)) === 200;
      }, 60_000, p.logTail);
    };

    await waitFor('etcd', async () => {
      if (procs.etcd?.done()) throw new GaveUp('etcd exited');
      return (await fetch(`${etcdUrl}/health`)).ok;
    }, 30_000, () => procs.etcd?.logTail() ?? '');
    await startApiserver();

    const caPem = readFileSync(join(pki, 'apiserver.crt'), 'utf8');
    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfigJson(server, caPem, token));
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);

    procs.kcm = startProc('kube-controller-manager', binaries.kubeControllerManager, [
      `--kubeconfig=${kubeconfigPath}`,
      `--controllers=${(opts.controllers ?? defaultControllers).join(',')}`,
      `--service-account-private-key-file=${saKey}`,
      `--root-ca-file=${join(pki, 'apiserver.crt')}`,
      '--leader-elect=false',
      // No serving endpoint needed; readiness is observed through the objects it creates.
      '--secure-port=0',
    ], join(dir, 'kube-controller-manager.log'));

    if (opts.fakeNode ?? true) await core.createNode({ body: { metadata: { name: fakeNodeName, labels: { 'kubernetes.io/hostname': fakeNodeName } } } });

    const waitDefaultSa = (namespace: string): Promise<void> =>
      waitFor(`ServiceAccount ${namespace}/default`, async () => {
        if (procs.kcm?.done()) throw new GaveUp('kube-controller-manager exited');
        await core.readNamespacedServiceAccount({ namespace, name: 'default' });
        return true;
      }, 30_000, () => procs.kcm?.logTail() ?? '');
    await waitDefaultSa('default');

    const tokenFor = async (namespace: string, serviceAccount: string): Promise<string> => {
      const tr = await core.createNamespacedServiceAccountToken({
        namespace,
        name: serviceAccount,
        body: { spec: { audiences: [], expirationSeconds: 3600 } },
      });
      const t = tr.status?.token;
      if (!t) throw new Error(`no token for ${namespace}/${serviceAccount}`);
      return t;
    };
    const kubeconfigFileFor = async (namespace: string, serviceAccount: string): Promise<string> => {
      const file = join(dir, `${namespace}.${serviceAccount}.kubeconfig`);
      writeFileSync(file, kubeconfigJson(server, caPem, await tokenFor(namespace, serviceAccount), namespace));
      return file;
    };

    const updateStatus = async (namespace: string, name: string, mutate: (pod: V1Pod) => void): Promise<V1Pod> => {
      for (;;) {
        const pod = await core.readNamespacedPod({ namespace, name });
        mutate(pod);
        try {
          return await core.replaceNamespacedPodStatus({ namespace, name, body: pod });
        } catch (err) {
          if (!isStatus(err, 409)) throw err;
        }
      }
    };
    const setReady = (pod: V1Pod, ready: boolean): void => {
      const now = new Date();
      const status = (pod.status ??= {});
      const conds = (status.conditions ??= []);
      for (const type of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready']) {
        const want = type === 'Ready' || type === 'ContainersReady' ? ready : true;
        const value = want ? 'True' : 'False';
        const c = conds.find((x: V1PodCondition) => x.type === type);
        if (!c) conds.push({ type, status: value, lastTransitionTime: now });
        else if (c.status !== value) Object.assign(c, { status: value, lastTransitionTime: now });
      }
    };

    let podIpCounter = 0;
    const nextPodIp = (): string => {
      podIpCounter++;
      return `10.244.${200 + (podIpCounter >> 8)}.${podIpCounter & 255}`;
    };
    const runningStatus = (pod: V1Pod, ip: string, ready: boolean): void => {
      const status = (pod.status ??= {});
      Object.assign(status, { phase: 'Running', hostIP: '127.0.0.1', podIP: ip, podIPs: [{ ip }], startTime: new Date() });
      setReady(pod, ready);
    };

    return {
      kubeconfigPath,
      kc,
      server,
      binaries,
      dir,
      async kubeConfigFor(namespace, serviceAccount) {
        const k = new KubeConfig();
        k.loadFromString(kubeconfigJson(server, caPem, await tokenFor(namespace, serviceAccount), namespace));
        return k;
      },
      kubeconfigFileFor,
      async createNamespace(name, labels) {
        await core.createNamespace({ body: { metadata: { name, ...(labels ? { labels } : {}) } } });
        await waitDefaultSa(name);
      },
      async createReadyPod(s) {
        await core.createNamespacedPod({
          namespace: s.namespace,
          body: {
            metadata: { name: s.name, labels: s.labels },
            spec: {
              nodeName: s.nodeName ?? fakeNodeName,
              automountServiceAccountToken: false,
              // Compliant with the `restricted` Pod Security level, so it works in any test namespace.
              securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
              containers: [{
                name: 'app',
                image: 'stringsvc.invalid/fake:test',
                ports: s.ports ?? [],
                securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              }],
            },
          },
        });
        return updateStatus(s.namespace, s.name, (pod) => runningStatus(pod, s.ip, s.ready ?? true));
      },
      async runPendingPods(namespace, labelSelector) {
        const pods = await core.listNamespacedPod({ namespace, labelSelector });
        const done: V1Pod[] = [];
        for (const p of pods.items) {
          const name = p.metadata?.name ?? '';
          if (p.spec?.nodeName || p.metadata?.deletionTimestamp) continue;
          // The Binding subresource is what the scheduler uses; spec.nodeName is immutable otherwise.
          await core.createNamespacedBinding({ namespace, body: { metadata: { name }, target: { kind: 'Node', name: fakeNodeName } } });
          const ip = nextPodIp();
          done.push(await updateStatus(namespace, name, (pod) => runningStatus(pod, ip, true)));
        }
        return done;
      },
      async setPodReady(namespace, name, ready) {
        await updateStatus(namespace, name, (pod) => setReady(pod, ready));
      },
      async markPodTerminating(namespace, name) {
        await core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 3600 });
      },
      async forceDeletePod(namespace, name) {
        await core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: 0 });
      },
      async stopApiserver() {
        // Graceful shutdown waits ~10s for the controller-manager's watches; tests want a quick outage.
        await procs.apiserver?.stop(2000);
      },
      async startApiserver() {
        if (procs.apiserver && !procs.apiserver.done()) return;
        await startApiserver();
      },
      async compactEtcd() {
        const post = async (path: string, body: object): Promise<Record<string, unknown>> => {
          const r = await fetch(`${etcdUrl}${path}`, { method: 'POST', body: JSON.stringify(body) });
          if (!r.ok) throw new Error(`etcd ${path}: ${r.status} ${await r.text()}`);
          return (await r.json()) as Record<string, unknown>;
        };
        const status = await post('/v3/maintenance/status', {});
        const revision = Number((status['header'] as { revision?: string } | undefined)?.revision);
        if (!revision) throw new Error(`etcd status without revision: ${JSON.stringify(status)}`);
        await post('/v3/kv/compaction', { revision: String(revision), physical: true });
        return revision;
      },
      async installCrds(names) {
        const crdDir = process.env['STRINGSVC_CRDS_DIR'] ?? join(repoRoot, '..', 'shared', 'kubernetes', 'crds');
        const files = existsSync(crdDir) ? readdirSync(crdDir) : [];
        const ext = kc.makeApiClient(ApiextensionsV1Api);
        for (const n of names) {
          const file = files.find((f) => f.endsWith(`_${n}.yaml`) || f === `${n}.yaml`);
          if (!file) throw new Error(`no CRD file for ${n} in ${crdDir}`);
          for (const doc of loadAllYaml(readFileSync(join(crdDir, file), 'utf8')) as V1CustomResourceDefinition[]) {
            if (doc?.kind !== 'CustomResourceDefinition') continue;
            try {
              await ext.createCustomResourceDefinition({ body: doc });
            } catch (err) {
              if (!isStatus(err, 409)) throw err;
            }
            const name = doc.metadata?.name ?? '';
            await waitFor(`CRD ${name} Established`, async () => {
              const crd = await ext.readCustomResourceDefinition({ name });
              return !!crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
            }, 30_000);
          }
        }
      },
      pids: () => [procs.etcd, procs.apiserver, procs.kcm].filter((p): p is Proc => !!p && !p.done()).map((p) => p.pid),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
