/**
 * The benchmark's reference peer: the same JSON work as `/uppercase` on bare `node:http`, with
 * no framework, logging or metrics. Our service's throughput is quoted as a ratio to this.
 */
import { createServer } from 'node:http';
import { listenAndAnnounce } from './listen.ts';

const port = Number(process.argv[2] ?? 0);
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    let body: string;
    try {
      const { s } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { s: string };
      body = JSON.stringify(s === '' ? { v: '', err: 'empty string' } : { v: s.toUpperCase() }) + '\n';
    } catch {
      res.writeHead(400).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
listenAndAnnounce(server, port);
