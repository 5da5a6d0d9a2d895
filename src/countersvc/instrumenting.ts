import { Counter, Histogram, type Registry } from 'prom-client';
import type { Middleware } from '../kit/endpoint.ts';
import { Batched } from '../kit/metrics/batched.ts';
import { isHttpError } from '../kit/transport/http/errors.ts';
import { isRateLimitedError } from '../kit/ratelimit/limiter.ts';
import type { AddRequest, AddResponse } from './endpoints.ts';
import type { IntVar } from './expvar.ts';
import { isOutOfRangeError, isStoreUnavailableError } from './store.ts';

/** InstrumentingOptions say where the counts go: the article's expvar, and Prometheus. */
export interface InstrumentingOptions {
  /** The article's `request.count`, shown at `/debug/vars`. */
  requestCount: IntVar;
  registry: Registry;
  /** Metric name prefix, ending in `_` (default `countersvc_`). */
  prefix?: string;
}

/** Outcome is the bounded label recorded per request. */
export type Outcome = 'ok' | 'invalid' | 'rate_limited' | 'unavailable' | 'error';

/** outcomeOf classifies an add's failure for the metrics label. */
export function outcomeOf(err: unknown): Outcome {
  if (isRateLimitedError(err)) return 'rate_limited';
  if (isOutOfRangeError(err) || isHttpError(err)) return 'invalid';
  if (isStoreUnavailableError(err)) return 'unavailable';
  return 'error';
}

/**
 * instrumentingMiddleware counts every request that reaches it. It sits outside the rate
 * limiter, as in the article, so refused requests are counted too. Requests are applied to
 * prom-client's metrics in batches and before every scrape (see Batched), as stringsvc's are.
 */
export function instrumentingMiddleware(options: InstrumentingOptions): Middleware<AddRequest, AddResponse> {
  const prefix = options.prefix ?? 'countersvc_';
  const registers = [options.registry];
  const calls = new Batched<{ outcome: Outcome; seconds: number }>(({ outcome, seconds }) => {
    count.inc({ outcome });
    latency.observe({ outcome }, seconds);
  });
  const collect = () => calls.flush();
  const count = new Counter({
    name: `${prefix}request_count`,
    help: 'Number of add requests received, by outcome.',
    labelNames: ['outcome'] as const,
    registers,
    collect,
  });
  const latency = new Histogram({
    name: `${prefix}request_latency_seconds`,
    help: 'Duration of add requests in seconds, by outcome.',
    labelNames: ['outcome'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
    collect,
  });
  return (next) => async (ctx, req) => {
    const begin = performance.now();
    options.requestCount.add(1);
    let outcome: Outcome = 'ok';
    try {
      return await next(ctx, req);
    } catch (e) {
      outcome = outcomeOf(e);
      throw e;
    } finally {
      calls.add({ outcome, seconds: (performance.now() - begin) / 1000 });
    }
  };
}
