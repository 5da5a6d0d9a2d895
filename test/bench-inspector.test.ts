import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { liveHeapMb } from '../bench/lib/inspector.ts';
import { reaped } from './support/reaped.ts';
import { within } from './support/wait.ts';

test('liveHeapMb reads what a process keeps referenced, after a full collection', { timeout: 30_000 }, async () => {
  // The child holds 40 MiB of doubles on its heap and, once told over stdin, drops them.
  const script = `let kept = Array.from({ length: 40 }, () => new Array(1 << 17).fill(0.5));
process.stdin.on('data', () => { kept = null; process.stdout.write('dropped\\n'); });`;
  const [bin, ...args] = [...reaped, process.execPath, '--inspect=127.0.0.1:0', '-e', script];
  const child = spawn(bin!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  try {
    const port = await within(new Promise<number>((resolve, reject) => {
      let err = '';
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(err);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    }), 20_000, "the child's inspector to listen");
    const holding = await liveHeapMb(port);
    child.stdin!.write('drop\n');
    await within(new Promise((resolve) => child.stdout!.once('data', resolve)), 10_000, 'the child to drop its arrays');
    const dropped = await liveHeapMb(port);
    assert.ok(holding > 40, `holding 40 MiB of doubles: ${holding.toFixed(1)} MiB live`);
    assert.ok(dropped < holding - 35, `after dropping them: ${dropped.toFixed(1)} MiB live (was ${holding.toFixed(1)})`);
  } finally {
    child.kill();
  }
});
