import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { controlPlaneSkip } from './controlplane/require.ts';
import { chart, chartToolsForSuite, deployment, type Obj } from './support/chart.ts';

// Template tests of the chart's tracing values (issue 22): off by default, the standard OTEL_*
// variables per tier when an endpoint is set, k8s.* resource attributes from the downward API.

const skip = controlPlaneSkip();

type EnvVar = { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } };
type Tier = 'backend' | 'frontend' | 'counter';
const envOf = (objs: Obj[], tier: Tier): EnvVar[] => deployment(objs, tier).spec.template.spec.containers[0].env ?? [];
const valueOf = (env: EnvVar[], name: string) => env.find((e) => e.name === name)?.value;

describe('helm chart: tracing', { skip }, () => {
  const t = chartToolsForSuite();

  test('off by default: no OTEL_* variable on any tier', async () => {
    const objs = await t.render(['--set', 'counter.enabled=true']);
    for (const tier of ['backend', 'frontend', 'counter'] as const) {
      assert.deepEqual(envOf(objs, tier).filter((e) => /^(OTEL_|K8S_)/.test(e.name)), [], tier);
    }
    assert.equal(deployment(objs, 'backend').spec.template.spec.containers[0].env, undefined, 'the backend keeps no env at all');
  });

  test('an endpoint turns it on for every tier, each with its service name, the sampler and the pod’s k8s.* attributes', async () => {
    const objs = await t.render([
      '-f', t.valuesFile('tracing', {
        counter: { enabled: true },
        backend: { extraEnv: [{ name: 'EXTRA', value: 'kept' }] },
        tracing: { otlpEndpoint: 'http://jaeger-collector.observability:4318', sampler: 'parentbased_traceidratio', samplerRatio: 0.25, resourceAttributes: { 'deployment.environment.name': 'prod east' } },
      }),
    ]);
    const names: Record<Tier, string> = { backend: 'stringsvc-backend', frontend: 'stringsvc-frontend', counter: 'countersvc' };
    for (const [tier, service] of Object.entries(names) as [Tier, string][]) {
      const env = envOf(objs, tier);
      assert.equal(valueOf(env, 'OTEL_EXPORTER_OTLP_ENDPOINT'), 'http://jaeger-collector.observability:4318', tier);
      assert.equal(valueOf(env, 'OTEL_SERVICE_NAME'), service, tier);
      assert.equal(valueOf(env, 'OTEL_TRACES_SAMPLER'), 'parentbased_traceidratio', tier);
      assert.equal(valueOf(env, 'OTEL_TRACES_SAMPLER_ARG'), '0.25', tier);
      const fields = Object.fromEntries(env.filter((e) => e.valueFrom?.fieldRef).map((e) => [e.name, e.valueFrom!.fieldRef!.fieldPath]));
      assert.equal(fields['K8S_POD_NAME'], 'metadata.name', tier);
      assert.equal(fields['K8S_NAMESPACE_NAME'], 'metadata.namespace', tier);
      assert.equal(fields['K8S_NODE_NAME'], 'spec.nodeName', tier);
      // The kubelet expands $(VAR) only for variables defined earlier in the list.
      const attrs = env.findIndex((e) => e.name === 'OTEL_RESOURCE_ATTRIBUTES');
      assert.ok(attrs > env.findIndex((e) => e.name === 'K8S_NODE_NAME'), tier);
      assert.equal(
        env[attrs]!.value,
        'k8s.pod.name=$(K8S_POD_NAME),k8s.namespace.name=$(K8S_NAMESPACE_NAME),k8s.node.name=$(K8S_NODE_NAME),deployment.environment.name=prod%20east',
        tier,
      );
    }
    assert.equal(valueOf(envOf(objs, 'backend'), 'EXTRA'), 'kept', 'extraEnv still follows');
  });

  test('the schema refuses a bad sampler, ratio or endpoint, naming the field', async () => {
    const cases: [string[], RegExp][] = [
      [['--set', 'tracing.sampler=sometimes'], /\/tracing\/sampler/],
      [['--set', 'tracing.samplerRatio=2'], /\/tracing\/samplerRatio/],
      [['--set', 'tracing.otlpEndpoint=jaeger:4318'], /\/tracing\/otlpEndpoint.*does not match pattern/],
      [['--set', 'tracing.serviceNames.frontend='], /\/tracing\/serviceNames\/frontend/],
    ];
    for (const [args, msg] of cases) {
      const err = await t.helmFails(['template', 'stringsvc', chart, ...args]);
      assert.match(err, /values don't meet the specifications of the schema/, args.join(' '));
      assert.match(err, msg, args.join(' '));
    }
  });
});
