import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { cacheDir, ensureBinaries, findBinaries, versions } from './binaries.ts';

test('pinned versions come from the wrapper go.mod files', () => {
  assert.match(versions.kubernetes, /^v1\.\d+\.\d+$/);
  assert.match(versions.etcd, /^v3\.\d+\.\d+$/);
  assert.ok(cacheDir().endsWith(`k8s-${versions.kubernetes}-etcd-${versions.etcd}-helm-${versions.helm}`));
});

test('KUBEBUILDER_ASSETS, TEST_ASSET_* and HELM are used as is, so nothing is built', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'stringsvc-assets-'));
  const saved = { ...process.env };
  t.after(() => {
    process.env = saved;
    rmSync(dir, { recursive: true, force: true });
  });
  for (const n of ['etcd', 'kube-apiserver', 'kubectl', 'helm', 'kcm']) {
    writeFileSync(join(dir, n), '#!/bin/sh\n');
    chmodSync(join(dir, n), 0o755);
  }
  process.env['KUBEBUILDER_ASSETS'] = dir;
  process.env['TEST_ASSET_KUBE_CONTROLLER_MANAGER'] = join(dir, 'kcm');
  process.env['HELM'] = join(dir, 'helm');
  process.env['XDG_CACHE_HOME'] = join(dir, 'empty-cache');
  assert.deepEqual(findBinaries().missing, []);
  const b = await ensureBinaries();
  assert.equal(b.kubeApiserver, join(dir, 'kube-apiserver'));
  assert.equal(b.kubeControllerManager, join(dir, 'kcm'));
  assert.equal(b.kubectl, join(dir, 'kubectl'));
  // kcm has a different name, so the three servers are linked into one folder under their usual names.
  assert.ok(b.assetsDir.startsWith(join(dir, 'empty-cache')));
  assert.equal(realpathSync(join(b.assetsDir, 'kube-controller-manager')), realpathSync(join(dir, 'kcm')));
  assert.equal(realpathSync(join(b.assetsDir, 'etcd')), realpathSync(join(dir, 'etcd')));
});
