import { type BreakerState, circuitBreaker, opossumBreaker } from '../kit/circuitbreaker/breaker.ts';
import { cancelled } from '../kit/context.ts';
import { chain, type Endpoint, type Middleware } from '../kit/endpoint.ts';
import { retry } from '../kit/lb/retry.ts';
import { retryBudget } from '../kit/lb/retry-budget.ts';
import { newBalancer, type BalancerChoice } from '../kit/lb/choose.ts';
import { erroringLimiter, tokenBucket } from '../kit/ratelimit/limiter.ts';
import { Endpointer, type Factory } from '../kit/sd/endpointer.ts';
import type { Instance, Instancer } from '../kit/sd/instancer.ts';
import { httpClient, isUpstreamError } from '../kit/transport/http/client.ts';
import type { ClientTracing } from '../kit/tracing/tracing.ts';
import type { RepeatLog } from '../kit/log-repeats.ts';
import type { UppercaseRequest, UppercaseResponse } from './transport.ts';
import { ServiceError, type ServiceMiddleware } from './service.ts';

/** Resilience sizes the client stack; every field is optional and defaults to the seed's values. */
export interface Resilience {
  /** maxAttempts per call, the first try included. Default 3. */
  maxAttempts?: number;
  /** maxTimeMs bounds all attempts of one call together. Default 250. */
  maxTimeMs?: number;
  /** attemptTimeoutMs bounds one attempt, so a hung instance leaves time for the others. Default 100. */
  attemptTimeoutMs?: number;
  /** qps refills each instance's token bucket. Default 100. */
  qps?: number;
  /** burst is each instance's bucket size. Default 100. */
  burst?: number;
  /** breakerFailures in a row open an instance's breaker. Default 5. */
  breakerFailures?: number;
  /** breakerResetMs is how long a breaker stays open before a trial call. Default 10 s. */
  breakerResetMs?: number;
  /** retryBudgetRatio caps retries as a share of calls (plus a floor of 10/s). Default 0.2. */
  retryBudgetRatio?: number;
}

/**
 * RequestOutcome is how one call that reached an instance ended: `success`, or the
 * UpstreamError kind, or `cancelled` when the caller went away first.
 */
export type RequestOutcome = 'success' | 'unreachable' | 'timeout' | 'bad_response' | 'cancelled';

/** requestOutcomes lists every RequestOutcome, e.g. to drop an instance's metric series. */
export const requestOutcomes: readonly RequestOutcome[] = ['success', 'unreachable', 'timeout', 'bad_response', 'cancelled'];

/** UpstreamObserver receives the client stack's events, e.g. for metrics; every hook is optional. */
export interface UpstreamObserver {
  /** onInstances gets the instance set after each change. */
  onInstances?(instances: readonly Instance[]): void;
  /** onRequest reports each call that went out to an instance. */
  onRequest?(instance: Instance, outcome: RequestOutcome, seconds: number): void;
  /** onLimited reports a call an instance's token bucket refused. */
  onLimited?(instance: Instance): void;
  /** onBreakerStateChange reports an instance breaker's transition. */
  onBreakerStateChange?(instance: Instance, from: BreakerState, to: BreakerState): void;
  /** onRetry reports each retry. */
  onRetry?(): void;
  /** onError reports discovery errors and failures to close a pool. */
  onError?(err: unknown): void;
}

/** RemoteMethod is one method of the backend: its path and how to check its JSON answer. */
export interface RemoteMethod<Res> {
  /** path of the remote endpoint, e.g. `/uppercase`. */
  path: string;
  /** decode validates the JSON answer; throwing marks the instance as answering badly. */
  decode(body: unknown): Res;
}

/** BalancedOptions say where a remote method lives and how hard to try. */
export interface BalancedOptions {
  instancer: Instancer;
  resilience?: Resilience;
  observer?: UpstreamObserver;
  /** invalidateOnErrorMs drops the instances once discovery has failed this long; default: keep the last good set. */
  invalidateOnErrorMs?: number;
  /** balancer picks the instance of each attempt; default round robin. */
  balancer?: BalancerChoice;
  /** tracing adds a span around the balanced call and one around each attempt (kit/tracing). */
  tracing?: ClientTracing;
  /** repeats sums up the retry warnings per instance and reason; without it each retry logs a line. */
  repeats?: RepeatLog;
}

/** BalancedEndpoint is one robust client endpoint and the close that releases its pools. */
export interface BalancedEndpoint<Req, Res> {
  readonly endpoint: Endpoint<Req, Res>;
  close(): void;
}

/**
 * balancedEndpoint composes the client stack of one remote method, the one place it is put
 * together (go-kit stringsvc3's proxying.go):
 * `retry (deadline, attempts, budget) → balancer (round robin by default) → endpointer → per instance: token bucket →
 * circuit breaker → HTTP client`. Both the proxying middleware and the client package use it.
 */
