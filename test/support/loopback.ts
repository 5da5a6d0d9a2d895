import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { unusedPort } from './ports.ts';

/** Received is one request as a loopback server saw it. */
export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** Loopback is a real HTTP server on 127.0.0.1 with an ephemeral port, for tests. */
export interface Loopback {
  /** instance is the server's `host:port`. */
  readonly instance: string;
  /** received lists every request so far, in arrival order. */
  readonly received: Received[];
  /** connections counts TCP connections accepted so far (keep-alive reuse shows as 1). */
  connections(): number;
  /** openConnections counts connections not yet closed by either side. */
  openConnections(): number;
  close(): Promise<void>;
}

/** LoopbackHandler answers one request; the body has already been read. */
export type LoopbackHandler = (req: Received, res: ServerResponse) => void;

/**
 * startLoopback starts a server whose requests are answered by `handler`; `host` may be `::1`.
 * `keepAliveTimeoutMs` (Node's default otherwise) lets a test tell a client closing an idle
 * connection from the server's own idle timeout.
 */
export async function startLoopback(handler: LoopbackHandler, host = '127.0.0.1', options: { keepAliveTimeoutMs?: number } = {}): Promise<Loopback> {
  const received: Received[] = [];
  let connections = 0;
  let open = 0;
  const server = createServer(options.keepAliveTimeoutMs !== undefined ? { keepAliveTimeout: options.keepAliveTimeoutMs } : {}, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      received.push(r);
      handler(r, res);
    });
  });
  server.on('connection', (socket) => {
    connections++;
    open++;
    socket.on('close', () => open--);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    instance: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
    received,
    connections: () => connections,
    openConnections: () => open,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** hang never answers: the request stays in flight until the client gives up or the server closes. */
export const hang: LoopbackHandler = () => {};

/** json answers with a JSON body and the given status (200 by default). */
export function json(res: ServerResponse, body: unknown, status = 200): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** freeInstance returns a `host:port` nobody listens on, for "connection refused" cases (see unusedPort). */
export async function freeInstance(): Promise<string> {
  return `127.0.0.1:${await unusedPort()}`;
}
