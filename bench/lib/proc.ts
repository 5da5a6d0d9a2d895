import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';

/** Server is a process under benchmark with the address it reported. */
export interface Server {
  proc: ChildProcess;
  addr: string;
  url: string;
  stop(): Promise<void>;
}

/** ServerOptions pin and configure a process under benchmark. */
export interface ServerOptions {
  cpus?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Readiness for peers that don't log `{"msg":"HTTP","addr":…}` (go-kit logs logfmt, or nothing):
   * resolves with the address once the process serves.
   */
  ready?: (proc: ChildProcess) => Promise<string>;
}

/**
 * startServer runs `argv` (pinned to `cpus` with taskset when given) and waits for a JSON log
 * line `{"msg":"HTTP","addr":…}` on stdout — the contract all our servers and peers follow —
 * or for `options.ready`. Later output is drained and dropped so logging cannot block on a full pipe.
 */
export async function startServer(argv: string[], options: ServerOptions = {}): Promise<Server> {
  const [cmd, ...args] = options.cpus ? ['taskset', '-c', options.cpus, ...argv] : argv;
  const proc = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const addr = await new Promise<string>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}: ${stderr}`)));
    if (options.ready) {
      options.ready(proc).then(resolve, reject);
      return;
    }
    const timer = setTimeout(() => reject(new Error(`${argv.join(' ')} did not start: ${stderr}`)), 20_000);
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      const m = /"msg":"HTTP"[^\n]*"addr":"([^"]+)"|"addr":"([^"]+)"[^\n]*"msg":"HTTP"/.exec(buf);
      if (m) {
        clearTimeout(timer);
        buf = '';
        resolve(m[1] ?? m[2]!);
      }
    };
    proc.stdout!.on('data', onData);
  });
  proc.stdout!.removeAllListeners('data');
  proc.stdout!.resume();
  // Drop stderr from here on too: go-kit's stringsvc2 logs every request there.
  proc.stderr!.removeAllListeners('data');
  proc.stderr!.resume();
  return {
    proc,
    addr,
    url: `http://${addr}`,
    async stop() {
      if (proc.exitCode !== null) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await once(proc, 'exit');
      clearTimeout(t);
    },
  };
}

/** rssMb reads a process's resident set size from /proc, in MiB. */
export function rssMb(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}
