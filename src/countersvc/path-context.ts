import type { Context } from '../kit/context.ts';

/**
 * PathContext is a request Context that also knows the HTTP path it came in on, so endpoint
 * middlewares can log it without seeing the HTTP request (the article's extractor functions).
 */
export interface PathContext extends Context {
  readonly path: string;
}

/**
 * withPath derives a PathContext; the transport calls it before the endpoint runs. The signal is
 * read through, not copied: the HTTP context builds it lazily behind a getter.
 */
export function withPath(ctx: Context, path: string): PathContext {
  return {
    requestId: ctx.requestId,
    logger: ctx.logger,
    deadline: ctx.deadline,
    ...(ctx.traceparent !== undefined ? { traceparent: ctx.traceparent } : {}),
    ...(ctx.tracestate !== undefined ? { tracestate: ctx.tracestate } : {}),
    ...(ctx.span !== undefined ? { span: ctx.span } : {}),
    get signal() {
      return ctx.signal;
    },
    path,
  };
}

/** pathOf reads the path a context carries, or '' when the call did not come over HTTP. */
export function pathOf(ctx: Context): string {
  const p = (ctx as Partial<PathContext>).path;
  return typeof p === 'string' ? p : '';
}
