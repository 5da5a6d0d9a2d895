import { createServer, type RequestListener, type Server } from 'node:http';

/** ListenOptions bound how long a client may hold a connection at each stage. */
export interface ListenOptions {
  host?: string;
  port: number;
  /** Time to receive the request headers (slowloris guard). */
  headersTimeoutMs: number;
  /** Time to receive the whole request. */
  requestTimeoutMs: number;
  /** Idle time a keep-alive connection may wait for its next request. */
  keepAliveTimeoutMs: number;
}

/** listen starts an HTTP server with every timeout set, resolving once it accepts connections. */
export function listen(handler: RequestListener, options: ListenOptions): Promise<Server> {
  const server = createServer(
    {
      headersTimeout: options.headersTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      keepAliveTimeout: options.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, options.headersTimeoutMs),
    },
    handler,
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** addressOf renders the bound address as `host:port` for logs and tests. */
export function addressOf(server: Server): string {
  const a = server.address();
  if (a === null || typeof a === 'string') return String(a);
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}
