import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { inClusterConfig, resolveNamespace, RotatingTokenFile } from './config.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'stringsvc-sa-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('RotatingTokenFile re-reads the token when the file changes, and after maxAge anyway', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'token');
  let now = 0;
  const auth = new RotatingTokenFile({ now: () => now, maxAgeMs: 60_000 });
  writeFileSync(file, 'first\n');
  utimesSync(file, 1000, 1000);
  assert.equal(auth.token(file), 'first');
  writeFileSync(file, 'second');
  utimesSync(file, 1000, 1000);
  now = 30_000;
  assert.equal(auth.token(file), 'first', 'same mtime, young: cached');
  now = 60_000;
  assert.equal(auth.token(file), 'second', 'old enough: re-read');
  writeFileSync(file, 'third');
  utimesSync(file, 2000, 2000);
  now = 61_000;
  assert.equal(auth.token(file), 'third', 'mtime changed: re-read');
});

test('the in-cluster config authenticates with the current token of the mounted file', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'token'), 'tok-1');
  writeFileSync(join(dir, 'ca.crt'), '');
  const kc = inClusterConfig('fd00::1', '443', dir);
  assert.equal(kc.getCurrentCluster()?.server, 'https://[fd00::1]:443');
  const opts: { headers?: Record<string, string> } = {};
  await kc.applyToHTTPSOptions(opts as never);
  assert.equal(opts.headers?.['Authorization'], 'Bearer tok-1');
  writeFileSync(join(dir, 'token'), 'tok-2');
  utimesSync(join(dir, 'token'), 5000, 5000);
  const again: { headers?: Record<string, string> } = {};
  await kc.applyToHTTPSOptions(again as never);
  assert.equal(again.headers?.['Authorization'], 'Bearer tok-2');
});

test('resolveNamespace: flag, then POD_NAMESPACE, then the ServiceAccount file, then the context, then default', (t) => {
  const dir = tempDir(t);
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [], users: [], contexts: [{ name: 'c', cluster: 'x', user: 'u', namespace: 'from-context' }], currentContext: 'c' });
  assert.equal(resolveNamespace('flag', kc, { env: { POD_NAMESPACE: 'env' }, saDir: dir }), 'flag');
  assert.equal(resolveNamespace('', kc, { env: { POD_NAMESPACE: 'env' }, saDir: dir }), 'env');
  assert.equal(resolveNamespace('', kc, { env: {}, saDir: dir }), 'from-context');
  writeFileSync(join(dir, 'namespace'), 'from-file\n');
  assert.equal(resolveNamespace('', kc, { env: {}, saDir: dir }), 'from-file');
  assert.equal(resolveNamespace('', new KubeConfig(), { env: {}, saDir: join(dir, 'none') }), 'default');
});
