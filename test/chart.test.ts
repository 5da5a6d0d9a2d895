import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import {
  ApiException,
  AuthorizationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  type KubeConfig,
  Watch,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { ensureBinaries, versions } from './controlplane/binaries.ts';
import { type ControlPlane, defaultControllers, startControlPlane } from './controlplane/harness.ts';
import { waitFor } from './controlplane/procs.ts';
import { controlPlaneSkip } from './controlplane/require.ts';
import { withKubeVersion } from './support/chart.ts';
import { repoRoot, startBuilt } from './support/process.ts';

const chart = join(repoRoot, 'charts', 'stringsvc');
const skip = controlPlaneSkip();
const work = mkdtempSync(join(tmpdir(), 'stringsvc-chart-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Every option switched away from its default. */
const nonDefault = {
  fullnameOverride: 'svc',
  image: { registry: 'registry.example', repository: 'stringsvc', tag: 'v1', digest: 'sha256:' + 'a'.repeat(64), pullPolicy: 'Always' },
  imagePullSecrets: [{ name: 'regcred' }],
  global: { imagePullSecrets: ['mirror'] },
  commonLabels: { team: 'strings' },
  commonAnnotations: { owner: 'platform' },
  topologySpread: { topologyKeys: ['kubernetes.io/hostname'], maxSkew: 2 },
  logLevel: 'debug',
  requestLog: false,
  shutdown: { delaySeconds: 7, graceSeconds: 30, marginSeconds: 3, preStopSleep: true },
  backend: {
    replicaCount: 5,
    extraArgs: ['--body-limit=64kb'],
    podDisruptionBudget: { enabled: true, maxUnavailable: '20%', unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    autoscaling: { enabled: true, minReplicas: 3, maxReplicas: 9, targetCPUUtilizationPercentage: 120 },
    service: { type: 'ClusterIP', port: 8080, annotations: { a: 'b' } },
    serviceAccount: { create: true },
    envFrom: [{ configMapRef: { name: 'backend-env', optional: true } }],
    extraVolumes: [{ name: 'scratch', emptyDir: {} }],
    extraVolumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
    securityContext: { runAsUser: 2000 },
    podSecurityContext: { runAsUser: 2000, runAsGroup: 2000, fsGroup: 2000 },
  },
  frontend: {
    replicaCount: 3,
    discovery: 'endpoints',
    podDisruptionBudget: { enabled: false },
    service: { type: 'LoadBalancer', port: 80, nodePort: 30080, externalTrafficPolicy: 'Local', annotations: { 'example.com/lb': 'internal' } },
    ingress: { enabled: true, className: 'nginx', hosts: [{ host: 'strings.example', paths: [{ path: '/', pathType: 'Prefix' }] }], tls: [{ secretName: 'strings-tls', hosts: ['strings.example'] }] },
    resilience: { qps: 2500.5, burst: 1000000, maxAttempts: 2, maxTime: '1.5s', attemptTimeout: '400ms', breakerFailures: 10, breakerReset: '30s', retryBudget: 0 },
  },
  counter: { enabled: true, replicaCount: 3, rate: 2, burst: 5, extraArgs: ['--metrics-prefix=counter_'], podDisruptionBudget: { enabled: true, maxUnavailable: 2 } },
  networkPolicy: { enabled: true, metricsFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }] },
  metrics: {
    serviceMonitor: {
      enabled: true, labels: { release: 'kube-prometheus-stack' }, interval: '15s', jobLabel: 'app.kubernetes.io/component', honorLabels: true,
      relabelings: [{ targetLabel: 'cluster', replacement: 'east' }], metricRelabelings: [{ sourceLabels: ['__name__'], regex: 'nodejs_.*', action: 'drop' }],
    },
    prometheusRule: { enabled: true, runbookBaseUrl: 'https://example.org/docs/runbooks.md', errorRate: { threshold: '0.1' } },
    dashboard: { enabled: true },
  },
};
/** All monitoring options on, but otherwise the defaults (EndpointSlices discovery). */
const monitoringOn = {
  // With the NetworkPolicy, the ServiceMonitor needs its Prometheus let in (the chart fails otherwise).
  networkPolicy: { enabled: true, metricsFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }] },
  metrics: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true }, dashboard: { enabled: true } },
};

function valuesFile(name: string, values: object): string {
  const file = join(work, `${name}.yaml`);
  writeFileSync(file, JSON.stringify(values)); // JSON is YAML
  return file;
}

type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // Manifests are checked field by field; typing every Kubernetes kind here would add nothing.
  spec?: any;
  [k: string]: any;
};

let helmBin = '';
const helmEnv = {
  ...process.env,
  HELM_CACHE_HOME: join(work, 'helm-cache'),
  HELM_CONFIG_HOME: join(work, 'helm-config'),
  HELM_DATA_HOME: join(work, 'helm-data'),
};

async function helm(args: string[], kubeconfig?: string): Promise<{ stdout: string; stderr: string }> {
  // Rendered without a cluster, for the oldest Kubernetes the chart supports unless args name one.
  return promisify(execFile)(helmBin, [...(kubeconfig ? args : withKubeVersion(args)), ...(kubeconfig ? ['--kubeconfig', kubeconfig] : [])], {
    env: helmEnv,
    maxBuffer: 64 << 20,
  });
}

/** Runs helm expecting failure; returns its stderr. */
async function helmFails(args: string[], kubeconfig?: string): Promise<string> {
  try {
    await helm(args, kubeconfig);
  } catch (err) {
    return String((err as { stderr?: string }).stderr ?? err);
  }
  throw new Error(`helm ${args.join(' ')} succeeded but should have failed`);
}

async function render(args: string[] = []): Promise<Obj[]> {
  const { stdout } = await helm(['template', 'stringsvc', chart, '--namespace', 'demo', ...args]);
  return parseAllDocuments(stdout).map((d) => d.toJS() as Obj).filter(Boolean);
}

