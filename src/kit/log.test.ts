import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const logModule = fileURLToPath(new URL('./log.ts', import.meta.url));

test('a quiet process\'s buffered lines reach stdout within a flush tick, not at exit', async (t) => {
  // The child logs two lines and then idles for 10 s: the lines must not wait for it to end.
  const script = `import { newLogger } from ${JSON.stringify(logModule)};
    const log = newLogger('info'); log.info({ n: 1 }, 'one'); log.info({ n: 2 }, 'two');
    setTimeout(() => {}, 10000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  const began = performance.now();
  let out = '';
  child.stdout.setEncoding('utf8');
  while (out.split('\n').length < 3) {
    const [chunk] = (await Promise.race([once(child.stdout, 'data'), new Promise((_, no) => setTimeout(() => no(new Error(`no lines yet: ${out}`)), 5000))])) as [string];
    out += chunk;
  }
  assert.ok(performance.now() - began < 5000);
  assert.equal(child.exitCode, null, 'the lines came while the process was still running');
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
  assert.deepEqual(lines.map((l) => l.msg), ['one', 'two']);
});
