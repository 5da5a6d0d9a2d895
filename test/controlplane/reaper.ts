// Reaper: a tiny detached sidecar that outlives its parent by design. The parent writes
// `pgid <n>`, `unpgid <n>`, `dir <path>` and `run <json argv>` / `unrun <json argv>` lines to our
// stdin; when stdin closes (the parent stopped, crashed, or was SIGKILLed by a test-runner
// timeout) we kill every process group still registered, run the cleanup commands, and remove
// the dirs, so no etcd/apiserver (or test node) survives.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';

const groups = new Set<number>();
const dirs = new Set<string>();
const commands = new Set<string>();

createInterface({ input: process.stdin }).on('line', (line) => {
  const [cmd, ...rest] = line.split(' ');
  const arg = rest.join(' ');
  if (cmd === 'pgid') groups.add(Number(arg));
  else if (cmd === 'unpgid') groups.delete(Number(arg));
  else if (cmd === 'dir') dirs.add(arg);
  else if (cmd === 'run') commands.add(arg);
  else if (cmd === 'unrun') commands.delete(arg);
});

process.stdin.on('close', () => {
  for (const g of groups) {
    try {
      process.kill(-g, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const c of commands) {
    const [bin = '', ...args] = JSON.parse(c) as string[];
    spawnSync(bin, args, { stdio: 'ignore', timeout: 60_000 });
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  process.exit(0);
});
