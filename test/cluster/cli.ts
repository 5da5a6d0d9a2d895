// `npm run cluster`: a real single-node cluster in the foreground (like `kind create cluster`),
// with our image built from the Dockerfile and loaded; Ctrl-C tears everything down.
import { stopOnSignal } from '../controlplane/procs.ts';
import { startCluster } from './cluster.ts';

const cluster = await startCluster();
process.stdout.write(
  `\nnode ready; image ${cluster.image.ref} built from the Dockerfile and loaded into the node\n\n` +
  `export KUBECONFIG=${cluster.kubeconfigPath}\n` +
  `export PATH=${cluster.binDir}:$PATH   # this cluster's kubectl, helm and docker\n` +
  `export DOCKER_HOST=${cluster.env['DOCKER_HOST']} CONTAINERD_ADDRESS=${cluster.env['CONTAINERD_ADDRESS']}   # for skaffold\n\n` +
  `The chart's default image is ${cluster.image.ref}: helm install needs no --set for it.\n` +
  `Ctrl-C to stop and remove everything.\n`,
);
stopOnSignal(() => cluster.stop());
