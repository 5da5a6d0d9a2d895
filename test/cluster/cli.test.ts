// `npm run cluster` as the README has a user run it: wait for its `export` lines, paste them into a
// shell, and that shell's kubectl, helm and docker reach this node; Ctrl-C then tears it all down.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { GaveUp, waitFor } from '../controlplane/procs.ts';
import { skipOrThrow } from '../controlplane/require.ts';
import { nodeName, nodeSkipReason } from './cluster.ts';
import { repoRoot } from './images.ts';
import { hostState, leftovers } from './snapshot.ts';
import { groupMembers } from '../support/proc-table.ts';

const skip = skipOrThrow('cluster', nodeSkipReason());

describe('npm run cluster', { skip, timeout: 30 * 60_000 }, () => {
  test('prints export lines a shell can paste: kubectl, helm and docker reach the node; Ctrl-C removes everything', async (t) => {
    const before = hostState([]);
    // npm's scripts run on the pinned Node 24, as `npm run` gives them node_modules/.bin first.
    const cli = spawn('npm', ['run', 'cluster'], {
      cwd: repoRoot,
      detached: true, // its own process group, as a shell gives a foreground job
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, KUBECONFIG: '', DOCKER_HOST: '', CONTAINERD_ADDRESS: '' },
    });
    const pgid = cli.pid!;
    let out = '';
    let err = '';
    cli.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    cli.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const exited = once(cli, 'close');
    t.after(async () => {
      // On a failure, the same Ctrl-C, waited out so the next test finds the node lock free; the
      // node's own reaper cleans the host should it not be enough.
      if (groupMembers(pgid).length === 0) return;
      process.kill(-pgid, 'SIGINT');
      await waitFor('the process group gone', async () => groupMembers(pgid).length === 0, 5 * 60_000).catch(() => undefined);
    });
    await waitFor('the export lines', async () => {
      if (cli.exitCode !== null) throw new GaveUp(`npm run cluster exited ${cli.exitCode}`);
      return out.includes('Ctrl-C to stop and remove everything.');
    }, 25 * 60_000, () => `${out}\n${err.slice(-3000)}`);

    const exports = out.split('\n').filter((l) => l.startsWith('export '));
    assert.deepEqual(exports.map((l) => l.split(/[ =]/)[1]), ['KUBECONFIG', 'PATH', 'DOCKER_HOST'], out);
    assert.match(exports[2]!, / CONTAINERD_ADDRESS=\S+/);
    const image = /image (\S+) built from the Dockerfile/.exec(out)?.[1];
    assert.ok(image, out);
    const kubeconfig = /^export KUBECONFIG=(\S+)$/m.exec(out)![1]!;
    const binDir = /^export PATH=(\S+):\$PATH/m.exec(out)![1]!;
    const dir = dirname(binDir); // the node's own folder, named in every process it started
    // npm's `sh -c` names cli.ts too: the CLI is the member that holds the node lock.
    const cliPid = Number(readFileSync('/run/stringsvc-node.lock/pid', 'utf8'));
    assert.ok(groupMembers(pgid).includes(cliPid), `the node lock's holder ${cliPid} is in the group`);
    assert.match(readFileSync(`/proc/${cliPid}/cmdline`, 'utf8'), /test\/cluster\/cli\.ts/, 'and is the CLI');

    // Pasted as printed, comments and all, into a fresh shell with none of these variables set.
    const script = `set -e
${exports.join('\n')}
command -v kubectl helm docker
kubectl get nodes --no-headers
helm version --template '{{.Version}}'; echo
docker image inspect --format '{{join .RepoTags " "}}' ${image}
test -S "$CONTAINERD_ADDRESS" && echo containerd socket
echo "$KUBECONFIG"
`;
    const shell = spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { ...process.env, KUBECONFIG: '', DOCKER_HOST: '', CONTAINERD_ADDRESS: '' } });
    assert.equal(shell.status, 0, `${shell.stdout}\n${shell.stderr}`);
    const lines = shell.stdout.trim().split('\n');
    assert.deepEqual(lines.slice(0, 3), ['kubectl', 'helm', 'docker'].map((b) => join(binDir, b)), 'the cluster\'s own binaries come first');
    assert.match(lines[3]!, new RegExp(`^${nodeName}\\s+Ready\\s`));
    assert.match(lines[4]!, /^v3\./);
    assert.ok(lines[5]!.split(' ').includes(image), 'docker reaches the daemon holding the built image');
    assert.equal(lines[6], 'containerd socket');
    assert.equal(lines[7], kubeconfig);

    process.kill(-pgid, 'SIGINT'); // Ctrl-C
    await exited;
    assert.match(out, /\nstopping…\n/);
    // npm may be gone before its script: wait for everything the Ctrl-C reached.
    await waitFor('the process group gone', async () => groupMembers(pgid).length === 0, 5 * 60_000);
    assert.doesNotMatch(err, /teardown: /, 'every teardown step succeeded');
    assert.equal(existsSync(dir), false, 'the node\'s folder is removed');
    // Released: gone, or already taken by a node started after this one.
    const holder = existsSync('/run/stringsvc-node.lock/pid') ? readFileSync('/run/stringsvc-node.lock/pid', 'utf8') : '';
    assert.notEqual(holder, String(cliPid), 'the node lock is released');
    assert.deepEqual(leftovers(before, hostState([dir])), {});
  });
});
