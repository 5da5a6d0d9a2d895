import type { Context } from '../context.ts';
import type { Middleware } from '../endpoint.ts';

/** BreakerState is where a circuit breaker stands; balancers skip `open` instances. */
export type BreakerState = 'closed' | 'open' | 'halfOpen';

/**
 * Breaker is the small interface the middleware needs from a circuit breaker, so the
 * library behind it (opossum today) stays replaceable.
 */
export interface Breaker {
  /** state is the current state, read by balancers and metrics. */
  readonly state: BreakerState;
  /** execute runs `call` if the breaker admits it, else throws BrokenCircuitError. */
  execute<T>(ctx: Context, call: () => Promise<T>): Promise<T>;
  /** dispose stops the breaker's timers when its instance goes away. */
  dispose(): void;
}

/** BrokenCircuitError is thrown, without calling the upstream, while the breaker is open. */
export class BrokenCircuitError extends Error {
  override readonly name = 'BrokenCircuitError';

  constructor(message = 'circuit breaker is open') {
    super(message);
  }
}

/** isBrokenCircuitError is the type guard for BrokenCircuitError. */
export function isBrokenCircuitError(err: unknown): err is BrokenCircuitError {
  return err instanceof BrokenCircuitError;
}

/** circuitBreaker guards an endpoint with a Breaker (go-kit `circuitbreaker.Gobreaker`). */
export function circuitBreaker<Req, Res>(breaker: Breaker): Middleware<Req, Res> {
  return (next) => (ctx, request) => breaker.execute(ctx, () => next(ctx, request));
}
