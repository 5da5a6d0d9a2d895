import type { Instance } from '../instancer.ts';
import { instanceOf, pickPort, type Contribution, type PortSelector, type Use } from './endpointslices.ts';

/** EndpointsLike is the part of a legacy `v1` Endpoints object discovery reads. */
export interface EndpointsLike {
  metadata?: { name?: string; resourceVersion?: string };
  subsets?: ReadonlyArray<{
    addresses?: ReadonlyArray<{ ip: string }> | null;
    notReadyAddresses?: ReadonlyArray<{ ip: string }> | null;
    ports?: ReadonlyArray<{ name?: string | null; port: number; protocol?: string | null }> | null;
  }> | null;
}

/**
 * endpointsContribution reads a legacy Endpoints object: every `subsets[].addresses` entry
 * at the selected port is ready. `notReadyAddresses` are ignored: v1 Endpoints carry no
 * serving/terminating detail, so there is no drain fallback in this mode.
 */
export function endpointsContribution(endpoints: EndpointsLike, port: PortSelector): Contribution {
  const out = new Map<Instance, Use>();
  for (const subset of endpoints.subsets ?? []) {
    const p = pickPort(subset.ports, port);
    if (p === undefined) continue;
    for (const a of subset.addresses ?? []) out.set(instanceOf(a.ip, p), 'ready');
  }
  return out;
}
