import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { cpuTime } from '../bench/lib/cpu.ts';
import { parseWrk } from '../bench/lib/wrk.ts';

test('cpuTime counts the CPU of a process and of its children, as nginx serves from workers', async () => {
  // A parent that only waits, and its child that burns 400 ms of user CPU and then idles.
  const parent = spawn(
    process.execPath,
    [
      '-e',
      `const { spawn } = require('node:child_process');
       spawn(process.execPath, ['-e', 'const t = Date.now(); while (Date.now() - t < 400); console.log(process.pid); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'inherit', 'inherit'] });
       setInterval(() => {}, 1000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let child = 0;
  try {
    child = Number(String((await once(parent.stdout!, 'data'))[0]).trim());
    const tree = cpuTime(parent.pid!);
    assert.ok(tree.userMs >= 300, `the child's busy loop is counted: ${tree.userMs} ms user`);
    assert.ok(Number.isFinite(tree.sysMs) && tree.sysMs >= 0);
    // The parent alone spent far less: the reading above came from walking to the child.
    const parentUserMs = Number(readFileSync(`/proc/${parent.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[11]) * 10;
    assert.ok(parentUserMs < 300, `parent alone: ${parentUserMs} ms`);
  } finally {
    if (child > 0) process.kill(child, 'SIGKILL');
    parent.kill('SIGKILL');
  }
  // A process that is gone reads as nothing, not as an error: a server may exit between rounds.
  await once(parent, 'exit');
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
