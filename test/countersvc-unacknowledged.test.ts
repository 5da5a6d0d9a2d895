import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { type ControlPlane, startControlPlane } from './controlplane/harness.ts';
import { controlPlaneSkip } from './controlplane/require.ts';
import { eventually } from './support/metrics.ts';
import { startBuilt, type Running } from './support/process.ts';
import { setupTimeout } from './tools.ts';

// docs/countersvc.md: an add the API server did not acknowledge (an API error, or no answer in
// time) is answered 503 and never applied. The counter talks to the real API server through a
// TCP relay the test controls, so "no answer" is a real hung connection.

const ns = 'unacked';
const sa = 'countersvc';
const configMap = 'countersvc';

/** Relay forwards TCP to the API server, or holds every new connection without a byte back. */
async function startRelay(target: string) {
  const { hostname, port } = new URL(target);
  let hold = false;
  const sockets = new Set<Socket>();
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server = createServer((client) => {
    track(client);
    if (hold) return;
    const upstream = connect(Number(port), hostname);
    track(upstream);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    /** setHold switches modes and drops every open connection, so a kept-alive one cannot bypass it. */
    setHold(on: boolean) {
      hold = on;
      for (const s of sockets) s.destroy();
    },
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

describe('countersvc answers 503 for an add the API server did not acknowledge', { skip: controlPlaneSkip() }, () => {
  let cp: ControlPlane;
  let core: CoreV1Api;
  let rbac: RbacAuthorizationV1Api;
  let relay: Awaited<ReturnType<typeof startRelay>>;
  let svc: Running | undefined;
  let acked = 0;

  const add = async (v: number) => {
    const res = await fetch(`${svc!.url}/add`, { method: 'POST', body: JSON.stringify({ v }), signal: AbortSignal.timeout(60_000) });
    return { status: res.status, body: (await res.json()) as { v?: number; err?: string } };
  };
  const stored = async () => (await core.readNamespacedConfigMap({ namespace: ns, name: configMap })).data?.['total'];
  const binding = {
    metadata: { name: sa },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: sa },
    subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }],
  };

  before(async () => {
    cp = await startControlPlane();
    core = cp.kc.makeApiClient(CoreV1Api);
    rbac = cp.kc.makeApiClient(RbacAuthorizationV1Api);
    await cp.createNamespace(ns);
    await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: sa } } });
    const rules = [
      { apiGroups: [''], resources: ['configmaps'], resourceNames: [configMap], verbs: ['get', 'update'] },
      { apiGroups: [''], resources: ['configmaps'], verbs: ['create'] },
    ];
    await rbac.createNamespacedRole({ namespace: ns, body: { metadata: { name: sa }, rules } });
    await rbac.createNamespacedRoleBinding({ namespace: ns, body: binding });
    relay = await startRelay(cp.server);
    // The ServiceAccount's kubeconfig, pointed at the relay (the serving cert names 127.0.0.1).
    const file = await cp.kubeconfigFileFor(ns, sa);
    const kc = JSON.parse(readFileSync(file, 'utf8')) as { clusters: Array<{ cluster: { server: string } }> };
    kc.clusters[0]!.cluster.server = relay.url;
    writeFileSync(file, JSON.stringify(kc));
    svc = await startBuilt(
      'countersvc',
      ['--listen=127.0.0.1:0', '--store=kubernetes', `--configmap=${configMap}`, '--rate=100000', '--burst=100000'],
      { KUBECONFIG: file, KUBERNETES_SERVICE_HOST: '', POD_NAMESPACE: '' },
    );
    assert.deepEqual(await add(2), { status: 200, body: { v: 2 } });
    acked = 2;
  }, { timeout: setupTimeout() });
  after(async () => {
    await svc?.stop();
    await relay?.close();
    await cp?.stop();
  });

  test('an API error (403: the RoleBinding revoked) → 503, the total unchanged', async () => {
    await rbac.deleteNamespacedRoleBinding({ namespace: ns, name: sa });
    // The authorizer follows RBAC changes through a watch: the refusal is in force once an add of 0 is refused.
    await eventually('the revocation to take effect', async () => (await add(0)).status === 503, 30_000);
    const r = await add(3);
    assert.equal(r.status, 503);
    assert.match(String(r.body.err), /403/);
    assert.equal(await stored(), String(acked));
    await rbac.createNamespacedRoleBinding({ namespace: ns, body: binding });
    await eventually('the binding to take effect again', async () => (await add(0)).status === 200, 30_000);
    assert.deepEqual(await add(0), { status: 200, body: { v: acked } });
  });

  test('no answer from the API server (a hung connection) → 503 once the call times out, the total unchanged', async () => {
    relay.setHold(true);
    const r = await add(4);
    relay.setHold(false);
    assert.equal(r.status, 503);
    assert.match(String(r.body.err), /timed out .*add not acknowledged/);
    assert.equal(await stored(), String(acked));
    assert.deepEqual(await add(1), { status: 200, body: { v: acked + 1 } });
    acked += 1;
    assert.equal(await stored(), String(acked));
  });
});
