// The README's dev loop on a real node: `skaffold dev --port-forward` on a copy of the repository,
// with skaffold.yaml as a kind user has it (the stringsvc-node profile switches itself on for this
// node's context). The seed's curls answer on the forwarded port; a source edit builds a new image,
// the pods roll and the new behaviour answers while clients keep polling; Ctrl-C removes the
// release. Then `skaffold run -p legacy-endpoints`: the frontends discover through v1 Endpoints.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CoreV1Api } from '@kubernetes/client-node';
import { waitFor } from '../controlplane/procs.ts';
import { skipOrThrow } from '../controlplane/require.ts';
import { type Cluster, nodeSkipReason, startCluster } from './cluster.ts';
import { failures, startPoller } from './poller.ts';
import { copyRepo, runSkaffold, type SkaffoldRun, startSkaffold } from './skaffold.ts';
import { hostState, leftovers } from './snapshot.ts';
import { nodeSetupTimeout, pods, waitPodsReady } from './support.ts';
import { setupTimeout } from '../tools.ts';

const skip = skipOrThrow('cluster', nodeSkipReason());
const ns = 'stringsvc';
const forwardLine = /Port forwarding service\/stringsvc-frontend in namespace stringsvc, remote port 80 -> http:\/\/127\.0\.0\.1:(\d+)/;
const loadedLine = /loaded stringsvc:([0-9a-f]{64}) into the node/;

/** The seed's curl, as the README runs it against the forwarded port. */
async function curl(port: number, path: string, body: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', body, signal: AbortSignal.timeout(5000) });
  return res.text();
}

/** The images the release's pods run, without duplicates. */
async function podImages(c: Cluster): Promise<string[]> {
  const all = await pods(c, ns, 'app.kubernetes.io/instance=stringsvc');
  return [...new Set(all.filter((p) => !p.metadata?.deletionTimestamp).flatMap((p) => (p.spec?.containers ?? []).map((x) => x.image ?? '')))];
}

