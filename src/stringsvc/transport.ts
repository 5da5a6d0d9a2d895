import type { Endpoint } from '../kit/endpoint.ts';
import { isServiceError, type StringService } from './service.ts';
import type { ServerReply, ServerRequest } from '../kit/transport/http/handler.ts';
import type { Route } from '../kit/transport/http/app.ts';
import { isHttpError } from '../kit/transport/http/errors.ts';
import { jsonObjectBody, stringField } from '../kit/transport/http/body.ts';
import { defaultErrorEncoder, encodeJSON, type ErrorEncoder, serve, writeHead } from '../kit/transport/http/server.ts';
import type { Context } from '../kit/context.ts';
import type { RepeatLog } from '../kit/log-repeats.ts';
import { openapi } from './openapi.ts';
import { upstreamFailure } from './upstream-status.ts';

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

/** decodeUppercaseRequest reads `{"s": string}` from the body, whatever the method or Content-Type. */
export function decodeUppercaseRequest(req: ServerRequest): UppercaseRequest {
  return { s: stringField(jsonObjectBody(req), 's') };
}

/** decodeCountRequest reads `{"s": string}` from the body, whatever the method or Content-Type. */
export function decodeCountRequest(req: ServerRequest): CountRequest {
  return { s: stringField(jsonObjectBody(req), 's') };
}

/**
 * errorEncoder answers bad input with `{"err"}` and its own status (400, 413, …), and
 * infrastructure failures with the response shape `{"v":"","err"}` so go-kit clients that
 * only read `err` still see what went wrong; upstreamFailure maps the latter to a status (a
 * backend never raises one, so it answers its errors as defaultErrorEncoder does).
 */
export function errorEncoder(repeats?: RepeatLog): ErrorEncoder {
  return (err, req, res) => {
    if (isHttpError(err)) return defaultErrorEncoder(err, req, res);
    const failure = upstreamFailure(err);
    if (!failure) return defaultErrorEncoder(err, req, res);
    // The message already lists every attempt; a stack per failed request would make an outage
    // (when every request fails) cost the most CPU exactly when the process is under strain, and
    // so would a line per failed request: repeats of a status are summed up per window.
    const ctx = res.locals.ctx as Context;
    const fields = { status: failure.status, error: errorMessage(err) };
    if (repeats) repeats.warn(String(failure.status), ctx, fields, 'upstream failure');
    else ctx.logger.warn(fields, 'upstream failure');
    encodeJSON(res, { v: '', err: failure.message }, failure.status, failure.headers);
  };
}

/**
 * makeRoutes exposes the endpoints over JSON/HTTP: `/uppercase` and `/count` accept GET and
 * POST (go-kit's proxy client sends GET with a body), plus the OpenAPI document.
 */
export function makeRoutes(endpoints: Endpoints, options: { repeats?: RepeatLog } = {}): Route[] {
  const opts = { encode: encodeJSON, errorEncoder: errorEncoder(options.repeats) };
  const uppercase = serve(endpoints.uppercase, { ...opts, decode: decodeUppercaseRequest });
  const count = serve(endpoints.count, { ...opts, decode: decodeCountRequest });
  const doc = JSON.stringify(openapi);
  return [
    { method: 'POST', path: '/uppercase', handler: uppercase },
    { method: 'GET', path: '/uppercase', handler: uppercase },
    { method: 'POST', path: '/count', handler: count },
    { method: 'GET', path: '/count', handler: count },
    {
      method: 'GET',
      path: '/openapi.json',
      handler: (_req, res) => {
        writeHead(res, 200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(doc);
      },
    },
  ];
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
