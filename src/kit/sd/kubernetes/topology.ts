import type { Instance } from '../instancer.ts';
import { instanceOf, pickPort, useOf, type EndpointSliceLike, type PortSelector } from './endpointslices.ts';

/** Locality is where this process runs: its node's name and zone, either may be unknown. */
export interface Locality {
  zone?: string;
  node?: string;
}

/** Hints are an endpoint's EndpointSlice hints: the zones and nodes it is meant to serve. */
export interface Hints {
  readonly zones: readonly string[];
  readonly nodes: readonly string[];
}

/** TopologyMode says which hints chose the instances: `node`, `zone`, or `all` (no filtering). */
export type TopologyMode = 'node' | 'zone' | 'all';

/** TopologyDecision is the outcome of preferLocal: the instances to use and why. */
export interface TopologyDecision {
  readonly instances: readonly Instance[];
  readonly mode: TopologyMode;
  /** reason says, for `all`, why no hints applied. */
  readonly reason?: string;
}

/**
 * sliceHints reads the hints of one slice's usable endpoints, by instance; an endpoint without
 * hints maps to undefined. Ports and conditions are read as sliceContribution reads them.
 */
export function sliceHints(slice: EndpointSliceLike, port: PortSelector): Map<Instance, Hints | undefined> {
  const out = new Map<Instance, Hints | undefined>();
  if (slice.addressType === 'FQDN') return out;
  const p = pickPort(slice.ports, port);
  if (p === undefined) return out;
  for (const ep of slice.endpoints ?? []) {
    if (!useOf(ep.conditions)) continue;
    const zones = (ep.hints?.forZones ?? []).map((z) => z.name ?? '').filter((z) => z !== '');
    const nodes = (ep.hints?.forNodes ?? []).map((n) => n.name ?? '').filter((n) => n !== '');
    const hints = zones.length + nodes.length > 0 ? { zones, nodes } : undefined;
    for (const address of ep.addresses ?? []) out.set(instanceOf(address, p), hints);
  }
  return out;
}

/**
 * preferLocal applies kube-proxy's rules to the instances in use. The EndpointSlice controller
 * writes hints only for a Service with `trafficDistribution` (node hints for PreferSameNode, zone
 * hints for PreferSameZone and its alias PreferClose) and removes them otherwise, so, as in
 * kube-proxy, the hints alone say what the Service asked for:
 * - every instance has node hints and some are for our node: those;
 * - else every instance has zone hints and some are for our zone: those;
 * - else all of them.
 */
export function preferLocal(instances: readonly Instance[], hintsOf: (i: Instance) => Hints | undefined, here: Locality): TopologyDecision {
  if (instances.length === 0) return { instances, mode: 'all', reason: 'no instances' };
  const hints = instances.map(hintsOf);
  if (here.node && hints.every((h) => (h?.nodes.length ?? 0) > 0)) {
    const local = instances.filter((_, i) => hints[i]!.nodes.includes(here.node!));
    if (local.length > 0) return { instances: local, mode: 'node' };
  }
  if (!hints.every((h) => (h?.zones.length ?? 0) > 0)) return { instances, mode: 'all', reason: 'an instance has no zone hints' };
  if (!here.zone) return { instances, mode: 'all', reason: 'own zone unknown' };
  const local = instances.filter((_, i) => hints[i]!.zones.includes(here.zone!));
  if (local.length === 0) return { instances, mode: 'all', reason: `no instance is for zone ${here.zone}` };
  return { instances: local, mode: 'zone' };
}
