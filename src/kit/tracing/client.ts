import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span, type TextMapPropagator, type Tracer } from '@opentelemetry/api';
import { isBrokenCircuitError } from '../circuitbreaker/breaker.ts';
import { cancelled, type Context } from '../context.ts';
import type { Middleware } from '../endpoint.ts';
import { isRateLimitedError } from '../ratelimit/limiter.ts';
import { isUpstreamError } from '../transport/http/client.ts';
import { inject } from './carrier.ts';
import type { ClientTracing } from './tracing.ts';
import { TracedContext } from './traced-context.ts';

/** Calls is what a call span knows of its attempts so far: their count and the last failure. */
interface Calls {
  attempts: number;
  lastFailure?: { instance: string; outcome: string; error: string };
}

/**
 * clientSpans are the client-side middlewares (go-kit's `TraceClient`): a span for each balanced
 * call, and a child span per attempt carrying the instance, the attempt number and the outcome.
 * A retry is an event on the call span; a token-bucket refusal or an open breaker is an event on
 * the attempt. The attempt's span is what the request carries upstream, so the callee's server
 * span is its child.
 */
export function clientSpans(tracer: Tracer, propagator: TextMapPropagator): ClientTracing {
  const calls = new WeakMap<Span, Calls>();
  return {
    call<Req, Res>(method: string): Middleware<Req, Res> {
      return (next) => async (ctx, request) => {
        const span = tracer.startSpan(`call ${method}`, { kind: SpanKind.INTERNAL, attributes: { 'rpc.method': method } }, parentOf(ctx));
        calls.set(span, { attempts: 0 });
        try {
          return await next(new TracedContext(ctx, span, inject(propagator, span), false), request);
        } catch (err) {
          fail(span, err);
          throw err;
        } finally {
          span.setAttribute('call.attempts', calls.get(span)?.attempts ?? 0);
          span.end();
        }
      };
    },

    attempt<Req, Res>(instance: string): Middleware<Req, Res> {
      return (next) => async (ctx, request) => {
        const call = ctx.span;
        const state = call ? calls.get(call) : undefined;
        const attempt = state ? ++state.attempts : 1;
        if (call && state?.lastFailure) call.addEvent('retry', { attempt, 'previous.instance': state.lastFailure.instance, 'previous.outcome': state.lastFailure.outcome, 'previous.error': state.lastFailure.error });
        const span = tracer.startSpan(`attempt ${instance}`, {
          kind: SpanKind.CLIENT,
          attributes: { 'server.address': instance, 'attempt.number': attempt },
        }, parentOf(ctx));
        try {
          const res = await next(new TracedContext(ctx, span, inject(propagator, span), false), request);
          span.setAttribute('attempt.outcome', 'success');
          return res;
        } catch (err) {
          const outcome = outcomeOf(ctx, err);
          span.setAttribute('attempt.outcome', outcome);
          if (outcome === 'rate_limited') span.addEvent('token bucket refused');
          else if (outcome === 'breaker_open') span.addEvent('breaker open');
          fail(span, err);
          if (state) state.lastFailure = { instance, outcome, error: message(err) };
          throw err;
        } finally {
          span.end();
        }
      };
    },
  };
}

/** parentOf is the OpenTelemetry context holding the Context's current span, if any. */
function parentOf(ctx: Context) {
  return ctx.span ? trace.setSpan(ROOT_CONTEXT, ctx.span) : ROOT_CONTEXT;
}

/** outcomeOf names how an attempt failed, with the client stack's own words. */
function outcomeOf(ctx: Context, err: unknown): string {
  if (isUpstreamError(err)) return err.kind;
  if (isRateLimitedError(err)) return 'rate_limited';
  if (isBrokenCircuitError(err)) return 'breaker_open';
  return cancelled(ctx) ? 'cancelled' : 'error';
}

function fail(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: message(err) });
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
