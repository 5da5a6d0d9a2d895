import type { Endpoint } from '../kit/endpoint.ts';
import type { BreakerState } from '../kit/circuitbreaker/breaker.ts';
import { cancelled } from '../kit/context.ts';
import { retry } from '../kit/lb/retry.ts';
import { retryBudget } from '../kit/lb/retry-budget.ts';
import { roundRobin } from '../kit/lb/round-robin.ts';
import { Endpointer } from '../kit/sd/endpointer.ts';
import { resilientFactory } from '../kit/sd/factory.ts';
import type { Instance, Instancer } from '../kit/sd/instancer.ts';
import { httpClient, isUpstreamError } from '../kit/transport/http/client.ts';

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

/** RequestOutcomes lists every RequestOutcome, e.g. to drop an instance's metric series. */
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

/** BalancedOptions describe one remote method and how to reach its instances. */
export interface BalancedOptions<Req, Res> {
  instancer: Instancer;
  /** path of the remote endpoint, e.g. `/uppercase`. */
  path: string;
  /** decode validates the JSON answer; throwing marks the instance as answering badly. */
  decode(body: unknown): Res;
  resilience?: Resilience;
  observer?: UpstreamObserver;
  /** invalidateOnErrorMs drops the instances once discovery has failed this long; default: keep the last good set. */
  invalidateOnErrorMs?: number;
}

/** BalancedEndpoint is one robust client endpoint and the close that releases its pools. */
export interface BalancedEndpoint<Req, Res> {
  readonly endpoint: Endpoint<Req, Res>;
  close(): void;
}

/**
 * balancedEndpoint builds the seed's client line for one remote method:
 * `retry → round robin → endpointer → (per instance) token bucket → breaker → HTTP client`.
 * Both the proxying middleware and the client package are built with it.
 */
export function balancedEndpoint<Req, Res>(options: BalancedOptions<Req, Res>): BalancedEndpoint<Req, Res> {
  const r = options.resilience ?? {};
  const observer = options.observer ?? {};
  const factory = resilientFactory<Req, Res>({
    client: (instance) => {
      const client = httpClient<Req, Res>({
        instance,
        path: options.path,
        decode: options.decode,
        timeoutMs: r.attemptTimeoutMs ?? 100,
      });
      return { endpoint: observed(instance, client.endpoint, observer), close: () => client.close() };
    },
    tokenBucket: { rate: r.qps ?? 100, burst: r.burst ?? 100 },
    breaker: { consecutiveFailures: r.breakerFailures ?? 5, resetTimeoutMs: r.breakerResetMs ?? 10_000 },
    onLimited: (instance) => observer.onLimited?.(instance),
    onBreakerStateChange: (instance, from, to) => observer.onBreakerStateChange?.(instance, from, to),
  });
  const endpointer = new Endpointer(options.instancer, factory, {
    ...(options.invalidateOnErrorMs !== undefined ? { invalidateOnErrorMs: options.invalidateOnErrorMs } : {}),
    onChange: (instances) => observer.onInstances?.(instances),
    onError: (err) => observer.onError?.(err),
  });
  const endpoint = retry<Req, Res>({
    maxAttempts: r.maxAttempts ?? 3,
    maxTimeMs: r.maxTimeMs ?? 250,
    budget: retryBudget({ ratio: r.retryBudgetRatio ?? 0.2 }),
    onRetry: () => observer.onRetry?.(),
  })(roundRobin(endpointer));
  return { endpoint, close: () => endpointer.close() };
}

/** observed times every call that goes out to the instance (inside the limiter and breaker). */
function observed<Req, Res>(instance: Instance, next: Endpoint<Req, Res>, observer: UpstreamObserver): Endpoint<Req, Res> {
  if (!observer.onRequest) return next;
  const report = observer.onRequest.bind(observer);
  return async (ctx, request) => {
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
