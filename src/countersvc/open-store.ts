import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../kit/context.ts';
import { memoryStore } from './memory-store.ts';
import type { Store } from './store.ts';

/** StoreStartupError is a failure to reach the store at start: reported in one line, exit 1. */
export class StoreStartupError extends Error {
  override readonly name = 'StoreStartupError';
}

/** isStoreStartupError tells a store that could not be opened from a programming error. */
export function isStoreStartupError(e: unknown): e is StoreStartupError {
  return e instanceof StoreStartupError;
}

/** OpenStoreOptions come from the counter's flags. */
export interface OpenStoreOptions {
  kind: 'memory' | 'kubernetes';
  configmap: string;
  /** Explicit namespace; empty means POD_NAMESPACE, the ServiceAccount's, the kubeconfig's. */
  namespace: string;
  registry: Registry;
  metricsPrefix: string;
  logger: Logger;
}

/**
 * openStore returns the store the flags ask for. The Kubernetes one is read (or created) at
 * once, so RBAC or connection mistakes show at start rather than on the first add.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const { logger } = options;
  if (options.kind === 'memory') {
    logger.info({ store: 'memory' }, 'store: in this process only; each replica keeps its own total, lost on restart');
    return memoryStore();
  }
  // Loaded only when used: the client library triples start-up time.
  const { CoreV1Api } = await import('@kubernetes/client-node');
  const { loadKubeConfig, resolveNamespace } = await import('../kit/kubernetes/config.ts');
  const { kubernetesStore } = await import('./kubernetes-store.ts');
  // The same lookup as discovery: KUBECONFIG, else in-cluster with the token re-read on rotation.
  const kc = loadKubeConfig();
  const namespace = resolveNamespace(options.namespace, kc);
  const registers = [options.registry];
  const conflicts = new Counter({ name: `${options.metricsPrefix}store_conflicts_total`, help: 'ConfigMap writes refused with 409 Conflict (then retried).', registers });
  const writes = new Counter({ name: `${options.metricsPrefix}store_writes_total`, help: 'ConfigMap writes that succeeded (each commits a batch of adds).', registers });
  const store = kubernetesStore({
    api: kc.makeApiClient(CoreV1Api),
    namespace,
    name: options.configmap,
    onConflict: () => conflicts.inc(),
    onCommit: () => writes.inc(),
  });
  const total = await store.add(0).catch((err: unknown) => {
    throw new StoreStartupError(`cannot use ConfigMap ${namespace}/${options.configmap}: ${(err as Error).message}`, { cause: err });
  });
  logger.info({ store: 'kubernetes', namespace, configmap: options.configmap, total }, 'store');
  return store;
}
