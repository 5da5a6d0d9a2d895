import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpuTime } from '../bench/lib/cpu.ts';
import { parseWrk } from '../bench/lib/wrk.ts';
import { onceWithin } from './support/wait.ts';

test('cpuTime counts the CPU of a process and of its children, as nginx serves from workers', async () => {
  // A parent that only waits, and its child that burns 300 ms of its own user CPU (however long
  // that takes on a busy machine), reports it with its pid, then idles.
  const parent = spawn(
    process.execPath,
    [
      '-e',
      `const { spawn } = require('node:child_process');
       spawn(process.execPath, ['-e', 'while (process.cpuUsage().user < 300_000); console.log(process.pid, process.cpuUsage().user / 1000); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'inherit', 'inherit'] });
       setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let child = 0;
  try {
    const [pid, childUserMs] = String((await onceWithin(parent.stdout!, 'data', 120_000, 'the child to burn 300 ms of CPU and print its pid'))[0]).trim().split(' ').map(Number);
    child = pid!;
    const tree = cpuTime(parent.pid!);
    const parentUserMs = Number(readFileSync(`/proc/${parent.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[11]) * 10;
    // The tree is the parent plus the child: the reading walked to the child. Two clock ticks
    // (10 ms each) of slack for /proc's rounding against the child's own getrusage.
    assert.ok(childUserMs! >= 300);
    assert.ok(tree.userMs >= parentUserMs + childUserMs! - 20, `tree ${tree.userMs} ms user; parent ${parentUserMs} ms, child ${childUserMs} ms`);
    assert.ok(Number.isFinite(tree.sysMs) && tree.sysMs >= 0);
  } finally {
    if (child > 0) process.kill(child, 'SIGKILL');
    parent.kill('SIGKILL');
  }
  // A process that is gone reads as nothing, not as an error: a server may exit between rounds.
  await onceWithin(parent, 'close', 30_000, 'the SIGKILLed parent to close');
  assert.deepEqual(cpuTime(parent.pid!), { userMs: 0, sysMs: 0 });
});

test('parseWrk reads the request count that CPU per request is divided by', () => {
  const out = `Running 5s test @ http://127.0.0.1:1/uppercase
  1 threads and 50 connections
  Latency Distribution
     50%  1.10ms
     99%    3.20ms
  123456 requests in 5.00s, 20.00MB read
Requests/sec:  24691.20
`;
  const r = parseWrk(out);
  assert.equal(r.requests, 123456);
  assert.equal(r.rps, 24691.2);
  assert.equal(r.p50Ms, 1.1);
  assert.equal(r.p99Ms, 3.2);
});
