import { STATUS_CODES } from 'node:http';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { HttpMethod, RequestContext, type KubeConfig } from '@kubernetes/client-node';
import { fetch } from 'undici';
import type { WatchEventType, WatchHandle } from './resource-client.ts';

/**
 * watchStream opens one Kubernetes watch, a streaming GET with `watch=true` authenticated by the
 * KubeConfig, and calls `onEvent` for each event line and `onDone` once when the stream ends or
 * fails (a status other than 200 fails with its `statusCode`). It is client-node's `Watch` less
 * that class's 30-second idle abort, which would cut quiet watches and which it offers no public
 * setting for: our Watcher owns silence detection (`--watch-timeout`).
 */
export async function watchStream(
  kc: KubeConfig,
  path: string,
  query: Record<string, string>,
  onEvent: (type: WatchEventType, object: unknown) => void,
  onDone: (err: unknown) => void,
): Promise<WatchHandle> {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('no current cluster in the kubeconfig');
  const url = new URL(cluster.server + path);
  url.searchParams.set('watch', 'true');
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  const controller = new AbortController();
  let done = false;
  const finish = (err: unknown) => {
    if (done) return;
    done = true;
    controller.abort();
    onDone(err);
  };
  const request = new RequestContext(url.toString(), HttpMethod.GET);
  await kc.applySecurityAuthentication(request);
  try {
    const response = await fetch(url, { headers: request.getHeaders(), dispatcher: request.getDispatcher(), signal: controller.signal });
    if (response.status !== 200 || response.body === null) {
      throw Object.assign(new Error(response.statusText || STATUS_CODES[response.status] || 'watch failed'), { statusCode: response.status });
    }
    const body = Readable.fromWeb(response.body);
    body.on('error', finish);
    body.on('close', () => finish(null));
    const lines = createInterface({ input: body });
    lines.on('error', finish); // readline passes the body's errors on too
    lines.on('line', (line) => {
      let event: { type?: unknown; object?: unknown };
      try {
        event = JSON.parse(line) as typeof event;
      } catch {
        return; // not a whole event: the stream goes on
      }
      onEvent(event.type as WatchEventType, event.object);
    });
  } catch (err) {
    finish(err);
  }
  return { abort: () => controller.abort() };
}
