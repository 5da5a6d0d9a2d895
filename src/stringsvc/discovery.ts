import type { KubeConfig } from '@kubernetes/client-node';
import type { Registry } from 'prom-client';
import type { Logger } from '../kit/context.ts';
import type { Readiness } from '../kit/health.ts';
import { loadKubeConfig, resolveNamespace } from '../kit/kubernetes/config.ts';
import { KubernetesInstancer } from '../kit/sd/kubernetes/instancer.ts';
import { isAccessDeniedError } from '../kit/sd/kubernetes/access-denied.ts';
import { accessDenied, checkAccess, whoAmI } from '../kit/sd/kubernetes/rbac.ts';
import { endpointsClient, endpointSliceClient, endpointSlicesRef, endpointsRef } from '../kit/sd/kubernetes/resources.ts';
import type { DiscoveryConfig } from './discovery-flags.ts';
import { discoveryMetrics } from './discovery-metrics.ts';
import type { ComposeOptions } from './compose-service.ts';

/** firstSyncReason is what `/readyz` reports until discovery has listed the Service once. */
export const firstSyncReason = 'waiting for first discovery sync';

/** DiscoveryOptions are what startDiscovery needs from the process. */
export interface DiscoveryOptions {
  config: DiscoveryConfig & { mode: 'endpointslices' | 'endpoints' };
  logger: Logger;
  registry: Registry;
  readiness: Readiness;
  /** kubeConfig replaces the usual lookup (KUBECONFIG, in-cluster, ~/.kube/config). */
  kubeConfig?: KubeConfig;
}

/** Discovery is a started Kubernetes instancer and how to stop it. */
export interface Discovery {
  instancer: KubernetesInstancer;
  /** discovered is composeService's `discovered` option for this instancer. */
  discovered: NonNullable<ComposeOptions['discovered']>;
  stop(): Promise<void>;
}

/**
 * startDiscovery checks RBAC first — a missing permission throws an AccessDeniedError that
 * names it, so a bad deployment fails at once with a clear line — then starts watching.
 * `/readyz` stays false until the first sync. An unreachable API server at start is not
 * fatal: the watch keeps retrying with backoff while the process stays unready.
 */
export async function startDiscovery(options: DiscoveryOptions): Promise<Discovery> {
  const { config, logger, readiness } = options;
  const kc = options.kubeConfig ?? loadKubeConfig();
  const namespace = resolveNamespace(config.namespace, kc);
  const ref = config.mode === 'endpoints' ? endpointsRef : endpointSlicesRef;
  const where = { discovery: config.mode, service: config.service, namespace, port: config.port };
  logger.info({ ...where, server: kc.getCurrentCluster()?.server }, 'discovery starting');
  try {
    await checkAccess(kc, { ...ref, namespace });
  } catch (err) {
    if (isAccessDeniedError(err)) throw err;
    logger.warn({ err, ...where }, 'discovery: could not check RBAC; watching anyway');
  }
  readiness.block(firstSyncReason);
  const metrics = discoveryMetrics({ registry: options.registry });
  let user: string | undefined;
  const service = { namespace, service: config.service };
  const instancer = new KubernetesInstancer({
    client: config.mode === 'endpoints' ? endpointsClient(kc, service) : endpointSliceClient(kc, service),
    kind: config.mode,
    port: config.port,
    silentMs: config.silentMs,
    onEvent: (type) => metrics.onEvent(type),
    onSynced: () => metrics.onSynced(),
    onInstances(instances, first) {
      metrics.onInstances(instances);
      logger.info({ ...where, instances: [...instances] }, first ? 'discovery synced' : 'discovered instances changed');
      if (first) readiness.unblock(firstSyncReason);
    },
    onRestart(reason, delayMs) {
      metrics.onRestart(reason);
      logger.info({ reason, delay_ms: delayMs }, 'discovery watch restarting');
    },
    onError(err) {
      const mapped = accessDenied(err, { ...ref, namespace, verb: 'list or watch', ...(user ? { user } : {}) });
      if (isAccessDeniedError(mapped) && !user) void whoAmI(kc).then((u) => (user = u));
      logger.warn(isAccessDeniedError(mapped) ? { error: mapped.message } : { err }, 'discovery failed; keeping the last good set');
    },
  }).start();
  const discovered = {
    instancer,
    describe: { discovery: config.mode, service: config.service, port: config.port },
    ...(config.invalidateOnErrorMs !== undefined ? { invalidateOnErrorMs: config.invalidateOnErrorMs } : {}),
  };
  return { instancer, discovered, stop: () => instancer.stop() };
}
