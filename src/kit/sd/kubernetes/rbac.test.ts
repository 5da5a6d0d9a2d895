import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessDenied } from './rbac.ts';
import { AccessDeniedError, isAccessDeniedError, qualified } from './access-denied.ts';

test('AccessDeniedError names verb, resource, namespace and user', () => {
  const err = new AccessDeniedError({ verb: 'watch', group: 'discovery.k8s.io', resource: 'endpointslices', namespace: 'prod', user: 'system:serviceaccount:prod:fe' });
  assert.match(err.message, /user "system:serviceaccount:prod:fe" may not watch endpointslices\.discovery\.k8s\.io in namespace "prod"/);
  assert.ok(isAccessDeniedError(err));
  assert.equal(qualified({ group: '', resource: 'endpoints' }), 'endpoints');
});

test('accessDenied maps only 403s', () => {
  const attrs = { verb: 'list', group: '', resource: 'endpoints', namespace: 'x' };
  assert.ok(isAccessDeniedError(accessDenied({ code: 403 }, attrs)));
  const other = new Error('ECONNREFUSED');
  assert.equal(accessDenied(other, attrs), other);
});
