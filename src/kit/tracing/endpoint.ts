import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type TextMapPropagator, type Tracer } from '@opentelemetry/api';
import type { Middleware } from '../endpoint.ts';
import { inject } from './carrier.ts';
import { TracedContext } from './traced-context.ts';

/**
 * endpointSpans is go-kit's `TraceEndpoint`: an internal span named `name` around an endpoint,
 * a child of the Context's current span. What the endpoint does inside (a store's writes and
 * retries) is recorded as events on it through `ctx.span`.
 */
export function endpointSpans(tracer: Tracer, propagator: TextMapPropagator) {
  return <Req, Res>(name: string): Middleware<Req, Res> =>
    (next) =>
    async (ctx, request) => {
      const parent = ctx.span ? trace.setSpan(ROOT_CONTEXT, ctx.span) : ROOT_CONTEXT;
      const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL }, parent);
      try {
        return await next(new TracedContext(ctx, span, inject(propagator, span), false), request);
      } catch (err) {
        span.recordException(err instanceof Error ? err : String(err));
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
        throw err;
      } finally {
        span.end();
      }
    };
}