describe('skaffold dev on a real node', { skip, timeout: 30 * 60_000 }, () => {
  let cluster: Cluster | undefined;
  let copy: ReturnType<typeof copyRepo> | undefined;
  let dev: SkaffoldRun | undefined;
  let port = 0;
  let firstId = '';

  before(async () => {
    const c = (cluster = await startCluster());
    copy = copyRepo();
    await c.kubectl(['apply', '-f', join(copy.dir, 'k8s', 'namespace.yaml')]);
  }, { timeout: nodeSetupTimeout() });

  after(async () => {
    await dev?.interrupt(30_000);
    copy?.remove();
    await cluster?.stop();
  });

  // Above --test-timeout's 10 min: their own waits add up to 21 min, and the first builds skaffold on a cold cache.
  test('skaffold dev --port-forward builds, loads the image into the node and deploys; the seed\'s curls answer on the forward', { timeout: setupTimeout() + 25 * 60_000 }, async () => {
    const c = cluster!;
    dev = await startSkaffold(c, copy!.dir, ['dev', '--port-forward']);
    firstId = (await dev.waitOutput(loadedLine, 15 * 60_000))[1]!;
    port = Number((await dev.waitOutput(forwardLine, 5 * 60_000))[1]);
    await dev.waitOutput(/Watching for changes/, 60_000);
    assert.deepEqual(await podImages(c), [`stringsvc:${firstId}`], 'every pod runs the image skaffold built, by its image-ID tag');
    assert.equal(await curl(port, '/uppercase', '{"s":"hello, world"}'), '{"v":"HELLO, WORLD"}\n');
    assert.equal(await curl(port, '/count', '{"s":"hello, world"}'), '{"v":12}\n');
    assert.equal(await curl(port, '/uppercase', '{"s":""}'), '{"v":"","err":"empty string"}\n');
  });

  test('a source edit: a new image, the pods roll, the new behaviour answers; clients polling during the roll', { timeout: 25 * 60_000 }, async (t) => {
    const c = cluster!;
    const run = dev!;
    const svc = await c.cp.kc.makeApiClient(CoreV1Api).readNamespacedService({ namespace: ns, name: 'stringsvc-frontend' });
    const viaForward = startPoller('127.0.0.1', () => port, '/uppercase', '{"s":"poll"}');
    const viaService = startPoller(svc.spec?.clusterIP ?? '', () => 80, '/uppercase', '{"s":"poll"}');
    const from = run.output().length;
    const file = join(copy!.dir, 'src', 'stringsvc', 'service.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace("new ServiceError('empty string')", "new ServiceError('empty string, edited in the dev loop')"));
    const newId = (await run.waitOutput(loadedLine, 10 * 60_000, from))[1]!;
    assert.notEqual(newId, firstId, 'a new image was built');
    const forwardAgain = from + (await run.waitOutput(forwardLine, 5 * 60_000, from)).index;
    await run.waitOutput(/Watching for changes/, 60_000, forwardAgain);
    port = Number(forwardLine.exec(run.output().slice(forwardAgain))?.[1]);
    await waitPodsReady(c, ns, 'app.kubernetes.io/component=backend', 3, 120_000, { gone: true });
    await waitPodsReady(c, ns, 'app.kubernetes.io/component=frontend', 2, 120_000, { gone: true });
    assert.deepEqual(await podImages(c), [`stringsvc:${newId}`], 'the pods rolled to the new image');
    assert.equal(await curl(port, '/uppercase', '{"s":""}'), '{"v":"","err":"empty string, edited in the dev loop"}\n');
    // A little polling on the new pods alone, then the tally.
    await new Promise((r) => setTimeout(r, 1000));
    const forwarded = await viaForward.stop();
    const direct = await viaService.stop();
    const f = failures(forwarded, '{"v":"POLL"}\n');
    const d = failures(direct, '{"v":"POLL"}\n');
    const gap = f.network.length > 0 ? f.network.at(-1)!.at - f.network[0]!.at : 0;
    t.diagnostic(`through the forward: ${forwarded.length} requests, ${f.network.length} refused while skaffold re-created the forward (${gap} ms), ${f.wrong.length} wrong`);
    t.diagnostic(`through the Service: ${direct.length} requests, ${d.network.length + d.wrong.length} failed`);
    assert.deepEqual(d, { network: [], wrong: [] }, 'the roll itself loses no request');
    assert.deepEqual(f.wrong, [], 'every answer through the forward was right');
    // skaffold dev stops its port-forwards before a redeploy and starts them after it, by design:
    // the only failures allowed through the forward are connection errors in that one window.
    const lastUp = forwarded.findLast((o) => o.error !== undefined);
    assert.ok(!lastUp || forwarded.filter((o) => o.at > lastUp.at).length > 10, 'the forward answered again after the redeploy');
    assert.ok(f.network.every((o) => ['ECONNREFUSED', 'ECONNRESET'].includes(o.error ?? '')), JSON.stringify(f.network.slice(0, 5)));
  });

  test('Ctrl-C ends skaffold dev, and the release and its pods are gone', async () => {
    const c = cluster!;
    const code = await dev!.interrupt();
    dev = undefined;
    assert.equal(code, 0);
    assert.equal((await c.helm(['list', '--namespace', ns, '--short'])).trim(), '');
    await waitFor('the release\'s pods gone', async () => (await pods(c, ns, 'app.kubernetes.io/instance=stringsvc')).length === 0, 120_000);
  });

  test('skaffold run -p legacy-endpoints: the frontends discover through core/v1 Endpoints', { timeout: 25 * 60_000 }, async () => {
    const c = cluster!;
    await runSkaffold(c, copy!.dir, ['run', '-p', 'legacy-endpoints']);
    const frontends = await waitPodsReady(c, ns, 'app.kubernetes.io/component=frontend', 2);
    await waitPodsReady(c, ns, 'app.kubernetes.io/component=backend', 3);
    for (const p of frontends) {
      const logs = await c.kubectl(['--namespace', ns, 'logs', p.metadata?.name ?? '']);
      const starting = logs.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === 'discovery starting');
      assert.equal(starting?.['discovery'], 'endpoints', `${p.metadata?.name} discovers through Endpoints`);
      let metrics = '';
      await waitFor('three backends discovered', async () => {
        metrics = await (await fetch(`http://${p.status?.podIP}:8080/metrics`)).text();
        return /^stringsvc_upstream_endpoints 3$/m.test(metrics);
      }, 30_000, () => metrics.split('\n').filter((l) => l.startsWith('stringsvc_upstream_endpoints')).join('\n'));
    }
    await runSkaffold(c, copy!.dir, ['delete']);
    assert.equal((await c.helm(['list', '--namespace', ns, '--short'])).trim(), '');
  });

  test('teardown leaves no process, mount, link, address, route, iptables rule or cgroup behind', async () => {
    const c = cluster!;
    copy?.remove();
    copy = undefined;
    await c.stop();
    assert.deepEqual(leftovers(c.before, hostState(c.processMarkers)), {});
  });
});
