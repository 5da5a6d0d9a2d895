import { startBuilt, type Running } from './process.ts';
import { metricValue, scrape } from './metrics.ts';

/** post sends a body like the seed's `curl -d` and returns status, raw text and elapsed ms. */
export async function post(url: string, body: string) {
  const begin = performance.now();
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  return { status: res.status, text: await res.text(), ms: performance.now() - begin };
}

/** uppercase sends `{"s":s}` to the frontend's /uppercase. */
export function uppercase(fe: Running, s: string) {
  return post(`${fe.url}/uppercase`, JSON.stringify({ s }));
}

/** served is how many uppercase calls a backend answered, from its stringsvc2 metrics. */
export async function served(backend: Running, method = 'uppercase'): Promise<number> {
  const text = await scrape(backend.url);
  // A series appears with its first call: none yet means none served.
  return metricValue(text, 'my_group_string_service_request_count', { method, error: 'false' }, { absentAs: 0 }) +
    metricValue(text, 'my_group_string_service_request_count', { method, error: 'true' }, { absentAs: 0 });
}

/** startBackends starts n plain backends on ephemeral ports, without request logs. */
export function startBackends(n: number): Promise<Running[]> {
  return Promise.all(Array.from({ length: n }, () => startBuilt('stringsvc', ['--listen=127.0.0.1:0', '--request-log=false'])));
}

/** stopAll stops every process that was started, even after a failed test; hung ones are killed. */
export async function stopAll(procs: Array<Running | undefined>): Promise<void> {
  await Promise.all(
    procs.map(async (p) => {
      if (!p) return;
      p.proc.kill('SIGCONT');
      await p.stop('SIGTERM', 3_000);
    }),
  );
}

// Generous per-attempt timeouts unless the test is about timing: the machine is shared and loaded.
export const relaxed = ['--max-time=3s', '--attempt-timeout=1s'];
