import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../cli.ts';
import { parseAttributes, tracingConfig, tracingFlags } from './flags.ts';

const none = Object.fromEntries(Object.keys(tracingFlags).map((k) => [k, ''])) as Record<keyof typeof tracingFlags, string>;

test('no endpoint, by flag or OTEL_EXPORTER_OTLP_ENDPOINT: tracing is off', () => {
  assert.equal(tracingConfig(none, 'stringsvc-backend', {}), undefined);
  assert.equal(tracingConfig(none, 'stringsvc-backend', { OTEL_SERVICE_NAME: 'x', OTEL_TRACES_SAMPLER: 'always_on' }), undefined);
});

test('the OTEL_* variables configure it; defaults are parent-based, always on, named after the program', () => {
  assert.deepEqual(tracingConfig(none, 'stringsvc-backend', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318/' }), {
    endpoint: 'http://jaeger:4318',
    serviceName: 'stringsvc-backend',
    sampler: 'parentbased_always_on',
    ratio: 1,
    resourceAttributes: {},
  });
  const env = {
    OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318',
    OTEL_SERVICE_NAME: 'edge',
    OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
    OTEL_TRACES_SAMPLER_ARG: '0.1',
    OTEL_RESOURCE_ATTRIBUTES: 'k8s.pod.name=web-1,deployment.environment.name=prod%20east',
  };
  assert.deepEqual(tracingConfig(none, 'stringsvc-frontend', env), {
    endpoint: 'http://jaeger:4318',
    serviceName: 'edge',
    sampler: 'parentbased_traceidratio',
    ratio: 0.1,
    resourceAttributes: { 'k8s.pod.name': 'web-1', 'deployment.environment.name': 'prod east' },
  });
});

test('flags win over the variables', () => {
  const flags = { ...none, 'otlp-endpoint': 'https://otel:4318', 'service-name': 'mine', 'traces-sampler': 'always_off' };
  const c = tracingConfig(flags, 'p', { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other:4318', OTEL_SERVICE_NAME: 'theirs', OTEL_TRACES_SAMPLER: 'always_on' });
  assert.equal(c?.endpoint, 'https://otel:4318');
  assert.equal(c?.serviceName, 'mine');
  assert.equal(c?.sampler, 'always_off');
});

test('bad values are usage errors naming the flag', () => {
  const on = { ...none, 'otlp-endpoint': 'http://jaeger:4318' };
  assert.throws(() => tracingConfig({ ...none, 'otlp-endpoint': 'jaeger:4318' }, 'p', {}), (e) => e instanceof UsageError && /--otlp-endpoint/.test(e.message));
  assert.throws(() => tracingConfig({ ...none, 'otlp-endpoint': 'not a url' }, 'p', {}), /--otlp-endpoint/);
  assert.throws(() => tracingConfig({ ...on, 'traces-sampler': 'sometimes' }, 'p', {}), /--traces-sampler: "sometimes"/);
  assert.throws(() => tracingConfig({ ...on, 'traces-sampler-arg': '1.5' }, 'p', {}), /--traces-sampler-arg/);
  assert.throws(() => tracingConfig({ ...on, 'traces-sampler-arg': 'half' }, 'p', {}), /--traces-sampler-arg/);
  assert.throws(() => parseAttributes('novalue'), /--resource-attributes: "novalue"/);
  assert.throws(() => parseAttributes('a=%zz'), /percent escape/);
});
