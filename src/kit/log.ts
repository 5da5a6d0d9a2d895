import { pino, type Logger, type LevelWithSilent } from 'pino';
import { LineBatcher, type BlockSink } from './line-batcher.ts';

/**
 * Bytes of log lines gathered before a write; a busy process writes in blocks this big. Each
 * write is a thread-pool round trip, so bigger blocks mean fewer of them; the flush tick still
 * bounds how long a line waits.
 */
const blockBytes = 64 * 1024;
/** Longest a line waits in the buffer, so a quiet process's lines still show up promptly. */
const flushEveryMs = 100;
/** Lines held while stdout does not take them; beyond this they are dropped, not kept in memory. */
const maxHeldBytes = 16 * 1024 * 1024;

/**
 * newLogger returns the process logger: JSON lines on stdout through an asynchronous writer
 * that gathers lines into blocks. Writing each line as it comes costs a thread-pool round
 * trip per line — more CPU than serving the request — so lines wait for a block to fill or
 * for the next flush tick, whichever is first. If stdout goes away (EPIPE: whoever read our
 * logs is gone), logging stops and serving goes on — a log reader must never be able to take
 * the service down; if it only stalls, lines beyond 16 MiB are dropped.
 */
export function newLogger(level: LevelWithSilent, bindings: Record<string, unknown> = {}): Logger {
  const destination = pino.destination({ dest: 1, sync: false, contentMode: 'buffer', minLength: blockBytes, maxWrite: 4 * blockBytes, maxLength: maxHeldBytes });
  // In buffer mode sonic-boom takes Buffers; its types only describe the utf8 mode.
  const batcher = new LineBatcher(destination as unknown as BlockSink, blockBytes);
  // pino's default epoch-millisecond timestamps: no date formatting on every line.
  const logger = pino({ level, base: { ...bindings } }, batcher);
  let broken = false;
  destination.on('error', () => {
    broken = true;
    logger.level = 'silent';
  });
  destination.on('close', () => (broken = true));
  const tick = setInterval(() => {
    // Only when there is something to write: an idle process makes no empty writes.
    if (!broken && (batcher.pending || batcher.unflushed)) batcher.flush();
  }, flushEveryMs);
  tick.unref();
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
