import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { ControlPlane } from '../controlplane/harness.ts';

/** ApiRelay is an HTTPS relay to the test control plane's API server that sees every request. */
export interface ApiRelay {
  /** https://127.0.0.1:<port> */
  readonly url: string;
  /** Rewrites a kubeconfig file (from `kubeconfigFileFor`) to talk through the relay. */
  route(kubeconfigFile: string): void;
  close(): Promise<void>;
}

/**
 * startApiRelay terminates TLS with the API server's own serving certificate (it names
 * 127.0.0.1, and kubeconfigs trust it), runs `beforeForward` on each request, body read, and
 * only then forwards it to the real API server. A test thereby acts at an exact point of a
 * client's conversation, e.g. changes an object just before the client's write of it reaches
 * the server, and the server's own answer goes back.
 */
export async function startApiRelay(cp: ControlPlane, beforeForward: (req: IncomingMessage) => Promise<void> | void): Promise<ApiRelay> {
  const cert = readFileSync(join(cp.dir, 'pki', 'apiserver.crt'));
  const key = readFileSync(join(cp.dir, 'pki', 'apiserver.key'));
  const target = new URL(cp.server);
  const server = createServer({ cert, key }, (req, res) => {
    void (async () => {
      const body = Buffer.concat(await req.toArray());
      await beforeForward(req);
      const upstream = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, ca: cert },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', (err) => res.destroy(err));
      upstream.end(body);
    })().catch((err: unknown) => res.destroy(err as Error));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    route(file) {
      const kc = JSON.parse(readFileSync(file, 'utf8')) as { clusters: Array<{ cluster: { server: string } }> };
      for (const c of kc.clusters) c.cluster.server = url;
      writeFileSync(file, JSON.stringify(kc));
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
