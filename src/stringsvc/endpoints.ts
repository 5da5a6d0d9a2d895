import type { Endpoint } from '../kit/endpoint.ts';
import { isServiceError, type StringService } from './service.ts';

/** UppercaseRequest is the body of `/uppercase`. */
export interface UppercaseRequest {
  s: string;
}

/** UppercaseResponse carries a business error as a string, as go-kit's does (`err` omitted when none). */
export interface UppercaseResponse {
  v: string;
  err?: string;
}

/** CountRequest is the body of `/count`. */
export interface CountRequest {
  s: string;
}

/** CountResponse is the UTF-8 byte length. */
export interface CountResponse {
  v: number;
}

/** Endpoints gathers one endpoint per service method, for transports and clients alike. */
export interface Endpoints {
  uppercase: Endpoint<UppercaseRequest, UppercaseResponse>;
  count: Endpoint<CountRequest, CountResponse>;
}

/**
 * makeUppercaseEndpoint adapts the service method. Business errors become a value in the
 * response; anything else is thrown on, for the transport to turn into a status code.
 */
export function makeUppercaseEndpoint(svc: StringService): Endpoints['uppercase'] {
  return async (ctx, req) => {
    try {
      return { v: await svc.uppercase(ctx, req.s) };
    } catch (e) {
      if (isServiceError(e)) return { v: '', err: e.message };
      throw e;
    }
  };
}

/** makeCountEndpoint adapts the service method. */
export function makeCountEndpoint(svc: StringService): Endpoints['count'] {
  return async (ctx, req) => ({ v: await svc.count(ctx, req.s) });
}

/** makeEndpoints builds the endpoint set of a service. */
export function makeEndpoints(svc: StringService): Endpoints {
  return { uppercase: makeUppercaseEndpoint(svc), count: makeCountEndpoint(svc) };
}
