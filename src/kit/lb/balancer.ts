import type { ResolvedEndpoint } from '../sd/endpointer.ts';

/**
 * Balancer picks one endpoint per attempt (go-kit `lb.Balancer`). It throws
 * NoEndpointsError or NoHealthyEndpointsError when there is nothing to pick.
 */
export interface Balancer<Req, Res> {
  /**
   * pick chooses an endpoint. `tried` names instances this call already failed on; a
   * balancer avoids them while another healthy instance exists, so a retry does not land
   * on the same dead instance just because concurrent calls moved the rotation on.
   */
  pick(tried?: readonly string[]): ResolvedEndpoint<Req, Res>;
}

/** EndpointSource is what balancers read: the Endpointer, or a fixed list in tests. */
export interface EndpointSource<Req, Res> {
  endpoints(): readonly ResolvedEndpoint<Req, Res>[];
}

/** NoEndpointsError means discovery currently knows no instance (go-kit `lb.ErrNoEndpoints`). */
export class NoEndpointsError extends Error {
  override readonly name = 'NoEndpointsError';

  constructor(message = 'no endpoints available') {
    super(message);
  }
}

/** isNoEndpointsError is the type guard for NoEndpointsError. */
export function isNoEndpointsError(err: unknown): err is NoEndpointsError {
  return err instanceof NoEndpointsError;
}

/** NoHealthyEndpointsError means instances exist but every one is unhealthy (breaker open). */
export class NoHealthyEndpointsError extends Error {
  override readonly name = 'NoHealthyEndpointsError';
  /** instances are the ones that were skipped. */
  readonly instances: readonly string[];

  constructor(instances: readonly string[]) {
    super(`all ${instances.length} endpoints are unhealthy`);
    this.instances = instances;
  }
}

/** isNoHealthyEndpointsError is the type guard for NoHealthyEndpointsError. */
export function isNoHealthyEndpointsError(err: unknown): err is NoHealthyEndpointsError {
  return err instanceof NoHealthyEndpointsError;
}
