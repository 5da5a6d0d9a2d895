// The bench's Node-ecosystem peers (issue 20) start and answer as the bench starts them: Fastify as a
// backend, its log line the same as ours, and @fastify/http-proxy spreading over three backends.
// A smoke check only: nothing here measures speed (that is `npm run bench`).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startServer, type Server } from '../bench/lib/proc.ts';
import { eventually } from './support/metrics.ts';
import { repoRoot, startBuilt, type Running } from './support/process.ts';
import { onceWithin } from './support/wait.ts';

const peer = (name: string) => `${repoRoot}bench/peers/${name}.ts`;

async function uppercase(url: string, s: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; id: string | null }> {
  const res = await fetch(`${url}/uppercase`, { method: 'POST', body: JSON.stringify({ s }), headers: { 'content-type': 'application/json', ...headers } });
  return { status: res.status, body: await res.text(), id: res.headers.get('x-request-id') };
}

describe('the bench\'s Fastify peers', () => {
  const servers: Server[] = [];
  const backends: Running[] = [];
  before(async () => {
    for (let i = 0; i < 3; i++) backends.push(await startBuilt('stringsvc', ['--listen=127.0.0.1:0']));
  });
  after(async () => {
    await Promise.all([...servers.map((s) => s.stop()), ...backends.map((b) => b.stop())]);
  });

  test('the Fastify backend answers as ours does, with and without its logger', async () => {
    for (const mode of ['log', 'nolog']) {
      const s = await startServer([process.execPath, peer('fastify-backend'), '0', mode]);
      servers.push(s);
      const got = await uppercase(s.url, 'hello, world', { 'x-request-id': 'abc' });
      assert.deepEqual([got.status, JSON.parse(got.body), got.id], [200, { v: 'HELLO, WORLD' }, 'abc'], mode);
      assert.deepEqual(JSON.parse((await uppercase(s.url, '')).body), { v: '', err: 'empty string' }, mode);
    }
  });

  test('the Fastify backend logs, per request, the line ours writes: the same fields in the same order', async () => {
    const proc = spawn(process.execPath, [peer('fastify-backend'), '0', 'log'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await eventually('the Fastify backend to log its HTTP line', () => /"msg":"HTTP"/.test(out), 30_000);
      const url = `http://${(JSON.parse(out.split('\n')[0]!) as { addr: string }).addr}`;
      await uppercase(url, 'foo', { 'x-request-id': 'req-1' });
      await uppercase(backends[0]!.url, 'foo', { 'x-request-id': 'req-1' });
    } finally {
      const closed = onceWithin(proc, 'close', 30_000, 'the Fastify backend to close after SIGTERM'); // every line read, unlike 'exit'
      proc.kill('SIGTERM');
      await closed;
    }
    const theirs = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['method'] === 'uppercase');
    const ours = await backends[0]!.lastLine((l) => l['method'] === 'uppercase' && l['request_id'] === 'req-1');
    assert.equal(theirs.length, 1, out);
    assert.ok(ours);
    assert.deepEqual(Object.keys(theirs[0]!), Object.keys(ours));
    const same = (l: Record<string, unknown>) => ({ level: l['level'], request_id: l['request_id'], input: l['input'], output: l['output'], err: l['err'] });
    assert.deepEqual(same(theirs[0]!), same(ours));
  });

  test('@fastify/http-proxy answers through all three backends', async () => {
    const s = await startServer([process.execPath, peer('fastify-proxy'), '0', backends.map((b) => b.addr).join(',')]);
    servers.push(s);
    const before = await Promise.all(backends.map(served));
    for (let i = 0; i < 6; i++) assert.deepEqual(JSON.parse((await uppercase(s.url, 'hello, world')).body), { v: 'HELLO, WORLD' });
    const after = await Promise.all(backends.map(served));
    assert.deepEqual(after.map((n, i) => n - before[i]!), [2, 2, 2]);
  });
});

/** served reads how many /uppercase calls a backend's endpoint has answered, from its metrics. */
async function served(b: Running): Promise<number> {
  const text = await (await fetch(`${b.url}/metrics`)).text();
  return [...text.matchAll(/^\w+_request_count\{method="uppercase"[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
}
