/**
 * The frontend's floor peer: the same proxying JSON work as our frontend's `/uppercase` (decode
 * the request, send `{"s":…}` to the next backend in turn, decode its answer, encode it back)
 * on bare `node:http` and an undici pool per backend, with no breaker, bucket, retry, metrics or
 * logging. What our frontend loses to it is ours to win back; what it loses to HAProxy is the
 * platform's. Usage: raw-proxy.ts <port> <host:port,host:port,…>
 */
import { createServer } from 'node:http';
import { Pool } from 'undici';
import { listenAndAnnounce } from './listen.ts';

const port = Number(process.argv[2] ?? 0);
const pools = (process.argv[3] ?? '').split(',').map((hp) => new Pool(`http://${hp}`, { connections: 16 }));
let next = 0;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', async () => {
    let body: string;
    try {
      const { s } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { s: string };
      const pool = pools[next++ % pools.length]!;
      const upstream = await pool.request({
        path: '/uppercase',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ s }),
      });
      const { v, err } = JSON.parse(await upstream.body.text()) as { v: string; err?: string };
      body = JSON.stringify(err ? { v, err } : { v }) + '\n';
    } catch {
      res.writeHead(502).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
listenAndAnnounce(server, port);
