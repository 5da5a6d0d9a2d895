/**
 * The package entry for other TypeScript programs: the stringsvc client (the seed's
 * "client package") and what is needed to call it and read its errors.
 */
export { newClient, type ClientOptions, type StringServiceClient } from './stringsvc/client.ts';
export type { Resilience, UpstreamObserver, RequestOutcome } from './stringsvc/proxying.ts';
export { ServiceError, isServiceError, type StringService } from './stringsvc/service.ts';
export { background, withTimeout, cancelled, expired, CancelledError, DeadlineExceededError, type Context, type Logger } from './kit/context.ts';
export { classify, type FailureCategory } from './stringsvc/classify.ts';
export { FixedInstancer, InstanceBroadcaster, type Instancer, type Instance } from './kit/sd/instancer.ts';
export type { BalancerChoice, BalancerKind } from './kit/lb/choose.ts';
