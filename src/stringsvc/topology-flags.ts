import { bool, UsageError, type FlagSpec } from '../kit/cli.ts';
import type { DiscoveryMode } from './discovery-flags.ts';

/** topologyFlags make Kubernetes discovery prefer instances near this frontend, as kube-proxy would. */
export const topologyFlags = {
  'topology-hints': { default: 'false', help: 'Honour EndpointSlice hints (a Service with trafficDistribution) as kube-proxy does: only instances for this node or zone while there are some. endpointslices only.' },
  zone: { default: '', help: 'This frontend’s zone; empty reads the topology.kubernetes.io/zone label of the --node-name Node (needs get on nodes).' },
  'node-name': { default: '', help: 'This frontend’s Node name (the chart sets it from the downward API).' },
} satisfies Record<string, FlagSpec>;

/** TopologyConfig is where this frontend runs, as far as the flags say; the zone may be looked up later. */
export interface TopologyConfig {
  zone?: string;
  node?: string;
}

/** topologyConfig validates the topology flags; undefined means hints are ignored. */
export function topologyConfig(f: { [K in keyof typeof topologyFlags]: string }, mode: DiscoveryMode): TopologyConfig | undefined {
  if (!bool('topology-hints', f['topology-hints'])) return undefined;
  if (mode !== 'endpointslices') throw new UsageError('--topology-hints needs --discovery=endpointslices: only EndpointSlices carry hints');
  if (f.zone === '' && f['node-name'] === '') throw new UsageError('--topology-hints needs --zone or --node-name (to read its zone)');
  return { ...(f.zone ? { zone: f.zone } : {}), ...(f['node-name'] ? { node: f['node-name'] } : {}) };
}
