// The README's Kubernetes flow on a real node: `helm install` with defaults into a namespace
// enforcing Pod Security restricted, pods Running and Ready, discovery through the frontends' own
// ServiceAccount, the seed's curls through `kubectl port-forward`, `helm test`; then the counter.
// Last, teardown leaves nothing on the host.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { skipOrThrow } from '../controlplane/require.ts';
import { type Cluster, nodeSkipReason, startCluster } from './cluster.ts';
import { hostState, leftovers } from './snapshot.ts';
import { repoRoot } from './images.ts';
import { isReady, pods, portForward, type PortForward, waitPodsReady } from './support.ts';

const skip = skipOrThrow('cluster', nodeSkipReason());
const ns = 'stringsvc';

/** curl as the README runs it, printing the body only. */
function curl(port: number, path: string, data: string): string {
  return execFileSync('curl', ['-sS', '-XPOST', `-d${data}`, `localhost:${port}${path}`], { encoding: 'utf8' });
}

describe('helm install on a real node', { skip, timeout: 20 * 60_000 }, () => {
  let cluster: Cluster | undefined;
  const forwards: PortForward[] = [];

  before(async () => {
    cluster = await startCluster();
  });

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

  test('teardown leaves no process, mount, link, address, route, iptables rule or cgroup behind', async () => {
    forwards.forEach((f) => f.stop());
    const c = cluster!;
    await c.stop();
    const left = leftovers(c.before, hostState(c.processMarkers));
    assert.deepEqual(left, {});
  });
});
