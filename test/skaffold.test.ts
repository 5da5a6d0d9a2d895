import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { repoRoot } from './support/process.ts';

const schemaPath = join(repoRoot, '..', 'shared', 'kubernetes', 'schemas', 'skaffold-v4beta14.json');

interface Release {
  name: string;
  chartPath: string;
  namespace: string;
  setValues?: Record<string, unknown>;
  setValueTemplates?: Record<string, string>;
}
interface SkaffoldConfig {
  apiVersion: string;
  build: { artifacts: { image: string; docker?: { dockerfile?: string } }[] };
  deploy: { helm: { releases: Release[] } };
  portForward: { resourceType: string; resourceName: string; namespace: string; port: number; localPort: number }[];
  profiles: { name: string; activation?: { kubeContext?: string }[]; patches?: { op: string; path: string; value?: unknown }[] }[];
}

const text = readFileSync(join(repoRoot, 'skaffold.yaml'), 'utf8');
const config = parse(text) as SkaffoldConfig;

describe('skaffold.yaml', () => {
  test('is skaffold/v4beta13 and validates against the skaffold/v4beta14 JSON schema (v4beta14 has the same fields)', () => {
    const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
    assert.equal(schema['$schema'], 'http://json-schema.org/draft-07/schema#');
    // strict: false because the schema carries editor hints (x-intellij-html-description, preferredOrder).
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    // v4beta13 is the newest version skaffold v2.16.1 (what the Go module proxy serves; the node's
    // test runs it) parses; newer skaffold releases still read it.
    assert.equal(config.apiVersion, 'skaffold/v4beta13');
    assert.ok(validate(config), JSON.stringify(validate.errors, null, 2));
  });

  test('the schema check bites: an unknown field is rejected', () => {
    const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
    const validate = new Ajv({ strict: false }).compile(schema);
    const bad = structuredClone(config) as unknown as { deploy: { helm: { releases: Record<string, unknown>[] } } };
    bad.deploy.helm.releases[0]!['chart'] = 'charts/stringsvc';
    assert.equal(validate(bad), false);
  });

  test('builds the Dockerfile and wires the built image into the chart values', () => {
    const [artifact] = config.build.artifacts;
    assert.equal(artifact?.docker?.dockerfile, 'Dockerfile');
    const [release] = config.deploy.helm.releases;
    assert.equal(release?.chartPath, 'charts/stringsvc');
    const img = artifact.image;
    assert.deepEqual(release.setValueTemplates, {
      'image.repository': `{{.IMAGE_REPO_${img}}}`,
      'image.tag': `{{.IMAGE_TAG_${img}}}@{{.IMAGE_DIGEST_${img}}}`,
    });
  });

  test('forwards the frontend Service of that release to localhost:8080', () => {
    const release = config.deploy.helm.releases[0]!;
    const values = parse(readFileSync(join(repoRoot, 'charts/stringsvc/values.yaml'), 'utf8')) as { frontend: { service: { port: number } } };
    // The release is named like the chart, so the chart's fullname is the release name.
    assert.deepEqual(config.portForward, [{
      resourceType: 'service',
      resourceName: `${release.name}-frontend`,
      namespace: release.namespace,
      port: values.frontend.service.port,
      address: '127.0.0.1',
      localPort: 8080,
    }]);
  });

  test('the namespace skaffold deploys to is the one k8s/namespace.yaml creates, enforcing Pod Security restricted', () => {
    const ns = parse(readFileSync(join(repoRoot, 'k8s/namespace.yaml'), 'utf8')) as { kind: string; metadata: { name: string; labels: Record<string, string> } };
    assert.equal(ns.kind, 'Namespace');
    assert.equal(ns.metadata.name, config.deploy.helm.releases[0]!.namespace);
    assert.equal(ns.metadata.labels['pod-security.kubernetes.io/enforce'], 'restricted');
  });

  test('a profile switches the frontend to legacy Endpoints', () => {
    const p = config.profiles.find((x) => x.name === 'legacy-endpoints');
    assert.deepEqual(p?.patches, [{ op: 'add', path: '/deploy/helm/releases/0/setValues/frontend.discovery', value: 'endpoints' }]);
  });

  test('the test node\'s profile switches on for its context alone and changes only the build', () => {
    const p = config.profiles.find((x) => x.name === 'stringsvc-node');
    const ctx = p?.activation?.[0]?.kubeContext ?? '';
    // skaffold matches an activation as an unanchored regexp: the anchors keep kind-stringsvc out.
    const re = new RegExp(ctx);
    assert.ok(re.test('stringsvc'));
    for (const other of ['kind-stringsvc', 'kind-kind', 'minikube', 'docker-desktop', 'stringsvc-prod']) assert.ok(!re.test(other), other);
    for (const patch of p?.patches ?? []) assert.match(patch.path, /^\/build\/artifacts\/0\//);
    const hook = p?.patches?.find((x) => x.path.endsWith('/hooks'))?.value as { after: { command: string[] }[] };
    assert.deepEqual(hook.after[0]?.command, ['sh', 'test/cluster/load-into-node.sh']);
  });
});
