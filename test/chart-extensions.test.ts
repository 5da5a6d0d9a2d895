import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { controlPlaneSkip } from './controlplane/require.ts';
import { repoRoot } from './support/process.ts';
import { chartReadme, readmePath, valueRows } from './support/chart-readme.ts';
import { chart, chartToolsForSuite, deployment, find, type Obj, podSpecs } from './support/chart.ts';

// Template tests of the chart's extension points (issue 24): image location, use as a dependency,
// per-tier ServiceAccounts, volumes, envFrom and security overrides, common labels, scheduling.

const skip = controlPlaneSkip();
const digest = `sha256:${'b'.repeat(64)}`;

describe('helm chart: extension points', { skip }, () => {
  const t = chartToolsForSuite();

  const images = (objs: Obj[]) => podSpecs(objs).map(([what, spec]) => [what, spec.containers[0].image]);
  const pullSecrets = (objs: Obj[]) => podSpecs(objs).map(([what, spec]) => [what, spec.imagePullSecrets]);

  test('image: a digest alone renders repo@digest, with a tag repo:tag@digest; the registry prefixes it', async () => {
    const alone = await t.render(['--set', `image.digest=${digest}`, '--set', 'counter.enabled=true']);
    for (const [what, image] of images(alone)) assert.equal(image, `stringsvc@${digest}`, what);

    const tagged = await t.render(['--set', `image.digest=${digest}`, '--set', 'image.tag=v2', '--set', 'image.registry=registry.example:5000']);
    for (const [what, image] of images(tagged)) assert.equal(image, `registry.example:5000/stringsvc:v2@${digest}`, what);

    // A tag carrying its digest (as skaffold sets it) still works, and the default is the appVersion.
    const skaffold = await t.render(['--set', `image.tag=v1@${digest}`]);
    assert.equal(deployment(skaffold, 'backend').spec.template.spec.containers[0].image, `stringsvc:v1@${digest}`);
    assert.equal(deployment(await t.render(), 'frontend').spec.template.spec.containers[0].image, 'stringsvc:0.1.0');
  });

  test('global.imageRegistry wins over image.registry, for the test image too', async () => {
    const objs = await t.render(['--set', 'global.imageRegistry=mirror.example/hub', '--set', 'image.registry=registry.example']);
    for (const [what, image] of images(objs)) assert.equal(image, 'mirror.example/hub/stringsvc:0.1.0', what);
    const testImage = await t.render(['--set', 'global.imageRegistry=mirror.example', '--set', 'tests.image.repository=library/node', '--set', 'tests.image.tag=24-alpine']);
    assert.equal(find(testImage, 'Pod', 'stringsvc-test-connection').spec.containers[0].image, 'mirror.example/library/node:24-alpine');
  });

  test('pull secrets: global (names or objects) then imagePullSecrets, each once, on every pod including the test pod', async () => {
    const objs = await t.render([
      '-f', t.valuesFile('pull-secrets', { global: { imagePullSecrets: ['mirror', { name: 'shared' }] }, imagePullSecrets: [{ name: 'regcred' }, { name: 'shared' }], counter: { enabled: true } }),
    ]);
    const all = pullSecrets(objs);
    assert.equal(all.length, 4, all.map(([w]) => w).join());
    for (const [what, secrets] of all) assert.deepEqual(secrets, [{ name: 'mirror' }, { name: 'shared' }, { name: 'regcred' }], what);
    for (const [what, secrets] of pullSecrets(await t.render())) assert.equal(secrets, undefined, what);
  });

  test('the schema refuses a malformed digest and registry, naming the field', async () => {
    const cases: [string[], RegExp][] = [
      [['--set', 'image.digest=abc'], /\/image\/digest.*does not match pattern/],
      [['--set', `image.digest=stringsvc@${digest}`], /\/image\/digest.*does not match pattern/],
      [['--set', 'image.registry=registry.example/'], /\/image\/registry.*does not match pattern/],
      [['--set', 'global.imageRegistry=a b'], /\/global\/imageRegistry.*does not match pattern/],
      [['--set', 'global.imagePullSecrets[0].nom=x'], /\/global\/imagePullSecrets\/0/],
    ];
    for (const [args, msg] of cases) {
      const err = await t.helmFails(['template', 'stringsvc', chart, ...args]);
      assert.match(err, /values don't meet the specifications of the schema/, args.join(' '));
      assert.match(err, msg, args.join(' '));
    }
  });

  test('as the dependency of an umbrella chart: enabled is accepted, the condition switches it, globals reach it', async () => {
    const umbrella = join(t.work, 'umbrella');
    mkdirSync(join(umbrella, 'charts'), { recursive: true });
    cpSync(chart, join(umbrella, 'charts', 'stringsvc'), { recursive: true });
    writeFileSync(join(umbrella, 'Chart.yaml'), [
      'apiVersion: v2',
      'name: umbrella',
      'version: 0.1.0',
      'dependencies:',
      '  - name: stringsvc',
      '    version: ">=0.0.0"',
      '    condition: stringsvc.enabled',
      '',
    ].join('\n'));
    writeFileSync(join(umbrella, 'values.yaml'), 'global:\n  imageRegistry: mirror.example\n  imagePullSecrets: [mirror]\nstringsvc:\n  enabled: true\n  backend:\n    replicaCount: 2\n');
    const { stdout: lint } = await t.helm(['lint', '--strict', umbrella]);
    assert.match(lint, /1 chart\(s\) linted, 0 chart\(s\) failed/);

    const on = await t.render([], umbrella);
    const be = deployment(on, 'backend');
    assert.equal(be.spec.replicas, 2);
    assert.equal(be.spec.template.spec.containers[0].image, 'mirror.example/stringsvc:0.1.0');
    assert.deepEqual(be.spec.template.spec.imagePullSecrets, [{ name: 'mirror' }]);

    assert.deepEqual(await t.render(['--set', 'stringsvc.enabled=false'], umbrella), []);
    // Standing alone, the value is accepted and changes nothing.
    assert.equal((await t.render(['--set', 'enabled=false'])).length, (await t.render()).length);
    assert.match(await t.helmFails(['template', 'stringsvc', chart, '--set', 'enabled=no']), /\/enabled.*want boolean/);
  });

  test('serviceAccount per tier: none for the backends unless asked, an existing one bound instead of the chart\'s', async () => {
    const defaults = await t.render(['--set', 'counter.enabled=true']);
    assert.equal(deployment(defaults, 'backend').spec.template.spec.serviceAccountName, undefined);
    assert.equal(deployment(defaults, 'frontend').spec.template.spec.serviceAccountName, 'stringsvc-frontend');
    assert.equal(deployment(defaults, 'counter').spec.template.spec.serviceAccountName, 'stringsvc-counter');

    const created = await t.render(['--set', 'backend.serviceAccount.create=true', '--set', 'backend.serviceAccount.annotations.a=b']);
    const sa = find(created, 'ServiceAccount', 'stringsvc-backend');
    assert.equal(sa.automountServiceAccountToken, false);
    assert.deepEqual(sa.metadata.annotations, { a: 'b' });
    const bePod = deployment(created, 'backend').spec.template.spec;
    assert.equal(bePod.serviceAccountName, 'stringsvc-backend');
    assert.equal(bePod.automountServiceAccountToken, false);

    const named = await t.render(['--set', 'backend.serviceAccount.create=true', '--set', 'backend.serviceAccount.name=be-sa']);
    assert.equal(find(named, 'ServiceAccount', 'be-sa').kind, 'ServiceAccount');
    assert.equal(deployment(named, 'backend').spec.template.spec.serviceAccountName, 'be-sa');

    const existing = await t.render([
      '--set', 'frontend.serviceAccount.create=false', '--set', 'frontend.serviceAccount.name=fe-existing',
      '--set', 'counter.enabled=true', '--set', 'counter.serviceAccount.create=false', '--set', 'counter.serviceAccount.name=ctr-existing',
      '--set', 'backend.serviceAccount.name=be-existing',
    ]);
    assert.deepEqual(existing.filter((o) => o.kind === 'ServiceAccount'), [], 'no ServiceAccount created');
    assert.equal(deployment(existing, 'frontend').spec.template.spec.serviceAccountName, 'fe-existing');
    assert.equal(deployment(existing, 'counter').spec.template.spec.serviceAccountName, 'ctr-existing');
    assert.equal(deployment(existing, 'backend').spec.template.spec.serviceAccountName, 'be-existing');
    assert.deepEqual(find(existing, 'RoleBinding', 'stringsvc-frontend').subjects, [{ kind: 'ServiceAccount', name: 'fe-existing', namespace: 'demo' }]);
    assert.deepEqual(find(existing, 'RoleBinding', 'stringsvc-counter').subjects, [{ kind: 'ServiceAccount', name: 'ctr-existing', namespace: 'demo' }]);

    // The counter's memory store needs no API: no ServiceAccount of its own.
    const memory = await t.render(['--set', 'counter.enabled=true', '--set', 'counter.store=memory', '--set', 'counter.replicaCount=1']);
    assert.equal(deployment(memory, 'counter').spec.template.spec.serviceAccountName, undefined);

    assert.match(await t.helmFails(['template', 'stringsvc', chart, '--set', 'frontend.serviceAccount.create=false']),
      /frontend\.serviceAccount\.name is required with frontend\.serviceAccount\.create=false/);
    assert.match(await t.helmFails(['template', 'stringsvc', chart, '--set', 'counter.enabled=true', '--set', 'counter.serviceAccount.create=false']),
      /counter\.serviceAccount\.name is required with counter\.serviceAccount\.create=false and counter\.store=kubernetes/);
    assert.match(await t.helmFails(['template', 'stringsvc', chart, '--set', 'backend.serviceAccount.name=Not_A_Name']), /\/backend\/serviceAccount\/name.*does not match pattern/);
  });

  test('extraVolumes, extraVolumeMounts and envFrom per tier, after the chart\'s own /tmp', async () => {
    const values: Record<string, unknown> = {};
    for (const tier of ['backend', 'frontend', 'counter']) {
      values[tier] = {
        ...(tier === 'counter' ? { enabled: true } : {}),
        extraVolumes: [{ name: 'certs', secret: { secretName: `${tier}-certs` } }],
        extraVolumeMounts: [{ name: 'certs', mountPath: '/certs', readOnly: true }],
        envFrom: [{ configMapRef: { name: `${tier}-env` } }],
      };
    }
    const objs = await t.render(['-f', t.valuesFile('extras', values)]);
    for (const tier of ['backend', 'frontend', 'counter'] as const) {
      const spec = deployment(objs, tier).spec.template.spec;
      assert.deepEqual(spec.volumes, [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }, { name: 'certs', secret: { secretName: `${tier}-certs` } }], tier);
      assert.deepEqual(spec.containers[0].volumeMounts, [{ name: 'tmp', mountPath: '/tmp' }, { name: 'certs', mountPath: '/certs', readOnly: true }], tier);
      assert.deepEqual(spec.containers[0].envFrom, [{ configMapRef: { name: `${tier}-env` } }], tier);
    }
    assert.equal(deployment(await t.render(), 'backend').spec.template.spec.containers[0].envFrom, undefined);
    assert.match(await t.helmFails(['template', 'stringsvc', chart, '--set', 'frontend.extraVolumeMounts[0].name=x']), /\/frontend\/extraVolumeMounts\/0.*missing property 'mountPath'/);
  });

  test("per-tier securityContext and podSecurityContext are merged over the chart-wide ones", async () => {
    const objs = await t.render([
      '--set', 'backend.securityContext.runAsUser=2000', '--set', 'backend.podSecurityContext.fsGroup=3000',
      '--set', 'frontend.podSecurityContext.supplementalGroups[0]=4000',
    ]);
    const be = deployment(objs, 'backend').spec.template.spec;
    assert.equal(be.containers[0].securityContext.runAsUser, 2000);
    assert.equal(be.containers[0].securityContext.readOnlyRootFilesystem, true, 'the rest is kept');
    assert.deepEqual(be.containers[0].securityContext.capabilities, { drop: ['ALL'] });
    assert.equal(be.securityContext.fsGroup, 3000);
    assert.equal(be.securityContext.runAsNonRoot, true);
    const fe = deployment(objs, 'frontend').spec.template.spec;
    assert.deepEqual(fe.securityContext.supplementalGroups, [4000]);
    assert.equal(fe.securityContext.fsGroup, 1000);
    assert.equal(fe.containers[0].securityContext.runAsUser, 1000, 'the backend\'s override stays the backend\'s');
  });

  test('commonLabels on every object and pod, commonAnnotations on every object; object annotations win', async () => {
    const objs = await t.render([
      '--api-versions', 'monitoring.coreos.com/v1',
      '-f', t.valuesFile('common', {
        commonLabels: { team: 'strings' },
        commonAnnotations: { owner: 'platform', 'example.com/a': 'common' },
        frontend: { serviceAccount: { annotations: { 'example.com/a': 'own' } } },
        counter: { enabled: true },
        backend: { serviceAccount: { create: true }, autoscaling: { enabled: true } },
        networkPolicy: { enabled: true, metricsFrom: [{ namespaceSelector: {} }] },
        metrics: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true }, dashboard: { enabled: true } },
      }),
    ]);
    assert.ok(objs.length >= 20, `${objs.length} objects`);
    for (const o of objs) {
      const what = `${o.kind}/${o.metadata.name}`;
      assert.equal(o.metadata.labels?.team, 'strings', what);
      if (o.kind !== 'Pod') assert.equal(o.metadata.annotations?.owner, 'platform', what);
      if (o.kind === 'Deployment') {
        assert.equal(o.spec.template.metadata.labels.team, 'strings', what);
        assert.equal(o.spec.selector.matchLabels.team, undefined, `${what}: selectors never change`);
      }
    }
    assert.equal(find(objs, 'ServiceAccount', 'stringsvc-frontend').metadata.annotations?.['example.com/a'], 'own');
    assert.equal(find(objs, 'ServiceAccount', 'stringsvc-backend').metadata.annotations?.['example.com/a'], 'common');
    assert.equal(find(objs, 'ConfigMap', 'stringsvc-dashboard').metadata.labels?.grafana_dashboard, '1');
    assert.match(await t.helmFails(['template', 'stringsvc', chart, '--set', 'commonLabels.app\\.kubernetes\\.io/component=x']), /invalid propertyName 'app\.kubernetes\.io\/component'/);
    // Without them, no object carries an empty annotations map.
    for (const o of await t.render()) if (o.kind !== 'Pod') assert.equal(o.metadata.annotations, undefined, `${o.kind}/${o.metadata.name}`);
  });

  test('scheduling: a soft spread over hostname and zone on each tier\'s selector labels by default', async () => {
    const objs = await t.render(['--set', 'counter.enabled=true']);
    for (const tier of ['backend', 'frontend', 'counter'] as const) {
      const selector = { matchLabels: { 'app.kubernetes.io/name': 'stringsvc', 'app.kubernetes.io/instance': 'stringsvc', 'app.kubernetes.io/component': tier } };
      assert.deepEqual(deployment(objs, tier).spec.template.spec.topologySpreadConstraints, [
        { topologyKey: 'kubernetes.io/hostname', maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: selector },
        { topologyKey: 'topology.kubernetes.io/zone', maxSkew: 1, whenUnsatisfiable: 'ScheduleAnyway', labelSelector: selector },
      ], tier);
      assert.deepEqual(deployment(objs, tier).spec.selector, selector, `${tier}: the spread selects exactly the Deployment's pods`);
    }
    const off = await t.render(['-f', t.valuesFile('no-spread', { topologySpread: { topologyKeys: [] } })]);
    assert.equal(deployment(off, 'backend').spec.template.spec.topologySpreadConstraints, undefined);
    const hostOnly = await t.render(['--set', 'topologySpread.topologyKeys={kubernetes.io/hostname}', '--set', 'topologySpread.maxSkew=2']);
    assert.deepEqual(deployment(hostOnly, 'frontend').spec.template.spec.topologySpreadConstraints.map((c: any) => [c.topologyKey, c.maxSkew]), [['kubernetes.io/hostname', 2]]);
    assert.match(await t.helmFails(['template', 'stringsvc', chart, '--set', 'topologySpread.maxSkew=0']), /\/topologySpread\/maxSkew.*minimum/);
  });

  test('scheduling: own constraints and affinity pass through tpl; priorityClassName; nodeSelector and tolerations', async () => {
    const objs = await t.render(['-f', t.valuesFile('scheduling', {
      backend: {
        priorityClassName: 'high',
        nodeSelector: { pool: 'strings' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'strings', effect: 'NoSchedule' }],
        topologySpreadConstraints: [{
          topologyKey: 'kubernetes.io/hostname', maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { 'app.kubernetes.io/instance': '{{ .Release.Name }}', 'app.kubernetes.io/component': 'backend' } },
        }],
        affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{
          topologyKey: 'kubernetes.io/hostname',
          labelSelector: { matchLabels: { 'app.kubernetes.io/name': '{{ include "stringsvc.name" . }}', 'app.kubernetes.io/component': 'backend' } },
        }] } },
      },
    })]);
    const spec = deployment(objs, 'backend').spec.template.spec;
    assert.equal(spec.priorityClassName, 'high');
    assert.deepEqual(spec.nodeSelector, { pool: 'strings' });
    assert.equal(spec.tolerations[0].key, 'dedicated');
    assert.deepEqual(spec.topologySpreadConstraints, [{
      topologyKey: 'kubernetes.io/hostname', maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule',
      labelSelector: { matchLabels: { 'app.kubernetes.io/instance': 'stringsvc', 'app.kubernetes.io/component': 'backend' } },
    }], 'own constraints replace the default, templated');
    assert.equal(spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector.matchLabels['app.kubernetes.io/name'], 'stringsvc');
    assert.equal(deployment(objs, 'frontend').spec.template.spec.priorityClassName, undefined);
  });

  test('podDisruptionBudget.unhealthyPodEvictionPolicy per tier; the schema knows its two values', async () => {
    const objs = await t.render(['--set', 'backend.podDisruptionBudget.unhealthyPodEvictionPolicy=AlwaysAllow']);
    assert.equal(find(objs, 'PodDisruptionBudget', 'stringsvc-backend').spec.unhealthyPodEvictionPolicy, 'AlwaysAllow');
    assert.equal(find(objs, 'PodDisruptionBudget', 'stringsvc-frontend').spec.unhealthyPodEvictionPolicy, undefined);
    assert.match(await t.helmFails(['template', 'stringsvc', chart, '--set', 'frontend.podDisruptionBudget.unhealthyPodEvictionPolicy=Never']),
      /\/frontend\/podDisruptionBudget\/unhealthyPodEvictionPolicy.*one of/);
  });
});

