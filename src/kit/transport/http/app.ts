import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Logger as PinoLogger } from 'pino';
import type { Registry } from 'prom-client';
import type { Readiness } from '../../health.ts';
import type { Tracing } from '../../tracing/tracing.ts';
import { HttpError } from './errors.ts';
import { rawBody } from './body.ts';
import { requestContext } from './request-context.ts';
import { type AccessLogFormat, accessLogger } from './access-log.ts';
import { defaultErrorEncoder, encodeJSON, writeHead } from './server.ts';
import { type Handler, pathOf, type ServerReply, type ServerRequest } from './handler.ts';

/** Route binds one handler to a method and path; several routes may share a path. */
export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  path: string;
  handler: Handler;
}

/** AppOptions configure the express app every service of ours is served by. */
export interface AppOptions {
  logger: PinoLogger;
  routes: Route[];
  readiness: Readiness;
  registry: Registry;
  /** Largest accepted request body; larger ones get 413 without being buffered. */
  bodyLimitBytes: number;
  /** Deadline given to every request's Context. */
  handlerTimeoutMs: number;
  /** The access line written per request (see AccessLogFormat). */
  accessLog: AccessLogFormat;
  /** With tracing on, a server span per request to a service route (kit/tracing). */
  tracing?: Tracing;
  /**
   * admission runs before the body is read and may answer instead of the route (a per-client
   * limit, say); `/healthz`, `/readyz` and `/metrics` never pass through it.
   */
  admission?: Handler;
}

/**
 * createApp assembles the shared HTTP surface: request ids, access log, body limit, the
 * service routes (404 for unknown paths, 405 with `Allow` for wrong methods), `/healthz`,
 * `/readyz`, `/metrics`, and a last-resort error handler that always answers JSON.
 *
 * One list of routes, and this is the one place that decides who serves what: the route table
 * answers exact method-and-path matches, express (mounted with the same list) everything else
 * — HEAD, trailing slashes, unknown paths, 405s — because express's per-request dispatch
 * (router walk, re-prototyped req and res) costs more than a small request's own work, while
 * its handling of the edge cases is worth keeping; so the table changes speed, never answers.
 */
export function createApp(options: AppOptions): RequestListener {
  const prelude = [
    requestIds(options),
    ...(options.tracing ? [options.tracing.server(options.routes.map((r) => r.path))] : []),
    ...(options.admission ? [exceptOperational(options.admission)] : []),
    rawBody(options.bodyLimitBytes),
  ];
  const routes = withOperationalRoutes(options);
  const app = expressApp(options, prelude, routes);
  return routeTable({ routes, prelude, fallback: app, onError: lastResort });
}

/** lastResort answers whatever error reached the end, as JSON; a half-sent answer is cut. */
function lastResort(err: unknown, req: ServerRequest, res: ServerReply): void {
  if (res.headersSent) return void res.destroy();
  defaultErrorEncoder(err, req, res);
}

/** expressApp mounts the prelude and routes on express, with the 404 and last-resort handlers. */
function expressApp(options: AppOptions, prelude: Handler[], routes: Route[]): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', false);
  for (const h of prelude) app.use(h);
  mountRoutes(app, routes);
  app.use((req, _res, next) => next(new HttpError(404, `no route for ${req.method} ${req.path}`)));
  const errors: ErrorRequestHandler = (err, req, res, _next) => lastResort(err, req, res);
  app.use(errors);
  options.logger.debug({ routes: routes.map((r) => `${r.method} ${r.path}`) }, 'routes mounted');
  return app;
}

/** withOperationalRoutes adds `/healthz`, `/readyz` and `/metrics` to the service's routes. */
function withOperationalRoutes(options: AppOptions): Route[] {
  const { readiness, registry } = options;
  return [
    ...options.routes,
    { method: 'GET', path: '/healthz', handler: (_req, res) => encodeJSON(res, { status: 'ok' }) },
    {
      method: 'GET',
      path: '/readyz',
      handler: (_req, res) =>
        readiness.ready
          ? encodeJSON(res, { status: 'ready' })
          : encodeJSON(res, { status: 'not ready', reasons: readiness.reasons }, 503),
    },
    {
      method: 'GET',
      path: '/metrics',
      handler: async (_req, res) => {
        const text = await registry.metrics();
        writeHead(res, 200, { 'content-type': registry.contentType });
        res.end(text);
      },
    },
  ];
}

/** The routes withOperationalRoutes adds: probes and scrapes, which no admission may refuse. */
const operationalPaths = new Set(['/healthz', '/readyz', '/metrics']);

/** exceptOperational runs `admission` for every path but the operational ones. */
function exceptOperational(admission: Handler): Handler {
  return (req, res, next) => (operationalPaths.has(pathOf(req)) ? next() : admission(req, res, next));
}

/**
 * requestIds gives every request an id (honoured from `X-Request-Id` or generated), arranges
 * its access line, and puts the request Context in `res.locals.ctx` for the endpoint handlers;
 * writeHead echoes the id from there.
 */
function requestIds(options: AppOptions): Handler {
  const named = accessLogger(options.logger, options.accessLog);
  return (req, res, next) => {
    const id = named(req, res);
    res.locals.ctx = requestContext(req, res, id, options.logger, options.handlerTimeoutMs);
    next();
  };
}

/** mountRoutes registers each route, then a 405 catch-all per path naming the allowed methods. */
function mountRoutes(app: Express, routes: Route[]): void {
  const byPath = new Map<string, Route[]>();
  for (const r of routes) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  for (const [path, group] of byPath) {
    for (const r of group) app[r.method.toLowerCase() as 'get'](path, r.handler);
    const methods = group.map((r) => r.method);
    const allow = (methods.includes('GET') ? [...methods, 'HEAD'] : methods).join(', ');
    app.all(path, (req, _res, next) =>
      next(new HttpError(405, `method ${req.method} not allowed on ${path}; allowed: ${allow}`, { allow })),
    );
  }
}

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
 * routeTable serves exact method-and-path matches of `routes`, running `prelude` first, and
 * hands every other request to `fallback` (createApp, above, says why there are two).
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
