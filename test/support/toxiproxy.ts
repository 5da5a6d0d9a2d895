import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { haveGo } from '../controlplane/binaries.ts';
import { ensureTool, toolPath, toxiproxy } from '../controlplane/go-tools.ts';
import { skipOrThrow } from '../controlplane/require.ts';
import { reaped } from './reaped.ts';
import { onceWithin } from './wait.ts';

// toxiproxy injects latency on the wire in front of one backend, so the balancer tests slow an
// instance down from outside our code. Built from the Go module proxy like the control plane.

/** toxiproxyPath is where the server binary is cached (or TEST_ASSET_TOXIPROXY). */
export function toxiproxyPath(): string {
  return toolPath(toxiproxy);
}

/** toxiproxySkip is a reason to skip when the binary is neither cached nor buildable. */
export function toxiproxySkip(): string | false {
  const missing = existsSync(toxiproxyPath()) || haveGo() ? undefined : `toxiproxy-server is not at ${toxiproxyPath()} and there is no go to build it`;
  return skipOrThrow('toxiproxy', missing);
}

/** Toxiproxy is a running toxiproxy-server and its API. */
export interface Toxiproxy {
  /** proxy listens on a free loopback port and forwards to `upstream`; returns its `host:port`. */
  proxy(name: string, upstream: string): Promise<string>;
  /** addLatency delays every answer from `name` by `ms` until removed. */
  addLatency(name: string, ms: number): Promise<void>;
  removeLatency(name: string): Promise<void>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** startToxiproxy runs toxiproxy-server on loopback and waits for its API; `prefix` wraps the command (e.g. taskset). */
export async function startToxiproxy(options: { prefix?: string[] } = {}): Promise<Toxiproxy> {
  const bin = await ensureTool(toxiproxy);
  const port = await freePort();
  const [cmd, ...args] = [...reaped, ...(options.prefix ?? []), bin, '-host', '127.0.0.1', '-port', String(port)];
  const proc = spawn(cmd!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const api = `http://127.0.0.1:${port}`;
  const call = async (method: string, path: string, body?: unknown): Promise<Record<string, unknown>> => {
    const res = await fetch(api + path, { method, ...(body ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
    const text = await res.text();
    if (!res.ok) throw new Error(`toxiproxy ${method} ${path}: ${res.status} ${text}`);
    return text ? (JSON.parse(text) as Record<string, unknown>) : {};
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`toxiproxy-server exited ${proc.exitCode}: ${stderr}`);
    try {
      await call('GET', '/proxies');
      break;
    } catch (err) {
      if (Date.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(`toxiproxy-server did not answer: ${String(err)} ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    async proxy(name, upstream) {
      const made = await call('POST', '/proxies', { name, listen: '127.0.0.1:0', upstream, enabled: true });
      return String(made.listen);
    },
    async addLatency(name, ms) {
      await call('POST', `/proxies/${name}/toxics`, { name: 'slow', type: 'latency', stream: 'downstream', toxicity: 1, attributes: { latency: ms, jitter: 0 } });
    },
    async removeLatency(name) {
      await call('DELETE', `/proxies/${name}/toxics/slow`);
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const exited = onceWithin(proc, 'exit', 30_000, 'toxiproxy-server to exit after SIGTERM (SIGKILL after 3 s)');
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
      try {
        await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