function find(objs: Obj[], kind: string, name: string): Obj {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `no ${kind}/${name} in ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
}

/** Pod specs of the Deployments and of the helm test Pod. */
function podSpecs(objs: Obj[]): [string, any][] {
  return objs.flatMap((o): [string, any][] =>
    o.kind === 'Deployment' ? [[`Deployment/${o.metadata.name}`, o.spec.template.spec]] : o.kind === 'Pod' ? [[`Pod/${o.metadata.name}`, o.spec]] : [],
  );
}

/** Does a label selector (matchLabels + matchExpressions In/NotIn/Exists) select these labels? */
function selects(sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] }, labels: Record<string, string> = {}): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = e.key in labels;
    const v = labels[e.key];
    if (e.operator === 'In' && !(has && e.values?.includes(v!))) return false;
    if (e.operator === 'NotIn' && has && e.values?.includes(v!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

function arg(spec: any, flag: string): string | undefined {
  const args: string[] = spec.containers[0].args;
  return args.find((a) => a.startsWith(`--${flag}=`))?.slice(flag.length + 3);
}

const kubeVersion = versions.kubernetes;

describe('helm chart: lint and template', { skip }, () => {
  before(async () => {
    helmBin = (await ensureBinaries()).helm;
  });

  test('helm lint --strict passes with default and with non-default values', async () => {
    for (const extra of [[], ['-f', valuesFile('non-default', nonDefault)], ['-f', valuesFile('monitoring', monitoringOn)]]) {
      const { stdout } = await helm(['lint', '--strict', chart, ...extra]);
      assert.match(stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  test('defaults: backend (3) and frontend Deployments and Services, frontend RBAC, PDBs, a test Pod, nothing else', async () => {
    const objs = await render(['--set', 'metrics.serviceMonitor.enabled=true', '--set', 'metrics.prometheusRule.enabled=true']);
    assert.deepEqual(objs.map((o) => `${o.kind}/${o.metadata.name}`).sort(), [
      'Deployment/stringsvc-backend',
      'Deployment/stringsvc-frontend',
      'Pod/stringsvc-test-connection',
      'PodDisruptionBudget/stringsvc-backend',
      'PodDisruptionBudget/stringsvc-frontend',
      'Role/stringsvc-frontend',
      'RoleBinding/stringsvc-frontend',
      'Service/stringsvc-backend',
      'Service/stringsvc-frontend',
      'ServiceAccount/stringsvc-frontend',
    ], 'ServiceMonitor and PrometheusRule need the monitoring.coreos.com/v1 API as well as the value');
    assert.equal(find(objs, 'Deployment', 'stringsvc-backend').spec.replicas, 3);
    const fe = find(objs, 'Service', 'stringsvc-frontend');
    assert.deepEqual(fe.spec.ports, [{ port: 80, targetPort: 'http', protocol: 'TCP', name: 'http' }]);
    assert.equal(find(objs, 'Pod', 'stringsvc-test-connection').metadata.annotations?.['helm.sh/hook'], 'test');
  });

  test('every pod meets Pod Security "restricted", with a read-only root and an emptyDir /tmp', async () => {
    for (const [values, pods] of [[[], 3], [['-f', valuesFile('non-default', nonDefault)], 4], [['--set', 'counter.enabled=true', '--set', 'counter.store=memory', '--set', 'counter.replicaCount=1'], 4]] as const) {
      const specs = podSpecs(await render([...values]));
      assert.equal(specs.length, pods, specs.map(([w]) => w).join());
      for (const [what, spec] of specs) {
        assert.equal(spec.securityContext.runAsNonRoot, true, what);
        assert.equal(spec.securityContext.seccompProfile.type, 'RuntimeDefault', what);
        assert.equal(spec.hostNetwork ?? false, false, what);
        for (const c of spec.containers) {
          const sc = { ...spec.securityContext, ...c.securityContext };
          assert.ok(Number.isInteger(sc.runAsUser) && sc.runAsUser > 0, `${what}: numeric non-root uid`);
          assert.equal(c.securityContext.allowPrivilegeEscalation, false, what);
          assert.deepEqual(c.securityContext.capabilities, { drop: ['ALL'] }, what);
          assert.equal(c.securityContext.readOnlyRootFilesystem, true, what);
          assert.ok(c.resources?.limits?.memory, `${what}: memory limit`);
        }
        if (what.startsWith('Deployment')) {
          assert.deepEqual(spec.containers[0].volumeMounts[0], { name: 'tmp', mountPath: '/tmp' }, what);
          assert.ok(spec.volumes.some((v: any) => v.name === 'tmp' && v.emptyDir), what);
        }
      }
    }
  });

  test('by default only the frontend gets API credentials; its Role reads endpointslices, and endpoints only in legacy mode', async () => {
    const objs = await render();
    const sa = find(objs, 'ServiceAccount', 'stringsvc-frontend');
    assert.equal(sa.automountServiceAccountToken, false);
    for (const [what, spec] of podSpecs(objs)) {
      if (what === 'Deployment/stringsvc-frontend') {
        assert.equal(spec.serviceAccountName, 'stringsvc-frontend');
        assert.equal(spec.automountServiceAccountToken, true);
      } else {
        assert.equal(spec.automountServiceAccountToken, false, what);
        assert.equal(spec.serviceAccountName, undefined, what);
      }
    }
    const slices = [{ apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] }];
    assert.deepEqual(find(objs, 'Role', 'stringsvc-frontend').rules, slices);
    const legacy = await render(['--set', 'frontend.discovery=endpoints']);
    assert.deepEqual(find(legacy, 'Role', 'stringsvc-frontend').rules, [
      ...slices,
      { apiGroups: [''], resources: ['endpoints'], verbs: ['get', 'list', 'watch'] },
    ]);
    const rb = find(objs, 'RoleBinding', 'stringsvc-frontend');
    assert.deepEqual(rb.subjects, [{ kind: 'ServiceAccount', name: 'stringsvc-frontend', namespace: 'demo' }]);
    assert.deepEqual(rb.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'stringsvc-frontend' });
  });

  test('the frontend discovers the backend Service by its port name, namespace from the downward API', async () => {
    for (const [values, mode] of [[[], 'endpointslices'], [['--set', 'frontend.discovery=endpoints'], 'endpoints']] as const) {
      const objs = await render([...values]);
      const spec = find(objs, 'Deployment', 'stringsvc-frontend').spec.template.spec;
      assert.deepEqual(spec.containers[0].args.slice(0, 1), ['dist/cmd/stringsvc.js']);
      assert.equal(arg(spec, 'discovery'), mode);
      assert.equal(arg(spec, 'service'), 'stringsvc-backend');
      assert.equal(arg(spec, 'namespace'), '$(POD_NAMESPACE)');
      assert.equal(arg(spec, 'port-name'), 'http');
      assert.deepEqual(spec.containers[0].env[0], { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } });
      const backend = find(objs, 'Service', 'stringsvc-backend');
      assert.ok(backend.spec.ports.some((p: any) => p.name === 'http'));
      assert.equal(arg(find(objs, 'Deployment', 'stringsvc-backend').spec.template.spec, 'discovery'), undefined);
    }
  });

  test("the frontend's resilience flags: the seed's defaults, values as set, extraArgs after them", async () => {
    const flags = ['qps', 'burst', 'max-attempts', 'max-time', 'attempt-timeout', 'breaker-failures', 'breaker-reset', 'retry-budget'];
    const frontendArgs = async (values: string[]) => find(await render(values), 'Deployment', 'stringsvc-frontend').spec.template.spec;
    const defaults = await frontendArgs([]);
    assert.deepEqual(flags.map((f) => arg(defaults, f)), ['100', '100', '3', '250ms', '100ms', '5', '10s', '0.2']);
    // A values file's whole numbers reach the flags without an exponent (helm holds them as float64).
    const set = await frontendArgs(['-f', valuesFile('resilience', { frontend: { resilience: nonDefault.frontend.resilience } })]);
    assert.deepEqual(flags.map((f) => arg(set, f)), ['2500.5', '1000000', '2', '1.5s', '400ms', '10', '30s', '0']);
    const cli = await frontendArgs(['--set', 'frontend.resilience.qps=0.5', '--set', 'frontend.extraArgs={--qps=100000}']);
    const args: string[] = cli.containers[0].args;
    assert.ok(args.indexOf('--qps=0.5') < args.indexOf('--qps=100000'), 'extraArgs come later, so they win');
    // The backends are not proxies: none of these flags.
    const backend = find(await render([]), 'Deployment', 'stringsvc-backend').spec.template.spec;
    assert.deepEqual(flags.map((f) => arg(backend, f)), flags.map(() => undefined));
  });

  test('the install notes say what the per-backend limit means for total throughput', async () => {
    // helm template does not render NOTES.txt: render a copy of the chart with the notes as a value.
    const copy = join(work, 'notes-chart');
    rmSync(copy, { recursive: true, force: true });
    cpSync(chart, copy, { recursive: true });
    rmSync(join(copy, 'templates', 'tests'), { recursive: true, force: true });
    const notes = readFileSync(join(copy, 'templates', 'NOTES.txt'), 'utf8');
    rmSync(join(copy, 'templates', 'NOTES.txt'));
    writeFileSync(join(copy, 'templates', 'notes.yaml'), `{{- define "notes" }}${notes}{{ end }}\nnotes: {{ include "notes" . | toJson }}\n`);
    const rendered = async (values: string[]) => {
      const { stdout } = await helm(['template', 'stringsvc', copy, '--show-only', 'templates/notes.yaml', ...values]);
      return (parseAllDocuments(stdout)[0]!.toJS() as { notes: string }).notes;
    };
    assert.match(await rendered([]), /Each frontend sends each backend at most 100 calls\/s after a burst of 100 .*\n.* so one frontend proxies at most 100 × backends calls\/s \(300 with 3 backends\) and answers 429 beyond that\.\nRaise frontend\.resilience\.qps and \.burst before a load test\./);
    assert.match(await rendered(['--set', 'frontend.resilience.qps=1000', '--set', 'backend.replicaCount=5']), /at most 1000 × backends calls\/s \(5000 with 5 backends\)/);
    assert.match(await rendered(['--set', 'backend.autoscaling.enabled=true', '--set', 'backend.resources.requests.cpu=100m']), /at most 100 × backends calls\/s and answers 429/);
  });

  test('probes on /healthz and /readyz of the named port', async () => {
    const deployments = podSpecs(await render(['--set', 'counter.enabled=true'])).filter(([w]) => w.startsWith('Deployment'));
    assert.equal(deployments.length, 3);
    for (const [, spec] of deployments) {
      const c = spec.containers[0];
      assert.deepEqual(c.ports, [{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
      assert.deepEqual(c.livenessProbe.httpGet, { path: '/healthz', port: 'http' });
      assert.deepEqual(c.startupProbe.httpGet, { path: '/healthz', port: 'http' });
      assert.deepEqual(c.readinessProbe.httpGet, { path: '/readyz', port: 'http' });
    }
  });

  test('terminationGracePeriodSeconds covers the preStop sleep, the drain and a margin', async () => {
    const check = async (args: string[], want: { sleep?: number; delay: string; grace: string; tgps: number }) => {
      for (const [what, spec] of podSpecs(await render(args)).filter(([w]) => w.startsWith('Deployment'))) {
        const c = spec.containers[0];
        assert.equal(c.lifecycle?.preStop?.sleep?.seconds, want.sleep, what);
        assert.equal(arg(spec, 'shutdown-delay'), want.delay, what);
        assert.equal(arg(spec, 'grace'), want.grace, what);
        assert.equal(spec.terminationGracePeriodSeconds, want.tgps, what);
      }
    };
    await check(['--kube-version', kubeVersion], { sleep: 5, delay: '0s', grace: '10s', tgps: 20 });
    await check(['--kube-version', kubeVersion, '-f', valuesFile('non-default', nonDefault)], { sleep: 7, delay: '0s', grace: '30s', tgps: 40 });
    // Without the built-in sleep action (before 1.30), or when asked, the app waits itself.
    await check(['--kube-version', '1.29.0'], { delay: '5s', grace: '10s', tgps: 20 });
    await check(['--kube-version', kubeVersion, '--set', 'shutdown.preStopSleep=false'], { delay: '5s', grace: '10s', tgps: 20 });
  });

  test("the ServiceMonitor's selector and port match both Services (and only with the monitoring API)", async () => {
    const objs = await render(['--api-versions', 'monitoring.coreos.com/v1', '-f', valuesFile('monitoring', monitoringOn)]);
    const sm = find(objs, 'ServiceMonitor', 'stringsvc');
    const services = objs.filter((o) => o.kind === 'Service');
    assert.equal(services.length, 2);
    for (const svc of services) {
      assert.ok(selects(sm.spec.selector, svc.metadata.labels), `ServiceMonitor selects Service/${svc.metadata.name}`);
      for (const ep of sm.spec.endpoints) assert.ok(svc.spec.ports.some((p: any) => p.name === ep.port), `port ${ep.port} on ${svc.metadata.name}`);
    }
    assert.deepEqual(sm.spec.namespaceSelector, { matchNames: ['demo'] });
    assert.equal(sm.spec.endpoints[0].path, '/metrics');
    const rule = find(objs, 'PrometheusRule', 'stringsvc');
    assert.deepEqual(rule.spec.groups[0].rules.map((r: any) => r.alert), ['StringsvcHighErrorRate', 'StringsvcCircuitBreakerOpen', 'StringsvcNoEndpoints']);
    const dash = find(objs, 'ConfigMap', 'stringsvc-dashboard');
    assert.equal(dash.metadata.labels?.['grafana_dashboard'], '1');
    assert.equal(JSON.parse(dash['data']['stringsvc.json']).uid, 'stringsvc');
    const np = find(objs, 'NetworkPolicy', 'stringsvc-backend');
    assert.deepEqual(np.spec.ingress[0].from, [
      { podSelector: { matchLabels: find(objs, 'Deployment', 'stringsvc-frontend').spec.selector.matchLabels } },
      ...monitoringOn.networkPolicy.metricsFrom,
    ]);
    assert.deepEqual(np.spec.podSelector, find(objs, 'Deployment', 'stringsvc-backend').spec.selector);
  });

  test('the alerts and the dashboard query metrics a running frontend and backend really export', { timeout: 60_000 }, async () => {
    const objs = await render(['--api-versions', 'monitoring.coreos.com/v1', '-f', valuesFile('monitoring', monitoringOn)]);
    const rules: string[] = find(objs, 'PrometheusRule', 'stringsvc').spec.groups[0].rules.map((r: any) => r.expr);
    const dashboard = JSON.parse(find(objs, 'ConfigMap', 'stringsvc-dashboard')['data']['stringsvc.json']);
    const prefix = dashboard.templating.list.find((v: any) => v.name === 'prefix').query as string;
    const panels: string[] = dashboard.panels.flatMap((p: any) => p.targets.map((t: any) => (t.expr as string).replaceAll('${prefix}', prefix)));
    const used = new Set([...rules, ...panels].flatMap((e) => [...e.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((m) => m[1]!)));
    used.delete('up'); // Prometheus' own per-target series

    const backend = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--request-log=false']);
    const frontend = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--request-log=false', `--proxy=${backend.addr}`]);
    try {
      await fetch(`${frontend.url}/uppercase`, { method: 'POST', body: '{"s":"hello"}' });
      const exported = new Set([...(await (await fetch(`${frontend.url}/metrics`)).text()).matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap((m) =>
        m[2] === 'histogram' ? [`${m[1]}_bucket`, `${m[1]}_sum`, `${m[1]}_count`] : [m[1]!]));
      assert.ok(used.size >= 7, [...used].join());
      for (const name of used) assert.ok(exported.has(name), `${name} is queried but the frontend does not export it`);
    } finally {
      await frontend.stop();
      await backend.stop();
    }
  });

  test('helm lint --strict passes with the counter enabled, with either store', async () => {
    for (const extra of [['--set', 'counter.enabled=true'], ['--set', 'counter.enabled=true', '--set', 'counter.store=memory', '--set', 'counter.replicaCount=1']]) {
      const { stdout } = await helm(['lint', '--strict', chart, ...extra]);
      assert.match(stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/, extra.join(' '));
    }
  });

  test('counter objects exist only when enabled; its ServiceAccount, Role and RoleBinding only with the kubernetes store; never its ConfigMap', async () => {
    const counterObjs = (objs: Obj[]) => objs.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'counter').map((o) => `${o.kind}/${o.metadata.name}`).sort();
    assert.deepEqual(counterObjs(await render()), []);
    assert.deepEqual(counterObjs(await render(['--set', 'counter.store=memory', '--set', 'counter.replicaCount=1'])), []);
    const enabled = await render(['--set', 'counter.enabled=true', '--set', 'metrics.dashboard.enabled=true']);
    assert.deepEqual(counterObjs(enabled), [
      'Deployment/stringsvc-counter',
      'PodDisruptionBudget/stringsvc-counter',
      'Role/stringsvc-counter',
      'RoleBinding/stringsvc-counter',
      'Service/stringsvc-counter',
      'ServiceAccount/stringsvc-counter',
    ]);
    // The app creates the ConfigMap at 0; a templated one would be reset by every upgrade.
    assert.deepEqual(enabled.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name), ['stringsvc-dashboard']);
    const dep = find(enabled, 'Deployment', 'stringsvc-counter');
    assert.equal(dep.spec.replicas, 2);
    assert.deepEqual(find(enabled, 'Service', 'stringsvc-counter').spec.ports, [{ port: 80, targetPort: 'http', protocol: 'TCP', name: 'http' }]);
    assert.deepEqual(find(enabled, 'Service', 'stringsvc-counter').spec.selector, dep.spec.selector.matchLabels);
    assert.deepEqual(find(enabled, 'PodDisruptionBudget', 'stringsvc-counter').spec, { maxUnavailable: 1, selector: dep.spec.selector });
    // Its selector must not overlap the tiers': each Service reaches its own pods only.
    for (const tier of ['backend', 'frontend']) {
      const other = find(enabled, 'Deployment', `stringsvc-${tier}`);
      assert.equal(selects(dep.spec.selector, other.spec.template.metadata.labels), false, tier);
      assert.equal(selects(other.spec.selector, dep.spec.template.metadata.labels), false, tier);
    }

    const memory = await render(['--set', 'counter.enabled=true', '--set', 'counter.store=memory', '--set', 'counter.replicaCount=1']);
    assert.deepEqual(counterObjs(memory), ['Deployment/stringsvc-counter', 'PodDisruptionBudget/stringsvc-counter', 'Service/stringsvc-counter']);
    const spec = find(memory, 'Deployment', 'stringsvc-counter').spec.template.spec;
    assert.equal(spec.automountServiceAccountToken, false);
    assert.equal(spec.serviceAccountName, undefined);
    assert.equal(arg(spec, 'store'), 'memory');
    assert.equal(arg(spec, 'configmap'), undefined);
  });

  test("the counter's Role: get/update of its own ConfigMap by name, create of configmaps, nothing else", async () => {
    for (const [values, name] of [[[], 'stringsvc-counter'], [['--set', 'fullnameOverride=svc'], 'svc-counter']] as const) {
      const objs = await render(['--set', 'counter.enabled=true', ...values]);
      assert.deepEqual(find(objs, 'Role', name).rules, [
        { apiGroups: [''], resources: ['configmaps'], resourceNames: [name], verbs: ['get', 'update'] },
        { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
      ]);
      const rb = find(objs, 'RoleBinding', name);
      assert.deepEqual(rb.subjects, [{ kind: 'ServiceAccount', name, namespace: 'demo' }]);
      assert.deepEqual(rb.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name });
      assert.equal(find(objs, 'ServiceAccount', name).automountServiceAccountToken, false);
      const spec = find(objs, 'Deployment', name).spec.template.spec;
      assert.equal(spec.serviceAccountName, name);
      assert.equal(spec.automountServiceAccountToken, true);
      // The ConfigMap the app is told to use is the one the Role names.
      assert.equal(arg(spec, 'configmap'), name);
      // The frontend's Role is untouched: it still cannot reach the counter's ConfigMap.
      assert.ok(find(objs, 'Role', name.replace(/counter$/, 'frontend')).rules.every((r: any) => !r.resources.includes('configmaps')));
    }
  });

  test('the counter runs countersvc with the store, rate and burst, the shared server flags, and the namespace from the downward API', async () => {
    const objs = await render(['--set', 'counter.enabled=true', '--kube-version', kubeVersion]);
    const spec = find(objs, 'Deployment', 'stringsvc-counter').spec.template.spec;
    const c = spec.containers[0];
    assert.equal(c.name, 'counter');
    assert.equal(c.image, find(objs, 'Deployment', 'stringsvc-frontend').spec.template.spec.containers[0].image);
    assert.deepEqual(c.args, [
      'dist/cmd/countersvc.js',
      '--listen=:8080',
      '--log-level=info',
      '--request-log=true',
      '--grace=10s',
      '--shutdown-delay=0s',
      '--store=kubernetes',
      '--configmap=stringsvc-counter',
      '--namespace=$(POD_NAMESPACE)',
      '--rate=0.5',
      '--burst=1',
    ]);
    assert.deepEqual(c.env, [{ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }]);
    assert.deepEqual(c.resources, { requests: { cpu: '50m', memory: '96Mi' }, limits: { memory: '256Mi' } });

    const tuned = find(await render(['-f', valuesFile('non-default', nonDefault)]), 'Deployment', 'svc-counter').spec.template.spec;
    assert.equal(tuned.containers[0].image, 'registry.example/stringsvc:v1@sha256:' + 'a'.repeat(64));
    assert.deepEqual(tuned.imagePullSecrets, [{ name: 'mirror' }, { name: 'regcred' }]);
    for (const [flag, want] of [['rate', '2'], ['burst', '5'], ['log-level', 'debug'], ['request-log', 'false'], ['grace', '30s'], ['configmap', 'svc-counter'], ['metrics-prefix', 'counter_']]) {
      assert.equal(arg(tuned, flag!), want, flag);
    }
    // helm --set passes a decimal as a string; the schema takes it, the app parses it.
    const quarter = find(await render(['--set', 'counter.enabled=true', '--set', 'counter.rate=0.25']), 'Deployment', 'stringsvc-counter');
    assert.equal(arg(quarter.spec.template.spec, 'rate'), '0.25');
  });

  test('with the counter, the ServiceMonitor also selects its Service; the NetworkPolicy leaves it reachable', async () => {
    const objs = await render(['--api-versions', 'monitoring.coreos.com/v1', '-f', valuesFile('monitoring', monitoringOn), '--set', 'counter.enabled=true']);
    const sm = find(objs, 'ServiceMonitor', 'stringsvc');
    const services = objs.filter((o) => o.kind === 'Service');
    assert.deepEqual(services.map((s) => s.metadata.name).sort(), ['stringsvc-backend', 'stringsvc-counter', 'stringsvc-frontend']);
    for (const svc of services) {
      assert.ok(selects(sm.spec.selector, svc.metadata.labels), `ServiceMonitor selects Service/${svc.metadata.name}`);
      for (const ep of sm.spec.endpoints) assert.ok(svc.spec.ports.some((p: any) => p.name === ep.port), `port ${ep.port} on ${svc.metadata.name}`);
    }
    // Without the counter the ServiceMonitor is as before.
    const without = find(await render(['--api-versions', 'monitoring.coreos.com/v1', '-f', valuesFile('monitoring', monitoringOn)]), 'ServiceMonitor', 'stringsvc');
    assert.deepEqual(without.spec.selector.matchExpressions[0].values, ['backend', 'frontend']);
    // The policy guards the backends only; the counter serves clients like the frontend.
    const np = find(objs, 'NetworkPolicy', 'stringsvc-backend');
    const counterPod = find(objs, 'Deployment', 'stringsvc-counter').spec.template.metadata.labels;
    assert.equal(selects(np.spec.podSelector, counterPod), false);
    assert.equal(objs.filter((o) => o.kind === 'NetworkPolicy').length, 1);
  });

  test('autoscaling: an autoscaling/v2 HPA on CPU for each tier that asks, whose Deployment then leaves replicas to it', async () => {
    const hpas = (objs: Obj[]) => objs.filter((o) => o.kind === 'HorizontalPodAutoscaler');
    const scaled = await render([
      '--set', 'backend.autoscaling.enabled=true', '--set', 'backend.autoscaling.minReplicas=2',
      '--set', 'backend.autoscaling.maxReplicas=12', '--set', 'backend.autoscaling.targetCPUUtilizationPercentage=150',
    ]);
    assert.deepEqual(hpas(scaled).map((o) => [o.apiVersion, o.metadata.name, o.metadata.labels?.['app.kubernetes.io/component']]), [
      ['autoscaling/v2', 'stringsvc-backend', 'backend'],
    ]);
    assert.deepEqual(hpas(scaled)[0]!.spec, {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'stringsvc-backend' },
      minReplicas: 2,
      maxReplicas: 12,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 150 } } }],
    });
    // Rendered without a cluster (helm template, Argo CD) the count is left to the HPA entirely.
    assert.equal('replicas' in find(scaled, 'Deployment', 'stringsvc-backend').spec, false);
    assert.equal(find(scaled, 'Deployment', 'stringsvc-frontend').spec.replicas, 2);

    const frontend = await render(['--set', 'frontend.autoscaling.enabled=true']);
    assert.deepEqual(hpas(frontend).map((o) => [o.metadata.name, o.spec.scaleTargetRef.name, o.spec.minReplicas, o.spec.maxReplicas]), [
      ['stringsvc-frontend', 'stringsvc-frontend', 2, 6],
    ]);
    assert.equal('replicas' in find(frontend, 'Deployment', 'stringsvc-frontend').spec, false);
    assert.equal(find(frontend, 'Deployment', 'stringsvc-backend').spec.replicas, 3);
  });

  test('autoscaling refuses a range upside down and a tier without a CPU request, naming the values', async () => {
    const upsideDown = await helmFails(['template', 'stringsvc', chart, '--set', 'backend.autoscaling.enabled=true', '--set', 'backend.autoscaling.minReplicas=11']);
    assert.match(upsideDown, /backend\.autoscaling: minReplicas \(11\) is above maxReplicas \(10\)/);
    const noRequest = await helmFails(['template', 'stringsvc', chart, '--set', 'frontend.autoscaling.enabled=true', '--set', 'frontend.resources.requests=null']);
    assert.match(noRequest, /frontend\.autoscaling needs frontend\.resources\.requests\.cpu/);
    // Switched off, neither is checked: the defaults stay installable whatever the range says.
    await render(['--set', 'backend.autoscaling.minReplicas=11']);
  });

  test('the schema rejects bad values with a message naming the field', async () => {
    const cases: [string[], RegExp][] = [
      [['--set', 'frontend.discovery=dns'], /\/frontend\/discovery.*one of 'endpointslices', 'endpoints'/],
      [['--set', 'backend.replicaCount=-1'], /\/backend\/replicaCount.*minimum/],
      [['--set', 'replicas=3'], /additional properties 'replicas' not allowed/],
      [['--set', 'logLevel=loud'], /\/logLevel.*one of/],
      [['--set', 'shutdown.graceSeconds=ten'], /\/shutdown\/graceSeconds.*want integer/],
      [['--set', 'containerPort=80'], /\/containerPort.*minimum/],
      [['--set', 'metrics.serviceMonitor.interval=soon'], /\/metrics\/serviceMonitor\/interval/],
      [['--set', 'image.pullPolicy=Sometimes'], /\/image\/pullPolicy/],
      // One total per process: with the memory store, a second replica would count on its own.
      [['--set', 'counter.store=memory'], /\/counter\/replicaCount.*maximum: got 2, want 1/],
      [['--set', 'counter.enabled=true', '--set', 'counter.store=memory', '--set', 'counter.replicaCount=2'], /\/counter\/replicaCount.*maximum: got 2, want 1/],
      [['--set', 'counter.store=redis'], /\/counter\/store.*one of 'kubernetes', 'memory'/],
      [['--set', 'counter.rate=0'], /\/counter\/rate/],
      [['--set', 'counter.rate=fast'], /\/counter\/rate.*does not match pattern/],
      [['--set', 'counter.burst=0'], /\/counter\/burst.*minimum/],
      [['--set', 'backend.autoscaling.minReplicas=0'], /\/backend\/autoscaling\/minReplicas.*minimum/],
      [['--set', 'frontend.autoscaling.enabled=yes'], /\/frontend\/autoscaling\/enabled.*want boolean/],
      [['--set', 'frontend.autoscaling.targetCPUUtilizationPercentage=0'], /\/frontend\/autoscaling\/targetCPUUtilizationPercentage.*minimum/],
      [['--set', 'frontend.resilience.qps=0'], /\/frontend\/resilience\/qps/],
      [['--set', 'frontend.resilience.qps=fast'], /\/frontend\/resilience\/qps.*does not match pattern/],
      [['--set', 'frontend.resilience.burst=0'], /\/frontend\/resilience\/burst.*minimum/],
      [['--set', 'frontend.resilience.maxAttempts=1.5'], /\/frontend\/resilience\/maxAttempts.*want integer/],
      [['--set', 'frontend.resilience.maxTime=250'], /\/frontend\/resilience\/maxTime.*want string/],
      [['--set', 'frontend.resilience.attemptTimeout=1d'], /\/frontend\/resilience\/attemptTimeout.*does not match pattern/],
      [['--set', 'frontend.resilience.breakerReset=soon'], /\/frontend\/resilience\/breakerReset.*does not match pattern/],
      [['--set', 'frontend.resilience.retryBudget=-1'], /\/frontend\/resilience\/retryBudget/],
      [['--set', 'frontend.resilience.retries=2'], /\/frontend\/resilience.*additional properties 'retries' not allowed/],
    ];
    for (const [args, msg] of cases) {
      const err = await helmFails(['template', 'stringsvc', chart, ...args]);
      assert.match(err, /values don't meet the specifications of the schema/, args.join(' '));
      assert.match(err, msg, args.join(' '));
    }
  });
});

/** Opens a watch and resolves with the type of its first event, or rejects with the watch's error. */
async function firstWatchEvent(kc: KubeConfig, path: string, labelSelector: string): Promise<string> {
  let abort: AbortController | undefined;
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no event on ${path} within 10s`)), 10_000);
      const onEvent = (phase: string) => {
        clearTimeout(timer);
        resolve(phase);
      };
      const onDone = (err: unknown) => {
        clearTimeout(timer);
        reject(err ?? new Error('watch ended'));
      };
      new Watch(kc).watch(path, { labelSelector }, onEvent, onDone).then((a) => (abort = a), reject);
    });
  } finally {
    abort?.abort();
  }
}

