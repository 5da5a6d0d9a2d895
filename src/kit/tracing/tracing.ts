import type { Middleware } from '../endpoint.ts';
import type { Handler } from '../transport/http/handler.ts';

/**
 * ClientTracing wraps a remote method's client stack: `call` around the balanced call (retries
 * included), `attempt` around each instance's line, outside its token bucket and breaker, so
 * their refusals show as the attempt's outcome.
 */
export interface ClientTracing {
  call<Req, Res>(method: string): Middleware<Req, Res>;
  attempt<Req, Res>(instance: string): Middleware<Req, Res>;
}

/**
 * Tracing is what a process gets once the SDK is started (see start.ts): the middlewares that
 * make spans, and the shutdown that flushes them. With tracing off there is no Tracing at all,
 * and nothing of the SDK is loaded.
 */
export interface Tracing {
  /** server is the transport prelude that makes one server span per request of `routes`. */
  server(routes: readonly string[]): Handler;
  client: ClientTracing;
  /** endpoint makes an internal span named `name` around an endpoint, e.g. the counter's add. */
  endpoint<Req, Res>(name: string): Middleware<Req, Res>;
  /** shutdown exports what is queued (bounded by the exporter's timeout) and stops. */
  shutdown(): Promise<void>;
}
