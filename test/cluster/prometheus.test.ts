// ServiceMonitor scraping for real: prometheus-operator runs Prometheus (both built from the Go
// module proxy; Prometheus as an image in the node) for a Prometheus object selecting our chart's
// ServiceMonitor and PrometheusRule. Through Prometheus's HTTP API: every pod of every tier is up,
// the request counter moves with the seed's curls and carries `component`, the Grafana dashboard's
// queries all return data, and scaling the backends to zero fires StringsvcNoEndpoints.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { waitFor } from '../controlplane/procs.ts';
import { skipOrThrow } from '../controlplane/require.ts';
import { type Cluster, nodeSkipReason, startCluster } from './cluster.ts';
import { repoRoot } from './images.ts';
import { installCrds, type Operator, type PromApi, prometheusImages, prometheusManifests, selectLabel, startOperator, waitPrometheus } from './prometheus-stack.ts';
import { nodeSetupTimeout, pods, waitPodsReady } from './support.ts';
import { hostState, leftovers } from './snapshot.ts';

const skip = skipOrThrow('cluster', nodeSkipReason());
const ns = 'stringsvc';
const chartDir = join(repoRoot, 'charts', 'stringsvc');

/** POSTs to the frontend Service's ClusterIP (kube-proxy takes it to a pod on this node's bridge). */
async function post(ip: string, path: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://${ip}${path}`, { method: 'POST', body, signal: AbortSignal.timeout(5000) });
  return { status: res.status, text: await res.text() };
}

