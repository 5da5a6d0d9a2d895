import { test } from 'node:test';
import assert from 'node:assert/strict';
import { background } from '../kit/context.ts';
import { classify } from './classify.ts';
import { freeInstance, json, startLoopback, type Received } from '../../test/support/loopback.ts';
import { newClient } from './client.ts';
import { isServiceError } from './service.ts';

/** Deadlines loose enough that a loaded test machine never causes a retry where none is meant. */
const patient = { maxTimeMs: 10_000, attemptTimeoutMs: 5_000 };

/** backend answers like stringsvc does and tags answers with its name, to show the balancing. */
function backend(name: string) {
  return (req: Received, res: Parameters<Parameters<typeof startLoopback>[0]>[1]) => {
    const { s } = JSON.parse(req.body) as { s: string };
    if (req.url === '/count') return json(res, { v: Buffer.byteLength(s) });
    if (s === '') return json(res, { v: '', err: 'empty string' });
    json(res, { v: `${s.toUpperCase()}@${name}` });
  };
}

test('both methods run remotely, round robin over the instances', async (t) => {
  const a = await startLoopback(backend('a'));
  const b = await startLoopback(backend('b'));
  const client = newClient({ instances: [a.instance, b.instance], resilience: patient });
  t.after(async () => { client.close(); await a.close(); await b.close(); });
  const answers = [];
  for (const s of ['foo', 'bar', 'baz', 'qux']) answers.push(await client.uppercase(background(), s));
  assert.deepEqual(answers.map((x) => x.split('@')[1]).sort(), ['a', 'a', 'b', 'b']);
  assert.equal(await client.count(background(), 'héllo'), 6);
  assert.deepEqual([...a.received, ...b.received].map((r) => r.url).sort(), ['/count', ...Array(4).fill('/uppercase')]);
  assert.equal(a.received[0]!.method, 'POST');
});

test('a business error is a ServiceError and is not retried', async (t) => {
  const a = await startLoopback(backend('a'));
  const client = newClient({ instances: [a.instance], resilience: patient });
  t.after(async () => { client.close(); await a.close(); });
  await assert.rejects(client.uppercase(background(), ''), (e) => isServiceError(e) && e.message === 'empty string');
  assert.equal(a.received.length, 1);
});

test('a dead instance is retried around; a bad answer classifies as bad_upstream', async (t) => {
  const good = await startLoopback(backend('good'));
  const bad = await startLoopback((_req, res) => json(res, { nope: true }));
  const dead = await freeInstance();
  const client = newClient({ instances: [dead, good.instance], resilience: { maxTimeMs: 2000, attemptTimeoutMs: 1000 } });
  const broken = newClient({ instances: [bad.instance], resilience: { maxAttempts: 1 } });
  t.after(async () => { client.close(); broken.close(); await good.close(); await bad.close(); });
  for (let i = 0; i < 4; i++) assert.equal(await client.uppercase(background(), 'x'), 'X@good');
  await assert.rejects(broken.uppercase(background(), 'x'), (e) => classify(e) === 'bad_upstream');
});

test('with p2c-ewma, a slow instance gets few calls', async (t) => {
  const fast = await startLoopback(backend('fast'));
  const slowHandler = backend('slow');
  const slow = await startLoopback((req, res) => void setTimeout(() => slowHandler(req, res), 50));
  // A short decay, so the first calls (new connections, a cold JIT) are forgotten within the test.
  const client = newClient({ instances: [fast.instance, slow.instance], resilience: patient, balancer: { kind: 'p2c-ewma', decayMs: 100 } });
  t.after(async () => { client.close(); await fast.close(); await slow.close(); });
  for (let i = 0; i < 10; i++) await client.uppercase(background(), `warm${i}`);
  const before = slow.received.length;
  for (let i = 0; i < 40; i++) await client.uppercase(background(), `s${i}`);
  assert.ok(slow.received.length - before < 10, `round robin would give it 20; slow got ${slow.received.length - before} of 40`);
});
