/**
 * The frontend's Node-ecosystem peer: `@fastify/http-proxy` (undici under the hood, through
 * `@fastify/reply-from`) with its defaults, in front of the same three backends, balanced round
 * robin by an undici BalancedPool with reply-from's own pool defaults (128 connections, no
 * pipelining), as reply-from builds one itself when given several bases. Fastify's logger is off
 * (its default), as our frontend's request log is in this comparison.
 * Usage: fastify-proxy.ts <port> <host:port,host:port,…>
 */
import { createRequire } from 'node:module';
import Fastify from 'fastify';
import proxy from '@fastify/http-proxy';

const port = Number(process.argv[2] ?? 0);
const upstreams = (process.argv[3] ?? '').split(',').map((hp) => `http://${hp}`);
// reply-from's own undici (it checks `instanceof` its BalancedPool to balance per request).
const require = createRequire(createRequire(import.meta.url).resolve('@fastify/reply-from'));
const { BalancedPool } = require('undici') as typeof import('undici');

const app = Fastify();
// @fastify/http-proxy takes one upstream URL; the pool spreads the requests over all three.
await app.register(proxy, { upstream: upstreams[0]!, undici: new BalancedPool(upstreams, { connections: 128, pipelining: 1 }) as never });

const address = await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(JSON.stringify({ msg: 'HTTP', addr: new URL(address).host }) + '\n');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
