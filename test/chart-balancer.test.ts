import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AuthorizationV1Api, CoreV1Api } from '@kubernetes/client-node';
import { type ControlPlane, startControlPlane } from './controlplane/harness.ts';
import { controlPlaneSkip } from './controlplane/require.ts';
import { chart, chartToolsForSuite, deployment, find, type Obj } from './support/chart.ts';
import { setupTimeout } from './tools.ts';

// Template tests of the chart's balancer and topology values (issue 23): the flags they pass, the
// backend Service's trafficDistribution, and the ClusterRole that exists only when it is needed.

const skip = controlPlaneSkip();

const frontend = (objs: Obj[]) => deployment(objs, 'frontend').spec.template.spec.containers[0];
const flag = (objs: Obj[], name: string): string | undefined =>
  (frontend(objs).args as string[]).find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const clusterScoped = (objs: Obj[]) => objs.filter((o) => o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding');

describe('helm chart: balancer and topology', { skip }, () => {
  const t = chartToolsForSuite();

  test('defaults: round robin, no topology, no hints asked of the Service, nothing cluster-scoped', async () => {
    const objs = await t.render();
    assert.deepEqual([flag(objs, 'balancer'), flag(objs, 'balancer-decay'), flag(objs, 'topology-hints'), flag(objs, 'zone')], ['round-robin', '10s', undefined, undefined]);
    assert.ok(!(frontend(objs).env as { name: string }[]).some((e) => e.name === 'STRINGSVC_NODE_NAME'));
    assert.equal(find(objs, 'Service', 'stringsvc-backend').spec.trafficDistribution, undefined);
    assert.deepEqual(clusterScoped(objs), []);
  });

  test('p2c-ewma with its decay, and least-request, pass through as flags', async () => {
    const objs = await t.render(['--set', 'frontend.balancer=p2c-ewma', '--set', 'frontend.balancerDecay=2s']);
    assert.deepEqual([flag(objs, 'balancer'), flag(objs, 'balancer-decay')], ['p2c-ewma', '2s']);
    assert.equal(flag(await t.render(['--set', 'frontend.balancer=least-request']), 'balancer'), 'least-request');
  });

  test('topology without a zone: the node from the downward API and a ClusterRole to get Nodes, bound to the frontend', async () => {
    const objs = await t.render(['--set', 'frontend.topology.enabled=true', '--set', 'backend.service.trafficDistribution=PreferSameZone']);
    assert.deepEqual([flag(objs, 'topology-hints'), flag(objs, 'zone')], ['true', undefined]);
    assert.deepEqual(
      (frontend(objs).env as { name: string }[]).find((e) => e.name === 'STRINGSVC_NODE_NAME'),
      { name: 'STRINGSVC_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
    );
    assert.equal(find(objs, 'Service', 'stringsvc-backend').spec.trafficDistribution, 'PreferSameZone');
    const role = find(objs, 'ClusterRole', 'stringsvc-frontend-demo-nodes');
    assert.deepEqual(role.rules, [{ apiGroups: [''], resources: ['nodes'], verbs: ['get'] }]);
    const binding = find(objs, 'ClusterRoleBinding', 'stringsvc-frontend-demo-nodes');
    assert.deepEqual(binding.roleRef, { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: frontendSa(objs), namespace: 'demo' }]);
  });

  test('topology with a zone value: --zone, and no ClusterRole', async () => {
    const objs = await t.render(['--set', 'frontend.topology.enabled=true', '--set', 'frontend.topology.zone=eu-west-1a']);
    assert.deepEqual([flag(objs, 'topology-hints'), flag(objs, 'zone')], ['true', 'eu-west-1a']);
    assert.deepEqual(clusterScoped(objs), []);
  });

  test('the schema refuses an unknown balancer, a bad decay or trafficDistribution, naming the field', async () => {
    const cases: [string[], RegExp][] = [
      [['--set', 'frontend.balancer=random'], /\/frontend\/balancer/],
      [['--set', 'frontend.balancerDecay=10'], /\/frontend\/balancerDecay/],
      [['--set', 'backend.service.trafficDistribution=Nearby'], /\/backend\/service\/trafficDistribution/],
      [['--set', 'frontend.topology.enable=true'], /\/frontend\/topology/],
    ];
    for (const [args, msg] of cases) {
      const err = await t.helmFails(['template', 'stringsvc', chart, ...args]);
      assert.match(err, /values don't meet the specifications of the schema/, args.join(' '));
      assert.match(err, msg, args.join(' '));
    }
  });
});

describe('helm chart with topology on a real apiserver', { skip }, () => {
  const t = chartToolsForSuite();
  let cp: ControlPlane;
  before(async () => {
    cp = await startControlPlane();
  }, { timeout: setupTimeout() });
  after(async () => {
    await cp?.stop();
  });

  /** canGetNodes asks, as the release's frontend ServiceAccount, whether it may get (and list) Nodes. */
  async function canGetNodes(namespace: string): Promise<[boolean, boolean]> {
    const authz = (await cp.kubeConfigFor(namespace, 'stringsvc-frontend')).makeApiClient(AuthorizationV1Api);
    const can = async (verb: string) => (await authz.createSelfSubjectAccessReview({ body: { spec: { resourceAttributes: { verb, resource: 'nodes' } } } })).status?.allowed ?? false;
    return [await can('get'), await can('list')];
  }

  test('installed with topology: the Service keeps trafficDistribution, the frontend may get Nodes (not list); without: neither', async () => {
    await cp.createNamespace('topo');
    const values = t.valuesFile('topology', { frontend: { balancer: 'p2c-ewma', topology: { enabled: true } }, backend: { service: { trafficDistribution: 'PreferSameZone' } } });
    await t.helm(['install', 'stringsvc', chart, '--namespace', 'topo', '-f', values, '--kubeconfig', cp.kubeconfigPath]);
    const svc = await cp.kc.makeApiClient(CoreV1Api).readNamespacedService({ namespace: 'topo', name: 'stringsvc-backend' });
    assert.equal(svc.spec?.trafficDistribution, 'PreferSameZone');
    assert.deepEqual(await canGetNodes('topo'), [true, false]);

    await cp.createNamespace('plain');
    await t.helm(['install', 'stringsvc', chart, '--namespace', 'plain', '--kubeconfig', cp.kubeconfigPath]);
    assert.deepEqual(await canGetNodes('plain'), [false, false]);
  });
});

/** frontendSa is the ServiceAccount the frontend pods run as. */
function frontendSa(objs: Obj[]): string {
  return deployment(objs, 'frontend').spec.template.spec.serviceAccountName;
}
