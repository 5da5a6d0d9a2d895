import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger as PinoLogger } from 'pino';
import { pinoHttp } from 'pino-http';
import { newRequestId } from '../../request-id.ts';
import { traceFields } from '../../tracing/traced-context.ts';
import type { ServerReply } from './handler.ts';

/**
 * AccessLogFormat picks the line written per request: `lean` (method, url, status, time and
 * request id — what an access log is read for), `errors` (the lean line, for answers of 400 and
 * up and for aborted requests only), `full` (pino-http's standard `req`/`res` objects with
 * headers and addresses, for pipelines built around them), or `off`.
 *
 * `errors` is the services' default: every call that reaches the service is logged by its
 * logging middleware anyway (the seed's line, with the request id), so a second line for each
 * success only doubles the log volume; what the service never sees — bad input, unknown
 * paths, failures — still gets its line, and health probes and scrapes stay quiet.
 */
export type AccessLogFormat = 'errors' | 'lean' | 'full' | 'off';

/** accessLogFormats lists the accepted values, for flag validation. */
export const accessLogFormats: readonly AccessLogFormat[] = ['errors', 'lean', 'full', 'off'];

/**
 * AccessLogger names a request (honoured `X-Request-Id` or a new random id) and arranges for its
 * access line; it returns the id. The answer echoes it (see `writeHead` in server.ts).
 */
export type AccessLogger = (req: IncomingMessage, res: ServerResponse) => string;

/** accessLogger returns the AccessLogger of `format`. */
export function accessLogger(logger: PinoLogger, format: AccessLogFormat): AccessLogger {
  if (format === 'full') return fullAccessLog(logger);
  if (format === 'lean') return leanAccessLog(logger, 0);
  if (format === 'errors') return leanAccessLog(logger, 400);
  return (req) => requestIdOf(req);
}

/**
 * leanAccessLog writes one line per request when its response closes — for answers with a
 * status of at least `fromStatus`, and always for aborted ones — from the root logger with the
 * id as a field, rather than pino-http's two child loggers and three listeners per request.
 */
function leanAccessLog(logger: PinoLogger, fromStatus: number): AccessLogger {
  return (req, res) => {
    const id = requestIdOf(req);
    const begin = performance.now();
    res.on('close', () => { // a response closes once: no once-wrapper needed
      if (res.statusCode < fromStatus && res.writableFinished) return;
      const line = {
        request_id: id,
        method: req.method,
        url: req.url,
        // An aborted request got no answer from us (or Node's own 408 on the socket): its
        // statusCode would be the unsent default, 200.
        ...(res.writableFinished || res.headersSent ? { status: res.statusCode } : {}),
        responseTime: Math.round((performance.now() - begin) * 1000) / 1000,
        ...traceFields((res as ServerReply).locals?.ctx),
      };
      if (!res.writableFinished) logger.warn(line, 'request aborted');
      else if (res.statusCode >= 500) logger.error(line, 'request errored');
      else logger.info(line, 'request completed');
    });
    return id;
  };
}

/** fullAccessLog is pino-http with its standard serializers, the id under `request_id`. */
function fullAccessLog(logger: PinoLogger): AccessLogger {
  const http = pinoHttp({
    logger,
    genReqId: (req) => requestIdOf(req),
    customAttributeKeys: { reqId: 'request_id' },
    quietReqLogger: true,
    customProps: (_req, res) => traceFields((res as ServerReply).locals?.ctx) ?? {},
  });
  return (req, res) => {
    http(req, res);
    return String(req.id);
  };
}

/** Ids we accept from callers: short and printable, so they are safe to log and echo. */
const acceptable = /^[\w.:@/+=-]{1,128}$/;

/**
 * requestIdOf honours an incoming `X-Request-Id` (as the counter article's router sets one)
 * and otherwise generates one (see newRequestId), so every log line of one request can be joined up.
 */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && acceptable.test(given) ? given : newRequestId();
}
