import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onceWithin, within } from '../support/wait.ts';

const helper = join(dirname(fileURLToPath(import.meta.url)), 'in-netns.ts');
const root = process.getuid?.() === 0;

/**
 * Netns is a private network namespace with only a loopback device, so peers that hard-code
 * `:8080` (go-kit's stringsvc1 and stringsvc2) cannot clash with anything else on the machine.
 */
export interface Netns {
  /** argv prefix that runs a command inside the namespace. */
  enter: string[];
  /** Ends the holder; the namespace disappears with the last process in it. */
  close(): void;
}

/** Why network namespaces cannot be made here, or undefined (probes `unshare` and `ip` for real). */
export function netnsUnsupported(): string | undefined {
  const r = spawnSync('unshare', [root ? '-n' : '-rn', '--', 'ip', 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  if (r.status === 0) return undefined;
  return `cannot create a network namespace (unshare ${root ? '-n' : '-rn'} + ip): ${r.error?.message ?? r.stderr.trim()}`;
}

/** createNetns starts a holder process in a fresh namespace with loopback up. */
export async function createNetns(): Promise<Netns> {
  // Unprivileged runs need a user namespace to own the network one.
  const holder = spawn('unshare', [root ? '-n' : '-rn', '--', 'sh', '-c', 'ip link set lo up && echo ready && read _'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  holder.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await waitLine(holder, 'ready', 'the network namespace holder to bring loopback up', () => `network namespace holder failed: ${err}`);
  const pid = holder.pid!;
  const enter = root
    ? ['nsenter', `--net=/proc/${pid}/ns/net`, '--']
    : ['nsenter', `--user=/proc/${pid}/ns/user`, `--net=/proc/${pid}/ns/net`, '--preserve-credentials', '--'];
  return { enter, close: () => holder.stdin!.end() };
}

/** waitForPort returns once 127.0.0.1:`port` inside the namespace accepts connections. */
export async function waitForPort(ns: Netns, port: number): Promise<void> {
  const [cmd, ...args] = [...ns.enter, process.execPath, helper, 'wait', String(port)];
  const p = spawn(cmd!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  // The helper gives up after 15 s itself; this bounds nsenter and the helper's own start.
  const [code] = (await onceWithin(p, 'close', 60_000, `port ${port} to listen in the namespace`).catch((e: unknown) => {
    p.kill('SIGKILL');
    throw e;
  })) as [number | null];
  if (code !== 0) throw new Error(`waiting for port ${port} in the namespace failed: ${err}`);
}

/** Exposed is a namespace port reachable from the host at a loopback address. */
export interface Exposed {
  addr: string;
  close(): void;
}

/**
 * exposePort makes 127.0.0.1:`port` inside the namespace reachable at a free host loopback port,
 * through a unix socket relay: the namespace has no route to the host, and needs none.
 */
export async function exposePort(ns: Netns, port: number): Promise<Exposed> {
  const dir = mkdtempSync(join(tmpdir(), 'stringsvc-netns-'));
  const sock = join(dir, 'relay.sock');
  const [cmd, ...args] = [...ns.enter, process.execPath, helper, 'relay', sock, String(port)];
  const relay = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  relay.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  await waitLine(relay, 'ready', 'the relay into the namespace to listen', () => `relay in the namespace failed: ${err}`);
  const server = createServer((c) => {
    const up = connect(sock);
    c.pipe(up).pipe(c);
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
  });
  server.listen(0, '127.0.0.1');
  await onceWithin(server, 'listening', 10_000, 'the host side of the relay to listen');
  const { port: hostPort } = server.address() as { port: number };
  return {
    addr: `127.0.0.1:${hostPort}`,
    close() {
      server.close();
      relay.stdin!.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** waitLine waits for `line` on p's stdout; a process that neither prints it nor exits is killed after 60 s. */
function waitLine(p: ChildProcess, line: string, what: string, why: () => string): Promise<void> {
  const seen = new Promise<void>((resolve, reject) => {
    let buf = '';
    p.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes(`${line}\n`)) resolve();
    });
    p.once('exit', () => reject(new Error(why())));
  });
  return within(seen, 60_000, what).catch((e: unknown) => {
    p.kill('SIGKILL');
    throw e;
  });
}
