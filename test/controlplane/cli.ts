// `npm run control-plane`: the test control plane in the foreground, for people (like
// `kind create cluster`, without containers); Ctrl-C stops it and removes everything.
// `npm run -s control-plane -- env`: only shell exports of the tool paths, for `eval`.
import { ensureBinaries } from './binaries.ts';
import { startControlPlane } from './harness.ts';
import { stopOnSignal } from './procs.ts';

const sub = process.argv[2];

if (sub === 'env') {
  const b = await ensureBinaries();
  const q = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;
  process.stdout.write(`export HELM=${q(b.helm)}\nexport KUBECTL=${q(b.kubectl)}\nexport KUBEBUILDER_ASSETS=${q(b.assetsDir)}\n`);
} else if (sub === undefined || sub === 'start') {
  const cp = await startControlPlane();
  const { kubectl, helm } = cp.binaries;
  process.stdout.write(
    `control plane ready at ${cp.server}\n` +
    `kubeconfig: ${cp.kubeconfigPath}\n\n` +
    `export KUBECONFIG=${cp.kubeconfigPath}\n` +
    `kubectl: ${kubectl}\nhelm:    ${helm}\n` +
    `pods bind to node "fake-node"; nothing runs them (no kubelet). Ctrl-C to stop.\n`,
  );
  stopOnSignal(() => cp.stop());
} else {
  process.stderr.write('usage: npm run control-plane [-- env]\n');
  process.exit(2);
}
