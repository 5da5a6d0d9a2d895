import { pino, type Logger, type LevelWithSilent } from 'pino';

/**
 * newLogger returns the process logger: JSON lines on stdout through an asynchronous writer
 * (synchronous writes cost a third of throughput at high request rates). No minimum buffer
 * length, so a quiet process still logs at once; lines written while a write is pending are
 * coalesced. If stdout goes away (EPIPE: whoever read our logs is gone), logging stops and
 * serving goes on — a log reader must never be able to take the service down.
 */
export function newLogger(level: LevelWithSilent, bindings: Record<string, unknown> = {}): Logger {
  const destination = pino.destination({ dest: 1, sync: false });
  // Epoch-millisecond timestamps: formatting ISO dates on every line is a measurable cost.
  const logger = pino({ level, base: { ...bindings } }, destination);
  destination.on('error', () => {
    logger.level = 'silent';
  });
  return logger;
}

/**
 * flushLogs waits (at most `timeoutMs`) for buffered lines to reach stdout, before an exit.
 * Asynchronous on purpose: sonic-boom's flushSync retries a broken pipe forever.
 */
export function flushLogs(logger: Logger, timeoutMs = 1000): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    try {
      logger.flush(() => {
        clearTimeout(timer);
        resolve();
      });
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/** isLevel tells whether `s` names a pino level, for flag validation. */
export function isLevel(s: string): s is LevelWithSilent {
  return ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(s);
}
