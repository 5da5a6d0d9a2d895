import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../kit/cli.ts';
import { topologyConfig } from './topology-flags.ts';

test('topology flags: off by default; on, they need EndpointSlices and a zone or node', () => {
  const f = { 'topology-hints': 'false', zone: '', 'node-name': '' };
  assert.equal(topologyConfig(f, 'endpointslices'), undefined);
  assert.deepEqual(topologyConfig({ ...f, 'topology-hints': 'true', zone: 'a' }, 'endpointslices'), { zone: 'a' });
  assert.deepEqual(topologyConfig({ ...f, 'topology-hints': 'true', 'node-name': 'n1' }, 'endpointslices'), { node: 'n1' });
  assert.throws(() => topologyConfig({ ...f, 'topology-hints': 'true', zone: 'a' }, 'static'), UsageError);
  assert.throws(() => topologyConfig({ ...f, 'topology-hints': 'true' }, 'endpointslices'), /--zone or --node-name/);
});
