import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { pathOf, type Handler, type ServerReply, type ServerRequest } from './handler.ts';

/** ErrorHandler answers an error a handler passed on (express's four-argument contract). */
export type ErrorHandler = (err: unknown, req: ServerRequest, res: ServerReply) => void;

/** RouteTableOptions are the exact routes, what runs before each, and where the rest go. */
export interface RouteTableOptions {
  /** Exact `method path` pairs served directly; the path is compared without its query. */
  routes: ReadonlyArray<{ method: string; path: string; handler: Handler }>;
  /** Handlers run in order before the route's (ids, access log, body), as express middlewares. */
  prelude: readonly Handler[];
  /** Receives every request no route names exactly: the express app, with the same routes. */
  fallback: RequestListener;
  onError: ErrorHandler;
}

/**
 * routeTable serves exact method-and-path matches without express's per-request work (its
 * router walk, and re-prototyping req and res). Anything else — HEAD, trailing slashes, unknown paths, 405s — goes to `fallback`,
 * which has the same routes, so the table changes speed, never answers.
 */
export function routeTable(options: RouteTableOptions): RequestListener {
  // Method, then path: no key string is built per request, and method names are interned.
  const table = new Map<string, Map<string, Handler>>();
  for (const r of options.routes) {
    let paths = table.get(r.method);
    if (paths === undefined) table.set(r.method, (paths = new Map()));
    paths.set(r.path, r.handler);
  }
  const { prelude, fallback, onError } = options;
  const last = prelude.length;
  return (req: IncomingMessage, res: ServerResponse) => {
    const handler = table.get(req.method ?? '')?.get(pathOf(req));
    if (handler === undefined) return fallback(req, res);
    const sreq = req as ServerRequest;
    const sres = res as ServerReply;
    sres.locals = {};
    // One `next` serves the whole chain; `step` past the prelude means the route's own handler.
    let step = 0;
    const next = (err?: unknown): void => {
      if (err === undefined && step > last) err = new Error('handler called next() without an error');
      if (err !== undefined) return onError(err, sreq, sres);
      const h = step < last ? prelude[step]! : handler;
      step++;
      try {
        const out = h(sreq, sres, next);
        if (out instanceof Promise) out.catch((e: unknown) => onError(e ?? new Error('handler rejected without a reason'), sreq, sres));
      } catch (e) {
        onError(e, sreq, sres);
      }
    };
    next();
  };
}
