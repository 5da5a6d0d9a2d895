import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointsContribution } from './endpoints.ts';

test('legacy Endpoints: addresses are ready, notReadyAddresses are ignored, port by name or number', () => {
  const ep = {
    subsets: [
      { addresses: [{ ip: '10.0.0.1' }, { ip: 'fd00::2' }], notReadyAddresses: [{ ip: '10.0.0.3' }], ports: [{ name: 'http', port: 8080 }] },
      { addresses: [{ ip: '10.0.0.4' }], ports: [{ name: 'http', port: 8081 }, { name: 'admin', port: 9000 }] },
    ],
  };
  assert.deepEqual([...endpointsContribution(ep, 'http').keys()], ['10.0.0.1:8080', '[fd00::2]:8080', '10.0.0.4:8081']);
  assert.deepEqual([...endpointsContribution(ep, '9000').keys()], ['10.0.0.4:9000']);
  assert.equal(endpointsContribution({}, 'http').size, 0);
});
