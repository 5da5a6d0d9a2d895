import type { ResolvedEndpoint } from '../sd/endpointer.ts';

/**
 * Balancer picks one endpoint per attempt (go-kit `lb.Balancer`). It throws
 * NoEndpointsError or NoHealthyEndpointsError when there is nothing to pick.
 */
export interface Balancer<Req, Res> {
  /**
   * pick chooses an endpoint. `tried` names instances this call already failed on; a
   * balancer avoids them while another healthy instance exists, so a retry does not land
   * on the same dead instance just because concurrent calls moved the rotation on.
   */
  pick(tried?: readonly string[]): ResolvedEndpoint<Req, Res>;
}

/** EndpointSource is what balancers read: the Endpointer, or a fixed list in tests. */
export interface EndpointSource<Req, Res> {
  endpoints(): readonly ResolvedEndpoint<Req, Res>[];
}

/** NoEndpointsError means discovery currently knows no instance (go-kit `lb.ErrNoEndpoints`). */
export class NoEndpointsError extends Error {
  override readonly name = 'NoEndpointsError';

  constructor(message = 'no endpoints available') {
    super(message);
  }
}

/** isNoEndpointsError is the type guard for NoEndpointsError. */
export function isNoEndpointsError(err: unknown): err is NoEndpointsError {
  return err instanceof NoEndpointsError;
}

/** NoHealthyEndpointsError means instances exist but every one is unhealthy (breaker open). */
export class NoHealthyEndpointsError extends Error {
  override readonly name = 'NoHealthyEndpointsError';
  /** instances are the ones that were skipped. */
  readonly instances: readonly string[];

  constructor(instances: readonly string[]) {
    super(`all ${instances.length} endpoints are unhealthy`);
    this.instances = instances;
  }
}

/** isNoHealthyEndpointsError is the type guard for NoHealthyEndpointsError. */
export function isNoHealthyEndpointsError(err: unknown): err is NoHealthyEndpointsError {
  return err instanceof NoHealthyEndpointsError;
}

/**
 * roundRobin cycles through the source's endpoints in their (sorted) order, skipping
 * unhealthy ones: the next pick starts after the last one picked, so the healthy
 * instances share the load evenly.
 *
 * Instances in `tried` are passed over like unhealthy ones, unless nothing else is
 * healthy: then the first healthy one is taken anyway, as a retry on the only instance
 * left still beats failing (a reset keep-alive connection, say, is worth a second try).
 *
 * When every instance is unhealthy it fails fast with NoHealthyEndpointsError rather
 * than "panic mode" (ignoring health). An unhealthy instance here has an open breaker,
 * which would refuse the call anyway, so panicking only adds work; breakers half-open on
 * their own after the reset timeout and become pickable again for the trial call.
 */
export function roundRobin<Req, Res>(source: EndpointSource<Req, Res>): Balancer<Req, Res> {
  let next = 0;
  return {
    pick(tried?: readonly string[]): ResolvedEndpoint<Req, Res> {
      const endpoints = source.endpoints();
      const n = endpoints.length;
      if (n === 0) throw new NoEndpointsError();
      let fallback = -1;
      for (let i = 0; i < n; i++) {
        const index = (next + i) % n;
        const candidate = endpoints[index]!;
        if (!candidate.healthy()) continue;
        if (tried !== undefined && tried.includes(candidate.instance)) {
          if (fallback < 0) fallback = index;
          continue;
        }
        next = (index + 1) % n;
        return candidate;
      }
      if (fallback >= 0) {
        next = (fallback + 1) % n;
        return endpoints[fallback]!;
      }
      throw new NoHealthyEndpointsError(endpoints.map((e) => e.instance));
    },
  };
}
