import type { ResolvedEndpoint } from '../sd/endpointer.ts';
import { NoEndpointsError, NoHealthyEndpointsError, type Balancer, type EndpointSource } from './balancer.ts';

/**
 * roundRobin cycles through the source's endpoints in their (sorted) order, skipping
 * unhealthy ones: the next pick starts after the last one picked, so the healthy
 * instances share the load evenly.
 *
 * When every instance is unhealthy it fails fast with NoHealthyEndpointsError rather
 * than "panic mode" (ignoring health). An unhealthy instance here has an open breaker,
 * which would refuse the call anyway, so panicking only adds work; breakers half-open on
 * their own after the reset timeout and become pickable again for the trial call.
 */
export function roundRobin<Req, Res>(source: EndpointSource<Req, Res>): Balancer<Req, Res> {
  let next = 0;
  return {
    pick(): ResolvedEndpoint<Req, Res> {
      const endpoints = source.endpoints();
      const n = endpoints.length;
      if (n === 0) throw new NoEndpointsError();
      for (let i = 0; i < n; i++) {
        const index = (next + i) % n;
        const candidate = endpoints[index]!;
        if (candidate.healthy()) {
          next = (index + 1) % n;
          return candidate;
        }
      }
      throw new NoHealthyEndpointsError(endpoints.map((e) => e.instance));
    },
  };
}
