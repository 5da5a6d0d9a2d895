import { spawn, type ChildProcess } from 'node:child_process';
import { reaped } from '../support/reaped.ts';
import { once } from 'node:events';
import { connect } from 'node:net';
import { freeInstance } from '../support/loopback.ts';
import { onceWithin } from '../support/wait.ts';
import { createNetns, exposePort, waitForPort, type Netns } from './netns.ts';

/** Peer is a running go-kit example, reachable from the host at `addr`. */
export interface Peer {
  addr: string;
  url: string;
  /** Its logfmt log so far (go-kit logs to stderr). */
  stderr(): string;
  stop(): Promise<void>;
}


function run(argv: string[], env: NodeJS.ProcessEnv = {}): { proc: ChildProcess; stderr: () => string } {
  const [cmd, ...args] = [...reaped, ...argv];
  const proc = spawn(cmd!, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return { proc, stderr: () => stderr };
}

async function kill(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = onceWithin(proc, 'exit', 30_000, `${proc.spawnargs.join(' ')} to exit after SIGTERM (SIGKILL after 3 s)`);
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
  try {
    await exited;
  } finally {
    clearTimeout(t);
  }
}

/**
 * startInNetns runs stringsvc1 or stringsvc2, which hard-code `:8080`, alone in a network
 * namespace of its own, and relays that port to a free host loopback address.
 */
export async function startInNetns(binary: string, env: NodeJS.ProcessEnv = {}): Promise<Peer & { ns: Netns }> {
  const ns = await createNetns();
  const { proc, stderr } = run([...ns.enter, binary], env);
  try {
    await Promise.race([
      waitForPort(ns, 8080),
      once(proc, 'close').then(([code]) => Promise.reject(new Error(`${binary} exited ${code}: ${stderr()}`))),
    ]);
  } catch (err) {
    await kill(proc);
    ns.close();
    throw err;
  }
  const exposed = await exposePort(ns, 8080);
  return {
    ns,
    addr: exposed.addr,
    url: `http://${exposed.addr}`,
    stderr,
    async stop() {
      exposed.close();
      await kill(proc);
      ns.close();
    },
  };
}

/** startStringsvc3 runs go-kit's stringsvc3 on a free loopback port, proxying to `proxy` when given. */
export async function startStringsvc3(binary: string, proxy: string[] = []): Promise<Peer> {
  const addr = await freeInstance();
  const argv = [binary, `-listen=${addr}`, ...(proxy.length ? [`-proxy=${proxy.join(',')}`] : [])];
  const { proc, stderr } = run(argv);
  const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
  const deadline = Date.now() + 15_000;
  while (!(await accepts(host, port))) {
    if (proc.exitCode !== null || Date.now() > deadline) {
      await kill(proc);
      throw new Error(`stringsvc3 ${argv.slice(1).join(' ')} did not start: ${stderr()}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  return { addr, url: `http://${addr}`, stderr, stop: () => kill(proc) };
}

/** accepts tells whether a TCP connect to host:port succeeds. */
export function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    // A connect the kernel keeps retrying (a full backlog) counts as not accepting, not as a hang.
    s.setTimeout(5000, () => (s.destroy(), resolve(false)));
  });
}
