import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from './context.ts';
import type { Readiness } from './health.ts';

/** ShutdownOptions describe how a process drains before it exits. */
export interface ShutdownOptions {
  servers: Server[];
  readiness: Readiness;
  logger: Logger;
  /** How long in-flight requests get to finish before connections are cut. */
  graceMs: number;
  /** Time to keep serving while not ready, so load balancers stop sending first. */
  delayMs?: number;
  /**
   * Time during which every answer says `Connection: close` before idle keep-alive connections
   * are closed (default: 1 s, or half of `graceMs` if that is shorter).
   */
  noticeMs?: number;
  /** Extra cleanup (close upstream pools, stop watches) once the servers are closed. */
  onClosed?: () => Promise<void> | void;
  /** Last step before exiting, e.g. flushing buffered log lines. */
  beforeExit?: () => Promise<void>;
}

/**
 * drain stops a process the way Kubernetes expects: readiness turns false, answers tell
 * keep-alive clients to close their connections, the servers stop accepting, in-flight requests
 * get up to `graceMs` to finish, then everything is closed.
 * It resolves when done; the caller decides the exit code.
 */
export async function drain(options: ShutdownOptions): Promise<void> {
  const { servers, readiness, logger, graceMs } = options;
  readiness.block('shutting down');
  if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
  logger.info({ grace_ms: graceMs }, 'draining');
  // A keep-alive client may send its next request into a socket we close between two of its
  // requests, and that request is lost (a reset it cannot retry). So first each answer tells its
  // client to go elsewhere; only then are the connections still idle closed.
  const sayClose = (_req: IncomingMessage, res: ServerResponse): void => {
    res.setHeader('connection', 'close');
  };
  servers.forEach((s) => s.prependListener('request', sayClose));
  const noticeMs = options.noticeMs ?? Math.min(1000, graceMs / 2);
  if (noticeMs > 0) await new Promise((r) => setTimeout(r, noticeMs));
  const closed = Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeIdleConnections();
        }),
    ),
  );
  // Connections kept alive by clients would otherwise hold close() open until the grace ends.
  const idleSweep = setInterval(() => servers.forEach((s) => s.closeIdleConnections()), 50);
  let timer: NodeJS.Timeout | undefined;
  // The notice counts against the grace period.
  const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), Math.max(0, graceMs - noticeMs))));
  const outcome = await Promise.race([closed.then(() => 'drained' as const), timedOut]);
  clearInterval(idleSweep);
  clearTimeout(timer);
  if (outcome === 'timeout') {
    logger.warn({ grace_ms: graceMs }, 'grace period over; closing remaining connections');
    servers.forEach((s) => s.closeAllConnections());
  }
  await options.onClosed?.();
  logger.info({ outcome }, 'stopped');
}

/**
 * onSignals runs `drain` once on the first SIGTERM or SIGINT, then exits 0; a second signal
 * exits at once with 130, for an impatient Ctrl-C.
 */
export function onSignals(options: ShutdownOptions): void {
  let draining = false;
  const handler = (signal: NodeJS.Signals) => {
    if (draining) process.exit(130);
    draining = true;
    options.logger.info({ signal }, 'signal received');
    const exit = (code: number) => void (options.beforeExit?.() ?? Promise.resolve()).finally(() => process.exit(code));
    drain(options).then(
      () => exit(0),
      (err: unknown) => {
        options.logger.error({ err }, 'shutdown failed');
        exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}
