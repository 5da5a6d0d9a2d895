import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveNamespace } from './namespace.ts';

test('namespace: flag, then POD_NAMESPACE, then ServiceAccount file, then kubeconfig, then default', () => {
  const sa = () => 'from-sa';
  const none = () => undefined;
  assert.equal(resolveNamespace({ flag: 'f', env: { POD_NAMESPACE: 'p' }, readServiceAccount: sa, kubeconfigNamespace: 'k' }), 'f');
  assert.equal(resolveNamespace({ flag: '', env: { POD_NAMESPACE: 'p' }, readServiceAccount: sa, kubeconfigNamespace: 'k' }), 'p');
  assert.equal(resolveNamespace({ flag: '', env: {}, readServiceAccount: sa, kubeconfigNamespace: 'k' }), 'from-sa');
  assert.equal(resolveNamespace({ flag: '', env: {}, readServiceAccount: none, kubeconfigNamespace: 'k' }), 'k');
  assert.equal(resolveNamespace({ flag: '', env: {}, readServiceAccount: none }), 'default');
});