describe('Prometheus through the operator, scraping the chart on a real node', { skip, timeout: 20 * 60_000 }, () => {
  let cluster: Cluster | undefined;
  let operator: Operator | undefined;
  let prom: PromApi | undefined;
  let frontendIp = '';

  before(async () => {
    const c = (cluster = await startCluster());
    await prometheusImages(c);
    await installCrds(c);
    operator = await startOperator(c);
    await c.kubectl(['apply', '-f', '-'], prometheusManifests({ scrapeInterval: '5s' }));
    await c.kubectl(['apply', '-f', join(repoRoot, 'k8s', 'namespace.yaml')]);
    await c.helm(['install', 'stringsvc', chartDir, '--namespace', ns, '--wait', '--timeout', '5m',
      '--set', 'counter.enabled=true',
      '--set', 'metrics.serviceMonitor.enabled=true', '--set', `metrics.serviceMonitor.labels.${selectLabel.key}=${selectLabel.value}`,
      '--set', 'metrics.serviceMonitor.interval=5s', '--set', 'metrics.serviceMonitor.scrapeTimeout=4s',
      '--set', 'metrics.prometheusRule.enabled=true', '--set', `metrics.prometheusRule.labels.${selectLabel.key}=${selectLabel.value}`,
      '--set', 'metrics.prometheusRule.noEndpoints.for=10s']);
    prom = await waitPrometheus(c, 240_000, operator);
    const svc = await c.cp.kc.makeApiClient(CoreV1Api).readNamespacedService({ namespace: ns, name: 'stringsvc-frontend' });
    frontendIp = svc.spec?.clusterIP ?? '';
  }, { timeout: nodeSetupTimeout() });

  after(async () => {
    await operator?.stop();
    await cluster?.stop();
  });

  test('up is 1 for every backend, frontend and counter pod, each labelled with its component', async (t) => {
    const c = cluster!;
    const all = (await pods(c, ns, 'app.kubernetes.io/instance=stringsvc')).map((p) => p.metadata?.name ?? '').sort();
    assert.equal(all.length, 7, 'three backends, two frontends, two counters');
    let seen: { metric: Record<string, string>; value: [number, string] }[] = [];
    await waitFor('every pod scraped and up', async () => {
      seen = await prom!.query(`up{namespace="${ns}"}`);
      return seen.length === all.length && seen.every((s) => s.value[1] === '1');
    }, 120_000, () => JSON.stringify(seen.map((s) => [s.metric['pod'], s.value[1]])));
    assert.deepEqual(seen.map((s) => s.metric['pod']).sort(), all);
    const byComponent = Object.groupBy(seen, (s) => s.metric['component'] ?? 'none');
    assert.deepEqual(Object.keys(byComponent).sort(), ['backend', 'counter', 'frontend']);
    assert.equal(byComponent['backend']?.length, 3);
    assert.equal(byComponent['frontend']?.length, 2);
    assert.equal(byComponent['counter']?.length, 2);
    for (const s of seen) t.diagnostic(`up{component="${s.metric['component']}", pod="${s.metric['pod']}"} ${s.value[1]}`);
  });

  test('my_group_string_service_request_count rises with the seed\'s curls, with the component label', async (t) => {
    const expr = `sum(my_group_string_service_request_count{namespace="${ns}", component="frontend", method="uppercase"}) or vector(0)`;
    const before = Number((await prom!.query(expr))[0]?.value[1] ?? 0);
    assert.deepEqual(await post(frontendIp, '/uppercase', '{"s":"hello, world"}'), { status: 200, text: '{"v":"HELLO, WORLD"}\n' });
    assert.deepEqual(await post(frontendIp, '/uppercase', '{"s":""}'), { status: 200, text: '{"v":"","err":"empty string"}\n' });
    let now = before;
    await waitFor('the counter moved by the two curls', async () => {
      now = Number((await prom!.query(expr))[0]?.value[1] ?? 0);
      return now >= before + 2;
    }, 60_000, () => `before ${before}, now ${now}`);
    t.diagnostic(`${expr}: ${before} before the curls, ${now} after`);
    const errors = await prom!.query(`my_group_string_service_request_count{namespace="${ns}", method="uppercase", error="true"}`);
    assert.ok(errors.some((s) => s.metric['component'] === 'frontend'), 'the failed curl is counted, with component');
  });

  test('every query of the Grafana dashboard returns data after load', async (t) => {
    for (let i = 0; i < 200; i++) await post(frontendIp, i % 10 === 0 ? '/count' : '/uppercase', i % 7 === 0 ? '{"s":""}' : `{"s":"load ${i}"}`);
    const dash = JSON.parse(readFileSync(join(chartDir, 'dashboards', 'stringsvc.json'), 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[] };
    const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: grafanaVars(t.expr) })));
    assert.ok(exprs.length >= 8, `the dashboard has its queries (${exprs.length})`);
    const empty = new Set(exprs.map((e) => e.title + ': ' + e.expr));
    await waitFor('data for every dashboard query', async () => {
      for (const e of exprs) if ((await prom!.query(e.expr)).length > 0) empty.delete(e.title + ': ' + e.expr);
      return empty.size === 0;
    }, 90_000, () => [...empty].join('\n'));
    t.diagnostic(`${exprs.length} dashboard queries, each with data`);
  });

  test('with the backends scaled to zero, StringsvcNoEndpoints goes firing', async (t) => {
    const c = cluster!;
    const started = Date.now();
    await c.kubectl(['--namespace', ns, 'scale', 'deployment/stringsvc-backend', '--replicas=0']);
    await waitPodsReady(c, ns, 'app.kubernetes.io/component=backend', 0, 120_000, { gone: true });
    let states: string[] = [];
    await waitFor('StringsvcNoEndpoints firing', async () => {
      const alerts = (await prom!.alerts()).filter((a) => a.labels['alertname'] === 'StringsvcNoEndpoints');
      states = alerts.map((a) => `${a.labels['pod']}=${a.state}`);
      return alerts.length === 2 && alerts.every((a) => a.state === 'firing');
    }, 120_000, () => states.join(' '));
    t.diagnostic(`StringsvcNoEndpoints ${states.join(' ')}, ${Math.round((Date.now() - started) / 1000)} s after the scale-down`);
    assert.equal((await prom!.query(`stringsvc_upstream_endpoints{namespace="${ns}"} > 0`)).length, 0);
  });

  test('teardown leaves no process, mount, link, address, route, iptables rule or cgroup behind', async () => {
    const c = cluster!;
    await operator?.stop();
    await c.stop();
    assert.deepEqual(leftovers(c.before, hostState(c.processMarkers)), {});
  });
});

/** The dashboard's variables as Grafana would fill them for this release, over a 1m rate window. */
function grafanaVars(expr: string): string {
  return expr
    .replaceAll('${prefix}', 'my_group_string_service_')
    .replaceAll('$namespace', ns)
    .replaceAll('$service', '.*')
    .replaceAll('$__rate_interval', '1m');
}
