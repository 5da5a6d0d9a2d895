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
import type { TopologyConfig } from './topology-flags.ts';
import { nodeZone } from '../kit/kubernetes/node-zone.ts';
import type { Locality } from '../kit/sd/kubernetes/topology.ts';
import type { ComposeOptions } from './compose-service.ts';

/** firstSyncReason is what `/readyz` reports until discovery has listed the Service once. */
export const firstSyncReason = 'waiting for first discovery sync';

/** DiscoveryOptions are what startDiscovery needs from the process. */
export interface DiscoveryOptions {
  config: DiscoveryConfig & { mode: 'endpointslices' | 'endpoints' };
  logger: Logger;
  registry: Registry;
  readiness: Readiness;
  /** topology, when set, keeps to instances hinted for this node or zone (EndpointSlices only). */
  topology?: TopologyConfig;
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
  const topology = options.topology ? await locality(kc, options.topology, logger) : undefined;
  readiness.block(firstSyncReason);
  const metrics = discoveryMetrics({ registry: options.registry });
  let user: string | undefined;
  let previous = new Set<string>();
  let failures = 0;
  const service = { namespace, service: config.service };
  const instancer = new KubernetesInstancer({
    client: config.mode === 'endpoints' ? endpointsClient(kc, service) : endpointSliceClient(kc, service),
    kind: config.mode,
    port: config.port,
    silentMs: config.silentMs,
    ...(topology ? { topology } : {}),
    onEvent: (type) => metrics.onEvent(type),
    onSynced: () => {
      metrics.onSynced();
      if (failures === 0) return;
      logger.info({ failures }, 'discovery recovered');
      failures = 0;
    },
    onInstances(instances, first, decision) {
      metrics.onInstances(instances);
      const why = decision ? { topology: decision.mode, ...(decision.reason ? { topology_reason: decision.reason } : {}) } : {};
      const change = changeOf(previous, instances);
      previous = new Set(instances);
      logger.info({ ...where, ...change, ...why }, first ? 'discovery synced' : 'discovered instances changed');
      // The whole set only on request: at 10,000 endpoints it is hundreds of KB per change.
      logger.debug({ ...where, instances }, 'discovered instance set');
      if (first) readiness.unblock(firstSyncReason);
    },
    onRestart(reason, delayMs) {
      metrics.onRestart(reason);
      logger.info({ reason, delay_ms: delayMs }, 'discovery watch restarting');
    },
    onError(err) {
      const mapped = accessDenied(err, { ...ref, namespace, verb: 'list or watch', ...(user ? { user } : {}) });
      if (isAccessDeniedError(mapped) && !user) void whoAmI(kc).then((u) => (user = u));
      // An API server that is away fails every retry: one warning as discovery starts failing, the
      // retries at debug, and one line once it is back (onSynced).
      const level = failures++ === 0 ? 'warn' : 'debug';
      logger[level](isAccessDeniedError(mapped) ? { error: mapped.message } : { err }, 'discovery failed; keeping the last good set');
    },
  }).start();
  const discovered = {
    instancer,
    describe: { discovery: config.mode, service: config.service, port: config.port },
    ...(config.invalidateOnErrorMs !== undefined ? { invalidateOnErrorMs: config.invalidateOnErrorMs } : {}),
  };
  return { instancer, discovered, stop: () => instancer.stop() };
}

/** At most this many addresses are listed per side of a change; the counts are always whole. */
export const listedPerChange = 16;

/** InstanceChange is what a discovery line says of a change: the new count, what came and went. */
export interface InstanceChange {
  count: number;
  added_count: number;
  removed_count: number;
  /** sorted, at most listedPerChange */
  added: string[];
  /** sorted, at most listedPerChange */
  removed: string[];
}

/** changeOf describes the step from `before` to `after` in a log line of bounded size. */
export function changeOf(before: ReadonlySet<string>, after: readonly string[]): InstanceChange {
  const now = new Set(after);
  const added = after.filter((i) => !before.has(i));
  const removed = [...before].filter((i) => !now.has(i));
  const listed = (l: string[]) => l.sort().slice(0, listedPerChange);
  return { count: now.size, added_count: added.length, removed_count: removed.length, added: listed(added), removed: listed(removed) };
}

/**
 * locality settles where this frontend runs: the zone from the flag, else from its Node's label
 * (a 403 there fails the start, naming the permission). The decision is logged once.
 */
async function locality(kc: KubeConfig, config: TopologyConfig, logger: Logger): Promise<Locality> {
  const zone = config.zone ?? (config.node ? await nodeZone(kc, config.node) : undefined);
  const from = config.zone ? 'flag' : zone ? 'node label' : 'unknown';
  logger.info({ zone: zone ?? null, zone_from: from, node: config.node ?? null }, zone ? 'topology: preferring hinted instances' : 'topology: zone unknown; node hints only');
  return { ...(zone ? { zone } : {}), ...(config.node ? { node: config.node } : {}) };
}
