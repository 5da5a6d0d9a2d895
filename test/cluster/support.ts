// Helpers the cluster tests share: port-forwards, pod readiness, a bounded load generator.
import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { waitFor } from '../controlplane/procs.ts';
import type { Cluster } from './cluster.ts';
import { setupTimeout } from '../tools.ts';

/**
 * nodeSetupTimeout is the `timeout` of a real-node suite's before hook. Besides the builds of
 * setupTimeout(), such a hook may wait on the node lock while another run's suite has the node
 * (one per machine; the longest suite's tests are bounded at 30 min), build the base images (not a tool of
 * test/tools.ts) and run its own `helm install --wait` (5 min): 40 min more.
 */
export function nodeSetupTimeout(): number {
  return setupTimeout() + 40 * 60_000;
}

/** A running `kubectl port-forward` to a free loopback port. */
export interface PortForward {
  readonly port: number;
  stop(): void;
}

/** `kubectl port-forward <target> :<port>` as a user runs it; resolves once it listens. */
export async function portForward(cluster: Cluster, namespace: string, target: string, port: number): Promise<PortForward> {
  const child: ChildProcess = spawn(cluster.cp.binaries.kubectl, ['--namespace', namespace, 'port-forward', target, `:${port}`], {
    env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const local = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`port-forward ${target}: no port after 30 s\n${out}`)), 30_000);
    const onData = (b: Buffer): void => {
      out += b.toString();
      const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`port-forward ${target} exited ${code}\n${out}`)));
  });
  return { port: local, stop: () => void child.kill('SIGTERM') };
}

/** Pods of a namespace matching a label selector. */
export async function pods(cluster: Cluster, namespace: string, labelSelector: string): Promise<V1Pod[]> {
  const core = cluster.cp.kc.makeApiClient(CoreV1Api);
  return (await core.listNamespacedPod({ namespace, labelSelector })).items;
}

export function isReady(p: V1Pod): boolean {
  return !p.metadata?.deletionTimestamp && p.status?.phase === 'Running' && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * Waits until `count` pods match and all are Running and Ready; with `gone`, terminating pods
 * must have disappeared too (not merely be left out).
 */
export async function waitPodsReady(cluster: Cluster, namespace: string, labelSelector: string, count: number, timeoutMs = 120_000, opts: { gone?: boolean } = {}): Promise<V1Pod[]> {
  let last: V1Pod[] = [];
  await waitFor(`${count} ready pods (${labelSelector})`, async () => {
    last = (await pods(cluster, namespace, labelSelector)).filter((p) => opts.gone || !p.metadata?.deletionTimestamp);
    return last.length === count && last.every(isReady);
  }, timeoutMs, () => last.map((p) => `${p.metadata?.name} ${p.status?.phase}`).join('\n'));
  return last;
}

/** POSTs `body` and returns status and body text (no keep-alive: each call is a user's curl). */
export async function post(url: string, body: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', body, headers: { connection: 'close' }, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, text: await res.text() };
}

/** What a load run saw. */
export interface LoadResult {
  sent: number;
  ok: number;
  /** Every answer that was not 200, and every error, by kind (`status 503`, `ECONNRESET`, …). */
  failures: Record<string, number>;
  latenciesMs: number[];
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export function summary(r: LoadResult): string {
  const s = [...r.latenciesMs].sort((a, b) => a - b);
  return `${r.sent} requests, ${r.sent - r.ok} not 200 ${JSON.stringify(r.failures)}, p50 ${percentile(s, 50).toFixed(2)} ms, p99 ${percentile(s, 99).toFixed(2)} ms, max ${(s.at(-1) ?? NaN).toFixed(2)} ms`;
}

/** A steady paced load: `rate` requests per second over `connections` keep-alive sockets, until stop(). */
export interface Load {
  /** Stops sending, waits for answers in flight, and returns the results. */
  stop(): Promise<LoadResult>;
  /** Starts a fresh tally without stopping, and returns the old one once its requests have all been answered. */
  take(): Promise<LoadResult>;
}

/**
 * Sends POST /uppercase to `host:port` at `rate` per second (bounded: it stops at `maxSeconds`
 * whatever happens), over a keep-alive agent of `connections` sockets, as a real client would.
 */
export function startLoad(host: string, port: number, opts: { rate: number; connections: number; maxSeconds: number }): Load {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.connections });
  type Tally = LoadResult & { inFlight: Set<Promise<void>> };
  const fresh = (): Tally => ({ sent: 0, ok: 0, failures: {}, latenciesMs: [], inFlight: new Set() });
  let tally = fresh();
  const body = '{"s":"hello, world"}';
  const one = (): Promise<void> => {
    const t = tally;
    t.sent++;
    const started = performance.now();
    return new Promise<void>((resolve) => {
      const fail = (kind: string): void => {
        t.failures[kind] = (t.failures[kind] ?? 0) + 1;
        resolve();
      };
      const req = request({ host, port, method: 'POST', path: '/uppercase', agent, headers: { 'content-length': body.length }, timeout: 10_000 }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          t.latenciesMs.push(performance.now() - started);
          if (res.statusCode === 200 && text === '{"v":"HELLO, WORLD"}\n') {
            t.ok++;
            resolve();
          } else fail(`status ${res.statusCode}`);
        });
        res.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.on('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
      req.end(body);
    });
  };
  const started = Date.now();
  let sentTotal = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((Date.now() - started) / 1000) * opts.rate) - sentTotal;
    for (let i = 0; i < due; i++) {
      sentTotal++;
      const t = tally;
      const p = one().finally(() => t.inFlight.delete(p));
      t.inFlight.add(p);
    }
    if (Date.now() - started > opts.maxSeconds * 1000) clearInterval(timer);
  }, 5);
  const take = async (): Promise<LoadResult> => {
    const old = tally;
    tally = fresh();
    await Promise.all([...old.inFlight]);
    const { inFlight: _, ...t } = old;
    return t;
  };
  return {
    take,
    async stop() {
      clearInterval(timer);
      const t = await take();
      agent.destroy();
      return t;
    },
  };
}
