// Prometheus through prometheus-operator on the test node: the operator, its config reloader and
// Prometheus built from the Go module proxy (Debian's Prometheus has no Kubernetes service
// discovery), reloader and Prometheus made into images in the node's containerd under the names
// the operator is told to use. The operator
// runs as a host process against the node's apiserver (as it would in-cluster, with admin rights).
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolsDir } from '../controlplane/binaries.ts';
import { freePort, GaveUp, type Proc, startProc, waitFor } from '../controlplane/procs.ts';
import type { Cluster } from './cluster.ts';
import { configReloader, ensureTool, pinnedVersion, prometheus, prometheusOperator, prometheusRelease } from '../controlplane/go-tools.ts';
import { loadIntoContainerd, sh } from './images.ts';

/** The Prometheus release built; the Prometheus object's `version` says the same, so the operator writes a config it reads. */
export const prometheusVersion = prometheusRelease(pinnedVersion('prometheus', 'github.com/prometheus/prometheus'));
export const prometheusBaseImage = 'stringsvc.local/prometheus';
export const reloaderImage = `stringsvc.local/prometheus-config-reloader:${pinnedVersion('prometheus-operator', 'github.com/prometheus-operator/prometheus-operator')}`;
/** Namespace of the Prometheus object, its ServiceAccount and StatefulSet. */
export const monitoringNs = 'monitoring';
/** Label our ServiceMonitor and PrometheusRule carry (through chart values) for the Prometheus object to select them. */
export const selectLabel = { key: 'prometheus', value: 'stringsvc-test' };