describe('helm chart: monitoring wiring', { skip }, () => {
  const t = chartToolsForSuite();
  const monitoring = ['--api-versions', 'monitoring.coreos.com/v1', '--set', 'metrics.serviceMonitor.enabled=true', '--set', 'metrics.prometheusRule.enabled=true'];

  test('ServiceMonitor: namespace, jobLabel, honorLabels, relabelings after the chart\'s, metricRelabelings', async () => {
    const drop = { sourceLabels: ['__name__'], regex: 'nodejs_.*', action: 'drop' };
    const extra = { targetLabel: 'cluster', replacement: 'east' };
    const objs = await t.render([...monitoring, '-f', t.valuesFile('sm', {
      metrics: { serviceMonitor: { namespace: 'monitoring', jobLabel: 'app.kubernetes.io/component', honorLabels: true, relabelings: [extra], metricRelabelings: [drop] } },
    })]);
    const sm = find(objs, 'ServiceMonitor', 'stringsvc');
    assert.equal(sm.metadata.namespace, 'monitoring');
    assert.deepEqual(sm.spec.namespaceSelector, { matchNames: ['demo'] }, 'it still scrapes the release\'s namespace');
    assert.equal(sm.spec.jobLabel, 'app.kubernetes.io/component');
    const ep = sm.spec.endpoints[0];
    assert.equal(ep.honorLabels, true);
    assert.deepEqual(ep.relabelings, [{ sourceLabels: ['__meta_kubernetes_service_label_app_kubernetes_io_component'], targetLabel: 'component' }, extra]);
    assert.deepEqual(ep.metricRelabelings, [drop]);

    const plain = find(await t.render(monitoring), 'ServiceMonitor', 'stringsvc');
    assert.equal(plain.metadata.namespace, undefined);
    assert.equal(plain.spec.jobLabel, undefined);
    assert.equal(plain.spec.endpoints[0].honorLabels, undefined);
    assert.equal(plain.spec.endpoints[0].metricRelabelings, undefined);
    assert.match(await t.helmFails(['template', 'stringsvc', chart, '--set', 'metrics.serviceMonitor.namespace=Mon_itoring']), /\/metrics\/serviceMonitor\/namespace.*does not match pattern/);
  });

  test('alerts are aggregated by namespace and service and carry runbook_url anchors into docs/runbooks.md', async () => {
    const rules: any[] = find(await t.render([...monitoring, '--set', 'metrics.prometheusRule.runbookBaseUrl=https://example.org/stringsvc/docs/runbooks.md']), 'PrometheusRule', 'stringsvc').spec.groups[0].rules;
    const runbooks = readFileSync(join(repoRoot, 'docs', 'runbooks.md'), 'utf8');
    for (const r of rules) {
      const aggregations = [...(r.expr as string).matchAll(/\b(sum|max|min|avg|count) by \(([^)]*)\)/g)];
      assert.ok(aggregations.length > 0, `${r.alert}: aggregated`);
      for (const [, , by] of aggregations) assert.deepEqual(by!.split(', ').slice(0, 2), ['namespace', 'service'], r.alert);
      assert.equal(r.annotations.runbook_url, `https://example.org/stringsvc/docs/runbooks.md#${r.alert.toLowerCase()}`);
      assert.match(runbooks, new RegExp(`^## ${r.alert}$`, 'm'), `docs/runbooks.md has a section for ${r.alert}`);
    }
    const plain: any[] = find(await t.render(monitoring), 'PrometheusRule', 'stringsvc').spec.groups[0].rules;
    for (const r of plain) assert.equal(r.annotations.runbook_url, undefined, r.alert);
    assert.match(await t.helmFails(['template', 'stringsvc', chart, '--set', 'metrics.prometheusRule.runbookBaseUrl=docs/runbooks.md']), /\/metrics\/prometheusRule\/runbookBaseUrl.*does not match pattern/);
  });

  test('the error-rate threshold accepts --set strings as well as numbers, and refuses what is not a fraction', async () => {
    const rule = async (args: string[]) => find(await t.render([...monitoring, ...args]), 'PrometheusRule', 'stringsvc').spec.groups[0].rules[0];
    const fromSet = await rule(['--set', 'metrics.prometheusRule.errorRate.threshold=0.1']);
    assert.match(fromSet.expr, /\) > 0\.1$/);
    assert.equal(fromSet.annotations.summary, 'More than 10% of string service requests fail.');
    const fromFile = await rule(['-f', t.valuesFile('threshold', { metrics: { prometheusRule: { errorRate: { threshold: 0.07 } } } })]);
    assert.match(fromFile.expr, /\) > 0\.07$/);
    assert.equal(fromFile.annotations.summary, 'More than 7% of string service requests fail.');
    assert.match((await rule(['--set', 'metrics.prometheusRule.errorRate.threshold=1'])).expr, /\) > 1$/);
    for (const bad of ['0', 'high', '1.5', '-0.1']) {
      assert.match(await t.helmFails(['template', 'stringsvc', chart, '--set', `metrics.prometheusRule.errorRate.threshold=${bad}`]), /\/metrics\/prometheusRule\/errorRate\/threshold/, bad);
    }
  });

  test('NetworkPolicy with the ServiceMonitor and no metricsFrom fails, naming the value; with a peer the peer may scrape', async () => {
    const err = await t.helmFails(['template', 'stringsvc', chart, '--set', 'networkPolicy.enabled=true', '--set', 'metrics.serviceMonitor.enabled=true']);
    assert.match(err, /networkPolicy\.metricsFrom is empty but metrics\.serviceMonitor\.enabled is true/);
    const peer = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } };
    const objs = await t.render([...monitoring, '-f', t.valuesFile('np', { networkPolicy: { enabled: true, metricsFrom: [peer] } })]);
    assert.deepEqual(find(objs, 'NetworkPolicy', 'stringsvc-backend').spec.ingress[0].from.at(-1), peer);
    // Either alone renders.
    await t.render(['--set', 'networkPolicy.enabled=true']);
    await t.render(monitoring);
  });
});

