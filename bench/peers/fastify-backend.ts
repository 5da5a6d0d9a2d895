/**
 * The backend's Node-ecosystem peer: `/uppercase` on Fastify, the same JSON work as ours. With
 * `log` (the default), its pino logger writes what ours writes per request, one service line
 * `{"level","time","listen","request_id","method","input","output","err","took"}` (the request id
 * from `X-Request-Id` or 32 random hex digits, echoed back; Fastify's own two request/response lines
 * off, as our access line is off for a 200), to an asynchronous pino destination buffering 4 KiB, as
 * ours writes in blocks. With `nolog`, Fastify's logger is off (its default).
 * Usage: fastify-backend.ts <port> [log|nolog]
 */
import { randomBytes } from 'node:crypto';
import Fastify, { LogController } from 'fastify';
import pino from 'pino';
import { took } from '../../src/kit/took.ts';

const port = Number(process.argv[2] ?? 0);
const log = (process.argv[3] ?? 'log') !== 'nolog';

const app = Fastify({
  logger: log ? { base: { listen: `:${port}` }, stream: pino.destination({ dest: 1, sync: false, minLength: 4096 }) } : false,
  logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'request_id' }),
  requestIdHeader: 'x-request-id',
  genReqId: () => randomBytes(16).toString('hex'),
});

const answer = { type: 'object', properties: { v: { type: 'string' }, err: { type: 'string' } }, required: ['v'] } as const;
const refusal = { type: 'object', properties: { err: { type: 'string' } }, required: ['err'] } as const;

app.post('/uppercase', { schema: { response: { 200: answer, 400: refusal } } }, async (request, reply) => {
  const begin = performance.now();
  const s = (request.body as { s?: unknown } | null)?.s;
  if (typeof s !== 'string') return reply.code(400).send({ err: 'field "s" must be a string' });
  const out = s === '' ? { v: '', err: 'empty string' } : { v: s.toUpperCase() };
  reply.header('x-request-id', request.id);
  if (log) request.log.info({ method: 'uppercase', input: s, output: out.v, err: out.err ?? null, took: took(begin) });
  return out;
});

const address = await app.listen({ port, host: '127.0.0.1' });
// The line the bench waits for (see listen.ts), written straight to stdout, not through the logger.
process.stdout.write(JSON.stringify({ msg: 'HTTP', addr: new URL(address).host }) + '\n');
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
