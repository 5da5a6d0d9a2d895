import { test } from 'node:test';
import assert from 'node:assert/strict';
import { background } from '../kit/context.ts';
import type { UppercaseRequest } from './transport.ts';
import { proxyingMiddleware } from './proxying.ts';
import { isServiceError, newStringService } from './service.ts';

test('uppercase goes to the client endpoint, count stays local', async () => {
  const sent: UppercaseRequest[] = [];
  const svc = proxyingMiddleware(async (_ctx, req) => {
    sent.push(req);
    return { v: `remote:${req.s}` };
  })(newStringService());
  assert.equal(await svc.uppercase(background(), 'foo'), 'remote:foo');
  assert.equal(await svc.count(background(), 'héllo'), 6);
  assert.deepEqual(sent, [{ s: 'foo' }]);
});

test("a remote business error comes back as a ServiceError with the backend's message", async () => {
  const svc = proxyingMiddleware(async () => ({ v: '', err: 'empty string' }))(newStringService());
  await assert.rejects(svc.uppercase(background(), ''), (e) => isServiceError(e) && e.message === 'empty string');
});

test('infrastructure errors are passed on untouched, for the transport to classify', async () => {
  const boom = new Error('all down');
  const svc = proxyingMiddleware(async () => {
    throw boom;
  })(newStringService());
  await assert.rejects(svc.uppercase(background(), 'x'), (e) => e === boom);
});
