import { test } from 'node:test';
import assert from 'node:assert/strict';
import { background } from '../context.ts';
import { isBrokenCircuitError } from '../circuitbreaker/breaker.ts';
import { roundRobin } from '../lb/round-robin.ts';
import { isRateLimitedError } from '../ratelimit/limiter.ts';
import { json, startLoopback } from '../../../test/support/loopback.ts';
import { httpClient, isUpstreamError } from '../transport/http/client.ts';
import { Endpointer } from './endpointer.ts';
import { resilientFactory } from './factory.ts';
import { InstanceBroadcaster } from './instancer.ts';

interface Res { v: string }

test('breaker state survives an update that keeps the instance; removal closes its pool', async (t) => {
  const sick = await startLoopback((_q, res) => json(res, { error: 'boom' }, 500));
  const fine = await startLoopback((_q, res) => json(res, { v: 'OK' }));
  const src = new InstanceBroadcaster();
  const transitions: string[] = [];
  const endpointer = new Endpointer<{ s: string }, Res>(
    src,
    resilientFactory({
      client: (instance) => httpClient({ instance, path: '/uppercase', decode: (b) => b as Res }),
      onBreakerStateChange: (instance, from, to) => transitions.push(`${instance === sick.instance ? 'sick' : 'fine'}:${from}>${to}`),
    }),
  );
  t.after(async () => { endpointer.close(); await sick.close(); await fine.close(); });

  src.update({ instances: [sick.instance] });
  const [first] = endpointer.endpoints();
  for (let i = 0; i < 5; i++) await assert.rejects(first!.endpoint(background(), { s: 'x' }), isUpstreamError);
  assert.equal(first!.healthy(), false);
  assert.deepEqual(transitions, ['sick:closed>open']);

  src.update({ instances: [fine.instance, sick.instance] });
  const kept = endpointer.endpoints().find((e) => e.instance === sick.instance)!;
  assert.equal(kept, first);
  assert.equal(kept.healthy(), false, 'still open after the update');
  await assert.rejects(kept.endpoint(background(), { s: 'x' }), isBrokenCircuitError);
  assert.equal(sick.received.length, 5);

  const lb = roundRobin(endpointer);
  for (let i = 0; i < 4; i++) assert.equal(lb.pick().instance, fine.instance, 'balancer skips the open breaker');

  assert.ok(sick.openConnections() > 0, 'keep-alive connections are open before removal');
  src.update({ instances: [fine.instance] });
  for (let i = 0; i < 100 && sick.openConnections() > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(sick.openConnections(), 0, 'the removed instance closed its pool');
  // A caller still holding the removed endpoint gets a fast refusal, not a call.
  await assert.rejects(first!.endpoint(background(), { s: 'x' }), isBrokenCircuitError);
  assert.equal(first!.healthy(), false);
  assert.equal(sick.received.length, 5);
});

test('the limiter sits outside the breaker: refusals never trip it', async (t) => {
  const srv = await startLoopback((_q, res) => json(res, { v: 'OK' }));
  const src = new InstanceBroadcaster();
  const limited: string[] = [];
  const endpointer = new Endpointer<{ s: string }, Res>(
    src,
    resilientFactory({
      client: (instance) => httpClient({ instance, path: '/uppercase', decode: (b) => b as Res }),
      tokenBucket: { rate: 0.001, burst: 1 },
      breaker: { consecutiveFailures: 1 },
      onLimited: (instance) => limited.push(instance),
    }),
  );
  t.after(async () => { endpointer.close(); await srv.close(); });
  src.update({ instances: [srv.instance] });
  const [only] = endpointer.endpoints();
  assert.deepEqual(await only!.endpoint(background(), { s: 'x' }), { v: 'OK' });
  for (let i = 0; i < 3; i++) await assert.rejects(only!.endpoint(background(), { s: 'x' }), isRateLimitedError);
  assert.equal(only!.healthy(), true);
  assert.deepEqual(limited, [srv.instance, srv.instance, srv.instance]);
  assert.equal(srv.received.length, 1);
});
