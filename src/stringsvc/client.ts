import type { BalancerChoice } from '../kit/lb/choose.ts';
import { FixedInstancer, type Instance, type Instancer } from '../kit/sd/instancer.ts';
import type { CountResponse } from './transport.ts';
import { balancedEndpoint, uppercaseMethod, uppercaseResult, type RemoteMethod, type Resilience, type UpstreamObserver } from './proxying.ts';
import type { StringService } from './service.ts';

/** decodeCountResponse checks a `/count` answer: `v` a number. */
export function decodeCountResponse(body: unknown): CountResponse {
  const o = body as { v?: unknown } | null;
  if (typeof o !== 'object' || o === null || typeof o.v !== 'number') throw new TypeError('"v" must be a number');
  return { v: o.v };
}

/** countMethod is the backend's `/count`. */
export const countMethod: RemoteMethod<CountResponse> = { path: '/count', decode: decodeCountResponse };

/** ClientOptions locate the service: a fixed list of `host:port`, or any Instancer. */
export interface ClientOptions {
  /** instances is one address or a set to balance over; ignored when `instancer` is given. */
  instances?: readonly Instance[];
  /** instancer supplies instance sets, e.g. a Kubernetes watch. */
  instancer?: Instancer;
  resilience?: Resilience;
  /** observer sees the events of both methods' stacks. */
  observer?: UpstreamObserver;
  /** balancer picks each attempt's instance; default round robin. */
  balancer?: BalancerChoice;
}

/** StringServiceClient is a StringService served remotely; close releases its connections. */
export interface StringServiceClient extends StringService {
  close(): void;
}

/**
 * newClient is the seed's client package: a StringService whose methods both run on
 * remote instances, each through the client stack of proxying.ts (retry, balancer,
 * per-instance token bucket, breaker and keep-alive pool). Business errors come back as
 * ServiceError; anything else is an infrastructure error (see `classify`).
 */
export function newClient(options: ClientOptions): StringServiceClient {
  const instancer = options.instancer ?? new FixedInstancer([...(options.instances ?? [])]);
  const remote = {
    instancer,
    ...(options.resilience ? { resilience: options.resilience } : {}),
    ...(options.observer ? { observer: options.observer } : {}),
    ...(options.balancer ? { balancer: options.balancer } : {}),
  };
  const uppercase = balancedEndpoint(uppercaseMethod, remote);
  const count = balancedEndpoint(countMethod, remote);
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
