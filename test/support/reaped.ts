import { spawnSync } from 'node:child_process';

/**
 * reaped prefixes a command with `setpriv --pdeathsig KILL` (util-linux) where available: the
 * child is killed by the kernel when the test process dies, even by SIGKILL, so no server of
 * ours outlives an aborted test run. setpriv execs the command, so pids and signals are unchanged.
 */
export const reaped: readonly string[] =
  spawnSync('setpriv', ['--pdeathsig', 'KILL', 'true']).status === 0 ? ['setpriv', '--pdeathsig', 'KILL', '--'] : [];
