import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onceWithin } from '../../test/support/wait.ts';

const logModule = fileURLToPath(new URL('./log.ts', import.meta.url));

test('a quiet process\'s buffered lines reach stdout within a flush tick, not at exit', async (t) => {
  // The child logs two lines and then idles (until killed): the lines must not wait for it to end.
  const script = `import { newLogger } from ${JSON.stringify(logModule)};
    const log = newLogger('info'); log.info({ n: 1 }, 'one'); log.info({ n: 2 }, 'two');
    setInterval(() => {}, 60000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.setEncoding('utf8');
  while (out.split('\n').length < 3) {
    const [chunk] = (await onceWithin(child.stdout, 'data', 30_000, `the idle child's two log lines (so far: ${JSON.stringify(out)})`)) as [string];
    out += chunk;
  }
  assert.equal(child.exitCode, null, 'the lines came while the process was still running');
  const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
  assert.deepEqual(lines.map((l) => l.msg), ['one', 'two']);
});
