// The README's Kubernetes flow on a real node: `helm install` with defaults into a namespace
// enforcing Pod Security restricted, pods Running and Ready, discovery through the frontends' own
// ServiceAccount, the seed's curls through `kubectl port-forward`, `helm test`; then the counter.
// Then the chart's other shapes on the node: pinned by digest, as a subchart, with tracing on, with a
// NetworkPolicy and a ServiceMonitor. Last, teardown leaves nothing on the host.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../controlplane/procs.ts';
import { skipOrThrow } from '../controlplane/require.ts';
import { type Cluster, imageRef, nodeSkipReason, startCluster } from './cluster.ts';
import { hostState, leftovers } from './snapshot.ts';
import { repoRoot, sh } from './images.ts';
import { isReady, nodeSetupTimeout, pods, portForward, type PortForward, waitPodsReady } from './support.ts';

const skip = skipOrThrow('cluster', nodeSkipReason());
const ns = 'stringsvc';
const chartDir = join(repoRoot, 'charts', 'stringsvc');

/** A namespace enforcing Pod Security restricted, as k8s/namespace.yaml makes one. */
async function restrictedNamespace(c: Cluster, name: string): Promise<void> {
  await c.kubectl(['create', 'namespace', name]);
  await c.kubectl(['label', 'namespace', name, 'pod-security.kubernetes.io/enforce=restricted']);
}

/** curl as the README runs it, printing the body only. */
function curl(port: number, path: string, data: string): string {
  return execFileSync('curl', ['-sS', '-XPOST', `-d${data}`, `localhost:${port}${path}`], { encoding: 'utf8' });
}

