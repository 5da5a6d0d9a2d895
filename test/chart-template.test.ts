import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { versions } from './controlplane/binaries.ts';
import { controlPlaneSkip } from './controlplane/require.ts';
import { arg, chart, chartToolsForSuite, find, type Obj, podSpecs, selects } from './support/chart.ts';
import { monitoringOn, nonDefault } from './support/chart-values.ts';
import { startBuilt } from './support/process.ts';

// The chart rendered by `helm template` and linted, without a cluster: what each value turns into.
// (On a real apiserver: chart-apiserver.test.ts; on a real node: cluster/install.test.ts.)

const skip = controlPlaneSkip();
const kubeVersion = versions.kubernetes;

describe('helm chart: lint and template', { skip }, () => {
  const t = chartToolsForSuite();

  test('helm lint --strict passes with default and with non-default values', async () => {
    for (const extra of [[], ['-f', t.valuesFile('non-default', nonDefault)], ['-f', t.valuesFile('monitoring', monitoringOn)]]) {
      const { stdout } = await t.helm(['lint', '--strict', chart, ...extra]);
      assert.match(stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
    }
  });

  test('defaults: backend (3) and frontend Deployments and Services, frontend RBAC, PDBs, a test Pod, nothing else', async () => {
    const objs = await t.render(['--set', 'metrics.serviceMonitor.enabled=true', '--set', 'metrics.prometheusRule.enabled=true']);
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
    for (const [values, pods] of [[[], 3], [['-f', t.valuesFile('non-default', nonDefault)], 4], [['--set', 'counter.enabled=true', '--set', 'counter.store=memory', '--set', 'counter.replicaCount=1'], 4]] as const) {
      const specs = podSpecs(await t.render([...values]));
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
    const objs = await t.render();
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
    const legacy = await t.render(['--set', 'frontend.discovery=endpoints']);
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
      const objs = await t.render([...values]);
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
    const frontendArgs = async (values: string[]) => find(await t.render(values), 'Deployment', 'stringsvc-frontend').spec.template.spec;
    const defaults = await frontendArgs([]);
    assert.deepEqual(flags.map((f) => arg(defaults, f)), ['100', '100', '3', '250ms', '100ms', '5', '10s', '0.2']);
    // A values file's whole numbers reach the flags without an exponent (helm holds them as float64).
    const set = await frontendArgs(['-f', t.valuesFile('resilience', { frontend: { resilience: nonDefault.frontend.resilience } })]);
    assert.deepEqual(flags.map((f) => arg(set, f)), ['2500.5', '1000000', '2', '1.5s', '400ms', '10', '30s', '0']);
    const cli = await frontendArgs(['--set', 'frontend.resilience.qps=0.5', '--set', 'frontend.extraArgs={--qps=100000}']);
    const args: string[] = cli.containers[0].args;
    assert.ok(args.indexOf('--qps=0.5') < args.indexOf('--qps=100000'), 'extraArgs come later, so they win');
    // The backends are not proxies: none of these flags.
    const backend = find(await t.render([]), 'Deployment', 'stringsvc-backend').spec.template.spec;
    assert.deepEqual(flags.map((f) => arg(backend, f)), flags.map(() => undefined));
  });

  test('per-client limits: no flag while off (the default), the three flags once qps is set, whole numbers without an exponent', async () => {
    const flags = ['client-qps', 'client-burst', 'client-key-header'];
    const frontendSpec = async (values: string[]) => find(await t.render(values), 'Deployment', 'stringsvc-frontend').spec.template.spec;
    const defaults = await frontendSpec([]);
    assert.deepEqual(flags.map((f) => arg(defaults, f)), [undefined, undefined, undefined]);
    const set = await frontendSpec(['-f', t.valuesFile('client-limit', { frontend: { clientLimit: nonDefault.frontend.clientLimit } })]);
    assert.deepEqual(flags.map((f) => arg(set, f)), ['1000000', '200', 'X-Api-Key']);
    const byAddress = await frontendSpec(['--set', 'frontend.clientLimit.qps=20']);
    assert.deepEqual(flags.map((f) => arg(byAddress, f)), ['20', '0', undefined]);
    const backend = find(await t.render(['--set', 'frontend.clientLimit.qps=20']), 'Deployment', 'stringsvc-backend').spec.template.spec;
    assert.deepEqual(flags.map((f) => arg(backend, f)), [undefined, undefined, undefined]);
  });

  test('the install notes say what the per-backend limit means for total throughput', async () => {
    // helm template does not render NOTES.txt: render a copy of the chart with the notes as a value.
    const copy = join(t.work, 'notes-chart');
    rmSync(copy, { recursive: true, force: true });
    cpSync(chart, copy, { recursive: true });
    rmSync(join(copy, 'templates', 'tests'), { recursive: true, force: true });
    const notes = readFileSync(join(copy, 'templates', 'NOTES.txt'), 'utf8');
    rmSync(join(copy, 'templates', 'NOTES.txt'));
    writeFileSync(join(copy, 'templates', 'notes.yaml'), `{{- define "notes" }}${notes}{{ end }}\nnotes: {{ include "notes" . | toJson }}\n`);
    const rendered = async (values: string[]) => {
      const { stdout } = await t.helm(['template', 'stringsvc', copy, '--show-only', 'templates/notes.yaml', ...values]);
      return (parseAllDocuments(stdout)[0]!.toJS() as { notes: string }).notes;
    };
    assert.match(await rendered([]), /Each frontend sends each backend at most 100 calls\/s after a burst of 100 .*\n.* so one frontend proxies at most 100 × backends calls\/s \(300 with 3 backends\) and answers 429 beyond that\.\nRaise frontend\.resilience\.qps and \.burst before a load test\./);
    assert.match(await rendered(['--set', 'frontend.resilience.qps=1000', '--set', 'backend.replicaCount=5']), /at most 1000 × backends calls\/s \(5000 with 5 backends\)/);
    assert.match(await rendered(['--set', 'backend.autoscaling.enabled=true', '--set', 'backend.resources.requests.cpu=100m']), /at most 100 × backends calls\/s and answers 429/);
  });

  test('probes on /healthz and /readyz of the named port', async () => {
    const deployments = podSpecs(await t.render(['--set', 'counter.enabled=true'])).filter(([w]) => w.startsWith('Deployment'));
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
      for (const [what, spec] of podSpecs(await t.render(args)).filter(([w]) => w.startsWith('Deployment'))) {
        const c = spec.containers[0];
        assert.equal(c.lifecycle?.preStop?.sleep?.seconds, want.sleep, what);
        assert.equal(arg(spec, 'shutdown-delay'), want.delay, what);
        assert.equal(arg(spec, 'grace'), want.grace, what);
        assert.equal(spec.terminationGracePeriodSeconds, want.tgps, what);
      }
    };
    await check(['--kube-version', kubeVersion], { sleep: 5, delay: '0s', grace: '10s', tgps: 20 });
    await check(['--kube-version', kubeVersion, '-f', t.valuesFile('non-default', nonDefault)], { sleep: 7, delay: '0s', grace: '30s', tgps: 40 });
    // Without the built-in sleep action (before 1.30), or when asked, the app waits itself.
    await check(['--kube-version', '1.29.0'], { delay: '5s', grace: '10s', tgps: 20 });
    await check(['--kube-version', kubeVersion, '--set', 'shutdown.preStopSleep=false'], { delay: '5s', grace: '10s', tgps: 20 });
  });

  test("the ServiceMonitor's selector and port match both Services (and only with the monitoring API)", async () => {
    const objs = await t.render(['--api-versions', 'monitoring.coreos.com/v1', '-f', t.valuesFile('monitoring', monitoringOn)]);
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
    const objs = await t.render(['--api-versions', 'monitoring.coreos.com/v1', '-f', t.valuesFile('monitoring', monitoringOn)]);
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
      const { stdout } = await t.helm(['lint', '--strict', chart, ...extra]);
      assert.match(stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/, extra.join(' '));
    }
  });

  test('counter objects exist only when enabled; its ServiceAccount, Role and RoleBinding only with the kubernetes store; never its ConfigMap', async () => {
    const counterObjs = (objs: Obj[]) => objs.filter((o) => o.metadata.labels?.['app.kubernetes.io/component'] === 'counter').map((o) => `${o.kind}/${o.metadata.name}`).sort();
    assert.deepEqual(counterObjs(await t.render()), []);
    assert.deepEqual(counterObjs(await t.render(['--set', 'counter.store=memory', '--set', 'counter.replicaCount=1'])), []);
    const enabled = await t.render(['--set', 'counter.enabled=true', '--set', 'metrics.dashboard.enabled=true']);
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

    const memory = await t.render(['--set', 'counter.enabled=true', '--set', 'counter.store=memory', '--set', 'counter.replicaCount=1']);
    assert.deepEqual(counterObjs(memory), ['Deployment/stringsvc-counter', 'PodDisruptionBudget/stringsvc-counter', 'Service/stringsvc-counter']);
    const spec = find(memory, 'Deployment', 'stringsvc-counter').spec.template.spec;
    assert.equal(spec.automountServiceAccountToken, false);
    assert.equal(spec.serviceAccountName, undefined);
    assert.equal(arg(spec, 'store'), 'memory');
    assert.equal(arg(spec, 'configmap'), undefined);
  });

  test("the counter's Role: get/update of its own ConfigMap by name, create of configmaps, nothing else", async () => {
    for (const [values, name] of [[[], 'stringsvc-counter'], [['--set', 'fullnameOverride=svc'], 'svc-counter']] as const) {
      const objs = await t.render(['--set', 'counter.enabled=true', ...values]);
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
    const objs = await t.render(['--set', 'counter.enabled=true', '--kube-version', kubeVersion]);
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

    const tuned = find(await t.render(['-f', t.valuesFile('non-default', nonDefault)]), 'Deployment', 'svc-counter').spec.template.spec;
    assert.equal(tuned.containers[0].image, 'registry.example/stringsvc:v1@sha256:' + 'a'.repeat(64));
    assert.deepEqual(tuned.imagePullSecrets, [{ name: 'mirror' }, { name: 'regcred' }]);
    for (const [flag, want] of [['rate', '2'], ['burst', '5'], ['log-level', 'debug'], ['request-log', 'false'], ['grace', '30s'], ['configmap', 'svc-counter'], ['metrics-prefix', 'counter_']]) {
      assert.equal(arg(tuned, flag!), want, flag);
    }
    // helm --set passes a decimal as a string; the schema takes it, the app parses it.
    const quarter = find(await t.render(['--set', 'counter.enabled=true', '--set', 'counter.rate=0.25']), 'Deployment', 'stringsvc-counter');
    assert.equal(arg(quarter.spec.template.spec, 'rate'), '0.25');
  });

  test('with the counter, the ServiceMonitor also selects its Service; the NetworkPolicy leaves it reachable', async () => {
    const objs = await t.render(['--api-versions', 'monitoring.coreos.com/v1', '-f', t.valuesFile('monitoring', monitoringOn), '--set', 'counter.enabled=true']);
    const sm = find(objs, 'ServiceMonitor', 'stringsvc');
    const services = objs.filter((o) => o.kind === 'Service');
    assert.deepEqual(services.map((s) => s.metadata.name).sort(), ['stringsvc-backend', 'stringsvc-counter', 'stringsvc-frontend']);
    for (const svc of services) {
      assert.ok(selects(sm.spec.selector, svc.metadata.labels), `ServiceMonitor selects Service/${svc.metadata.name}`);
      for (const ep of sm.spec.endpoints) assert.ok(svc.spec.ports.some((p: any) => p.name === ep.port), `port ${ep.port} on ${svc.metadata.name}`);
    }
    // Without the counter the ServiceMonitor is as before.
    const without = find(await t.render(['--api-versions', 'monitoring.coreos.com/v1', '-f', t.valuesFile('monitoring', monitoringOn)]), 'ServiceMonitor', 'stringsvc');
    assert.deepEqual(without.spec.selector.matchExpressions[0].values, ['backend', 'frontend']);
    // The policy guards the backends only; the counter serves clients like the frontend.
    const np = find(objs, 'NetworkPolicy', 'stringsvc-backend');
    const counterPod = find(objs, 'Deployment', 'stringsvc-counter').spec.template.metadata.labels;
    assert.equal(selects(np.spec.podSelector, counterPod), false);
    assert.equal(objs.filter((o) => o.kind === 'NetworkPolicy').length, 1);
  });

  test('autoscaling: an autoscaling/v2 HPA on CPU for each tier that asks, whose Deployment then leaves replicas to it', async () => {
    const hpas = (objs: Obj[]) => objs.filter((o) => o.kind === 'HorizontalPodAutoscaler');
    const scaled = await t.render([
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

    const frontend = await t.render(['--set', 'frontend.autoscaling.enabled=true']);
    assert.deepEqual(hpas(frontend).map((o) => [o.metadata.name, o.spec.scaleTargetRef.name, o.spec.minReplicas, o.spec.maxReplicas]), [
      ['stringsvc-frontend', 'stringsvc-frontend', 2, 6],
    ]);
    assert.equal('replicas' in find(frontend, 'Deployment', 'stringsvc-frontend').spec, false);
    assert.equal(find(frontend, 'Deployment', 'stringsvc-backend').spec.replicas, 3);
  });

  test('autoscaling refuses a range upside down and a tier without a CPU request, naming the values', async () => {
    const upsideDown = await t.helmFails(['template', 'stringsvc', chart, '--set', 'backend.autoscaling.enabled=true', '--set', 'backend.autoscaling.minReplicas=11']);
    assert.match(upsideDown, /backend\.autoscaling: minReplicas \(11\) is above maxReplicas \(10\)/);
    const noRequest = await t.helmFails(['template', 'stringsvc', chart, '--set', 'frontend.autoscaling.enabled=true', '--set', 'frontend.resources.requests=null']);
    assert.match(noRequest, /frontend\.autoscaling needs frontend\.resources\.requests\.cpu/);
    // Switched off, neither is checked: the defaults stay installable whatever the range says.
    await t.render(['--set', 'backend.autoscaling.minReplicas=11']);
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
      [['--set', 'frontend.clientLimit.qps=-1'], /\/frontend\/clientLimit\/qps.*minimum/],
      [['--set', 'frontend.clientLimit.qps=2.5'], /\/frontend\/clientLimit\/qps.*want integer/],
      [['--set', 'frontend.clientLimit.burst=10'], /\/frontend\/clientLimit\/burst.*value must be 0/],
      [['--set', 'frontend.clientLimit.keyHeader=X-Tenant'], /\/frontend\/clientLimit\/keyHeader.*value must be ''/],
      [['--set', 'frontend.clientLimit.qps=5', '--set', 'frontend.clientLimit.keyHeader=x tenant'], /\/frontend\/clientLimit\/keyHeader.*does not match pattern/],
      [['--set', 'frontend.clientLimit.perTenant=true'], /\/frontend\/clientLimit.*additional properties 'perTenant' not allowed/],
    ];
    for (const [args, msg] of cases) {
      const err = await t.helmFails(['template', 'stringsvc', chart, ...args]);
      assert.match(err, /values don't meet the specifications of the schema/, args.join(' '));
      assert.match(err, msg, args.join(' '));
    }
  });
});
