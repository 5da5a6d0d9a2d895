import { randomBytes } from 'node:crypto';
import { startBuilt, type Running } from '../support/process.ts';
import { relaxed, stopAll } from '../support/frontend.ts';

/** Stack is a traced frontend over three traced backends, all from dist/. */
export interface Stack {
  frontend: Running;
  backends: Running[];
  stop(): Promise<void>;
}

/** Spans leave each process within a tenth of a second, so tests wait on Jaeger, not on the batch timer. */
const quickExport = { OTEL_BSP_SCHEDULE_DELAY: '100' };

/**
 * startStack starts three backends and a frontend proxying to them, each exporting to `otlp`
 * with `env` (OTEL_* variables) on top; `frontendArgs` adds flags to the frontend.
 */
export async function startStack(otlp: string, env: NodeJS.ProcessEnv = {}, frontendArgs: string[] = []): Promise<Stack> {
  const all: Running[] = [];
  try {
    const traced = { ...quickExport, OTEL_EXPORTER_OTLP_ENDPOINT: otlp, ...env };
    const backends = await Promise.all([0, 1, 2].map(() => startBuilt('stringsvc', ['--listen=127.0.0.1:0'], traced)));
    all.push(...backends);
    const frontend = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', `--proxy=${backends.map((b) => b.addr).join(',')}`, ...relaxed, ...frontendArgs], traced);
    all.push(frontend);
    return { frontend, backends, stop: () => stopAll(all) };
  } catch (err) {
    await stopAll(all);
    throw err;
  }
}

/** A fresh W3C trace: the ids a test's own (remote) parent span would have. */
export function newTrace(sampled = true): { traceId: string; parentId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { traceId, parentId, traceparent: `00-${traceId}-${parentId}-${sampled ? '01' : '00'}` };
}

/** send posts `{"s"}` to the frontend's /uppercase with the given headers. */
export async function send(fe: Running, s: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; ms: number }> {
  const begin = performance.now();
  const res = await fetch(`${fe.url}/uppercase`, { method: 'POST', body: JSON.stringify({ s }), headers });
  return { status: res.status, body: await res.text(), ms: performance.now() - begin };
}
