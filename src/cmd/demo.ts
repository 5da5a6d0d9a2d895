#!/usr/bin/env node
import './require-node.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { prettyLines } from './pretty.ts';

// The seed's stringsvc3 session: three backends and a frontend proxying to them. The seed's ports
// unless STRINGSVC_DEMO_PORTS names others (the frontend's, then the backends'), so a test can run
// the demo beside whatever holds :8080 on its machine.
const ports = (process.env.STRINGSVC_DEMO_PORTS ?? '8080,8001,8002,8003').split(',');
if (ports.length !== 4 || !ports.every((p) => /^\d+$/.test(p))) {
  process.stderr.write(`demo: STRINGSVC_DEMO_PORTS="${process.env.STRINGSVC_DEMO_PORTS}" is not four ports: the frontend's, then three backends'\n`);
  process.exit(2);
}
const [frontPort, ...backPorts] = ports;
const backends = backPorts.map((p) => `:${p}`);
const frontend = { listen: `:${frontPort}`, proxy: backPorts.map((p) => `localhost:${p}`).join(',') };
const cli = fileURLToPath(new URL('./stringsvc.js', import.meta.url));

// On a terminal the lines are pretty-printed (pino-pretty); piped, they stay JSON.
const format = (await prettyLines(process.stdout)) ?? ((line: string) => line);

const children: ChildProcess[] = [];
let stopping = false;

/** start runs one stringsvc, prefixing its lines with its port, and resolves once it listens. */
function start(args: string[], label: string): Promise<void> {
  // Own process group: a terminal Ctrl-C reaches only the demo, which then stops each
  // child once (a second signal would make a child skip its graceful drain).
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.push(child);
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      process.stdout.write(`${label} | ${format(line)}\n`);
      if (line.includes('"msg":"HTTP"')) resolve();
    });
    createInterface({ input: child.stderr! }).on('line', (line) => process.stderr.write(`${label} | ${line}\n`));
    child.once('exit', (code, signal) => {
      reject(new Error(`${label} exited (${code ?? signal}) before listening`));
      if (!stopping) stop(`${label} exited`, 1);
    });
  });
}

/**
 * stop drains the frontend first, so nothing in flight is cut off from its backends, then
 * the backends, and exits once every child is gone.
 */
function stop(why: string, exitCode: number): void {
  if (stopping) return;
  stopping = true;
  process.stdout.write(`demo | ${why}; stopping\n`);
  const [front, ...backs] = [...children].reverse();
  terminate(front)
    .then(() => Promise.all(backs.map(terminate)))
    .then(() => process.exit(exitCode));
}

function terminate(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => stop(signal, 0));
// Detached children would outlive a demo that dies some other way.
process.on('exit', () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

try {
  await Promise.all(backends.map((listen) => start([`-listen=${listen}`], listen.slice(1))));
  await start([`-listen=${frontend.listen}`, `-proxy=${frontend.proxy}`], frontend.listen.slice(1));
  process.stdout.write(
    `demo | ready: for s in foo bar baz ; do curl -d"{\\"s\\":\\"$s\\"}" localhost:${frontPort}/uppercase ; done  (Ctrl-C stops all)\n`,
  );
} catch (err) {
  process.stderr.write(`demo | ${(err as Error).message}\n`);
  stop('startup failed', 1);
}
