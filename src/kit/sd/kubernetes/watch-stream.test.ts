import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { watchStream } from './watch-stream.ts';
import { statusCode } from './resource-client.ts';
import { within } from '../../../../test/support/wait.ts';

/** apiServer answers every request with `answer` and records the URLs and auth headers it saw. */
async function apiServer(t: { after(fn: () => Promise<void>): void }, answer: (res: ServerResponse) => void) {
  const seen: Array<{ url: string; auth: string | undefined }> = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', auth: req.headers.authorization });
    answer(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }));
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'tok' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return { kc, seen };
}

test('streams each event line, skips what is not JSON, ends once with null when the server closes', async (t) => {
  const { kc, seen } = await apiServer(t, (res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"type":"ADDED","object":{"n":1}}\n{"type":"BOOKMARK","object":{"n":2}}\n');
    res.end('not json\n');
  });
  const events: unknown[] = [];
  const ends: unknown[] = [];
  let ended!: () => void;
  const end = new Promise<void>((r) => (ended = r));
  await watchStream(kc, '/api/v1/namespaces/ns/endpoints', { resourceVersion: '7' }, (type, object) => events.push([type, object]), (err) => (ends.push(err), ended()));
  await within(end, 10_000, 'the watch to end once the server closed it');
  await new Promise((r) => setImmediate(r)); // a second end would come in the same turn, not later
  assert.deepEqual(events, [['ADDED', { n: 1 }], ['BOOKMARK', { n: 2 }]]);
  assert.deepEqual(ends, [null]);
  assert.equal(seen[0]!.url, '/api/v1/namespaces/ns/endpoints?watch=true&resourceVersion=7');
  assert.equal(seen[0]!.auth, 'Bearer tok');
});

test('a refused watch ends with its status code; abort ends a quiet one, once', async (t) => {
  const refused = await apiServer(t, (res) => { res.writeHead(403); res.end(); });
  const ends: unknown[] = [];
  await watchStream(refused.kc, '/x', {}, () => {}, (err) => ends.push(err));
  assert.equal(ends.length, 1);
  assert.equal(statusCode(ends[0]), 403);

  // Quiet after one bookmark: its arrival is the sign the stream is open and read.
  let closedByClient!: () => void;
  const clientGone = new Promise<void>((r) => (closedByClient = r));
  const quiet = await apiServer(t, (res) => {
    res.writeHead(200).write('{"type":"BOOKMARK","object":{"n":1}}\n');
    res.on('close', closedByClient);
  });
  const quietEnds: unknown[] = [];
  let marked!: () => void;
  const bookmark = new Promise<void>((r) => (marked = r));
  let ended!: () => void;
  const end = new Promise<void>((r) => (ended = r));
  const handle = await watchStream(quiet.kc, '/x', {}, () => marked(), (err) => (quietEnds.push(err), ended()));
  await within(bookmark, 10_000, 'the bookmark of the quiet watch');
  assert.deepEqual(quietEnds, [], 'a quiet watch stays open');
  handle.abort();
  await within(Promise.all([end, clientGone]), 10_000, 'the aborted watch to end and its connection to close at the server');
  await new Promise((r) => setImmediate(r));
  assert.equal(quietEnds.length, 1);
});
