// What the node changes on the host, and how it is put back: the addresses it uses, the guard that
// keeps pod traffic on the machine, the sysctls it sets, and a snapshot to prove teardown complete.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The node's address plan. None of it may cover the machine's DNS resolver (checked at start):
 * an over-broad guard rule would cut name resolution for everything on the machine.
 */
export const plan = {
  /** Pod network, on the CNI bridge below. */
  podCidr: '10.222.0.0/24',
  podGateway: '10.222.0.1',
  bridge: 'strsvc0',
  /** Service ClusterIPs; the first is the `kubernetes` Service. */
  serviceCidr: '10.223.0.0/24',
  apiServiceIp: '10.223.0.1',
  /** The node's own address, a /32 on `lo`: apiserver, kubelet and cluster DNS listen here. */
  nodeIp: '10.224.0.1',
  /** Everything above, as the guard drops it: nothing from or to these leaves through another interface. */
  guarded: ['10.222.0.0/16', '10.223.0.0/16', '10.224.0.0/16'],
} as const;

const guardChain = 'STRINGSVC-NODE-GUARD';

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function tryRun(cmd: string, args: string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

/** True when IPv4 `ip` lies in `cidr`. */
export function inCidr(ip: string, cidr: string): boolean {
  const [base = '', bits = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  const start = Math.floor(ipv4ToInt(base) / size) * size;
  const n = ipv4ToInt(ip);
  return n >= start && n < start + size;
}

/** Refuses to start when a resolver of the machine lies in a range the node would take or guard. */
export function checkResolvers(resolvConf = '/etc/resolv.conf'): void {
  const servers = readFileSync(resolvConf, 'utf8').split('\n').map((l) => /^\s*nameserver\s+(\d+\.\d+\.\d+\.\d+)/.exec(l)?.[1]).filter((x): x is string => !!x);
  for (const s of servers) {
    const hit = plan.guarded.find((c) => inCidr(s, c));
    if (hit) throw new Error(`the machine's resolver ${s} lies in ${hit}, which the test node would take over; refusing to start`);
  }
}

/**
 * Adds the guard: in mangle POSTROUTING, anything from or to the node's ranges that would leave
 * through an interface other than the bridge or `lo` is dropped. mangle, not filter OUTPUT: after
 * kube-proxy's DNAT a packet is rerouted, and OUTPUT still sees the interface of the first route.
 */
export function addGuard(): void {
  removeGuard();
  run('iptables', ['-t', 'mangle', '-N', guardChain]);
  for (const cidr of plan.guarded) {
    for (const dir of ['-s', '-d']) {
      run('iptables', ['-t', 'mangle', '-A', guardChain, dir, cidr, '!', '-o', plan.bridge, '-j', 'DROP']);
    }
  }
  run('iptables', ['-t', 'mangle', '-A', guardChain, '-j', 'RETURN']);
  // `lo` is the only other way such a packet may go: to the node's own addresses.
  run('iptables', ['-t', 'mangle', '-I', 'POSTROUTING', '1', '!', '-o', 'lo', '-j', guardChain]);
  run('iptables', ['-t', 'filter', '-N', guardChain]);
  run('iptables', ['-t', 'filter', '-A', guardChain, '-i', plan.bridge, '!', '-o', plan.bridge, '-j', 'DROP']);
  run('iptables', ['-t', 'filter', '-I', 'FORWARD', '1', '-j', guardChain]);
}

/** Removes the guard's jumps and chains; safe to call when absent. */
export function removeGuard(): void {
  while (tryRun('iptables', ['-t', 'mangle', '-D', 'POSTROUTING', '!', '-o', 'lo', '-j', guardChain]));
  while (tryRun('iptables', ['-t', 'filter', '-D', 'FORWARD', '-j', guardChain]));
  for (const table of ['mangle', 'filter']) {
    tryRun('iptables', ['-t', table, '-F', guardChain]);
    tryRun('iptables', ['-t', table, '-X', guardChain]);
  }
}

/**
 * nftables tables on the host, as `family name` (`ip nat`, `ip6 filter`, …). iptables on Debian is
 * iptables-nft: the node's first `iptables -t nat` creates the table, and no iptables command
 * removes one, so a table that was not there before the node is deleted by name (nft) once empty.
 * Empty without nft (or on iptables-legacy, whose tables are not nftables): nothing to compare.
 */
export function nftTables(): string[] {
  try {
    return run('nft', ['list', 'tables']).split('\n').map((l) => l.replace(/^table\s+/, '').trim()).filter(Boolean).sort();
  } catch {
    return [];
  }
}

/** True when the table holds no rule, set or map: only the (base) chains iptables made in it. */
function tableEmpty(table: string): boolean {
  try {
    const { nftables } = JSON.parse(run('nft', ['-j', 'list', 'table', ...table.split(' ')])) as { nftables: Record<string, unknown>[] };
    return nftables.every((o) => !('rule' in o || 'set' in o || 'map' in o || 'element' in o));
  } catch {
    return false;
  }
}

/**
 * Deletes the tables the node created (absent from `before`) once they are empty. A table still
 * holding a rule is left, so the leak check shows that rule instead of a clean host.
 */
export function removeNewEmptyTables(before: readonly string[]): void {
  const had = new Set(before);
  for (const t of nftTables()) if (!had.has(t) && tableEmpty(t)) tryRun('nft', ['delete', 'table', ...t.split(' ')]);
}

/** Puts the node address on `lo` (this kernel has no `dummy` links). */
export function addNodeAddress(): void {
  removeNodeAddress();
  run('ip', ['addr', 'add', `${plan.nodeIp}/32`, 'dev', 'lo']);
}

export function removeNodeAddress(): void {
  tryRun('ip', ['addr', 'del', `${plan.nodeIp}/32`, 'dev', 'lo']);
}

/**
 * Sysctls the node sets: forwarding and bridged traffic through iptables for itself (Service
 * traffic between pods on one bridge), and the ones the kubelet sets for its kernel defaults.
 */
const sysctls = [
  'net/ipv4/ip_forward',
  'net/bridge/bridge-nf-call-iptables',
  'vm/overcommit_memory',
  'vm/panic_on_oom',
  'kernel/panic',
  'kernel/panic_on_oops',
  'kernel/keys/root_maxkeys',
  'kernel/keys/root_maxbytes',
];

/** What the host had before the node, for cleanHost to put back. */
export interface Saved {
  sysctls: Record<string, string>;
  tables: string[];
}

/** Reads what the node may change: its sysctls and the set of nftables tables. */
export function saveHost(): Saved {
  return { sysctls: saveSysctls(), tables: nftTables() };
}

/** Reads the sysctls the node may change, to restore them afterwards. */
export function saveSysctls(): Record<string, string> {
  const saved: Record<string, string> = {};
  for (const k of sysctls) {
    const f = join('/proc/sys', k);
    if (existsSync(f)) saved[k] = readFileSync(f, 'utf8').trim();
  }
  return saved;
}

export function restoreSysctls(saved: Record<string, string>): void {
  for (const [k, v] of Object.entries(saved)) {
    try {
      writeFileSync(join('/proc/sys', k), v);
    } catch {
      // Read-only in this kernel: nothing was changed there either.
    }
  }
}

export function setSysctl(key: string, value: string): void {
  writeFileSync(join('/proc/sys', key), value);
}

/** Mount points at or below `dir` (deepest first, so they can be unmounted in order). */
export function mountsUnder(dir: string): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((p) => p === dir || p.startsWith(dir + '/'));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Unmounts everything at or below `dir` (lazily: a busy mount goes as soon as it is free). */
export function unmountUnder(dir: string): void {
  for (const p of mountsUnder(dir)) tryRun('umount', ['-l', p]);
}

/** Cgroup folders the kubelet made (`kubepods` in each v1 hierarchy, and under the unified one). */
export function kubepodsDirs(): string[] {
  const root = '/sys/fs/cgroup';
  const out: string[] = [];
  if (!existsSync(root)) return out;
  for (const h of readdirSync(root)) {
    const d = join(root, h, 'kubepods');
    if (existsSync(d)) out.push(d);
  }
  return out;
}

/** Removes the kubelet's cgroups, deepest first; a cgroup with a live process stays (and shows in the snapshot). */
export function removeKubepods(): void {
  const remove = (d: string): void => {
    let entries: string[] = [];
    try {
      entries = readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(d, e.name));
    } catch {
      return;
    }
    for (const e of entries) remove(e);
    try {
      rmdirSync(d);
    } catch {
      // Still in use.
    }
  };
  for (const d of kubepodsDirs()) remove(d);
}

/** libcni caches each attachment's result under /var/lib/cni; drop those of our network (`stringsvc`). */
export function removeCniResults(): void {
  const d = '/var/lib/cni/results';
  if (!existsSync(d)) return;
  for (const f of readdirSync(d)) if (f.startsWith('stringsvc-')) rmSync(join(d, f), { force: true });
}

/**
 * Removes the KUBE-* chains (and the rules jumping to them) from every table, for IPv4 and IPv6:
 * kube-proxy's --cleanup leaves the kubelet's own (KUBE-FIREWALL, KUBE-KUBELET-CANARY, …). Only
 * this node's kubelet and kube-proxy make such chains here: the node lock allows one per machine.
 */
export function removeKubeChains(): void {
  for (const [save, cmd] of [['iptables-save', 'iptables'], ['ip6tables-save', 'ip6tables']] as const) {
    let dump = '';
    try {
      dump = run(save, []);
    } catch {
      continue;
    }
    let table = '';
    const jumps: [string, string[]][] = [];
    const chains: [string, string][] = [];
    for (const line of dump.split('\n')) {
      if (line.startsWith('*')) table = line.slice(1);
      else if (line.startsWith(':KUBE-')) chains.push([table, line.slice(1).split(' ')[0] ?? '']);
      else if (line.startsWith('-A ') && / -j KUBE-/.test(line) && !line.startsWith('-A KUBE-')) jumps.push([table, line.slice(3).match(/(?:[^\s"]+|"[^"]*")+/g)?.map((w) => w.replace(/^"|"$/g, '')) ?? []]);
    }
    for (const [t, rule] of jumps) tryRun(cmd, ['-t', t, '-D', ...rule]);
    for (const [t, c] of chains) tryRun(cmd, ['-t', t, '-F', c]);
    for (const [t, c] of chains) tryRun(cmd, ['-t', t, '-X', c]);
  }
}

/** Kills what is left of the node: processes naming `dir` (containerd's shims too) and pod processes. */
export function killLeftovers(dir: string): void {
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
      if (cmd.includes(dir) || cgroup.includes('/kubepods')) process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Gone already.
    }
  }
}

/**
 * Puts the host back as it was before the node: everything but stopping the processes politely,
 * which the caller does first when it can. Each step is safe when there is nothing to undo; the
 * reaper runs this (through cleanup.ts) when a test process dies without stopping its node.
 */
export function cleanHost(opts: { dir: string; proxyBin?: string; saved: Saved }): void {
  killLeftovers(opts.dir);
  if (opts.proxyBin) spawnSync(opts.proxyBin, ['--cleanup'], { stdio: 'ignore', timeout: 30_000 });
  removeKubeChains();
  unmountUnder(opts.dir);
  tryRun('ip', ['link', 'del', plan.bridge]);
  removeGuard();
  removeNodeAddress();
  restoreSysctls(opts.saved.sysctls);
  removeNewEmptyTables(opts.saved.tables);
  // Cgroups can be removed only once their last process has gone.
  for (let i = 0; i < 20 && kubepodsDirs().length > 0; i++) {
    removeKubepods();
    if (kubepodsDirs().length > 0) spawnSync('sleep', ['0.2']);
  }
  removeCniResults();
}