describe('helm chart on a real apiserver', { skip }, () => {
  let cp: ControlPlane;
  let core: CoreV1Api;

  before(async () => {
    // The HPA controller too, for the autoscaling test: it must find the Deployment the chart names.
    cp = await startControlPlane({ controllers: [...defaultControllers, 'horizontal-pod-autoscaler-controller'] });
    helmBin = cp.binaries.helm;
    core = cp.kc.makeApiClient(CoreV1Api);
    await cp.installCrds(['servicemonitors', 'prometheusrules']);
  });
  after(async () => {
    await cp?.stop();
  });

  async function kubectl(args: string[]): Promise<string> {
    const { stdout } = await promisify(execFile)(cp.binaries.kubectl, ['--kubeconfig', cp.kubeconfigPath, ...args], { maxBuffer: 64 << 20 });
    return stdout;
  }

  test('helm template output is accepted by a server-side dry run', async () => {
    await cp.createNamespace('dryrun', { 'pod-security.kubernetes.io/enforce': 'restricted' });
    for (const [name, values] of [['defaults', {}], ['monitoring', monitoringOn], ['non-default', nonDefault]] as const) {
      const { stdout } = await helm([
        'template', 'stringsvc', chart, '--namespace', 'dryrun', '--kube-version', kubeVersion,
        '--api-versions', 'monitoring.coreos.com/v1', '-f', valuesFile(name, values),
      ]);
      const file = join(work, `${name}.rendered.yaml`);
      writeFileSync(file, stdout);
      const docs = parseAllDocuments(stdout).filter((d) => d.toJS());
      const out = await kubectl(['apply', '--server-side', '--dry-run=server', '--namespace', 'dryrun', '-f', file]);
      assert.equal(out.trim().split('\n').filter((l) => l.includes('(server dry run)')).length, docs.length, `${name}:\n${out}`);
    }
  });

  test('helm install into a restricted namespace creates every object, and the pods are admitted', { timeout: 120_000 }, async () => {
    await cp.createNamespace('demo', { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' });
    // The namespace really enforces: a default (non-restricted) pod is refused.
    await assert.rejects(
      core.createNamespacedPod({ namespace: 'demo', body: { metadata: { name: 'loose' }, spec: { containers: [{ name: 'c', image: 'x' }] } } }),
      (err: unknown) => err instanceof ApiException && err.code === 403 && String(err.body).includes('violates PodSecurity'),
    );
    const { stdout: notes } = await helm(['install', 'stringsvc', chart, '--namespace', 'demo', '-f', valuesFile('monitoring', monitoringOn)], cp.kubeconfigPath);
    assert.match(notes, /kubectl --namespace demo port-forward service\/stringsvc-frontend 8080:80/);
    assert.match(notes, /curl -XPOST -d'\{"s":"hello, world"\}' localhost:8080\/uppercase/);
    assert.match(notes, /rollout status deployment\/stringsvc-backend deployment\/stringsvc-frontend\n/);
    assert.doesNotMatch(notes, /counter/);

    const { stdout: manifest } = await helm(['get', 'manifest', 'stringsvc', '--namespace', 'demo'], cp.kubeconfigPath);
    const objs = parseAllDocuments(manifest).map((d) => d.toJS() as Obj).filter(Boolean);
    assert.deepEqual(objs.map((o) => o.kind).sort(), [
      'ConfigMap', 'Deployment', 'Deployment', 'NetworkPolicy', 'PodDisruptionBudget', 'PodDisruptionBudget',
      'PrometheusRule', 'Role', 'RoleBinding', 'Service', 'Service', 'ServiceAccount', 'ServiceMonitor',
    ]);
    for (const o of objs) {
      const group = o.apiVersion.includes('/') ? `.${o.apiVersion.split('/')[0]}` : '';
      assert.equal((await kubectl(['get', '--namespace', 'demo', `${o.kind.toLowerCase()}${group}/${o.metadata.name}`, '-o', 'name'])).trim() !== '', true);
    }
    // Pod Security is enforced when the ReplicaSets create the pods: all of them must get in.
    const pods = async (component: string) =>
      (await core.listNamespacedPod({ namespace: 'demo', labelSelector: `app.kubernetes.io/instance=stringsvc,app.kubernetes.io/component=${component}` })).items.length;
    await waitFor('3 backend and 2 frontend pods', async () => (await pods('backend')) === 3 && (await pods('frontend')) === 2, 90_000, () => '');
    const events = await core.listNamespacedEvent({ namespace: 'demo' });
    assert.deepEqual(events.items.filter((e) => e.reason === 'FailedCreate').map((e) => e.message), []);
  });

  test("once the pods run, the backend Service's EndpointSlice offers what the frontend asks for: 3 ready, port http", { timeout: 60_000 }, async () => {
    // No kubelet: the harness binds the pods and reports them running and ready.
    await cp.runPendingPods('demo', 'app.kubernetes.io/instance=stringsvc');
    const discovery = cp.kc.makeApiClient(DiscoveryV1Api);
    const readyOf = async (service: string) => {
      const slices = await discovery.listNamespacedEndpointSlice({ namespace: 'demo', labelSelector: `kubernetes.io/service-name=${service}` });
      return slices.items.map((sl) => ({
        ports: (sl.ports ?? []).map((p) => `${p.name}:${p.port}`),
        ready: (sl.endpoints ?? []).filter((e) => e.conditions?.ready).length,
      }));
    };
    await waitFor('backend slice with 3 ready endpoints', async () => (await readyOf('stringsvc-backend'))[0]?.ready === 3, 30_000);
    assert.deepEqual(await readyOf('stringsvc-backend'), [{ ports: ['http:8080'], ready: 3 }]);
    await waitFor('frontend slice with 2 ready endpoints', async () => (await readyOf('stringsvc-frontend'))[0]?.ready === 2, 30_000);
    await waitFor('backend Deployment available', async () => {
      const d = JSON.parse(await kubectl(['get', '--namespace', 'demo', 'deployment/stringsvc-backend', '-o', 'json'])) as Obj;
      return d['status']?.availableReplicas === 3;
    }, 30_000);
  });

  test("acting as the frontend's ServiceAccount: endpointslices yes; secrets, endpoints and other namespaces no", async () => {
    const kc: KubeConfig = await cp.kubeConfigFor('demo', 'stringsvc-frontend');
    const discovery = kc.makeApiClient(DiscoveryV1Api);
    const asCore = kc.makeApiClient(CoreV1Api);
    const authz = kc.makeApiClient(AuthorizationV1Api);
    const forbidden = (err: unknown) => err instanceof ApiException && err.code === 403;
    const can = async (verb: string, resource: string, group: string, namespace: string) =>
      (await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb, resource, group, namespace } } } })).status?.allowed ?? false;

    await discovery.listNamespacedEndpointSlice({ namespace: 'demo', labelSelector: 'kubernetes.io/service-name=stringsvc-backend' });
    // A real watch, as the frontend runs it: the backend Service's slice arrives as an ADDED event.
    assert.equal(await firstWatchEvent(kc, '/apis/discovery.k8s.io/v1/namespaces/demo/endpointslices', 'kubernetes.io/service-name=stringsvc-backend'), 'ADDED');
    await assert.rejects(firstWatchEvent(kc, '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', ''), /Forbidden|403/);
    for (const verb of ['get', 'list', 'watch']) assert.equal(await can(verb, 'endpointslices', 'discovery.k8s.io', 'demo'), true, verb);
    for (const verb of ['create', 'update', 'delete']) assert.equal(await can(verb, 'endpointslices', 'discovery.k8s.io', 'demo'), false, verb);
    await assert.rejects(asCore.listNamespacedSecret({ namespace: 'demo' }), forbidden);
    await assert.rejects(asCore.readNamespacedSecret({ namespace: 'demo', name: 'anything' }), forbidden);
    await assert.rejects(asCore.listNamespacedPod({ namespace: 'demo' }), forbidden);
    await assert.rejects(asCore.listNamespacedEndpoints({ namespace: 'demo' }), forbidden);
    await assert.rejects(discovery.listNamespacedEndpointSlice({ namespace: 'default' }), forbidden);
    await assert.rejects(discovery.listEndpointSliceForAllNamespaces(), forbidden);
    // The backends' identity (the namespace's default ServiceAccount) has no API access at all.
    const backendKc = await cp.kubeConfigFor('demo', 'default');
    await assert.rejects(backendKc.makeApiClient(DiscoveryV1Api).listNamespacedEndpointSlice({ namespace: 'demo' }), forbidden);

    // Legacy mode adds read access to core endpoints, still in this namespace only.
    await helm(['upgrade', 'stringsvc', chart, '--namespace', 'demo', '--reuse-values', '--set', 'frontend.discovery=endpoints'], cp.kubeconfigPath);
    await asCore.listNamespacedEndpoints({ namespace: 'demo' });
    assert.equal(await can('watch', 'endpoints', '', 'demo'), true);
    await assert.rejects(asCore.listNamespacedEndpoints({ namespace: 'default' }), forbidden);
    await assert.rejects(asCore.listNamespacedSecret({ namespace: 'demo' }), forbidden);
    const dep = await kubectl(['get', '--namespace', 'demo', 'deployment/stringsvc-frontend', '-o', 'jsonpath={.spec.template.spec.containers[0].args}']);
    assert.ok((JSON.parse(dep) as string[]).includes('--discovery=endpoints'), dep);
  });

  test("the installed ServiceMonitor selects both Services through their port named http", async () => {
    const custom = cp.kc.makeApiClient(CustomObjectsApi);
    const sm = (await custom.getNamespacedCustomObject({ group: 'monitoring.coreos.com', version: 'v1', namespace: 'demo', plural: 'servicemonitors', name: 'stringsvc' })) as Obj;
    const sel = sm.spec.selector as { matchLabels: Record<string, string>; matchExpressions: { key: string; operator: string; values: string[] }[] };
    const labelSelector = [
      ...Object.entries(sel.matchLabels).map(([k, v]) => `${k}=${v}`),
      ...sel.matchExpressions.map((e) => `${e.key} ${e.operator.toLowerCase()} (${e.values.join(',')})`),
    ].join(',');
    const services = (await core.listNamespacedService({ namespace: 'demo', labelSelector })).items;
    assert.deepEqual(services.map((s) => s.metadata?.name).sort(), ['stringsvc-backend', 'stringsvc-frontend']);
    for (const s of services) assert.ok(s.spec?.ports?.some((p) => p.name === sm.spec.endpoints[0].port), s.metadata?.name);
  });

  test('with autoscaling on, the real HPA controller finds the Deployment the chart names and scales it to minReplicas', { timeout: 90_000 }, async () => {
    await cp.createNamespace('scaled', { 'pod-security.kubernetes.io/enforce': 'restricted' });
    const { stdout: notes } = await helm(
      ['install', 'scaled', chart, '--namespace', 'scaled', '--set', 'backend.autoscaling.enabled=true', '--set', 'backend.autoscaling.minReplicas=4', '--set', 'backend.autoscaling.maxReplicas=6'],
      cp.kubeconfigPath,
    );
    assert.match(notes, /stringsvc is installed: 4-6 \(autoscaled on CPU\) backend\(s\) behind 2 frontend\(s\)/);
    const get = async (what: string) => JSON.parse(await kubectl(['get', '--namespace', 'scaled', what, '-o', 'json'])) as Obj;
    // The chart leaves replicas out, so the Deployment starts at the API's default of 1; only the HPA
    // controller, acting on the scaleTargetRef, can raise it to the floor (no metrics are needed for that).
    await waitFor('backend Deployment scaled to minReplicas by the HPA controller', async () => (await get('deployment/scaled-stringsvc-backend')).spec.replicas === 4, 60_000, () => '');
    const hpa = await get('horizontalpodautoscaler.autoscaling/scaled-stringsvc-backend');
    const condition = (type: string) => (hpa['status']?.conditions as { type: string; status: string; reason: string }[] | undefined)?.find((c) => c.type === type);
    assert.equal(condition('AbleToScale')?.status, 'True', JSON.stringify(hpa['status']));
    assert.equal((await get('deployment/scaled-stringsvc-frontend')).spec.replicas, 2);
    await helm(['uninstall', 'scaled', '--namespace', 'scaled', '--wait'], cp.kubeconfigPath);
  });

  test('turning autoscaling on for a running release leaves the live count alone, and later upgrades keep what the HPA set', { timeout: 90_000 }, async () => {
    await cp.createNamespace('rescaled', { 'pod-security.kubernetes.io/enforce': 'restricted' });
    const deployment = async () => JSON.parse(await kubectl(['get', '--namespace', 'rescaled', 'deployment/rescaled-stringsvc-backend', '-o', 'json'])) as Obj;
    await helm(['install', 'rescaled', chart, '--namespace', 'rescaled'], cp.kubeconfigPath);
    const before = await deployment();
    assert.equal(before.spec.replicas, 3);
    const autoscaling = ['--set', 'backend.autoscaling.enabled=true', '--set', 'backend.autoscaling.minReplicas=2'];
    await helm(['upgrade', 'rescaled', chart, '--namespace', 'rescaled', ...autoscaling], cp.kubeconfigPath);
    // Had helm deleted the field, the spec would have gone 3 → 1 (and back, by the HPA): two new generations.
    const after = await deployment();
    assert.equal(after.spec.replicas, 3);
    const generation = (o: Obj) => (o.metadata as { generation?: number }).generation;
    assert.equal(generation(after), generation(before));
    // The HPA's own count (5 here, set as it would) survives the next upgrade.
    await kubectl(['scale', '--namespace', 'rescaled', 'deployment/rescaled-stringsvc-backend', '--replicas=5']);
    await helm(['upgrade', 'rescaled', chart, '--namespace', 'rescaled', ...autoscaling, '--set', 'logLevel=debug'], cp.kubeconfigPath);
    assert.equal((await deployment()).spec.replicas, 5);
    await helm(['uninstall', 'rescaled', '--namespace', 'rescaled', '--wait'], cp.kubeconfigPath);
  });

  describe('with the counter enabled', () => {
    const ns = 'counting';
    const name = 'stringsvc-counter';
    const forbidden = (err: unknown) => err instanceof ApiException && err.code === 403;
    /** The ConfigMap the installed Deployment tells countersvc to use. */
    let configMap = '';

    test('helm install into a restricted namespace creates the counter objects but no ConfigMap; its pods are admitted', { timeout: 120_000 }, async () => {
      await cp.createNamespace(ns, { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' });
      const { stdout: notes } = await helm(
        ['install', 'stringsvc', chart, '--namespace', ns, '-f', valuesFile('monitoring', monitoringOn), '--set', 'counter.enabled=true'],
        cp.kubeconfigPath,
      );
      assert.match(notes, new RegExp(`kubectl --namespace ${ns} port-forward service/${name} 8081:80`));
      assert.match(notes, /curl -X POST -d '\{"v":1\}' localhost:8081\/add/);
      assert.match(notes, new RegExp(`total in ConfigMap ${name} `));
      assert.match(notes, new RegExp(`rollout status deployment/stringsvc-backend deployment/stringsvc-frontend deployment/${name}\n`));

      const { stdout: manifest } = await helm(['get', 'manifest', 'stringsvc', '--namespace', ns], cp.kubeconfigPath);
      const objs = parseAllDocuments(manifest).map((d) => d.toJS() as Obj).filter(Boolean);
      const counter = objs.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'counter');
      assert.deepEqual(counter.map((o) => o.kind).sort(), ['Deployment', 'PodDisruptionBudget', 'Role', 'RoleBinding', 'Service', 'ServiceAccount']);
      assert.deepEqual(objs.filter((o) => o.kind === 'ConfigMap').map((o) => o.metadata.name), [`stringsvc-dashboard`]);
      for (const o of counter) {
        const group = o.apiVersion.includes('/') ? `.${o.apiVersion.split('/')[0]}` : '';
        assert.equal((await kubectl(['get', '--namespace', ns, `${o.kind.toLowerCase()}${group}/${o.metadata.name}`, '-o', 'name'])).trim() !== '', true);
      }
      const dep = JSON.parse(await kubectl(['get', '--namespace', ns, `deployment/${name}`, '-o', 'json'])) as Obj;
      configMap = arg(dep.spec.template.spec, 'configmap') ?? '';
      assert.equal(configMap, name);

      const pods = async () =>
        (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app.kubernetes.io/instance=stringsvc,app.kubernetes.io/component=counter' })).items;
      await waitFor('2 counter pods', async () => (await pods()).length === 2, 90_000, () => '');
      for (const p of await pods()) {
        assert.equal(p.spec?.serviceAccountName, name);
        assert.equal(p.spec?.automountServiceAccountToken, true);
      }
      const events = await core.listNamespacedEvent({ namespace: ns });
      assert.deepEqual(events.items.filter((e) => e.reason === 'FailedCreate').map((e) => e.message), []);

      // The installed ServiceMonitor picks up the counter's Service with the tiers'.
      const custom = cp.kc.makeApiClient(CustomObjectsApi);
      const sm = (await custom.getNamespacedCustomObject({ group: 'monitoring.coreos.com', version: 'v1', namespace: ns, plural: 'servicemonitors', name: 'stringsvc' })) as Obj;
      const services = (await core.listNamespacedService({ namespace: ns })).items;
      assert.deepEqual(services.filter((s) => selects(sm.spec.selector, s.metadata?.labels ?? {})).map((s) => s.metadata?.name).sort(), [
        'stringsvc-backend', name, 'stringsvc-frontend',
      ]);
    });

    test("acting as the counter's ServiceAccount: get/update of its ConfigMap and create; other ConfigMaps, list and secrets no", async () => {
      const kc = await cp.kubeConfigFor(ns, name);
      const asCounter = kc.makeApiClient(CoreV1Api);
      const authz = kc.makeApiClient(AuthorizationV1Api);
      const can = async (verb: string, resource: string, namespace: string, resourceName?: string) =>
        (await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb, resource, namespace, ...(resourceName ? { name: resourceName } : {}) } } } })).status?.allowed ?? false;

      // Create (by any name: RBAC cannot narrow it), then get and update its own.
      await asCounter.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: configMap }, data: { total: '0' } } });
      const cm = await asCounter.readNamespacedConfigMap({ namespace: ns, name: configMap });
      const updated = await asCounter.replaceNamespacedConfigMap({ namespace: ns, name: configMap, body: { ...cm, data: { total: '41' } } });
      assert.equal(updated.data?.['total'], '41');
      for (const verb of ['get', 'update']) assert.equal(await can(verb, 'configmaps', ns, configMap), true, verb);
      assert.equal(await can('create', 'configmaps', ns), true);
      for (const verb of ['patch', 'delete', 'watch']) assert.equal(await can(verb, 'configmaps', ns, configMap), false, verb);
      await assert.rejects(asCounter.deleteNamespacedConfigMap({ namespace: ns, name: configMap }), forbidden);

      await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'other' }, data: { k: 'v' } } });
      await assert.rejects(asCounter.readNamespacedConfigMap({ namespace: ns, name: 'other' }), forbidden);
      await assert.rejects(asCounter.replaceNamespacedConfigMap({ namespace: ns, name: 'other', body: { metadata: { name: 'other' }, data: {} } }), forbidden);
      await assert.rejects(asCounter.readNamespacedConfigMap({ namespace: ns, name: 'stringsvc-dashboard' }), forbidden);
      await assert.rejects(asCounter.listNamespacedConfigMap({ namespace: ns }), forbidden);
      await assert.rejects(asCounter.readNamespacedSecret({ namespace: ns, name: 'anything' }), forbidden);
      await assert.rejects(asCounter.listNamespacedSecret({ namespace: ns }), forbidden);
      await assert.rejects(asCounter.listNamespacedPod({ namespace: ns }), forbidden);
      // Its own namespace only.
      await assert.rejects(asCounter.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: configMap } } }), forbidden);
      await assert.rejects(asCounter.readNamespacedConfigMap({ namespace: 'demo', name: configMap }), forbidden);
    });

    test("a real countersvc as the counter's ServiceAccount creates the chart's ConfigMap and keeps its total across helm upgrade", { timeout: 60_000 }, async () => {
      // Start from nothing, so the process exercises create as well as get/update.
      await core.deleteNamespacedConfigMap({ namespace: ns, name: configMap });
      const svc = await startBuilt(
        'countersvc',
        ['--store=kubernetes', `--configmap=${configMap}`, `--namespace=${ns}`, '--listen=127.0.0.1:0', '--rate=100', '--burst=100', '--request-log=false'],
        { KUBECONFIG: await cp.kubeconfigFileFor(ns, name), KUBERNETES_SERVICE_HOST: '', POD_NAMESPACE: '' },
      );
      try {
        const add = async (v: number) => {
          const res = await fetch(`${svc.url}/add`, { method: 'POST', body: JSON.stringify({ v }) });
          assert.equal(res.status, 200, svc.stderr());
          return ((await res.json()) as { v: number }).v;
        };
        assert.equal(await add(1), 1);
        assert.equal(await add(2), 3);
      } finally {
        assert.equal(await svc.stop(), 0, svc.stderr());
      }
      const read = async () => (await core.readNamespacedConfigMap({ namespace: ns, name: configMap })).data?.['total'];
      assert.equal(await read(), '3');
      // The chart does not own the ConfigMap: an upgrade (here changing the counter's rate) leaves the total alone.
      await helm(['upgrade', 'stringsvc', chart, '--namespace', ns, '--reuse-values', '--set', 'counter.rate=2'], cp.kubeconfigPath);
      const dep = JSON.parse(await kubectl(['get', '--namespace', ns, `deployment/${name}`, '-o', 'json'])) as Obj;
      assert.equal(arg(dep.spec.template.spec, 'rate'), '2');
      assert.equal(await read(), '3');
    });
  });

  test('helm install with invalid values fails with the schema message and creates nothing', async () => {
    const err = await helmFails(['install', 'bad', chart, '--namespace', 'demo', '--set', 'frontend.discovery=dns'], cp.kubeconfigPath);
    assert.match(err, /\/frontend\/discovery.*one of 'endpointslices', 'endpoints'/);
    const status = await helmFails(['status', 'bad', '--namespace', 'demo'], cp.kubeconfigPath);
    assert.match(status, /not found/);
  });
});
