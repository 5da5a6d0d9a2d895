// `node --test --test-global-setup`: on a machine whose tool cache is cold, build the tools
// (test/tools.ts) in a background process at the lowest CPU priority, so that compiling overlaps
// with the test files that run before a tool is needed instead of adding to them. With a warm
// cache, or STRINGSVC_PREBUILD=0, it does nothing.
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { uncached } from './tools.ts';

let builder: ChildProcess | undefined;

export function globalSetup(): void {
  if (process.env['STRINGSVC_PREBUILD'] === '0') return;
  const todo = uncached();
  if (todo.length === 0) return;
  process.stderr.write(`[tools] building in the background, at low priority: ${todo.map((s) => s.name).join('; ')}\n`);
  // nice 19 is inherited by go and its compilers, so they yield the CPU to the tests; their own
  // process group lets teardown stop them all.
  const script = fileURLToPath(new URL('./tools.ts', import.meta.url));
  builder = spawn('nice', ['-n', '19', process.execPath, script], { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
  builder.unref();
}

export function globalTeardown(): void {
  if (builder?.pid && builder.exitCode === null && builder.signalCode === null) {
    try {
      process.kill(-builder.pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
}
