import type { ServiceMiddleware } from './service.ts';
import { took } from '../kit/took.ts';

/**
 * loggingMiddleware logs every call with the seed's fields (method, input, output or n,
 * err, took) on the request's logger, so each line also carries the request id.
 */
export function loggingMiddleware(): ServiceMiddleware {
  return (next) => ({
    async uppercase(ctx, s) {
      const begin = performance.now();
      let output = '';
      let err: string | null = null;
      try {
        output = await next.uppercase(ctx, s);
        return output;
      } catch (e) {
        err = (e as Error).message;
        throw e;
      } finally {
        ctx.logger.info({ method: 'uppercase', input: s, output, err, took: took(begin) });
      }
    },
    async count(ctx, s) {
      const begin = performance.now();
      let n = 0;
      try {
        n = await next.count(ctx, s);
        return n;
      } finally {
        ctx.logger.info({ method: 'count', input: s, n, took: took(begin) });
      }
    },
  });
}
