import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
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
import { versions } from './controlplane/binaries.ts';
import { type ControlPlane, defaultControllers, startControlPlane } from './controlplane/harness.ts';
import { waitFor } from './controlplane/procs.ts';
import { controlPlaneSkip } from './controlplane/require.ts';
import { arg, chart, chartToolsForSuite, find, type Obj, selects } from './support/chart.ts';
import { monitoringOn, nonDefault } from './support/chart-values.ts';
import { startBuilt } from './support/process.ts';
import { setupTimeout } from './tools.ts';

// The chart installed with helm on a real kube-apiserver (+ controller-manager): server-side
// validation, RBAC as the frontend's ServiceAccount, discovery through it, upgrades, autoscaling.

const skip = controlPlaneSkip();
const kubeVersion = versions.kubernetes;
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
  const t = chartToolsForSuite();
  let core: CoreV1Api;

  before(async () => {
    // The HPA controller too, for the autoscaling test: it must find the Deployment the chart names.
    cp = await startControlPlane({ controllers: [...defaultControllers, 'horizontal-pod-autoscaler-controller'] });
    core = cp.kc.makeApiClient(CoreV1Api);
    await cp.installCrds(['servicemonitors', 'prometheusrules']);
  }, { timeout: setupTimeout() });
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
      const { stdout } = await t.helm([
        'template', 'stringsvc', chart, '--namespace', 'dryrun', '--kube-version', kubeVersion,
        '--api-versions', 'monitoring.coreos.com/v1', '-f', t.valuesFile(name, values),
      ]);
      const file = join(t.work, `${name}.rendered.yaml`);
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
    const { stdout: notes } = await t.helm(['install', 'stringsvc', chart, '--namespace', 'demo', '-f', t.valuesFile('monitoring', monitoringOn)], cp.kubeconfigPath);
    assert.match(notes, /kubectl --namespace demo port-forward service\/stringsvc-frontend 8080:80/);
    assert.match(notes, /curl -XPOST -d'\{"s":"hello, world"\}' localhost:8080\/uppercase/);
    assert.match(notes, /rollout status deployment\/stringsvc-backend deployment\/stringsvc-frontend\n/);
    assert.doesNotMatch(notes, /counter/);

    const { stdout: manifest } = await t.helm(['get', 'manifest', 'stringsvc', '--namespace', 'demo'], cp.kubeconfigPath);
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
    await t.helm(['upgrade', 'stringsvc', chart, '--namespace', 'demo', '--reuse-values', '--set', 'frontend.discovery=endpoints'], cp.kubeconfigPath);
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
    const { stdout: notes } = await t.helm(
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
    await t.helm(['uninstall', 'scaled', '--namespace', 'scaled', '--wait'], cp.kubeconfigPath);
  });

  test('turning autoscaling on for a running release leaves the live count alone, and later upgrades keep what the HPA set', { timeout: 90_000 }, async () => {
    await cp.createNamespace('rescaled', { 'pod-security.kubernetes.io/enforce': 'restricted' });
    const deployment = async () => JSON.parse(await kubectl(['get', '--namespace', 'rescaled', 'deployment/rescaled-stringsvc-backend', '-o', 'json'])) as Obj;
    await t.helm(['install', 'rescaled', chart, '--namespace', 'rescaled'], cp.kubeconfigPath);
    const before = await deployment();
    assert.equal(before.spec.replicas, 3);
    const autoscaling = ['--set', 'backend.autoscaling.enabled=true', '--set', 'backend.autoscaling.minReplicas=2'];
    await t.helm(['upgrade', 'rescaled', chart, '--namespace', 'rescaled', ...autoscaling], cp.kubeconfigPath);
    // Had helm deleted the field, the spec would have gone 3 → 1 (and back, by the HPA): two new generations.
    const after = await deployment();
    assert.equal(after.spec.replicas, 3);
    const generation = (o: Obj) => (o.metadata as { generation?: number }).generation;
    assert.equal(generation(after), generation(before));
    // The HPA's own count (5 here, set as it would) survives the next upgrade.
    await kubectl(['scale', '--namespace', 'rescaled', 'deployment/rescaled-stringsvc-backend', '--replicas=5']);
    await t.helm(['upgrade', 'rescaled', chart, '--namespace', 'rescaled', ...autoscaling, '--set', 'logLevel=debug'], cp.kubeconfigPath);
    assert.equal((await deployment()).spec.replicas, 5);
    await t.helm(['uninstall', 'rescaled', '--namespace', 'rescaled', '--wait'], cp.kubeconfigPath);
  });

  describe('with the counter enabled', () => {
    const ns = 'counting';
    const name = 'stringsvc-counter';
    const forbidden = (err: unknown) => err instanceof ApiException && err.code === 403;
    /** The ConfigMap the installed Deployment tells countersvc to use. */
    let configMap = '';

    test('helm install into a restricted namespace creates the counter objects but no ConfigMap; its pods are admitted', { timeout: 120_000 }, async () => {
      await cp.createNamespace(ns, { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'latest' });
      const { stdout: notes } = await t.helm(
        ['install', 'stringsvc', chart, '--namespace', ns, '-f', t.valuesFile('monitoring', monitoringOn), '--set', 'counter.enabled=true'],
        cp.kubeconfigPath,
      );
      assert.match(notes, new RegExp(`kubectl --namespace ${ns} port-forward service/${name} 8081:80`));
      assert.match(notes, /curl -X POST -d '\{"v":1\}' localhost:8081\/add/);
      assert.match(notes, new RegExp(`total in ConfigMap ${name} `));
      assert.match(notes, new RegExp(`rollout status deployment/stringsvc-backend deployment/stringsvc-frontend deployment/${name}\n`));

      const { stdout: manifest } = await t.helm(['get', 'manifest', 'stringsvc', '--namespace', ns], cp.kubeconfigPath);
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
      await t.helm(['upgrade', 'stringsvc', chart, '--namespace', ns, '--reuse-values', '--set', 'counter.rate=2'], cp.kubeconfigPath);
      const dep = JSON.parse(await kubectl(['get', '--namespace', ns, `deployment/${name}`, '-o', 'json'])) as Obj;
      assert.equal(arg(dep.spec.template.spec, 'rate'), '2');
      assert.equal(await read(), '3');
    });
  });

  test('helm install with invalid values fails with the schema message and creates nothing', async () => {
    const err = await t.helmFails(['install', 'bad', chart, '--namespace', 'demo', '--set', 'frontend.discovery=dns'], cp.kubeconfigPath);
    assert.match(err, /\/frontend\/discovery.*one of 'endpointslices', 'endpoints'/);
    const status = await t.helmFails(['status', 'bad', '--namespace', 'demo'], cp.kubeconfigPath);
    assert.match(status, /not found/);
  });
});
