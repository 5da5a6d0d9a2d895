import type { RequestListener } from 'node:http';
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Logger as PinoLogger } from 'pino';
import type { Registry } from 'prom-client';
import type { Readiness } from '../../health.ts';
import { HttpError } from './errors.ts';
import { rawBody } from './raw-body.ts';
import { requestContext } from './request-context.ts';
import { accessLogger, type AccessLogFormat } from './access-log.ts';
import { defaultErrorEncoder, encodeJSON, writeHead } from './server.ts';
import type { Handler, ServerReply, ServerRequest } from './handler.ts';
import { routeTable } from './route-table.ts';

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
}

/**
 * createApp assembles the shared HTTP surface: request ids, access log, body limit, the
 * service routes (404 for unknown paths, 405 with `Allow` for wrong methods), `/healthz`,
 * `/readyz`, `/metrics`, and a last-resort error handler that always answers JSON. Exact
 * route matches skip express's dispatch (see routeTable); express serves everything else.
 */
export function createApp(options: AppOptions): RequestListener {
  const prelude = [requestIds(options), rawBody(options.bodyLimitBytes)];
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