export function balancedEndpoint<Req, Res>(method: RemoteMethod<Res>, options: BalancedOptions): BalancedEndpoint<Req, Res> {
  const r = options.resilience ?? {};
  const observer = options.observer ?? {};
  const endpointer = new Endpointer(options.instancer, instanceFactory<Req, Res>(method, r, observer, options.tracing), {
    ...(options.invalidateOnErrorMs !== undefined ? { invalidateOnErrorMs: options.invalidateOnErrorMs } : {}),
    onChange: (instances) => observer.onInstances?.(instances),
    onError: (err) => observer.onError?.(err),
  });
  const endpoint = retry<Req, Res>({
    maxAttempts: r.maxAttempts ?? 3,
    maxTimeMs: r.maxTimeMs ?? 250,
    budget: retryBudget({ ratio: r.retryBudgetRatio ?? 0.2 }),
    onRetry: ({ previous }, ctx) => {
      observer.onRetry?.();
      // A failure a retry absorbs is invisible to the client: the log is where it shows.
      const err = previous.error instanceof Error ? previous.error.message : String(previous.error);
      const fields = { instance: previous.instance, attempt: previous.attempt, error: err };
      if (options.repeats) options.repeats.warn(`${previous.instance}|${reason(previous.error)}`, ctx, fields, 'upstream attempt failed; retrying');
      else ctx.logger.warn(fields, 'upstream attempt failed; retrying');
    },
  })(newBalancer(options.balancer ?? { kind: 'round-robin' }, endpointer));
  return { endpoint: options.tracing ? options.tracing.call<Req, Res>(method.path)(endpoint) : endpoint, close: () => endpointer.close() };
}

/** reason names why an attempt failed, for grouping its warnings: the UpstreamError kind, else the error's name. */
function reason(err: unknown): string {
  if (isUpstreamError(err)) return err.kind;
  return err instanceof Error ? err.name : 'unknown';
}

/**
 * instanceFactory builds one instance's line: `token bucket → circuit breaker → HTTP client`.
 * The bucket sits outside the breaker, so its refusals never reach it; the breaker then counts
 * every error but the caller's own cancellation (its default), and its state is the health hook
 * the balancer reads (open = skip). The Endpointer keeps all three while the instance stays.
 */
export function instanceFactory<Req, Res>(method: RemoteMethod<Res>, r: Resilience, observer: UpstreamObserver = {}, tracing?: ClientTracing): Factory<Req, Res> {
  return (instance) => {
    const client = httpClient<Req, Res>({ instance, path: method.path, decode: method.decode, timeoutMs: r.attemptTimeoutMs ?? 100 });
    const breaker = opossumBreaker({
      consecutiveFailures: r.breakerFailures ?? 5,
      resetTimeoutMs: r.breakerResetMs ?? 10_000,
      onStateChange: (from, to) => observer.onBreakerStateChange?.(instance, from, to),
    });
    const endpoint = chain<Req, Res>(
      ...(tracing ? [tracing.attempt<Req, Res>(instance)] : []),
      erroringLimiter(tokenBucket({ rate: r.qps ?? 100, burst: r.burst ?? 100 }), { onLimited: () => observer.onLimited?.(instance) }),
      circuitBreaker(breaker),
      observed(instance, observer),
    )(client.endpoint);
    return {
      endpoint,
      healthy: () => breaker.state !== 'open',
      close: async () => {
        breaker.dispose();
        await client.close();
      },
    };
  };
}

/** observed times every call that goes out to the instance (inside the limiter and breaker). */
function observed<Req, Res>(instance: Instance, observer: UpstreamObserver): Middleware<Req, Res> {
  if (!observer.onRequest) return (next) => next;
  const report = observer.onRequest.bind(observer);
  return (next) => async (ctx, request) => {
    const begin = performance.now();
    let outcome: RequestOutcome = 'success';
    try {
      return await next(ctx, request);
    } catch (err) {
      outcome = isUpstreamError(err) ? err.kind : cancelled(ctx) ? 'cancelled' : 'unreachable';
      throw err;
    } finally {
      report(instance, outcome, (performance.now() - begin) / 1000);
    }
  };
}

/** decodeUppercaseResponse checks a `/uppercase` answer: `v` a string, `err` a string, null or absent. */
export function decodeUppercaseResponse(body: unknown): UppercaseResponse {
  const o = body as { v?: unknown; err?: unknown } | null;
  if (typeof o !== 'object' || o === null || typeof o.v !== 'string') throw new TypeError('"v" must be a string');
  if (o.err !== undefined && o.err !== null && typeof o.err !== 'string') throw new TypeError('"err" must be a string');
  return typeof o.err === 'string' && o.err !== '' ? { v: o.v, err: o.err } : { v: o.v };
}

/** uppercaseMethod is the backend's `/uppercase`. */
export const uppercaseMethod: RemoteMethod<UppercaseResponse> = { path: '/uppercase', decode: decodeUppercaseResponse };

/**
 * uppercaseResult turns a remote answer back into the method's result; a business error
 * in the body becomes a ServiceError, as the backend raised it (the seed's `proxymw`).
 */
export function uppercaseResult(res: UppercaseResponse): string {
  if (res.err) throw new ServiceError(res.err);
  return res.v;
}

/**
 * proxyingMiddleware serves Uppercase through a client endpoint (usually the balancedEndpoint
 * of uppercaseMethod) and Count through the next service, as the seed's `proxymw` does. A remote
 * business error comes back as a ServiceError, so it is answered exactly as a local one would be.
 */
export function proxyingMiddleware(uppercase: Endpoint<UppercaseRequest, UppercaseResponse>): ServiceMiddleware {
  return (next) => ({
    async uppercase(ctx, s) {
      return uppercaseResult(await uppercase(ctx, { s }));
    },
    count: (ctx, s) => next.count(ctx, s),
  });
}
