import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger as PinoLogger } from 'pino';
import type { Registry } from 'prom-client';
import type { Readiness } from '../../health.ts';
import { HttpError } from './errors.ts';
import { rawBody } from './raw-body.ts';
import { requestContext } from './context.ts';
import { requestIdOf } from './request-id.ts';
import { defaultErrorEncoder, encodeJSON } from './server.ts';

/** Route binds one handler to a method and path; several routes may share a path. */
export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  path: string;
  handler: RequestHandler;
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
  /** Access log per request (pino-http). Off trades per-request logs for throughput. */
  accessLog: boolean;
}

/**
 * createApp assembles the shared HTTP surface: request ids, access log, body limit, the
 * service routes (404 for unknown paths, 405 with `Allow` for wrong methods), `/healthz`,
 * `/readyz`, `/metrics`, and a last-resort error handler that always answers JSON.
 */
export function createApp(options: AppOptions): Express {
  const { logger, readiness, registry } = options;
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', false);

  app.use(requestIds(options));
  app.use(rawBody(options.bodyLimitBytes));

  const routes: Route[] = [
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
        res.writeHead(200, { 'content-type': registry.contentType });
        res.end(text);
      },
    },
  ];
  mountRoutes(app, routes);

  app.use((req, _res, next) => next(new HttpError(404, `no route for ${req.method} ${req.path}`)));
  const lastResort: ErrorRequestHandler = (err, req, res, _next) => {
    if (res.headersSent) return void res.destroy();
    defaultErrorEncoder(err, req, res);
  };
  app.use(lastResort);
  logger.debug({ routes: routes.map((r) => `${r.method} ${r.path}`) }, 'routes mounted');
  return app;
}

/**
 * requestIds gives every request an id (honoured from `X-Request-Id` or generated), echoes it
 * back, and puts the request Context in `res.locals.ctx` for the endpoint handlers.
 */
function requestIds(options: AppOptions): RequestHandler {
  if (options.accessLog) {
    const http = pinoHttp({
      logger: options.logger,
      genReqId: (req, res) => {
        const id = requestIdOf(req);
        res.setHeader('x-request-id', id);
        return id;
      },
      customAttributeKeys: { reqId: 'request_id' },
      quietReqLogger: true,
      quietResLogger: true,
      // Method, path, status and time are what an access log is read for; serializing whole
      // requests and responses (pino-http's default) costs more than the request itself.
      wrapSerializers: false,
      serializers: { req: () => undefined },
      customSuccessObject: (req, res, val: { responseTime: number }) => ({
        method: req.method,
        url: req.url,
        status: res.statusCode,
        responseTime: val.responseTime,
      }),
    });
    return (req, res, next) => {
      http(req, res);
      res.locals.ctx = requestContext(req, res, req.log, options.handlerTimeoutMs);
      next();
    };
  }
  return (req, res, next) => {
    const id = requestIdOf(req);
    (req as { id?: string }).id = id;
    res.setHeader('x-request-id', id);
    res.locals.ctx = requestContext(req, res, options.logger, options.handlerTimeoutMs);
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
