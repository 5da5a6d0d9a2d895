import type { LevelWithSilent } from 'pino';
import { bool, bytes, durationMs, listenAddress, UsageError, type FlagSpec } from './cli.ts';
import { isLevel } from './log.ts';
import { accessLogFormats, type AccessLogFormat } from './transport/http/access-log.ts';

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
  const requestTimeoutMs = durationMs('request-timeout', f['request-timeout']);
  // The headers are part of the request, so a shorter request timeout already bounds them; Node
  // refuses a larger headers timeout outright, which made `--request-timeout=5s` alone crash.
  const headersTimeoutMs = Math.min(durationMs('headers-timeout', f['headers-timeout']), requestTimeoutMs || Infinity);
  return {
    listen: listenAddress('listen', f.listen),
    logLevel: f['log-level'],
    requestLog,
    accessLog: requestLog ? access : 'off',
    bodyLimitBytes: bytes('body-limit', f['body-limit']),
    handlerTimeoutMs: durationMs('handler-timeout', f['handler-timeout']),
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: durationMs('keep-alive-timeout', f['keep-alive-timeout']),
    graceMs: durationMs('grace', f.grace),
    delayMs: durationMs('shutdown-delay', f['shutdown-delay']),
  };
}
