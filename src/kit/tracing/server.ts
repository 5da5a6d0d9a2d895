import { ROOT_CONTEXT, SpanKind, SpanStatusCode, type Tracer, type TextMapPropagator } from '@opentelemetry/api';
import type { Context } from '../context.ts';
import { type Handler, pathOf } from '../transport/http/handler.ts';
import { inject } from './carrier.ts';
import { TracedContext } from './traced-context.ts';

/**
 * serverSpans is the transport prelude of a traced service (go-kit's `HTTPServerTrace`): it
 * extracts the caller's W3C trace context, starts one server span per request to a service
 * route, makes it the Context's current span, and ends it when the response closes, with the
 * status. Operational routes (probes, scrapes) are not traced: a span per kubelet probe is noise.
 */
export function serverSpans(tracer: Tracer, propagator: TextMapPropagator, routes: readonly string[]): Handler {
  const traced = new Set(routes);
  return (req, res, next) => {
    const path = pathOf(req);
    if (!traced.has(path)) return next();
    const parent = res.locals.ctx as Context;
    const method = req.method ?? 'GET';
    const remote = propagator.extract(ROOT_CONTEXT, req.headers, headerGetter);
    const span = tracer.startSpan(
      `${method} ${path}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': method, 'http.route': path, 'request.id': parent.requestId } },
      remote,
    );
    res.locals.ctx = new TracedContext(parent, span, inject(propagator, span), true);
    res.on('close', () => {
      const status = res.statusCode;
      span.setAttribute('http.response.status_code', status);
      if (!res.writableFinished) span.setStatus({ code: SpanStatusCode.ERROR, message: 'client closed the request' });
      else if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    next();
  };
}

/** headerGetter reads node's lower-cased header object for the propagator. */
const headerGetter = {
  get(headers: NodeJS.Dict<string | string[]>, key: string): string | string[] | undefined {
    return headers[key];
  },
  keys(headers: NodeJS.Dict<string | string[]>): string[] {
    return Object.keys(headers);
  },
};

