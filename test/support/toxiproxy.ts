import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { go, haveGo, toolsDir, withLock } from '../controlplane/binaries.ts';
import { skipOrThrow } from '../controlplane/require.ts';
import { reaped } from './reaped.ts';

// toxiproxy injects latency on the wire in front of one backend, so the balancer tests slow an
// instance down from outside our code. Built from the Go module proxy like the control plane.

/** toxiproxyVersion is read from the wrapper module, the single source of truth. */
export const toxiproxyVersion = /github\.com\/Shopify\/toxiproxy\/v2 (v\S+)/.exec(
  readFileSync(join(toolsDir, 'toxiproxy', 'go.mod'), 'utf8'),
)![1]!;

/** toxiproxyPath is where the server binary is cached (or TEST_ASSET_TOXIPROXY). */
export function toxiproxyPath(): string {
  const base = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return process.env['TEST_ASSET_TOXIPROXY'] || join(base, 'stringsvc', `toxiproxy-${toxiproxyVersion}`, 'toxiproxy-server');
}

/** toxiproxySkip is a reason to skip when the binary is neither cached nor buildable. */
export function toxiproxySkip(): string | false {
  const missing = existsSync(toxiproxyPath()) || haveGo() ? undefined : `toxiproxy-server is not at ${toxiproxyPath()} and there is no go to build it`;
  return skipOrThrow('toxiproxy', missing);
}

/** ensureToxiproxy builds toxiproxy-server once into the versioned cache, under a lock. */
export async function ensureToxiproxy(): Promise<string> {
  const bin = toxiproxyPath();
  if (existsSync(bin)) return bin;
  const dir = join(bin, '..');
  mkdirSync(dir, { recursive: true });
  await withLock(dir, async () => {
    if (existsSync(bin)) return;
    await go(['build', '-ldflags', '-s -w', '-o', `${bin}.partial`, 'github.com/Shopify/toxiproxy/v2/cmd/server'], join(toolsDir, 'toxiproxy'), `toxiproxy ${toxiproxyVersion}`);
    renameSync(`${bin}.partial`, bin);
  });
  return bin;
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
  const bin = await ensureToxiproxy();
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
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
}
