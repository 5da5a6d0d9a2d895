import { pathOf as requestPath, type Handler, type ServerReply, type ServerRequest } from '../kit/transport/http/handler.ts';
import type { Context } from '../kit/context.ts';
import type { Endpoint } from '../kit/endpoint.ts';
import { isRateLimitedError } from '../kit/ratelimit/limiter.ts';
import { retryAfterSeconds } from '../kit/ratelimit/retry-after.ts';
import type { Route } from '../kit/transport/http/app.ts';
import { HttpError } from '../kit/transport/http/errors.ts';
import { jsonObjectBody } from '../kit/transport/http/body.ts';
import { defaultErrorEncoder, encodeJSON, serve, writeHead } from '../kit/transport/http/server.ts';
import { withPath } from './path-context.ts';
import type { AddRequest, AddResponse } from './endpoints.ts';
import type { Expvar } from './expvar.ts';
import { openapi } from './openapi.ts';
import { isOutOfRangeError, isStoreUnavailableError } from './store.ts';

/**
 * decodeAddRequest reads `{"v": <safe integer>}` whatever the Content-Type (`curl -d` sends a
 * form type). JSON has one number type, so `1.0` is the integer 1; `1.5`, `"1"` and numbers
 * beyond ±2^53-1 (which JSON.parse would round) are refused.
 */
export function decodeAddRequest(req: ServerRequest): AddRequest {
  const body = jsonObjectBody(req);
  const v = body['v'];
  if (v === undefined) throw new HttpError(400, 'missing field "v"');
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new HttpError(400, 'field "v" must be an integer');
  if (!Number.isSafeInteger(v)) throw new HttpError(400, `field "v" must be a safe integer (within ±${Number.MAX_SAFE_INTEGER})`);
  return { v };
}

/**
 * errorEncoder answers `{"err"}`: 400 for bad input; 409 Conflict for a valid add that would take
 * the current total out of the safe range (the request is fine, the total is not: a schema-valid body
 * is never a 4xx "bad request"); 429 with the article's "rate limit exceeded" (and Retry-After, when the
 * bucket's next token is due); 503 when the store did
 * not acknowledge the add.
 */
export function errorEncoder(err: unknown, req: ServerRequest, res: ServerReply): void {
  if (isOutOfRangeError(err)) return encodeJSON(res, { err: err.message }, 409);
  if (isRateLimitedError(err)) return encodeJSON(res, { err: err.message }, 429, retryAfter(err.retryAfterMs));
  if (isStoreUnavailableError(err)) {
    (res.locals.ctx as Context).logger.warn({ err }, 'store unavailable');
    return encodeJSON(res, { err: err.message }, 503);
  }
  defaultErrorEncoder(err, req, res);
}

/** pathExtractor puts the request path into the Context before the endpoint runs (go-kit's ServerBefore). */
function pathExtractor(handler: Handler): Handler {
  return (req, res, next) => {
    res.locals.ctx = withPath(res.locals.ctx as Context, requestPath(req));
    return handler(req, res, next);
  };
}

/** makeRoutes exposes `POST /add`, Go's `GET /debug/vars` and the OpenAPI document. */
export function makeRoutes(add: Endpoint<AddRequest, AddResponse>, vars: Expvar): Route[] {
  return [
    { method: 'POST', path: '/add', handler: pathExtractor(serve(add, { decode: decodeAddRequest, encode: encodeJSON, errorEncoder })) },
    {
      method: 'GET',
      path: '/debug/vars',
      handler: (_req, res) => {
        const text = vars.render();
        writeHead(res, 200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      },
    },
    {
      method: 'GET',
      path: '/openapi.json',
      handler: (_req, res) => {
        writeHead(res, 200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(doc) });
        res.end(doc);
      },
    },
  ];
}

const doc = JSON.stringify(openapi);

function retryAfter(ms: number | undefined): Record<string, string> | undefined {
  return ms === undefined ? undefined : { 'retry-after': String(retryAfterSeconds(ms)) };
}
