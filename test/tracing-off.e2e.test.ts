/**
 * Tracing off, as processes: the OpenTelemetry SDK is never loaded (only the small API package the
 * Context's types come from), and an untraced tier still forwards a caller's trace context
 * untouched. No collector is needed; what a process loaded is recorded by a preload
 * (test/support/module-log.ts), what reached the backend by a loopback server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { startBuilt } from './support/process.ts';
import { startLoopback, type Loopback } from './support/loopback.ts';
import { loadedModules, moduleLogEnv } from './support/module-log.ts';
import { relaxed, stopAll } from './support/frontend.ts';

/** The @opentelemetry packages among the loaded files, e.g. `api`, `sdk-trace-base`. */
function otelPackages(files: string[]): string[] {
  const marker = `${sep}node_modules${sep}@opentelemetry${sep}`;
  return [...new Set(files.filter((f) => f.includes(marker)).map((f) => f.slice(f.indexOf(marker) + marker.length).split(sep)[0]!))].sort();
}

/** The SDK's packages: none may load with tracing off, all must with it on. */
const sdk = ['exporter-trace-otlp-proto', 'sdk-trace-base'];

describe('tracing off: the SDK is not loaded', { timeout: 60_000 }, () => {
  let dir = '';
  before(() => void (dir = mkdtempSync(join(tmpdir(), 'stringsvc-modules-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** modulesOf runs `cmd` with `env`, serves one request to `path`, stops it and returns the files it loaded. */
  async function modulesOf(cmd: string, env: NodeJS.ProcessEnv, path: string, body: string): Promise<string[]> {
    const file = join(dir, `${cmd}-${Object.keys(env).length}.txt`);
    const proc = await startBuilt(cmd, ['--listen=127.0.0.1:0'], { ...env, ...moduleLogEnv(file) });
    try {
      // A served request: whatever a request path would load lazily has been loaded.
      const res = await fetch(`${proc.url}${path}`, { method: 'POST', body });
      assert.equal(res.status, 200, await res.text());
    } finally {
      assert.equal(await proc.stop(), 0, proc.stderr());
    }
    return loadedModules(file);
  }

  for (const [cmd, path, body] of [['stringsvc', '/uppercase', '{"s":"off"}'], ['countersvc', '/add', '{"v":1}']] as const) {
    test(`${cmd}: no OTLP endpoint, no SDK module; with one, the SDK is loaded`, async () => {
      // Nothing listens on the endpoint: loading the SDK needs no collector.
      const off = await modulesOf(cmd, { OTEL_EXPORTER_OTLP_ENDPOINT: '' }, path, body);
      const on = await modulesOf(cmd, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }, path, body);
      assert.ok(off.some((f) => f.endsWith(`${sep}dist${sep}cmd${sep}${cmd}.js`)), `the preload recorded the process's own modules: ${off.length} files`);
      assert.deepEqual(otelPackages(off), ['api'], 'tracing off loads only the API package (types and no-op helpers)');
      assert.ok(!off.some((f) => f.endsWith(`${sep}kit${sep}tracing${sep}start.js`)), 'kit/tracing/start is not imported');
      for (const p of sdk) assert.ok(otelPackages(on).includes(p), `tracing on loads @opentelemetry/${p}: ${otelPackages(on).join(', ')}`);
    });
  }
});

describe('tracing off: an untraced frontend forwards traceparent and tracestate untouched', { timeout: 60_000 }, () => {
  let backend: Loopback | undefined;
  before(async () => {
    // A backend that records what reached it and answers as a stringsvc backend would.
    backend = await startLoopback((req, res) => {
      res.setHeader('content-type', 'application/json; charset=utf-8');
      res.end(`{"v":${JSON.stringify((JSON.parse(req.body) as { s: string }).s.toUpperCase())}}\n`);
    });
  });
  after(async () => backend?.close());

  test('the exact headers the client sent arrive at the backend', async () => {
    const fe = await startBuilt('stringsvc', ['--listen=127.0.0.1:0', `--proxy=${backend!.instance}`, ...relaxed], { OTEL_EXPORTER_OTLP_ENDPOINT: '' });
    try {
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const tracestate = 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7';
      const res = await fetch(`${fe.url}/uppercase`, { method: 'POST', body: '{"s":"pass it on"}', headers: { traceparent, tracestate } });
      assert.equal(await res.text(), '{"v":"PASS IT ON"}\n');
      assert.equal(backend!.received.length, 1);
      const got = backend!.received[0]!.headers;
      assert.equal(got['traceparent'], traceparent, 'the untraced tier makes no span, so the parent id is still the caller’s');
      assert.equal(got['tracestate'], tracestate);
    } finally {
      await stopAll([fe]);
    }
  });
});
