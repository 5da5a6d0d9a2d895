import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBuilt, startBuilt, type Running } from './support/process.ts';
import { eventually, metricValue, scrape } from './support/metrics.ts';

// Discovery behaviour that needs no control plane: flag mistakes and an unreachable API server.

const dir = mkdtempSync(join(tmpdir(), 'stringsvc-disc-'));
let fe: Running | undefined;
after(async () => {
  await fe?.stop('SIGTERM', 3000);
  rmSync(dir, { recursive: true, force: true });
});

test('discovery flag mistakes exit 2 with a usage message', async () => {
  for (const args of [['--discovery=static'], ['--discovery=endpointslices'], ['--discovery=endpoints', '--service=b', '--proxy=a:1'], ['--discovery=dns']]) {
    const r = await runBuilt('stringsvc', ['--listen=127.0.0.1:0', ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, /^stringsvc: --/);
  }
});

test('with the API server unreachable the frontend is live but not ready, and keeps retrying', async () => {
  // Port 1 on loopback: nothing listens, connections are refused at once.
  const kubeconfig = join(dir, 'unreachable.kubeconfig');
  writeFileSync(kubeconfig, JSON.stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: 'https://127.0.0.1:1', 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'u', user: { token: 'x' } }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'u', namespace: 'ns' } }],
    'current-context': 'c',
  }));
  fe = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--discovery=endpointslices', '--service=backend'], { KUBECONFIG: kubeconfig });
  assert.equal((await fetch(`${fe.url}/healthz`)).status, 200);
  const ready = await fetch(`${fe.url}/readyz`);
  assert.equal(ready.status, 503);
  assert.match(await ready.text(), /waiting for first discovery sync/);
  await eventually('watch retries', async () => metricValue(await scrape(fe!.url), 'stringsvc_discovery_watch_restarts_total', { reason: 'error' }, { absentAs: 0 }) >= 2, 10_000);
  const r = await fetch(`${fe.url}/uppercase`, { method: 'POST', body: '{"s":"a"}' });
  assert.equal(r.status, 503);
});
