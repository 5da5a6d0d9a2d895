// A snapshot of what the test node could leave on the host, so teardown can be proved complete.
// Links, addresses, routes and mounts are narrowed to what the node could have made (its bridge and
// veths, its address ranges, its own folder): another process on the machine making a namespace or
// a link meanwhile is not the node's leak. iptables rules and nftables tables stay whole: only the
// node writes them here (one node per machine, by its lock).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { kubepodsDirs, nftTables, plan } from './host.ts';

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Everything the node could leave behind, in a form two snapshots can be compared by. */
export interface HostState {
  links: string[];
  addresses: string[];
  routes: string[];
  iptables: string[];
  nftTables: string[];
  mounts: string[];
  processes: string[];
  cgroups: string[];
}

/** iptables-save and ip6tables-save without counters and comments, sorted: rules and chains only. */
function iptablesRules(): string[] {
  const lines = (save: string): string[] => {
    try {
      return run(save, []).split('\n').filter((l) => l && !l.startsWith('#')).map((l) => `${save.slice(0, -5)} ${l.replace(/\[\d+:\d+\]/g, '').trim()}`);
    } catch {
      return [];
    }
  };
  return [...lines('iptables-save'), ...lines('ip6tables-save')].sort();
}

/** Processes whose command line names one of `markers` (our temp dirs), or that live in a pod's cgroup. */
function processesMatching(markers: string[]): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
    let cmd = '';
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    } catch {
      continue;
    }
    let cgroup = '';
    try {
      cgroup = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    } catch {
      continue;
    }
    if (markers.some((m) => cmd.includes(m)) || cgroup.includes('/kubepods')) out.push(cmd);
  }
  return out.sort();
}

/** The node's own: its bridge, the CNI plugin's veths, its address ranges (10.222–10.224). */
const nodeNet = new RegExp(`\\b(${plan.bridge}|veth[0-9a-f]+)\\b|\\b(${plan.guarded.map((c) => c.split('.').slice(0, 2).join('\\.')).join('|')})\\.`);

/** Snapshot of what the node could leave: see the file's comment for how each kind is narrowed. */
export function hostState(processMarkers: string[]): HostState {
  const lines = (s: string): string[] => s.split('\n').map((l) => l.trim()).filter(Boolean).sort();
  const nodes = (l: string[]): string[] => l.filter((x) => nodeNet.test(x));
  return {
    links: nodes(lines(run('ip', ['-o', 'link', 'show'])).map((l) => l.replace(/^\d+:\s*/, '').split(/[:@]/)[0] ?? l)).sort(),
    addresses: nodes(lines(run('ip', ['-o', 'addr', 'show'])).map((l) => l.replace(/^\d+:\s*/, '').replace(/\s+valid_lft.*$/, ''))),
    routes: nodes(lines(run('ip', ['route', 'show', 'table', 'all']))),
    iptables: iptablesRules(),
    nftTables: nftTables(),
    mounts: readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => processMarkers.some((d) => m.startsWith(d)) || /kubelet|containerd|\/netns\/cni-/.test(m)).sort(),
    processes: processesMatching(processMarkers),
    cgroups: kubepodsDirs(),
  };
}

/** What `after` has that `before` lacks, per kind; empty when teardown left nothing. */
export function leftovers(before: HostState, after: HostState): Partial<HostState> {
  const out: Partial<HostState> = {};
  for (const k of Object.keys(after) as (keyof HostState)[]) {
    const had = new Set(before[k]);
    const extra = after[k].filter((x) => !had.has(x));
    if (extra.length > 0) out[k] = extra;
  }
  return out;
}
