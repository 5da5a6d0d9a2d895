import type { Endpoint } from '../kit/endpoint.ts';
import type { CounterService } from './service.ts';

/** AddRequest is the body of `/add`: `{"v": <safe integer>}`. */
export interface AddRequest {
  v: number;
}

/** AddResponse carries the running total after the add. */
export interface AddResponse {
  v: number;
}

/**
 * makeAddEndpoint adapts the service to an endpoint. Errors are thrown on for the transport
 * to map to a status: the counter has no "answered with an error" case like stringsvc's.
 */
export function makeAddEndpoint(svc: CounterService): Endpoint<AddRequest, AddResponse> {
  return async (ctx, req) => ({ v: await svc.add(ctx, req.v) });
}