/** A one-binary image (a static Go binary) through `docker import`: no registry, no base image. */
async function binaryImage(c: Cluster, ref: string, bin: string): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'stringsvc-prom-image-'));
  try {
    const root = join(work, 'root');
    for (const d of ['bin', 'tmp', 'etc']) mkdirSync(join(root, d), { recursive: true });
    const name = bin.split('/').pop() ?? 'bin';
    copyFileSync(bin, join(root, 'bin', name));
    await sh('tar', ['--numeric-owner', '-C', root, '-cf', join(work, 'image.tar'), '.']);
    await c.runtime.docker.run(['import', '--change', `ENTRYPOINT ["/bin/${name}"]`, '--change', 'USER 65534:65534', join(work, 'image.tar'), ref]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Builds the operator's two images from the local binaries and loads them into the node. */
export async function prometheusImages(c: Cluster): Promise<void> {
  const reloader = await ensureTool(configReloader);
  await binaryImage(c, `${prometheusBaseImage}:${prometheusVersion}`, await ensureTool(prometheus));
  await binaryImage(c, reloaderImage, reloader);
  await loadIntoContainerd(c.runtime.docker, c.runtime.containerdSocket, [`${prometheusBaseImage}:${prometheusVersion}`, reloaderImage]);
}

/** The operator's CRDs: ours (../shared/kubernetes/crds) for what the chart creates, the operator module's own for the rest. */
export async function installCrds(c: Cluster): Promise<void> {
  await c.cp.installCrds(['servicemonitors', 'podmonitors', 'prometheusrules']);
  const version = pinnedVersion('prometheus-operator', 'github.com/prometheus-operator/prometheus-operator');
  const mod = JSON.parse(await sh('go', ['mod', 'download', '-json', `github.com/prometheus-operator/prometheus-operator@${version}`], { cwd: join(toolsDir, 'prometheus-operator') })) as { Dir: string };
  const theirs = join(mod.Dir, 'example', 'prometheus-operator-crd');
  // Server-side: these CRDs exceed the size of the last-applied annotation client-side apply writes.
  for (const n of ['prometheuses', 'prometheusagents', 'alertmanagers', 'alertmanagerconfigs', 'probes', 'scrapeconfigs', 'thanosrulers']) {
    await c.kubectl(['apply', '--server-side', '-f', join(theirs, `monitoring.coreos.com_${n}.yaml`)]);
  }
  await c.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
}

/** The running operator. */
export interface Operator {
  readonly proc: Proc;
  stop(): Promise<void>;
}

export async function startOperator(c: Cluster): Promise<Operator> {
  const bin = await ensureTool(prometheusOperator);
  const proc = startProc('prometheus-operator', bin, [
    `--prometheus-default-base-image=${prometheusBaseImage}`,
    `--prometheus-config-reloader=${reloaderImage}`,
    `--web.listen-address=127.0.0.1:${await freePort()}`,
    '--log-level=info',
  ], join(c.dir, 'prometheus-operator.log'), { ...process.env, KUBECONFIG: c.kubeconfigPath });
  return { proc, stop: () => proc.stop(10_000) };
}

/** The Prometheus object, its ServiceAccount and what that account may read. */
export function prometheusManifests(opts: { scrapeInterval: string }): string {
  const sel = `${selectLabel.key}: ${selectLabel.value}`;
  return `apiVersion: v1
kind: Namespace
metadata:
  name: ${monitoringNs}
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: prometheus
  namespace: ${monitoringNs}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: stringsvc-test-prometheus
rules:
  - apiGroups: [""]
    resources: [services, endpoints, pods]
    verbs: [get, list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [get, list, watch]
  - nonResourceURLs: [/metrics]
    verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: stringsvc-test-prometheus
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: stringsvc-test-prometheus
subjects:
  - kind: ServiceAccount
    name: prometheus
    namespace: ${monitoringNs}
---
apiVersion: monitoring.coreos.com/v1
kind: Prometheus
metadata:
  name: stringsvc
  namespace: ${monitoringNs}
spec:
  version: ${prometheusVersion}
  replicas: 1
  serviceAccountName: prometheus
  serviceDiscoveryRole: EndpointSlice
  scrapeInterval: ${opts.scrapeInterval}
  evaluationInterval: ${opts.scrapeInterval}
  serviceMonitorNamespaceSelector: {}
  serviceMonitorSelector:
    matchLabels:
      ${sel}
  ruleNamespaceSelector: {}
  ruleSelector:
    matchLabels:
      ${sel}
  podMonitorSelector: null
  probeSelector: null
  scrapeConfigSelector: null
  securityContext:
    runAsNonRoot: true
    runAsUser: 65534
    runAsGroup: 65534
    fsGroup: 65534
  resources:
    requests:
      memory: 100Mi
`;
}

/** Prometheus's HTTP API at its pod's address (pod IPs are on this node's bridge, reachable from the host). */
export interface PromApi {
  readonly base: string;
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  alerts(): Promise<{ labels: Record<string, string>; state: string }[]>;
}

export async function waitPrometheus(c: Cluster, timeoutMs = 180_000, operator?: Operator): Promise<PromApi> {
  let ip = '';
  await waitFor('Prometheus pod Ready', async () => {
    if (operator?.proc.done()) throw new GaveUp('prometheus-operator exited');
    const out = await c.kubectl(['--namespace', monitoringNs, 'get', 'pods', '-l', 'app.kubernetes.io/name=prometheus', '-o',
      'jsonpath={range .items[*]}{.status.podIP} {.status.containerStatuses[*].ready}{"\\n"}{end}']);
    const line = out.split('\n').find((l) => l && !l.includes('false'));
    ip = line?.split(' ')[0] ?? '';
    return ip !== '';
  }, timeoutMs, () => operator?.proc.logTail() ?? '');
  const base = `http://${ip}:9090`;
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? res.status}`);
    return body.data;
  };
  return {
    base,
    query: async (expr) => (await get<{ result: { metric: Record<string, string>; value: [number, string] }[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`)).result,
    alerts: async () => (await get<{ alerts: { labels: Record<string, string>; state: string }[] }>('/api/v1/alerts')).alerts,
  };
}
