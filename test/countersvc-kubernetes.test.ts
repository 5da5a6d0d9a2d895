import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiException, CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { type ControlPlane, startControlPlane } from './controlplane/harness.ts';
import { controlPlaneSkip } from './controlplane/require.ts';
import { startBuilt, type Running } from './support/process.ts';
import { metricValue, scrape } from './support/metrics.ts';
import { startApiRelay } from './support/apiserver-relay.ts';
import { setupTimeout } from './tools.ts';

const ns = 'counter';
const sa = 'countersvc';
const configMap = 'countersvc';

/**
 * The Role the chart's counter Deployment needs, and nothing more: get/update of its own
 * ConfigMap, and create (RBAC cannot narrow create by name) for the first start.
 */
const roleRules = [
  { apiGroups: [''], resources: ['configmaps'], resourceNames: [configMap], verbs: ['get', 'update'] },
  { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
];

async function add(svc: Running, v: number): Promise<{ status: number; total?: number }> {
  const res = await fetch(`${svc.url}/add`, { method: 'POST', body: JSON.stringify({ v }) });
  const body = (await res.json()) as { v?: number };
  return res.status === 200 ? { status: 200, total: body.v! } : { status: res.status };
}

/** storeCounters reads a replica's ConfigMap write and conflict counters from /metrics. */
async function storeCounters(svc: Running): Promise<{ writes: number; conflicts: number }> {
  const text = await scrape(svc.url);
  return { writes: metricValue(text, 'countersvc_store_writes_total'), conflicts: metricValue(text, 'countersvc_store_conflicts_total') };
}

describe('countersvc --store=kubernetes on a real control plane', { skip: controlPlaneSkip() }, () => {
  let cp: ControlPlane;
  let kubeconfig: string;
  const running: Running[] = [];

  /** start runs a counter process as the ServiceAccount, so the Role is exercised for real. */
  const start = async (asKubeconfig = kubeconfig, extraArgs: string[] = []): Promise<Running> => {
    const svc = await startBuilt(
      'countersvc',
      ['--listen=127.0.0.1:0', '--store=kubernetes', `--configmap=${configMap}`, '--rate=100000', '--burst=100000', '--request-log=false', ...extraArgs],
      // The namespace comes from the kubeconfig context; never from a pod we might run in.
      { KUBECONFIG: asKubeconfig, KUBERNETES_SERVICE_HOST: '', POD_NAMESPACE: '' },
    );
    running.push(svc);
    return svc;
  };

  before(async () => {
    cp = await startControlPlane({ controllers: ['serviceaccount-controller'] });
    await cp.createNamespace(ns);
    const core = cp.kc.makeApiClient(CoreV1Api);
    const rbac = cp.kc.makeApiClient(RbacAuthorizationV1Api);
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: sa } } });
    await rbac.createNamespacedRole({ namespace: ns, body: { metadata: { name: sa }, rules: roleRules } });
    await rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: {
        metadata: { name: sa },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: sa },
        subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
      },
    });
    kubeconfig = await cp.kubeconfigFileFor(ns, sa);
  }, { timeout: setupTimeout() });
  after(async () => {
    await Promise.all(running.map((r) => r.stop()));
    await cp?.stop();
  });

  test('3 replicas adding concurrently lose no update; a fresh process and a restart see the same total', async (t) => {
    // Started together, so they also race to create the ConfigMap.
    const replicas = await Promise.all([start(), start(), start()]);
    // Per replica 6 clients × 10 adds in sequence: enough writes in flight to conflict often
    // (concurrent adds within one replica share a write, so a single burst would barely contend).
    const client = async (svc: Running) => {
      const out: Array<{ v: number; status: number; total?: number }> = [];
      for (let i = 0; i < 10; i++) {
        const v = 1 + Math.floor(Math.random() * 9);
        out.push({ v, ...(await add(svc, v)) });
      }
      return out;
    };
    const answers = (await Promise.all(replicas.flatMap((svc) => Array.from({ length: 6 }, () => client(svc))))).flat();
    assert.equal(answers.length, 180);
    const acked = answers.filter((a) => a.status === 200);
    const sum = acked.reduce((s, a) => s + a.v, 0);
    const refused = answers.filter((a) => a.status !== 200);
    assert.deepEqual([...new Set(refused.map((a) => a.status))].filter((s) => s !== 503), [], 'only 503 may refuse an add');
    assert.ok(acked.length >= 170, `acknowledged ${acked.length} of ${answers.length}`);
    // Each acknowledged add was applied on its own base: the totals it saw are all different.
    assert.equal(new Set(acked.map((a) => a.total)).size, acked.length);
    assert.equal(Math.max(...acked.map((a) => a.total!)), sum);

    const counters = await Promise.all(replicas.map((r) => storeCounters(r)));
    assert.ok(counters.some((c) => c.conflicts > 0), 'the replicas did contend for the ConfigMap');
    t.diagnostic(`acknowledged ${acked.length}/${answers.length}, sum ${sum}; writes ${counters.map((c) => c.writes)}, conflicts ${counters.map((c) => c.conflicts)}`);

    const core = cp.kc.makeApiClient(CoreV1Api);
    const cm = await core.readNamespacedConfigMap({ namespace: ns, name: configMap });
    assert.equal(cm.data?.['total'], String(sum), 'the ConfigMap holds the sum of acknowledged adds');

    const fresh = await start();
    assert.deepEqual(await add(fresh, 0), { status: 200, total: sum });

    await Promise.all(running.splice(0).map((r) => r.stop()));
    const restarted = await start();
    assert.deepEqual(await add(restarted, 0), { status: 200, total: sum });
    assert.deepEqual(await add(restarted, 5), { status: 200, total: sum + 5 });
    assert.equal((await storeCounters(restarted)).writes, 3, 'start-up read, then one write per add');
  });

  test('store metrics count for real: a write per add, a conflict per lost race; 50 conflicts in a row answer 503, outcome unavailable', async () => {
    const core = cp.kc.makeApiClient(CoreV1Api);
    const stored = async () => Number((await core.readNamespacedConfigMap({ namespace: ns, name: configMap })).data?.['total']);
    // A rival writer: changes the ConfigMap (so its resourceVersion) just before the counter's next
    // `rivals` replaces reach the API server, which then refuses each with a real 409.
    let rivals = 0;
    let replaces = 0;
    let bumps = 0;
    const relay = await startApiRelay(cp, async (req) => {
      if (req.method !== 'PUT' || req.url?.split('?')[0] !== `/api/v1/namespaces/${ns}/configmaps/${configMap}`) return;
      replaces++;
      if (rivals === 0) return;
      rivals--;
      const cm = await core.readNamespacedConfigMap({ namespace: ns, name: configMap });
      cm.metadata!.annotations = { ...cm.metadata!.annotations, 'test.stringsvc/rival-write': String(++bumps) };
      await core.replaceNamespacedConfigMap({ namespace: ns, name: configMap, body: cm });
    });
    let svc: Running | undefined;
    try {
      const file = await cp.kubeconfigFileFor(ns, sa);
      relay.route(file);
      // The 50 attempts' backoff (up to 250 ms each) must not meet the handler's deadline on a busy machine.
      svc = await start(file, ['--handler-timeout=5m']);
      const at = await stored();
      const add = async (v: number) => {
        const res = await fetch(`${svc!.url}/add`, { method: 'POST', body: JSON.stringify({ v }) });
        return { status: res.status, body: (await res.json()) as { v?: number; err?: string } };
      };
      const metrics = async () => {
        const text = await scrape(svc!.url);
        const outcome = (o: string) => metricValue(text, 'countersvc_request_count', { outcome: o }, { absentAs: 0 });
        return {
          writes: metricValue(text, 'countersvc_store_writes_total'),
          conflicts: metricValue(text, 'countersvc_store_conflicts_total'),
          ok: outcome('ok'),
          unavailable: outcome('unavailable'),
          error: outcome('error'),
        };
      };
      // Start-up reads the ConfigMap and writes it once (an add of 0).
      assert.deepEqual(await metrics(), { writes: 1, conflicts: 0, ok: 0, unavailable: 0, error: 0 });
      assert.equal(replaces, 1);

      // Alone, one add at a time: one write each, no conflict.
      for (let i = 1; i <= 5; i++) assert.deepEqual(await add(1), { status: 200, body: { v: at + i } });
      assert.deepEqual(await metrics(), { writes: 6, conflicts: 0, ok: 5, unavailable: 0, error: 0 });

      // One lost race: a conflict, then the re-read and a write that lands.
      rivals = 1;
      assert.deepEqual(await add(2), { status: 200, body: { v: at + 7 } });
      assert.deepEqual(await metrics(), { writes: 7, conflicts: 1, ok: 6, unavailable: 0, error: 0 });
      assert.equal(replaces, 8);

      // Every attempt lost: 50 conflicts, then 503, the add never applied.
      rivals = Infinity;
      const refused = await add(3);
      rivals = 0;
      assert.equal(refused.status, 503);
      assert.equal(refused.body.err, 'total not updated: 50 attempts conflicted with other writers');
      assert.equal(replaces, 8 + 50, 'exactly 50 attempts');
      assert.deepEqual(await metrics(), { writes: 7, conflicts: 51, ok: 6, unavailable: 1, error: 0 });
      assert.equal(await stored(), at + 7, 'the refused add is not in the total');

      // The rival gone, adds land again.
      assert.deepEqual(await add(0), { status: 200, body: { v: at + 7 } });
      assert.deepEqual(await metrics(), { writes: 8, conflicts: 51, ok: 7, unavailable: 1, error: 0 });
    } finally {
      await svc?.stop();
      await relay.close();
    }
  });

  test('the Role grants its own ConfigMap only', async () => {
    const core = cp.kc.makeApiClient(CoreV1Api);
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'other' }, data: { secret: 'x' } } });
    const asSa = (await cp.kubeConfigFor(ns, sa)).makeApiClient(CoreV1Api);
    await assert.rejects(asSa.readNamespacedConfigMap({ namespace: ns, name: 'other' }), (e: unknown) => e instanceof ApiException && e.code === 403);
    await assert.rejects(asSa.listNamespacedConfigMap({ namespace: ns }), (e: unknown) => e instanceof ApiException && e.code === 403);
  });

  test("without the Role, start-up fails with exit 1 and the API server's reason", async () => {
    const core = cp.kc.makeApiClient(CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'nobody' } } });
    await assert.rejects(
      start(await cp.kubeconfigFileFor(ns, 'nobody')),
      /exited 1 before listening: countersvc: cannot use ConfigMap counter\/countersvc: kubernetes API: HTTP 403: configmaps "countersvc" is forbidden/,
    );
  });
});