describe('helm chart: exposure', { skip }, () => {
  const t = chartToolsForSuite();

  /** The install notes for these values (helm template does not render NOTES.txt: a copy renders it as a value). */
  async function notes(args: string[]): Promise<string> {
    const copy = join(t.work, 'notes-chart');
    if (!existsSync(copy)) {
      cpSync(chart, copy, { recursive: true });
      rmSync(join(copy, 'templates', 'tests'), { recursive: true, force: true });
      const text = readFileSync(join(copy, 'templates', 'NOTES.txt'), 'utf8');
      rmSync(join(copy, 'templates', 'NOTES.txt'));
      writeFileSync(join(copy, 'templates', 'notes.yaml'), `{{- define "notes" }}${text}{{ end }}\nnotes: {{ include "notes" . | toJson }}\n`);
    }
    const { stdout } = await t.helm(['template', 'stringsvc', copy, '--namespace', 'demo', '--show-only', 'templates/notes.yaml', ...args]);
    return (parseAllDocuments(stdout)[0]!.toJS() as { notes: string }).notes;
  }

  test("frontend.ingress in helm create's shape: class, hosts and paths to the Service's http port, TLS, annotations", async () => {
    assert.equal((await t.render()).filter((o) => o.kind === 'Ingress' || o.kind === 'HTTPRoute').length, 0, 'off by default');
    const objs = await t.render(['-f', t.valuesFile('ingress', {
      commonAnnotations: { owner: 'platform' },
      frontend: { ingress: {
        enabled: true, className: 'nginx', annotations: { 'cert-manager.io/cluster-issuer': 'letsencrypt' },
        hosts: [{ host: 'strings.example', paths: [{ path: '/', pathType: 'Prefix' }, { path: '/api' }] }, { paths: [{ path: '/x', pathType: 'Exact' }] }],
        tls: [{ secretName: 'strings-tls', hosts: ['strings.example'] }],
      } },
    })]);
    const ing = find(objs, 'Ingress', 'stringsvc-frontend');
    assert.equal(ing.apiVersion, 'networking.k8s.io/v1');
    assert.equal(ing.spec.ingressClassName, 'nginx');
    assert.deepEqual(ing.metadata.annotations, { 'cert-manager.io/cluster-issuer': 'letsencrypt', owner: 'platform' });
    assert.deepEqual(ing.spec.tls, [{ hosts: ['strings.example'], secretName: 'strings-tls' }]);
    const backend = { service: { name: 'stringsvc-frontend', port: { name: 'http' } } };
    assert.deepEqual(ing.spec.rules, [
      { host: 'strings.example', http: { paths: [{ path: '/', pathType: 'Prefix', backend }, { path: '/api', pathType: 'ImplementationSpecific', backend }] } },
      { http: { paths: [{ path: '/x', pathType: 'Exact', backend }] } },
    ]);
    assert.ok(find(objs, 'Service', 'stringsvc-frontend').spec.ports.some((p: any) => p.name === 'http'), 'the port the Ingress names exists');
    assert.match(await t.helmFails(['template', 'stringsvc', chart, '--set', 'frontend.ingress.enabled=true', '--set', 'frontend.ingress.hosts=null']), /\/frontend\/ingress.*hosts/);
    assert.match(await t.helmFails(['template', 'stringsvc', chart, '--set', 'frontend.ingress.hosts[0].paths[0].path=api']), /\/frontend\/ingress\/hosts\/0\/paths\/0\/path.*does not match pattern/);
    assert.match(await t.helmFails(['template', 'stringsvc', chart, '--set', 'frontend.ingress.hosts[0].paths[0].pathType=Regex']), /\/frontend\/ingress\/hosts\/0\/paths\/0\/pathType.*one of/);
  });

  test("frontend.httpRoute in helm create's shape: parentRefs, hostnames, each rule sent to the frontend Service", async () => {
    const objs = await t.render(['-f', t.valuesFile('route', { frontend: { httpRoute: {
      enabled: true, annotations: { a: 'b' },
      parentRefs: [{ name: 'public', namespace: 'gateways', sectionName: 'https' }],
      hostnames: ['strings.example'],
      rules: [
        { matches: [{ path: { type: 'PathPrefix', value: '/' } }] },
        { matches: [{ path: { type: 'Exact', value: '/metrics' } }], filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { remove: ['Cookie'] } }] },
      ],
    } } })]);
    const route = find(objs, 'HTTPRoute', 'stringsvc-frontend');
    assert.equal(route.apiVersion, 'gateway.networking.k8s.io/v1');
    assert.deepEqual(route.metadata.annotations, { a: 'b' });
    assert.deepEqual(route.spec.parentRefs, [{ name: 'public', namespace: 'gateways', sectionName: 'https' }]);
    assert.deepEqual(route.spec.hostnames, ['strings.example']);
    const backendRefs = [{ name: 'stringsvc-frontend', port: 80, weight: 1 }];
    assert.deepEqual(route.spec.rules, [
      { backendRefs, matches: [{ path: { type: 'PathPrefix', value: '/' } }] },
      { backendRefs, matches: [{ path: { type: 'Exact', value: '/metrics' } }], filters: [{ type: 'RequestHeaderModifier', requestHeaderModifier: { remove: ['Cookie'] } }] },
    ]);
    assert.match(await t.helmFails(['template', 'stringsvc', chart, '--set', 'frontend.httpRoute.enabled=true', '--set', 'frontend.httpRoute.parentRefs=null']), /\/frontend\/httpRoute.*parentRefs/);
    assert.match(await t.helmFails(['template', 'stringsvc', chart, '--set', 'frontend.httpRoute.parentRefs[0].sectionName=x']), /\/frontend\/httpRoute\/parentRefs\/0.*missing property 'name'/);
  });

  test('Service annotations, nodePort and externalTrafficPolicy (only where the type allows them)', async () => {
    const objs = await t.render(['-f', t.valuesFile('services', {
      frontend: { service: { type: 'LoadBalancer', nodePort: 30080, externalTrafficPolicy: 'Local', annotations: { 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' } } },
      counter: { enabled: true, service: { type: 'NodePort', nodePort: 30081 } },
      backend: { service: { annotations: { a: 'b' } } },
    })]);
    const fe = find(objs, 'Service', 'stringsvc-frontend');
    assert.equal(fe.spec.type, 'LoadBalancer');
    assert.equal(fe.spec.externalTrafficPolicy, 'Local');
    assert.equal(fe.spec.ports[0].nodePort, 30080);
    assert.deepEqual(fe.metadata.annotations, { 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' });
    const ctr = find(objs, 'Service', 'stringsvc-counter');
    assert.equal(ctr.spec.ports[0].nodePort, 30081);
    assert.equal(ctr.spec.externalTrafficPolicy, undefined);
    assert.deepEqual(find(objs, 'Service', 'stringsvc-backend').metadata.annotations, { a: 'b' });
    // A ClusterIP Service takes neither (the API would refuse them).
    const clusterIp = find(await t.render(['--set', 'frontend.service.nodePort=30080', '--set', 'frontend.service.externalTrafficPolicy=Local']), 'Service', 'stringsvc-frontend');
    assert.equal(clusterIp.spec.ports[0].nodePort, undefined);
    assert.equal(clusterIp.spec.externalTrafficPolicy, undefined);
    assert.match(await t.helmFails(['template', 'stringsvc', chart, '--set', 'frontend.service.externalTrafficPolicy=Nearest']), /\/frontend\/service\/externalTrafficPolicy.*one of/);
    assert.match(await t.helmFails(['template', 'stringsvc', chart, '--set', 'frontend.service.nodePort=70000']), /\/frontend\/service\/nodePort.*maximum/);
  });

  test('the install notes branch on how the frontend is exposed', async () => {
    const portForward = await notes([]);
    assert.match(portForward, /kubectl --namespace demo port-forward service\/stringsvc-frontend 8080:80/);
    assert.match(portForward, /curl -XPOST -d'\{"s":"hello, world"\}' localhost:8080\/uppercase/);

    const ingress = await notes(['--set', 'frontend.ingress.enabled=true', '--set', 'frontend.ingress.hosts[0].host=strings.example', '--set', 'frontend.ingress.hosts[0].paths[0].path=/', '--set', 'frontend.ingress.tls[0].secretName=tls']);
    assert.match(ingress, /exposed through Ingress stringsvc-frontend:\n {2}https:\/\/strings\.example\/\n/);
    assert.match(ingress, /URL=https:\/\/strings\.example\n/);
    assert.match(ingress, /curl -XPOST -d'\{"s":"hello, world"\}' \$URL\/uppercase/);

    const route = await notes(['--set', 'frontend.httpRoute.enabled=true', '--set', 'frontend.httpRoute.hostnames[0]=strings.example']);
    assert.match(route, /exposed through HTTPRoute stringsvc-frontend on Gateway demo\/gateway/);
    assert.match(route, /URL=http:\/\/strings\.example\n/);
    const noHost = await notes(['--set', 'frontend.httpRoute.enabled=true', '--set', 'frontend.httpRoute.hostnames=null']);
    assert.match(noHost, /URL=http:\/\/\$\(kubectl --namespace demo get gateway\/gateway -o jsonpath='\{\.status\.addresses\[0\]\.value\}'\)/);

    const nodePort = await notes(['--set', 'frontend.service.type=NodePort']);
    assert.match(nodePort, /get service stringsvc-frontend -o jsonpath='\{\.spec\.ports\[0\]\.nodePort\}'/);
    const lb = await notes(['--set', 'frontend.service.type=LoadBalancer']);
    assert.match(lb, /URL=http:\/\/\$\(kubectl --namespace demo get service stringsvc-frontend -o jsonpath='\{\.status\.loadBalancer\.ingress\[0\]\.ip\}'\):80/);
    for (const [what, text] of [['ingress', ingress], ['route', route], ['nodePort', nodePort], ['lb', lb]]) assert.doesNotMatch(text!, /port-forward service\/stringsvc-frontend/, what);
  });
});

describe('helm chart: metadata', { skip }, () => {
  const t = chartToolsForSuite();

  test('Chart.yaml: kubeVersion refuses clusters without autoscaling/v2; icon, sources and maintainers; lint has nothing to say', async () => {
    const meta = parseAllDocuments(readFileSync(join(chart, 'Chart.yaml'), 'utf8'))[0]!.toJS() as Record<string, any>;
    assert.equal(meta.kubeVersion, '>=1.23.0-0');
    assert.match(meta.icon, /^https:\/\//);
    assert.ok(meta.sources.length > 0 && meta.sources.every((s: string) => s.startsWith('https://')), String(meta.sources));
    assert.ok(meta.maintainers.length > 0 && meta.maintainers.every((m: { name?: string }) => m.name), JSON.stringify(meta.maintainers));
    assert.match(await t.helmFails(['template', 'stringsvc', chart, '--kube-version', '1.22.0']), /chart requires kubeVersion: >=1\.23\.0-0/);
    await t.render(['--kube-version', '1.23.0']);
    const { stdout } = await t.helm(['lint', '--strict', chart]);
    assert.doesNotMatch(stdout, /\[(INFO|WARNING)\]/, stdout);
  });
});

describe('chart README', () => {
  test('charts/stringsvc/README.md is what `npm run chart-readme` generates from Chart.yaml and values.yaml', () => {
    assert.equal(readFileSync(readmePath, 'utf8'), chartReadme(), 'charts/stringsvc/README.md is stale: run `npm run chart-readme`');
  });

  test('the values table: documented keys, leaves, full paths, lists not entered, (type) annotations', () => {
    const rows = valueRows([
      '# -- The image.',
      'image:',
      '  # -- Where from.',
      '  repository: stringsvc',
      '  tag: ""',
      '# not a doc comment',
      'hosts:',
      '  - host: a',
      '    paths: [/]',
      '',
      '# -- (int) A port;',
      '# null: any.',
      'port: null',
      '# -- Dropped by the blank line below.',
      '',
      'empty: {}',
    ].join('\n'));
    assert.deepEqual(rows.map((r) => [r.key, r.type, JSON.stringify(r.value), r.description]), [
      ['image', 'object', '{"repository":"stringsvc","tag":""}', 'The image.'],
      ['image.repository', 'string', '"stringsvc"', 'Where from.'],
      ['image.tag', 'string', '""', ''],
      ['hosts', 'list', '[{"host":"a","paths":["/"]}]', ''],
      ['port', 'int', 'null', 'A port; null: any.'],
      ['empty', 'object', '{}', ''],
    ]);
    // Every value of the chart has a row or sits under one.
    const keys = valueRows(readFileSync(join(chart, 'values.yaml'), 'utf8')).map((r) => r.key);
    for (const k of ['enabled', 'global.imageRegistry', 'image.digest', 'frontend.ingress.hosts', 'frontend.httpRoute.parentRefs', 'backend.serviceAccount.create', 'topologySpread.topologyKeys', 'metrics.serviceMonitor.metricRelabelings']) {
      assert.ok(keys.includes(k), k);
    }
  });
});
