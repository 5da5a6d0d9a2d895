import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { unusedPort } from '../support/ports.ts';
import { timedOutMessage, within } from '../support/wait.ts';

/** A free TCP port on 127.0.0.1 for a child to bind, outside the kernel's ephemeral range (see unusedPort). */
export function freePort(): Promise<number> {
  return unusedPort();
}

/** Process groups and dirs to clean up synchronously if this process exits without stop(). */
const live = new Set<number>();
const tempDirs = new Set<string>();
let reaperIn: Writable | undefined;

process.on('exit', () => {
  for (const g of live) killGroup(g, 'SIGKILL');
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

function killGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // Already gone.
  }
}

/** Starts the reaper sidecar once; it cleans up even when this process is SIGKILLed. */
function reaper(): Writable {
  if (reaperIn) return reaperIn;
  const script = join(dirname(fileURLToPath(import.meta.url)), 'reaper.ts');
  const child = spawn(process.execPath, [script], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
  child.unref();
  const stdin = child.stdin;
  if (!stdin) throw new Error('reaper has no stdin');
  // The pipe must not keep this process alive: its closing is the reaper's signal.
  (stdin as unknown as { unref?: () => void }).unref?.();
  reaperIn = stdin;
  return stdin;
}

/** Registers a temp dir for removal on exit, by us or by the reaper. */
export function trackDir(dir: string): void {
  tempDirs.add(dir);
  reaper().write(`dir ${dir}\n`);
}

/** Registers a command the reaper runs if this process dies before untrackCommand (before it removes the dirs). */
export function trackCommand(argv: string[]): void {
  reaper().write(`run ${JSON.stringify(argv)}\n`);
}

/** Forgets a cleanup command once the cleanup it stands for has been done. */
export function untrackCommand(argv: string[]): void {
  reaperIn?.write(`unrun ${JSON.stringify(argv)}\n`);
}

/** Forgets a temp dir after it has been removed. */
export function untrackDir(dir: string): void {
  tempDirs.delete(dir);
}

/** A child in its own process group, logging to a file. */
export interface Proc {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>;
  /** True after exit. */
  done(): boolean;
  /** SIGTERM the group, SIGKILL after `graceMs`, resolve on exit. */
  stop(graceMs?: number): Promise<void>;
  /** The last part of the log, for error messages. */
  logTail(): string;
}

/** Spawns `bin` detached (own process group) so stop() can kill everything it forked. */
export function startProc(name: string, bin: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv): Proc {
  const fd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(bin, args, { detached: true, stdio: ['ignore', fd, fd], ...(env ? { env } : {}) });
  } finally {
    closeSync(fd);
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`failed to start ${name} (${bin})`);
  live.add(pid);
  reaper().write(`pgid ${pid}\n`);
  let exited = false;
  const exitedP = new Promise<void>((resolve) =>
    child.on('exit', () => {
      exited = true;
      live.delete(pid);
      reaperIn?.write(`unpgid ${pid}\n`);
      resolve();
    }),
  );
  const logTail = (): string => {
    try {
      return readFileSync(logFile, 'utf8').slice(-3000);
    } catch {
      return '';
    }
  };
  return {
    name,
    pid,
    logFile,
    exited: exitedP,
    done: () => exited,
    logTail,
    async stop(graceMs = 10_000) {
      if (exited) return;
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      try {
        await within(exitedP, graceMs + 30_000, `${name} to exit after SIGTERM (SIGKILL after ${graceMs / 1000} s)`);
      } finally {
        clearTimeout(timer);
        // Children of the leader (none expected) go with the group.
        killGroup(pid, 'SIGKILL');
      }
    },
  };
}

/** Thrown by a waitFor check to stop waiting at once, e.g. when the awaited process has exited. */
export class GaveUp extends Error {
  override name = 'GaveUp';
}

/** Polls `check` until it returns true, failing with `describe()` after `timeoutMs`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, describe: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      if (err instanceof GaveUp) throw new Error(`${what}: ${err.message}\n${describe()}`);
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${timedOutMessage(timeoutMs, what)}${last ? ` (last error: ${String(last)})` : ''}\n${describe()}`);
}

/** Keeps a foreground command (`npm run control-plane`, `npm run cluster`) alive until SIGINT or SIGTERM, then runs `stop` and exits. */
export function stopOnSignal(stop: () => Promise<void>): void {
  const shutdown = (): void => {
    process.stdout.write('\nstopping…\n');
    stop().then(() => process.exit(0), (err: unknown) => {
      console.error(err);
      process.exit(1);
    });
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  // Keep the event loop alive until a signal arrives.
  setInterval(() => {}, 1 << 30);
}