describe('helm install on a real node', { skip, timeout: 20 * 60_000 }, () => {
  let cluster: Cluster | undefined;
  const forwards: PortForward[] = [];

  before(async () => {
    cluster = await startCluster();
  }, { timeout: nodeSetupTimeout() });

  after(async () => {
    forwards.forEach((f) => f.stop());
    await cluster?.stop();
  });

  test('with defaults into a namespace enforcing Pod Security restricted: every pod Running and Ready', async () => {
    const c = cluster!;
    await c.kubectl(['apply', '-f', join(repoRoot, 'k8s', 'namespace.yaml')]);
    const out = await c.helm(['install', 'stringsvc', join(repoRoot, 'charts', 'stringsvc'), '--namespace', ns, '--wait', '--timeout', '5m']);
    assert.match(out, /STATUS: deployed/);
    const all = await pods(c, ns, 'app.kubernetes.io/instance=stringsvc');
    assert.equal(all.length, 5, 'three backends and two frontends');
    for (const p of all) {
      assert.ok(isReady(p), `${p.metadata?.name} is Ready`);
      assert.equal(p.spec?.nodeName, 'stringsvc-node');
      for (const s of p.status?.containerStatuses ?? []) assert.equal(s.restartCount, 0, `${p.metadata?.name} never restarted`);
    }
  });

  test('the frontends find the backends through their own ServiceAccount and the in-cluster API address', async () => {
    const c = cluster!;
    const frontends = await pods(c, ns, 'app.kubernetes.io/component=frontend');
    assert.equal(frontends.length, 2);
    for (const p of frontends) {
      assert.equal(p.spec?.serviceAccountName, 'stringsvc-frontend');
      const name = p.metadata?.name ?? '';
      const logs = await c.kubectl(['--namespace', ns, 'logs', name]);
      const lines = logs.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      const starting = lines.find((l) => l['msg'] === 'discovery starting');
      assert.equal(starting?.['server'], 'https://10.223.0.1:443', 'the kubernetes Service, as a pod sees it');
      const synced = lines.find((l) => l['msg'] === 'discovery synced' || l['msg'] === 'discovered instances changed');
      assert.ok(synced, `${name} logged its discovered backends`);
    }
    const backends = (await pods(c, ns, 'app.kubernetes.io/component=backend')).map((p) => `${p.status?.podIP}:8080`).sort();
    for (const p of frontends) {
      const metrics = await (await fetch(`http://${p.status?.podIP}:8080/metrics`)).text();
      assert.match(metrics, /^stringsvc_upstream_endpoints 3$/m, 'each frontend balances over the three backends');
      for (const b of backends) assert.ok(metrics.includes(`instance="${b}"`), `${p.metadata?.name} knows ${b}`);
    }
  });

  test('kubectl port-forward service/stringsvc-frontend, then the seed\'s curls answer byte for byte', async () => {
    const pf = await portForward(cluster!, ns, 'service/stringsvc-frontend', 80);
    forwards.push(pf);
    assert.equal(curl(pf.port, '/uppercase', '{"s":"hello, world"}'), '{"v":"HELLO, WORLD"}\n');
    assert.equal(curl(pf.port, '/count', '{"s":"hello, world"}'), '{"v":12}\n');
    assert.equal(curl(pf.port, '/uppercase', '{"s":""}'), '{"v":"","err":"empty string"}\n');
    assert.equal(curl(pf.port, '/count', '{"s":"héllo"}'), '{"v":6}\n');
    assert.equal(curl(pf.port, '/uppercase', '{"s":'), '{"err":"malformed JSON: Unexpected end of JSON input"}\n');
    for (const s of ['foo', 'bar', 'baz']) assert.equal(curl(pf.port, '/uppercase', `{"s":"${s}"}`), `{"v":"${s.toUpperCase()}"}\n`);
    pf.stop();
  });

  test('helm test passes, running the chart\'s own image', async () => {
    const out = await cluster!.helm(['test', 'stringsvc', '--namespace', ns, '--logs', '--timeout', '3m']);
    assert.match(out, /Phase:\s+Succeeded/);
    assert.match(out, /uppercase: 200 \{"v":"HELLO, WORLD"\}/);
    assert.match(out, /count: 200 \{"v":12\}/);
  });

  test('with counter.enabled=true: two replicas share one total, each reached through its own port-forward', async () => {
    const c = cluster!;
    await c.helm(['upgrade', 'stringsvc', join(repoRoot, 'charts', 'stringsvc'), '--namespace', ns, '--reuse-values', '--set', 'counter.enabled=true', '--wait', '--timeout', '5m']);
    const counters = await waitPodsReady(c, ns, 'app.kubernetes.io/component=counter', 2);
    const [a, b] = await Promise.all(counters.map((p) => portForward(c, ns, `pod/${p.metadata?.name}`, 8080)));
    forwards.push(a!, b!);
    const add = (pf: PortForward, v: number): string => curl(pf.port, '/add', `{"v":${v}}`);
    assert.equal(add(a!, 1), '{"v":1}\n');
    assert.equal(add(b!, 2), '{"v":3}\n', 'the second replica adds to the first one\'s total');
    const svc = await portForward(c, ns, 'service/stringsvc-counter', 80);
    forwards.push(svc);
    // The article's limit is one add per 2 s per replica; wait it out rather than race it.
    await new Promise((r) => setTimeout(r, 2100));
    assert.equal(add(svc, 4), '{"v":7}\n');
  });

  test('with image.digest alone: every pod runs our image by digest', async () => {
    const c = cluster!;
    // The manifest digest containerd holds for the image the node loaded (never pushed, so no
    // registry gave it one): the digest a registry would serve for the same image.
    const listed = await sh('ctr', ['--address', c.runtime.containerdSocket, '-n', 'k8s.io', 'images', 'ls', `name==docker.io/library/${imageRef}`]);
    const digest = /\s(sha256:[0-9a-f]{64})\s/.exec(listed)?.[1];
    assert.ok(digest, `containerd lists ${imageRef} with a digest:\n${listed}`);
    // A pull by digest records the image under that reference; with no registry, name it so here.
    await sh('ctr', ['--address', c.runtime.containerdSocket, '-n', 'k8s.io', 'images', 'tag', `docker.io/library/${imageRef}`, `docker.io/library/stringsvc@${digest}`]);
    await restrictedNamespace(c, 'by-digest');
    await c.helm(['install', 'pinned', chartDir, '--namespace', 'by-digest', '--set', `image.digest=${digest}`, '--wait', '--timeout', '3m']);
    const running = await waitPodsReady(c, 'by-digest', 'app.kubernetes.io/instance=pinned', 5);
    for (const p of running) assert.equal(p.spec?.containers[0]?.image, `stringsvc@${digest}`);
    await c.helm(['uninstall', 'pinned', '--namespace', 'by-digest', '--wait']);
  });

  test('as the dependency of an umbrella chart: installed with stringsvc.enabled, removed when it turns false', async () => {
    const c = cluster!;
    const umbrella = join(c.dir, 'umbrella');
    mkdirSync(join(umbrella, 'charts'), { recursive: true });
    cpSync(chartDir, join(umbrella, 'charts', 'stringsvc'), { recursive: true });
    writeFileSync(join(umbrella, 'Chart.yaml'), 'apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n  - name: stringsvc\n    version: ">=0.0.0"\n    condition: stringsvc.enabled\n');
    writeFileSync(join(umbrella, 'values.yaml'), 'stringsvc:\n  enabled: true\n  backend:\n    replicaCount: 2\n');
    await restrictedNamespace(c, 'umbrella');
    await c.helm(['install', 'umb', umbrella, '--namespace', 'umbrella', '--wait', '--timeout', '3m']);
    await waitPodsReady(c, 'umbrella', 'app.kubernetes.io/instance=umb', 4);
    const pf = await portForward(c, 'umbrella', 'service/umb-stringsvc-frontend', 80);
    forwards.push(pf);
    assert.equal(curl(pf.port, '/uppercase', '{"s":"umbrella"}'), '{"v":"UMBRELLA"}\n');
    pf.stop();
    await c.helm(['upgrade', 'umb', umbrella, '--namespace', 'umbrella', '--set', 'stringsvc.enabled=false', '--wait', '--timeout', '3m']);
    await waitFor('the subchart\'s pods gone', async () => (await pods(c, 'umbrella', 'app.kubernetes.io/instance=umb')).length === 0, 120_000);
    assert.equal((await c.kubectl(['--namespace', 'umbrella', 'get', 'deployments,services', '-o', 'name'])).trim(), '');
    await c.helm(['uninstall', 'umb', '--namespace', 'umbrella', '--wait']);
  });

  test('with tracing on: the kubelet expands each pod\'s k8s.* resource attributes from the downward API', async () => {
    const c = cluster!;
    await restrictedNamespace(c, 'traced');
    // Nothing listens at the endpoint: the exporter warns once, which is not what this checks.
    await c.helm(['install', 'traced', chartDir, '--namespace', 'traced', '--set', 'tracing.otlpEndpoint=http://127.0.0.1:4318',
      '--set-string', 'tracing.resourceAttributes.team=strings and things', '--set', 'backend.replicaCount=1', '--set', 'frontend.replicaCount=1', '--wait', '--timeout', '3m']);
    for (const component of ['backend', 'frontend']) {
      const [pod] = await waitPodsReady(c, 'traced', `app.kubernetes.io/instance=traced,app.kubernetes.io/component=${component}`, 1);
      const name = pod!.metadata!.name!;
      const attrs = await c.kubectl(['exec', '--namespace', 'traced', name, '--', 'node', '-e', 'process.stdout.write(process.env.OTEL_RESOURCE_ATTRIBUTES)']);
      assert.equal(attrs, `k8s.pod.name=${name},k8s.namespace.name=traced,k8s.node.name=${pod!.spec!.nodeName},team=strings%20and%20things`, component);
    }
    await c.helm(['uninstall', 'traced', '--namespace', 'traced', '--wait']);
  });

  test('NetworkPolicy with a ServiceMonitor: refused without metricsFrom, naming the value; installed and serving with it', async () => {
    const c = cluster!;
    await c.cp.installCrds(['servicemonitors', 'prometheusrules']);
    await restrictedNamespace(c, 'guarded');
    const on = ['--set', 'networkPolicy.enabled=true', '--set', 'metrics.serviceMonitor.enabled=true', '--set', 'metrics.prometheusRule.enabled=true'];
    const refused = await c.helm(['install', 'guarded', chartDir, '--namespace', 'guarded', ...on]).then(() => '', (err: unknown) => String(err));
    assert.match(refused, /networkPolicy\.metricsFrom/);
    await c.helm(['install', 'guarded', chartDir, '--namespace', 'guarded', ...on, '--wait', '--timeout', '3m',
      '--set-json', 'networkPolicy.metricsFrom=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"monitoring"}}}]']);
    await waitPodsReady(c, 'guarded', 'app.kubernetes.io/instance=guarded', 5);
    const objects = (await c.kubectl(['--namespace', 'guarded', 'get', 'networkpolicies,servicemonitors,prometheusrules', '-o', 'name'])).trim().split('\n').sort();
    assert.deepEqual(objects, [
      'networkpolicy.networking.k8s.io/guarded-stringsvc-backend',
      'prometheusrule.monitoring.coreos.com/guarded-stringsvc',
      'servicemonitor.monitoring.coreos.com/guarded-stringsvc',
    ]);
    const pf = await portForward(c, 'guarded', 'service/guarded-stringsvc-frontend', 80);
    forwards.push(pf);
    assert.equal(curl(pf.port, '/uppercase', '{"s":"guarded"}'), '{"v":"GUARDED"}\n', 'the frontends still reach the backends');
    pf.stop();
    await c.helm(['uninstall', 'guarded', '--namespace', 'guarded', '--wait']);
  });

  test('teardown leaves no process, mount, link, address, route, iptables rule or cgroup behind', async () => {
    forwards.forEach((f) => f.stop());
    const c = cluster!;
    await c.stop();
    const left = leftovers(c.before, hostState(c.processMarkers));
    assert.deepEqual(left, {});
  });
});
