// `npm run cluster`: a real single-node cluster in the foreground (like `kind create cluster`),
// with our image built from the Dockerfile and loaded; Ctrl-C tears everything down.
import { startCluster } from './cluster.ts';

const cluster = await startCluster();
process.stdout.write(
  `\nnode ready; image ${cluster.image.ref} built from the Dockerfile and loaded into the node\n\n` +
  `export KUBECONFIG=${cluster.kubeconfigPath}\n` +
  `export PATH=${cluster.binDir}:$PATH   # this cluster's kubectl and helm\n\n` +
  `The chart's default image is ${cluster.image.ref}: helm install needs no --set for it.\n` +
  `Ctrl-C to stop and remove everything.\n`,
);
const shutdown = (): void => {
  process.stdout.write('\nstopping…\n');
  cluster.stop().then(() => process.exit(0), (err: unknown) => {
    console.error(err);
    process.exit(1);
  });
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
// Keep the event loop alive until a signal arrives.
setInterval(() => {}, 1 << 30);
