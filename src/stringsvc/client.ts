import { FixedInstancer, type Instance, type Instancer } from '../kit/sd/instancer.ts';
import { balancedEndpoint, type BalancedEndpoint, type Resilience, type UpstreamObserver } from './balanced.ts';
import type { CountRequest, CountResponse, UppercaseRequest, UppercaseResponse } from './endpoints.ts';
import { ServiceError, type StringService } from './service.ts';

/** decodeUppercaseResponse checks a `/uppercase` answer: `v` a string, `err` a string, null or absent. */
export function decodeUppercaseResponse(body: unknown): UppercaseResponse {
  const o = body as { v?: unknown; err?: unknown } | null;
  if (typeof o !== 'object' || o === null || typeof o.v !== 'string') throw new TypeError('"v" must be a string');
  if (o.err !== undefined && o.err !== null && typeof o.err !== 'string') throw new TypeError('"err" must be a string');
  return typeof o.err === 'string' && o.err !== '' ? { v: o.v, err: o.err } : { v: o.v };
}

/** decodeCountResponse checks a `/count` answer: `v` a number. */
export function decodeCountResponse(body: unknown): CountResponse {
  const o = body as { v?: unknown } | null;
  if (typeof o !== 'object' || o === null || typeof o.v !== 'number') throw new TypeError('"v" must be a number');
  return { v: o.v };
}

/**
 * uppercaseResult turns a remote answer back into the method's result; a business error
 * in the body becomes a ServiceError, as the backend raised it (the seed's `proxymw`).
 */
export function uppercaseResult(res: UppercaseResponse): string {
  if (res.err) throw new ServiceError(res.err);
  return res.v;
}

/** RemoteOptions say where a remote method lives and how hard to try. */
export interface RemoteOptions {
  instancer: Instancer;
  resilience?: Resilience;
  observer?: UpstreamObserver;
  /** invalidateOnErrorMs drops the instances once discovery has failed this long. */
  invalidateOnErrorMs?: number;
}

/** uppercaseEndpoint is the balanced, resilient client endpoint for `/uppercase`. */
export function uppercaseEndpoint(options: RemoteOptions): BalancedEndpoint<UppercaseRequest, UppercaseResponse> {
  return balancedEndpoint({ ...options, path: '/uppercase', decode: decodeUppercaseResponse });
}

/** countEndpoint is the balanced, resilient client endpoint for `/count`. */
export function countEndpoint(options: RemoteOptions): BalancedEndpoint<CountRequest, CountResponse> {
  return balancedEndpoint({ ...options, path: '/count', decode: decodeCountResponse });
}

/** ClientOptions locate the service: a fixed list of `host:port`, or any Instancer. */
export interface ClientOptions {
  /** instances is one address or a set to balance over; ignored when `instancer` is given. */
  instances?: readonly Instance[];
  /** instancer supplies instance sets, e.g. a Kubernetes watch. */
  instancer?: Instancer;
  resilience?: Resilience;
  /** observer sees the events of both methods' stacks. */
  observer?: UpstreamObserver;
}

/** StringServiceClient is a StringService served remotely; close releases its connections. */
export interface StringServiceClient extends StringService {
  close(): void;
}

/**
 * newClient is the seed's client package: a StringService whose methods both run on
 * remote instances, each through retry, round robin, per-instance token bucket, breaker
 * and keep-alive pool. Business errors come back as ServiceError; anything else is an
 * infrastructure error (see `classify` in `src/kit/lb/classify.ts`).
 */
export function newClient(options: ClientOptions): StringServiceClient {
  const instancer = options.instancer ?? new FixedInstancer([...(options.instances ?? [])]);
  const remote = { instancer, resilience: options.resilience, observer: options.observer };
  const uppercase = uppercaseEndpoint(remote);
  const count = countEndpoint(remote);
  return {
    async uppercase(ctx, s) {
      return uppercaseResult(await uppercase.endpoint(ctx, { s }));
    },
    async count(ctx, s) {
      return (await count.endpoint(ctx, { s })).v;
    },
    close() {
      uppercase.close();
      count.close();
    },
  };
}
