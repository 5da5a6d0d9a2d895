import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** MemoryCgroup is a memory-limited cgroup of our own, as a container runtime makes for a pod. */
export interface MemoryCgroup {
  /** wrap prefixes a command so it runs inside the cgroup (it moves itself in, then execs). */
  wrap: string[];
  /** close removes the cgroup once its processes have exited; idempotent. */
  close(): void;
}

const v1 = '/sys/fs/cgroup/memory';
const v2 = '/sys/fs/cgroup';

/** memoryCgroupSkipReason says why no memory cgroup can be made here (not root, no memory controller), or undefined. */
export function memoryCgroupSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'memory cgroups need root';
  if (existsSync(join(v1, 'memory.limit_in_bytes'))) return undefined;
  if (existsSync(join(v2, 'cgroup.controllers')) && readFileSync(join(v2, 'cgroup.controllers'), 'utf8').split(/\s+/).includes('memory')) return undefined;
  return 'no cgroup memory controller (neither v1 at /sys/fs/cgroup/memory nor v2 at /sys/fs/cgroup)';
}

/**
 * createMemoryCgroup makes a cgroup limited to `limitBytes`, on cgroup v1 or v2, named after
 * the pid and `tag` so parallel runs never collide. The kernel then reports the limit to the
 * processes inside, as it does in a Kubernetes pod (Node reads it: `process.constrainedMemory()`).
 */
export function createMemoryCgroup(tag: string, limitBytes: number): MemoryCgroup {
  const name = `stringsvc-${process.pid}-${tag}`;
  let dir: string;
  if (existsSync(join(v1, 'memory.limit_in_bytes'))) {
    dir = join(v1, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'memory.limit_in_bytes'), String(limitBytes));
  } else {
    // v2: children get a memory controller only if their parent hands it down.
    writeFileSync(join(v2, 'cgroup.subtree_control'), '+memory');
    dir = join(v2, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'memory.max'), String(limitBytes));
  }
  let closed = false;
  return {
    wrap: ['sh', '-c', `echo $$ > ${join(dir, 'cgroup.procs')} && exec "$@"`, 'sh'],
    close() {
      if (closed) return;
      closed = true;
      rmdirSync(dir);
    },
  };
}
