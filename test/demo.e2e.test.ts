import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { post } from './support/frontend.ts';
import { unusedPort } from './support/ports.ts';
import { repoRoot } from './support/process.ts';
import { childrenOf } from './support/proc-table.ts';
import { reaped } from './support/reaped.ts';

// The README's first command, `npm start`, answering the seed's requests with the README's exact
// output, and Ctrl-C stopping it all.
//
// The test runs what the script runs after its build, `node dist/cmd/demo.js`, not npm itself:
// the build would rewrite dist/ in place while the other test files of `npm test` start programs
// from it, and npm hides the demo's own exit code behind the SIGINT it re-raises. The script is
// checked word for word instead, and `npm test` has built dist/ before any test runs.

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function refused(port: number): Promise<boolean> {
  const sock = connect(port, '127.0.0.1');
  try {
    await once(sock, 'connect');
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ECONNREFUSED';
  } finally {
    sock.destroy();
  }
}

test('npm start: the seed session answers the README\'s requests byte for byte, and Ctrl-C stops every process', { timeout: 180_000 }, async (t) => {
  const pkg = JSON.parse(readFileSync(`${repoRoot}package.json`, 'utf8')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts.start, 'npm run build && node dist/cmd/demo.js');
  // The seed's ports may be taken on a test machine (a port-forward holds :8080 in the node tests).
  const ports: number[] = [];
  while (ports.length < 4) {
    const p = await unusedPort();
    if (!ports.includes(p)) ports.push(p);
  }
  const [front, ...backs] = ports as [number, ...number[]];
  const [bin, ...argv] = [...reaped, process.execPath, `${repoRoot}dist/cmd/demo.js`];
  // Its own process group, as a shell gives a foreground job, so Ctrl-C can be sent as a terminal does.
  const demo = spawn(bin!, argv, {
    cwd: repoRoot,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, STRINGSVC_DEMO_PORTS: ports.join(',') },
  });
  let out = '';
  let err = '';
  demo.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  demo.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = once(demo, 'close');
  let servers: number[] = [];
  // On a failure, the servers first: they are not in the demo's group, and once the demo is
  // killed they can no longer be found as its children.
  t.after(() => {
    const all = new Set([...(alive(demo.pid!) ? childrenOf(demo.pid!) : []), ...servers]);
    for (const pid of [...all, demo.pid!]) if (alive(pid)) process.kill(pid, 'SIGKILL');
  });
  for (const deadline = Date.now() + 60_000; !out.includes('demo | ready'); ) {
    if (demo.exitCode !== null || Date.now() > deadline) assert.fail(`the demo did not get ready:\n${out}\n${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(out.includes(`curl -d"{\\"s\\":\\"$s\\"}" localhost:${front}/uppercase`), 'the ready line names the frontend');
  servers = childrenOf(demo.pid!);
  assert.equal(servers.length, 4, 'three backends and a frontend');
  for (const port of ports) assert.match(out, new RegExp(`"addr":"[^"]*:${port}","msg":"HTTP"`), `a server listens on :${port}`);

  const url = `http://127.0.0.1:${front}`;
  const seed: Array<[string, string, number, string]> = [
    ['/uppercase', '{"s":"hello, world"}', 200, '{"v":"HELLO, WORLD"}\n'],
    ['/count', '{"s":"hello, world"}', 200, '{"v":12}\n'],
    ['/uppercase', '{"s":""}', 200, '{"v":"","err":"empty string"}\n'],
    ['/count', '{"s":"héllo"}', 200, '{"v":6}\n'],
    ['/uppercase', '{"s":', 400, '{"err":"malformed JSON: Unexpected end of JSON input"}\n'],
  ];
  for (const [path, body, status, text] of seed) {
    const r = await post(`${url}${path}`, body);
    assert.deepEqual([r.status, r.text], [status, text], `${path} ${body}`);
  }
  // The seed's loop, proxied round robin to the backends.
  const loop = [];
  for (const s of ['foo', 'bar', 'baz']) loop.push((await post(`${url}/uppercase`, JSON.stringify({ s }))).text);
  assert.equal(loop.join(''), '{"v":"FOO"}\n{"v":"BAR"}\n{"v":"BAZ"}\n');

  process.kill(-demo.pid!, 'SIGINT'); // Ctrl-C
  const [code, signal] = await exited;
  assert.deepEqual([code, signal], [0, null], err);
  assert.match(out, /demo \| SIGINT; stopping\n/);
  // Read only now: a line is written up to a flush tick after its call, and all are in after 'close'.
  const servedBy = backs.filter((p) => out.includes(`"listen":":${p}","request_id"`));
  assert.deepEqual(servedBy, backs, 'every backend served a proxied call');
  // Each server drained and stopped on its own, the frontend first.
  const stopped = [...out.matchAll(/^(\d+) \| .*"msg":"stopped"/gm)].map((m) => Number(m[1]));
  assert.equal(stopped[0], front, out);
  assert.deepEqual([...stopped].sort(), [...ports].sort());
  assert.deepEqual(servers.filter(alive), [], 'no server outlives the demo');
  for (const port of ports) assert.ok(await refused(port), `nothing listens on :${port} any more`);
});
