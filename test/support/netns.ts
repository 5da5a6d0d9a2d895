import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { requireEnv } from '../controlplane/require.ts';

/**
 * TestNet is a network namespace of our own joined to the root namespace by a veth pair,
 * with one address per test host. Pods cannot have loopback IPs (the API server rejects
 * them in EndpointSlices), so backends that discovery must really reach listen on these
 * addresses; no traffic ever leaves the machine or touches its real interfaces.
 */
export interface TestNet {
  /** name of the network namespace. */
  name: string;
  /** hosts are the addresses inside the namespace, one per backend. */
  hosts: string[];
  /** wrap prefixes a command so it runs inside the namespace. */
  wrap: string[];
  /** close deletes the veth pair and the namespace; idempotent. */
  close(): void;
}

const open = new Set<TestNet>();
process.on('exit', () => {
  for (const net of open) net.close();
});

/** True when /run/netns is a mount point: `ip netns add` makes it one on a machine's first use. */
function runNetnsMounted(): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === '/run/netns');
}

/** Whether /run/netns was a mount before this process's first namespace; undefined until then. */
let netnsMountedBefore: boolean | undefined;

/**
 * Undoes what `ip netns add` left on a fresh machine once our last namespace is gone: the
 * /run/netns mount and folder. A machine where it was there before keeps it.
 */
function releaseRunNetns(): void {
  if (netnsMountedBefore !== false || open.size > 0) return;
  try {
    if (readdirSync('/run/netns').length > 0) return; // someone else's namespace
    execFileSync('umount', ['/run/netns'], { stdio: 'ignore' });
    rmdirSync('/run/netns');
  } catch {
    // Busy or gone: leave it.
  }
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * createTestNet makes a namespace with `hosts` addresses in 10.213.<subnet>.0/24, the root
 * side being .1. `subnet` (0–255) must differ between test files running at once; names
 * include the pid so parallel runs never collide.
 */
export function createTestNet(options: { subnet: number; hosts: number }): TestNet {
  const tag = `${process.pid % 100_000}${options.subnet.toString(36)}`;
  const name = `stringsvc-${tag}`;
  const hostIf = `sh${tag}`;
  const nsIf = `sn${tag}`;
  const prefix = `10.213.${options.subnet}`;
  const hosts = Array.from({ length: options.hosts }, (_, i) => `${prefix}.${i + 2}`);
  let closed = false;
  const net: TestNet = {
    name,
    hosts,
    wrap: ['ip', 'netns', 'exec', name],
    close() {
      if (closed) return;
      closed = true;
      open.delete(net);
      // Deleting either end of a veth pair removes both; the namespace goes last.
      for (const args of [['link', 'del', hostIf], ['netns', 'del', name]]) {
        try {
          ip(...args);
        } catch {
          // Already gone (a failed setup stopped half-way).
        }
      }
      releaseRunNetns();
    },
  };
  netnsMountedBefore ??= runNetnsMounted();
  open.add(net);
  try {
    ip('netns', 'add', name);
    ip('link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf);
    ip('link', 'set', nsIf, 'netns', name);
    ip('addr', 'add', `${prefix}.1/24`, 'dev', hostIf);
    ip('link', 'set', hostIf, 'up');
    for (const h of hosts) ip('netns', 'exec', name, 'ip', 'addr', 'add', `${h}/24`, 'dev', nsIf);
    ip('netns', 'exec', name, 'ip', 'link', 'set', nsIf, 'up');
    ip('netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up');
  } catch (err) {
    net.close();
    throw new Error(`creating test network namespace ${name}: ${(err as { stderr?: Buffer }).stderr?.toString() ?? err}`);
  }
  return net;
}

/**
 * netnsSkip is node:test's `skip` value: false when we may create namespaces (root with `ip`),
 * else why not, announced loudly. Where control-plane tests are required (CI), it throws instead.
 */
export function netnsSkip(): string | false {
  let reason: string | undefined;
  if (process.getuid?.() !== 0) reason = 'needs root to create network namespaces';
  else {
    try {
      execFileSync('ip', ['-V'], { stdio: 'ignore' });
    } catch {
      reason = 'needs iproute2 (`ip`) to create network namespaces';
    }
  }
  if (!reason) return false;
  if (process.env[requireEnv] === '1') throw new Error(`${requireEnv}=1 but the discovery tests ${reason}`);
  process.stderr.write(`\n!!!!! SKIPPING DISCOVERY END-TO-END TESTS: ${reason}\n\n`);
  return `SKIPPED: ${reason}`;
}
