import type { Registry } from 'prom-client';
import type { Logger as PinoLogger, LevelWithSilent } from 'pino';
import type { Server } from 'node:http';
import { bool, bytes, durationMs, listenAddress, UsageError, type FlagSpec } from './cli.ts';
import { flushLogs, isLevel } from './log.ts';
import type { Readiness } from './health.ts';
import { createApp, type Route } from './transport/http/app.ts';
import { accessLogFormats, type AccessLogFormat } from './transport/http/access-log.ts';
import { addressOf, listen } from './transport/http/listen.ts';
import { onSignals } from './lifecycle.ts';

/** serverFlags are the flags every HTTP service of ours takes, besides `--listen`. */
export const serverFlags = {
  'log-level': { default: 'info', help: 'fatal, error, warn, info, debug, trace or silent.' },
  'request-log': { default: 'true', help: 'Log every request (access and service lines); false turns both off.' },
  'access-log': { default: 'errors', help: 'Access line per request: errors (lean, for status >= 400 and aborted requests), lean (method, url, status, time), full (pino-http req/res objects) or off.' },
  'body-limit': { default: '1mb', help: 'Largest request body accepted (413 beyond).' },
  'handler-timeout': { default: '30s', help: 'Deadline for handling one request.' },
  'headers-timeout': { default: '10s', help: 'Time a client has to send the request headers.' },
  'request-timeout': { default: '30s', help: 'Time a client has to send the whole request.' },
  'keep-alive-timeout': { default: '5s', help: 'Idle time before a keep-alive connection is closed.' },
  grace: { default: '10s', help: 'On SIGTERM, time in-flight requests get to finish.' },
  'shutdown-delay': { default: '0s', help: 'On SIGTERM, time to keep serving while unready, before draining.' },
} satisfies Record<string, FlagSpec>;

/** ServerSettings are serverFlags (and `--listen`) parsed and checked. */
export interface ServerSettings {
  listen: { host?: string; port: number };
  logLevel: LevelWithSilent;
  requestLog: boolean;
  /** The access line format; `off` whenever requestLog is false. */
  accessLog: AccessLogFormat;
  bodyLimitBytes: number;
  handlerTimeoutMs: number;
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  graceMs: number;
  delayMs: number;
}

/** serverSettings parses the shared flags, throwing UsageError (exit 2) on a bad value. */
export function serverSettings(f: Record<keyof typeof serverFlags | 'listen', string>): ServerSettings {
  if (!isLevel(f['log-level'])) throw new UsageError(`--log-level: "${f['log-level']}" is not a log level`);
  const access = f['access-log'] as AccessLogFormat;
  if (!accessLogFormats.includes(access)) throw new UsageError(`--access-log: "${access}" is not one of ${accessLogFormats.join(', ')}`);
  const requestLog = bool('request-log', f['request-log']);
  return {
    listen: listenAddress('listen', f.listen),
    logLevel: f['log-level'],
    requestLog,
    accessLog: requestLog ? access : 'off',
    bodyLimitBytes: bytes('body-limit', f['body-limit']),
    handlerTimeoutMs: durationMs('handler-timeout', f['handler-timeout']),
    headersTimeoutMs: durationMs('headers-timeout', f['headers-timeout']),
    requestTimeoutMs: durationMs('request-timeout', f['request-timeout']),
    keepAliveTimeoutMs: durationMs('keep-alive-timeout', f['keep-alive-timeout']),
    graceMs: durationMs('grace', f.grace),
    delayMs: durationMs('shutdown-delay', f['shutdown-delay']),
  };
}

/** RunOptions is what a service hands over to be served. */
export interface RunOptions {
  settings: ServerSettings;
  logger: PinoLogger;
  registry: Registry;
  readiness: Readiness;
  routes: Route[];
  /** Cleanup once the server has drained on SIGTERM (close pools, stop watches). */
  onClosed?: () => Promise<void> | void;
}

/**
 * runHttpServer serves `routes` with every limit and timeout from the settings, logs the
 * seed's `msg=HTTP addr=…` line, and drains on SIGTERM/SIGINT — the tail every cmd shares.
 */
export async function runHttpServer(options: RunOptions): Promise<Server> {
  const { settings: s, logger, registry, readiness } = options;
  const app = createApp({
    logger,
    registry,
    readiness,
    routes: options.routes,
    bodyLimitBytes: s.bodyLimitBytes,
    handlerTimeoutMs: s.handlerTimeoutMs,
    accessLog: s.accessLog,
  });
  const server = await listen(app, {
    ...s.listen,
    headersTimeoutMs: s.headersTimeoutMs,
    requestTimeoutMs: s.requestTimeoutMs,
    keepAliveTimeoutMs: s.keepAliveTimeoutMs,
  });
  logger.info({ addr: addressOf(server) }, 'HTTP');
  onSignals({
    servers: [server],
    readiness,
    logger,
    graceMs: s.graceMs,
    delayMs: s.delayMs,
    ...(options.onClosed ? { onClosed: options.onClosed } : {}),
    beforeExit: () => flushLogs(logger),
  });
  return server;
}

/**
 * runMain runs a cmd's main: a UsageError prints its message and exits 2 (like Go's flag
 * package); `isExpected` errors print one line and exit 1; anything else prints its stack.
 */
export function runMain(name: string, main: () => Promise<void>, isExpected: (err: unknown) => boolean = () => false): void {
  main().catch((err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`${name}: ${err.message}\nRun '${name} --help' for usage.\n`);
      process.exit(2);
    }
    process.stderr.write(`${name}: ${isExpected(err) ? (err as Error).message : ((err as Error).stack ?? String(err))}\n`);
    process.exit(1);
  });
}
