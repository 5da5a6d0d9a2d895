import { chain, type Endpoint } from '../endpoint.ts';
import type { BreakerState } from '../circuitbreaker/breaker.ts';
import { circuitBreaker } from '../circuitbreaker/breaker.ts';
import { opossumBreaker, type OpossumBreakerOptions } from '../circuitbreaker/opossum.ts';
import { tokenBucketLimiter, type TokenBucketOptions } from '../ratelimit/token-bucket.ts';
import type { Factory } from './endpointer.ts';
import type { Instance } from './instancer.ts';

/** InstanceClient is the bare transport endpoint for one instance and how to release it. */
export interface InstanceClient<Req, Res> {
  readonly endpoint: Endpoint<Req, Res>;
  close(): void | Promise<void>;
}

/** ResilientFactoryOptions configures the per-instance stack; only `client` is required. */
export interface ResilientFactoryOptions<Req, Res> {
  /** client builds the transport endpoint for an instance, e.g. with httpClient. */
  client(instance: Instance): InstanceClient<Req, Res>;
  /** tokenBucket sizes each instance's limiter (default 100/s, burst 100). */
  tokenBucket?: Omit<TokenBucketOptions, 'now'>;
  /** breaker tunes each instance's breaker (default 5 in a row, 10 s reset). */
  breaker?: Omit<OpossumBreakerOptions, 'onStateChange'>;
  /** onLimited is called when an instance's limiter refuses a call. */
  onLimited?(instance: Instance): void;
  /** onBreakerStateChange reports each instance's breaker transitions. */
  onBreakerStateChange?(instance: Instance, from: BreakerState, to: BreakerState): void;
}

/**
 * resilientFactory is the Factory the tutorial asks for: per instance,
 * `token bucket → circuit breaker → client`. The limiter sits outside the breaker so
 * refused calls never reach it, and the breaker's state is the health hook balancers
 * read (open = skip). Each instance owns its limiter, breaker and client, and the
 * Endpointer keeps all three for as long as the instance stays discovered.
 *
 * The whole client side then reads as one line:
 * ```ts
 * const endpointer = new Endpointer(instancer, resilientFactory({
 *   client: (instance) => httpClient({ instance, method: 'GET', path: '/uppercase', decode }),
 * }));
 * const uppercase = retry({ maxAttempts: 3, maxTimeMs: 250, budget: retryBudget() })(roundRobin(endpointer));
 * ```
 */
export function resilientFactory<Req, Res>(options: ResilientFactoryOptions<Req, Res>): Factory<Req, Res> {
  return (instance) => {
    const client = options.client(instance);
    const breaker = opossumBreaker({
      ...options.breaker,
      onStateChange: (from, to) => options.onBreakerStateChange?.(instance, from, to),
    });
    const endpoint = chain<Req, Res>(
      tokenBucketLimiter({ ...options.tokenBucket, onLimited: () => options.onLimited?.(instance) }),
      circuitBreaker(breaker),
    )(client.endpoint);
    return {
      endpoint,
      healthy: () => breaker.state !== 'open',
      close: async () => {
        breaker.dispose();
        await client.close();
      },
    };
  };
}
