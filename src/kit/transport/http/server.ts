import type { Handler, ServerReply, ServerRequest } from './handler.ts';
import type { Endpoint } from '../../endpoint.ts';
import type { Context } from '../../context.ts';
import { isHttpError } from './errors.ts';

/** DecodeRequestFunc turns an HTTP request into the endpoint's request; it throws HttpError on bad input. */
export type DecodeRequestFunc<Req> = (req: ServerRequest) => Req;

/** EncodeResponseFunc writes the endpoint's response. */
export type EncodeResponseFunc<Res> = (res: ServerReply, response: Res) => void;

/** ErrorEncoder writes any error raised while decoding or serving a request. */
export type ErrorEncoder = (err: unknown, req: ServerRequest, res: ServerReply) => void;

/** ServerOptions are the three transport functions of go-kit's `httptransport.NewServer`. */
export interface ServerOptions<Req, Res> {
  decode: DecodeRequestFunc<Req>;
  encode?: EncodeResponseFunc<Res>;
  errorEncoder?: ErrorEncoder;
}

/**
 * serve adapts an endpoint to a route handler: decode → endpoint → encode, with every
 * failure (bad input included) going to the error encoder, so no request can crash the process.
 */
export function serve<Req, Res>(endpoint: Endpoint<Req, Res>, options: ServerOptions<Req, Res>): Handler {
  const encode = options.encode ?? encodeJSON;
  const encodeError = options.errorEncoder ?? defaultErrorEncoder;
  return async (req: ServerRequest, res: ServerReply) => {
    try {
      const request = options.decode(req);
      const ctx = res.locals.ctx as Context;
      const response = await endpoint(ctx, request);
      if (!res.headersSent) encode(res, response);
    } catch (err) {
      if (res.headersSent) res.destroy();
      else encodeError(err, req, res);
    }
  };
}

/** Characters Go's json.Encoder escapes by default (HTML-safe output). */
const goEscaped = /[<>&\u2028\u2029]/g;

/**
 * goJSON serialises like Go's json.Encoder: HTML-safe escapes for `<`, `>`, `&`, U+2028 and
 * U+2029, and a trailing newline, so our answers match go-kit's byte for byte.
 */
export function goJSON(body: unknown): string {
  const text = JSON.stringify(body);
  goEscaped.lastIndex = 0;
  const safe = goEscaped.test(text) ? text.replace(goEscaped, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) : text;
  return safe + '\n';
}

/**
 * writeHead writes the status line and `headers` plus the request's `X-Request-Id` (from its
 * Context), in one go. Every answer of ours goes through here: a header set ahead with
 * setHeader would send node down its slower merging path on every response. `headers` is
 * added to, so pass a fresh object.
 */
export function writeHead(res: ServerReply, status: number, headers: Record<string, string | number>): void {
  const id = res.locals?.ctx?.requestId;
  if (id !== undefined) headers['x-request-id'] = id;
  res.writeHead(status, headers);
}

/**
 * encodeJSON writes `body` the way go-kit's encodeResponse does (see goJSON). It bypasses
 * res.json to skip ETag work per request. `headers` (a fresh object, added to) go out with it.
 */
export function encodeJSON(res: ServerReply, body: unknown, status = 200, headers?: Record<string, string | number>): void {
  const text = goJSON(body);
  const h = headers ?? {};
  h['content-type'] = 'application/json; charset=utf-8';
  h['content-length'] = Buffer.byteLength(text);
  writeHead(res, status, h);
  res.end(text);
}

/**
 * defaultErrorEncoder answers `{"err": "<message>"}`. Unexpected errors are logged and their
 * message is not leaked; HttpErrors are the client's fault and are described to it.
 */
export function defaultErrorEncoder(err: unknown, _req: ServerRequest, res: ServerReply): void {
  if (isHttpError(err)) {
    for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
    encodeJSON(res, { err: err.message }, err.status);
    return;
  }
  res.locals.ctx?.logger.error({ err }, 'unhandled error');
  encodeJSON(res, { err: 'internal server error' }, 500);
}
