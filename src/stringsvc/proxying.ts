import type { Endpoint } from '../kit/endpoint.ts';
import { uppercaseResult } from './client.ts';
import type { UppercaseRequest, UppercaseResponse } from './endpoints.ts';
import type { ServiceMiddleware } from './service.ts';

/**
 * proxyingMiddleware serves Uppercase through a client endpoint (usually `uppercaseEndpoint`:
 * retry, round robin, breakers, limiters) and Count through the next service, as the
 * seed's `proxymw` does. A remote business error comes back as a ServiceError, so it is
 * answered exactly as a local one would be.
 */
export function proxyingMiddleware(uppercase: Endpoint<UppercaseRequest, UppercaseResponse>): ServiceMiddleware {
  return (next) => ({
    async uppercase(ctx, s) {
      return uppercaseResult(await uppercase(ctx, { s }));
    },
    count: (ctx, s) => next.count(ctx, s),
  });
}
