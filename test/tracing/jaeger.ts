import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startProc, trackDir, untrackDir, waitFor, type Proc } from '../controlplane/procs.ts';
import { haveGo } from '../controlplane/binaries.ts';
import { ensureTool, jaeger, toolPath, toolVersion } from '../controlplane/go-tools.ts';
import { skipOrThrow } from '../controlplane/require.ts';

/** The Jaeger release, read from the wrapper module so its go.mod stays the one source of truth. */
export const jaegerVersion = toolVersion(jaeger);

/** Where the binary is cached; TEST_ASSET_JAEGER points at one to use as is. */
export function jaegerPath(): string {
  return toolPath(jaeger);
}

/** jaegerSkip is node:test's `skip` for suites that need Jaeger: Go to build it, or the cached binary. */
export function jaegerSkip(): string | false {
  const reason = !existsSync(jaegerPath()) && !haveGo() ? `tracing tests need Jaeger ${jaegerVersion}: install Go (it is built from the module proxy and cached)` : undefined;
  return skipOrThrow('tracing', reason);
}

/** Jaeger is one all-in-one process: an OTLP/HTTP receiver and the query API, both on loopback. */
export interface Jaeger {
  /** Base URL to give `--otlp-endpoint`. */
  readonly otlp: string;
  /** Base URL of the query API (`/api/traces/<id>`). */
  readonly query: string;
  readonly proc: Proc;
  stop(): Promise<void>;
}

/**
 * startJaeger runs Jaeger with in-memory storage and only what the tests read: the OTLP/HTTP
 * receiver and the query service, on free loopback ports (the stock all-in-one config binds a
 * dozen fixed ports); its own telemetry is off.
 */
export async function startJaeger(): Promise<Jaeger> {
  const bin = await ensureTool(jaeger);
  const dir = mkdtempSync(join(tmpdir(), 'stringsvc-jaeger-'));
  trackDir(dir);
  const [otlp, http, grpc, health] = [await freePort(), await freePort(), await freePort(), await freePort()];
  writeFileSync(join(dir, 'config.yaml'), config({ otlp, http, grpc, health }));
  const proc = startProc('jaeger', bin, ['--config', join(dir, 'config.yaml')], join(dir, 'jaeger.log'));
  const stop = async () => {
    await proc.stop(5_000);
    rmSync(dir, { recursive: true, force: true });
    untrackDir(dir);
  };
  try {
    await waitFor('jaeger to be healthy', async () => {
      if (proc.done()) throw new Error('jaeger exited');
      const res = await fetch(`http://127.0.0.1:${health}/status`);
      return res.ok && (await fetch(`http://127.0.0.1:${http}/api/services`)).ok;
    }, 30_000, () => proc.logTail());
  } catch (err) {
    await stop();
    throw err;
  }
  return { otlp: `http://127.0.0.1:${otlp}`, query: `http://127.0.0.1:${http}`, proc, stop };
}

function config(p: { otlp: number; http: number; grpc: number; health: number }): string {
  return `service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:${p.health}
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:${p.http}
    grpc:
      endpoint: 127.0.0.1:${p.grpc}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${p.otlp}
processors:
  batch:
    timeout: 50ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
}
