import { readFileSync, readdirSync } from 'node:fs';

/** CpuTime is CPU consumed so far, in milliseconds, split into user space and the kernel. */
export interface CpuTime {
  userMs: number;
  sysMs: number;
}

/** /proc reports times in USER_HZ ticks, which Linux's ABI fixes at 100 per second. */
const msPerTick = 10;

/**
 * cpuTime reads the CPU time of process `pid` and of every live descendant (nginx serves from
 * worker processes under its master), all threads included. The user/kernel split is what
 * tells our code's cost from the network stack's, which every proxy pays alike.
 */
export function cpuTime(pid: number): CpuTime {
  const total: CpuTime = { userMs: 0, sysMs: 0 };
  const pending = [pid];
  while (pending.length > 0) {
    const p = pending.pop()!;
    const stat = readOrEmpty(`/proc/${p}/stat`);
    if (stat === '') continue; // gone between listing and reading
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th overall.
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    total.userMs += Number(fields[11]) * msPerTick;
    total.sysMs += Number(fields[12]) * msPerTick;
    pending.push(...childrenOf(p));
  }
  return total;
}

function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tasks.flatMap((t) => readOrEmpty(`/proc/${pid}/task/${t}/children`).split(' ').filter(Boolean).map(Number));
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
