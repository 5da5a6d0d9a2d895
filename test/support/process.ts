import { spawn, type ChildProcess } from 'node:child_process';
import { reaped } from './reaped.ts';
import { onceWithin, within } from './wait.ts';
import { once } from 'node:events';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** repoRoot is the project root, whatever the test's working directory. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** Running is a started program with its collected stdout lines (parsed JSON where possible). */
export interface Running {
  proc: ChildProcess;
  /** Base URL of the HTTP server, from its `HTTP` startup log line. */
  url: string;
  addr: string;
  lines: () => Array<Record<string, unknown>>;
  /**
   * lastLine waits (up to `timeoutMs`) for a line matching `match` whose last match also
   * passes `until`, and returns it: the logger writes in blocks, so a line shows up to a flush
   * tick (100 ms) after the event it reports.
   */
  lastLine: (
    match: (l: Record<string, unknown>) => boolean,
    until?: (l: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ) => Promise<Record<string, unknown> | undefined>;
  stderr: () => string;
  /** Sends a signal and waits for the exit code (SIGKILL after `timeoutMs`, failing if even that does not end it). */
  stop: (signal?: NodeJS.Signals, timeoutMs?: number) => Promise<number | null>;
}

/**
 * startBuilt runs a built CLI from `dist/cmd` with the test's own Node (24) and waits for it
 * to log its listen address. Use `--listen=127.0.0.1:0` so the OS picks a free port.
 * `root` is the folder holding `dist/` (another install of the project, e.g. a production one);
 * `wrap` prefixes the command, e.g. `ip netns exec <ns>` to run it in a test network namespace.
 * `quiet` is for a process that does not log that line (`--log-level` above info): its listening
 * socket is then found in /proc (Linux), still on the port the OS picked.
 */
export async function startBuilt(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  options: { root?: string; wrap?: string[]; quiet?: boolean } = {},
): Promise<Running> {
  const [bin, ...argv] = [...reaped, ...(options.wrap ?? []), process.execPath, join(options.root ?? repoRoot, 'dist', 'cmd', `${cmd}.js`), ...args];
  const proc = spawn(bin!, argv, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  let buf = '';
  proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const addr = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`${cmd} did not start: ${stderr}`));
    }, 15_000);
    proc.once('close', (code) => reject(new Error(`${cmd} exited ${code} before listening: ${stderr}`)));
    if (options.quiet) {
      const poll = setInterval(() => {
        const found = listeningAddress(proc.pid!);
        if (found === undefined) return;
        clearInterval(poll);
        clearTimeout(timer);
        resolve(found);
      }, 25);
      proc.once('close', () => clearInterval(poll));
    }
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const rec = JSON.parse(line) as Record<string, unknown>;
          lines.push(rec);
          if (rec.msg === 'HTTP' && typeof rec.addr === 'string') {
            clearTimeout(timer);
            resolve(rec.addr);
          }
        } catch {
          lines.push({ raw: line });
        }
      }
    });
  });
  // 'close', not 'exit': only then has every line the process wrote been read.
  const exited = once(proc, 'close').then(([code]) => code as number | null);
  return {
    proc,
    addr,
    url: `http://${addr}`,
    lines: () => lines,
    async lastLine(match, until = () => true, timeoutMs = 3000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const last = lines.filter(match).at(-1);
        if ((last && until(last)) || Date.now() > deadline) return last;
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    stderr: () => stderr,
    async stop(signal = 'SIGTERM', timeoutMs = 10_000) {
      if (proc.exitCode !== null || proc.signalCode !== null) return exited;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      try {
        // 'close' also waits for whoever else holds its stdout (a child it forked), so even SIGKILL gets a deadline.
        return await within(exited, timeoutMs + 30_000, `${cmd} to exit after ${signal} (SIGKILL after ${timeoutMs / 1000} s)`);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * listeningAddress finds the IPv4 TCP socket `pid` listens on, from its open sockets and the
 * kernel's table of its network namespace (addresses there are little-endian hex), or undefined.
 */
export function listeningAddress(pid: number): string | undefined {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const target = (() => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`);
        } catch {
          return ''; // closed meanwhile
        }
      })();
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m) inodes.add(m[1]!);
    }
    for (const line of readFileSync(`/proc/${pid}/net/tcp`, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] !== '0A' || !inodes.has(f[9]!)) continue; // 0A: LISTEN
      const [hexIp, hexPort] = f[1]!.split(':');
      const ip = hexIp!.match(/../g)!.reverse().map((b) => parseInt(b, 16)).join('.');
      return `${ip}:${parseInt(hexPort!, 16)}`;
    }
  } catch {
    // Not started yet, or already gone.
  }
  return undefined;
}

/**
 * runBuilt runs a built CLI to completion and returns its exit code and output. These runs are
 * meant to end by themselves (a refused flag, --help): one still running after `timeoutMs` is
 * killed and fails the test.
 */
export async function runBuilt(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [bin, ...argv] = [...reaped, process.execPath, `${repoRoot}dist/cmd/${cmd}.js`, ...args];
  const proc = spawn(bin!, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // 'close', after the last output, unlike 'exit'.
  const [code] = await onceWithin(proc, 'close', timeoutMs, `${cmd} ${args.join(' ')} to exit by itself`).catch((err: unknown) => {
    proc.kill('SIGKILL');
    throw new Error(`${(err as Error).message}; it printed: ${stdout.slice(-2000)}${stderr.slice(-2000)}`);
  });
  return { code: code as number | null, stdout, stderr };
}
