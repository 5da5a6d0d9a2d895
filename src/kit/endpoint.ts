import type { Context } from './context.ts';

/**
 * Endpoint is one RPC: the unit every middleware, transport and balancer works on.
 * The TypeScript counterpart of go-kit's `endpoint.Endpoint`, typed on both ends.
 */
export type Endpoint<Req, Res> = (ctx: Context, request: Req) => Promise<Res>;

/** Middleware decorates an endpoint with one concern (retry, breaker, limiter, logging…). */
export type Middleware<Req, Res> = (next: Endpoint<Req, Res>) => Endpoint<Req, Res>;

/**
 * chain composes middlewares so the first one given is the outermost:
 * `chain(a, b, c)(e)` behaves as `a(b(c(e)))`, reading in request order.
 */
export function chain<Req, Res>(...middlewares: Middleware<Req, Res>[]): Middleware<Req, Res> {
  return (next) => middlewares.reduceRight((e, mw) => mw(e), next);
}
