// The image, built for real from our unmodified Dockerfile by Docker's BuildKit, then run by runc:
// uid 1000, a read-only root, and a backend that answers. No cluster is needed for this part.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { skipOrThrow } from '../controlplane/require.ts';
import { trackDir, untrackDir } from '../controlplane/procs.ts';
import { mountsUnder, unmountUnder } from './host.ts';
import { hostState, leftovers } from './snapshot.ts';
import { type BuiltImage, buildImage, prepareBaseImages } from './images.ts';
import { nodeSkipReason, type Runtime, startRuntime } from './runtime.ts';
import { nodeSetupTimeout } from './support.ts';

const skip = skipOrThrow('cluster', nodeSkipReason());
const ref = 'stringsvc:image-test';

describe('the image built from our Dockerfile', { skip, timeout: 15 * 60_000 }, () => {
  let dir = '';
  let runtime: Runtime | undefined;
  let image: BuiltImage | undefined;
  let beforeState: ReturnType<typeof hostState> | undefined;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'stringsvc-image-'));
    trackDir(dir);
    beforeState = hostState([dir]);
    runtime = await startRuntime(dir);
    await prepareBaseImages(runtime.docker);
    image = await buildImage(runtime.docker, ref);
  }, { timeout: nodeSetupTimeout() });

  after(async () => {
    await runtime?.stop();
    unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true });
    untrackDir(dir);
  });

  test('is built, and its size is reported', (t) => {
    assert.ok(image && image.sizeBytes > 0);
    t.diagnostic(`image ${ref}: ${(image.sizeBytes / 2 ** 20).toFixed(1)} MiB, built in ${(image.buildMs / 1000).toFixed(1)} s`);
  });

  test('runs node as uid 1000 by default, with the backend as its command', async () => {
    const cfg = JSON.parse(await runtime!.docker.run(['image', 'inspect', '-f', '{{json .Config}}', ref])) as { User: string; Entrypoint: string[]; Cmd: string[] };
    assert.equal(cfg.User, '1000:1000');
    assert.deepEqual(cfg.Entrypoint, ['node']);
    assert.deepEqual(cfg.Cmd, ['dist/cmd/stringsvc.js']);
  });

  test('with a read-only root: the app runs as 1000:1000, cannot write anywhere, and the backend answers', async () => {
    const script = [
      'import { spawn } from "node:child_process";',
      'import { writeFileSync } from "node:fs";',
      'const id = `${process.getuid()}:${process.getgid()}`;',
      'const writes = ["/app/x", "/tmp/x", "/x"].map((f) => { try { writeFileSync(f, "x"); return "wrote " + f; } catch (e) { return e.code; } });',
      'const svc = spawn("node", ["dist/cmd/stringsvc.js", "--listen=127.0.0.1:8080"], { stdio: "ignore" });',
      'let answer = "";',
      'for (let i = 0; i < 100 && !answer; i++) {',
      '  await new Promise((r) => setTimeout(r, 100));',
      '  try { answer = await (await fetch("http://127.0.0.1:8080/uppercase", { method: "POST", body: \'{"s":"hello, world"}\' })).text(); } catch {}',
      '}',
      'svc.kill();',
      'console.log(JSON.stringify({ id, writes, answer }));',
    ].join('\n');
    const out = await runtime!.docker.run(['run', '--rm', '--read-only', '--network', 'none', ref, '--input-type=module', '-e', script]);
    const got = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { id: string; writes: string[]; answer: string };
    assert.equal(got.id, '1000:1000');
    assert.deepEqual(got.writes, ['EROFS', 'EROFS', 'EROFS']);
    assert.equal(got.answer, '{"v":"HELLO, WORLD"}\n');
  });

  test('stopping the runtime leaves no process or mount behind', async () => {
    await runtime!.stop();
    unmountUnder(dir);
    assert.deepEqual(mountsUnder(dir), []);
    const left = leftovers(beforeState!, hostState([dir]));
    assert.deepEqual(left.processes ?? [], []);
    assert.deepEqual(left.mounts ?? [], []);
  });
});
