// The machine's processes as /proc lists them (Linux): what a test needs to see which processes a
// program left, or which a terminal's Ctrl-C would reach.
import { readdirSync, readFileSync } from 'node:fs';

/** A process's parent and process group, from /proc/<pid>/stat. */
export interface ProcEntry {
  pid: number;
  ppid: number;
  pgrp: number;
}

/** processes lists every process with its parent and group; one that ends meanwhile is left out. */
export function processes(): ProcEntry[] {
  const out: ProcEntry[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // After the command name, which is in parentheses and may hold spaces: state, ppid, pgrp.
      const [, ppid, pgrp] = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ');
      out.push({ pid: Number(d), ppid: Number(ppid), pgrp: Number(pgrp) });
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** childrenOf lists the pids whose parent is `pid`. */
export const childrenOf = (pid: number): number[] => processes().filter((p) => p.ppid === pid).map((p) => p.pid);

/** groupMembers lists the pids of process group `pgid`: what a terminal's Ctrl-C reaches. */
export const groupMembers = (pgid: number): number[] => processes().filter((p) => p.pgrp === pgid).map((p) => p.pid);
