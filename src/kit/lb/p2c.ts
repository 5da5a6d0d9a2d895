import type { ResolvedEndpoint } from '../sd/endpointer.ts';
import type { Endpoint } from '../endpoint.ts';
import { NoEndpointsError, NoHealthyEndpointsError, type Balancer, type EndpointSource } from './balancer.ts';
import type { Load, LoadFactory } from './load.ts';

/** P2cOptions choose the load measure; random and now are injectable for tests. */
export interface P2cOptions {
  load: LoadFactory;
  /** random returns a number in [0, 1). Default Math.random. */
  random?(): number;
  /** now is a monotonic clock in ms. Default performance.now. */
  now?(): number;
}

interface Tracked<Req, Res> {
  load: Load;
  resolved: ResolvedEndpoint<Req, Res>;
}

/**
 * p2c is the power of two choices (Mitzenmacher; Finagle, Linkerd, Envoy): pick two distinct
 * instances at random and send to the one whose load costs less. With `peakEwma` it is the
 * latency-aware balancer; with `outstanding`, least-request.
 *
 * Candidates follow round robin's rules: unhealthy instances (open breaker) are never picked;
 * instances in `tried` only when nothing else is healthy; nothing healthy fails fast with
 * NoHealthyEndpointsError. The load of an instance lives as long as the Endpointer keeps its
 * endpoint, so it is forgotten with the instance.
 */
export function p2c<Req, Res>(source: EndpointSource<Req, Res>, options: P2cOptions): Balancer<Req, Res> {
  const random = options.random ?? Math.random;
  const now = options.now ?? (() => performance.now());
  const tracked = new WeakMap<ResolvedEndpoint<Req, Res>, Tracked<Req, Res>>();

  function track(e: ResolvedEndpoint<Req, Res>): Tracked<Req, Res> {
    let t = tracked.get(e);
    if (t) return t;
    const load = options.load();
    const endpoint: Endpoint<Req, Res> = async (ctx, request) => {
      const end = load.start(now());
      let ok = false;
      try {
        const res = await e.endpoint(ctx, request);
        ok = true;
        return res;
      } finally {
        end(now(), ok);
      }
    };
    t = { load, resolved: { instance: e.instance, endpoint, healthy: () => e.healthy() } };
    tracked.set(e, t);
    return t;
  }

  /** neutral is the mean measured estimate over `all`, the cost a new instance starts at. */
  function neutral(all: readonly ResolvedEndpoint<Req, Res>[], at: number): number {
    let sum = 0;
    let n = 0;
    for (const e of all) {
      const v = track(e).load.estimate?.(at);
      if (v === undefined) continue;
      sum += v;
      n++;
    }
    return n === 0 ? 0 : sum / n;
  }

  return {
    pick(tried?: readonly string[]): ResolvedEndpoint<Req, Res> {
      const all = source.endpoints();
      if (all.length === 0) throw new NoEndpointsError();
      const healthy = all.filter((e) => e.healthy());
      if (healthy.length === 0) throw new NoHealthyEndpointsError(all.map((e) => e.instance));
      const fresh = tried && tried.length > 0 ? healthy.filter((e) => !tried.includes(e.instance)) : healthy;
      const candidates = fresh.length > 0 ? fresh : healthy;
      if (candidates.length === 1) return track(candidates[0]!).resolved;
      const i = Math.floor(random() * candidates.length);
      // The second pick is drawn from the others, so the two are always distinct.
      let j = Math.floor(random() * (candidates.length - 1));
      if (j >= i) j++;
      const a = track(candidates[i]!);
      const b = track(candidates[j]!);
      const at = now();
      const unmeasured = a.load.estimate?.(at) === undefined || b.load.estimate?.(at) === undefined;
      const base = a.load.estimate && unmeasured ? neutral(all, at) : 0;
      return b.load.cost(at, base) < a.load.cost(at, base) ? b.resolved : a.resolved;
    },
  };
}
