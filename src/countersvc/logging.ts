import type { Logger } from '../kit/context.ts';
import type { Middleware } from '../kit/endpoint.ts';
import { took } from '../kit/took.ts';
import { traceFields } from '../kit/tracing/traced-context.ts';
import { pathOf } from './path-context.ts';
import type { AddRequest, AddResponse } from './endpoints.ts';

/** LoggingOptions give the logging middleware its logger, as go-kit passes one in. */
export interface LoggingOptions {
  /** Unbound process logger: the middleware adds request_id itself, so lines never repeat it. */
  logger: Logger;
}

/**
 * loggingMiddleware logs one line per add with the article's fields — path, request, result,
 * err, request_id, elapsed — refused and failed calls included (err set, result null).
 */
export function loggingMiddleware(options: LoggingOptions): Middleware<AddRequest, AddResponse> {
  const { logger } = options;
  return (next) => async (ctx, req) => {
    const begin = performance.now();
    let result: number | null = null;
    let err: string | null = null;
    try {
      const res = await next(ctx, req);
      result = res.v;
      return res;
    } catch (e) {
      err = (e as Error).message;
      throw e;
    } finally {
      const line = { path: pathOf(ctx), request: req.v, result, err, request_id: ctx.requestId, elapsed: took(begin) };
      logger.info(ctx.span ? { ...line, ...traceFields(ctx) } : line);
    }
  };
}
