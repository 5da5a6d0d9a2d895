import type { Server } from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger as PinoLogger } from 'pino';
import { UsageError } from './cli.ts';
import type { Readiness } from './health.ts';
import { onSignals } from './lifecycle.ts';
import { flushLogs } from './log.ts';
import type { ServerSettings } from './server-flags.ts';
import type { Tracing } from './tracing/tracing.ts';
import { createApp, type Route } from './transport/http/app.ts';
import type { Handler } from './transport/http/handler.ts';
import { addressOf, listen } from './transport/http/listen.ts';

/** RunOptions is what a service hands over to be served. */
export interface RunOptions {
  settings: ServerSettings;
  logger: PinoLogger;
  registry: Registry;
  readiness: Readiness;
  routes: Route[];
  /** With tracing on, the server spans; its queued spans are exported after the drain. */
  tracing?: Tracing;
  /** admission may answer a request before its body is read (see AppOptions.admission). */
  admission?: Handler;
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
    ...(options.tracing ? { tracing: options.tracing } : {}),
    ...(options.admission ? { admission: options.admission } : {}),
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
    onClosed: async () => {
      await options.onClosed?.();
      await options.tracing?.shutdown();
    },
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
