import { Pool } from 'undici';
import type { Endpoint } from '../../endpoint.ts';
import { cancelled, expired, remainingMs, type Context } from '../../context.ts';
import { AnswerTooLargeError, CallTimeoutError, exchange, type Answer } from './exchange.ts';

/**
 * UpstreamErrorKind says what went wrong with one call:
 * `unreachable` — no answer at all (connection refused/reset, pool closed);
 * `timeout` — no answer in time (per-attempt timeout or the context deadline);
 * `bad_response` — an answer we cannot use (non-2xx status, non-JSON body, wrong shape).
 */
export type UpstreamErrorKind = 'unreachable' | 'timeout' | 'bad_response';

/** UpstreamError is a failed call to one upstream instance; business errors are never this. */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  readonly kind: UpstreamErrorKind;
  readonly instance: string;
  /** status is the HTTP status when the upstream answered. */
  readonly status: number | undefined;

  constructor(kind: UpstreamErrorKind, instance: string, message: string, options: { cause?: unknown; status?: number } = {}) {
    super(`${instance}: ${message}`, { cause: options.cause });
    this.kind = kind;
    this.instance = instance;
    this.status = options.status;
  }
}

/** isUpstreamError is the type guard for UpstreamError. */
export function isUpstreamError(err: unknown): err is UpstreamError {
  return err instanceof UpstreamError;
}

/** HttpClientOptions configures a JSON-over-HTTP client endpoint for one instance. */
export interface HttpClientOptions<Req, Res> {
  /** instance is `host:port` (IPv6 bracketed). */
  instance: string;
  /** path of the remote endpoint, e.g. `/uppercase`. */
  path: string;
  /** method defaults to POST; go-kit's stringsvc proxy sends GET with a JSON body. */
  method?: string;
  /** encode maps the request to the JSON body; defaults to the request itself. */
  encode?(request: Req): unknown;
  /** decode validates the parsed JSON body and returns the response; throw on a wrong shape. */
  decode(body: unknown): Res;
  /** timeoutMs bounds each call; the context deadline and signal bound it further. Default 1000. */
  timeoutMs?: number;
  /** connections caps the keep-alive pool size per instance. Default 16. */
  connections?: number;
  /** maxResponseBytes caps an answer's body; a larger one is a bad response. Default 4 MiB. */
  maxResponseBytes?: number;
  /** keepAliveTimeoutMs is how long an idle connection is kept. Default 30 s. */
  keepAliveTimeoutMs?: number;
}

/** HttpClient is a client endpoint plus the pool it owns; close() ends the pool. */
export interface HttpClient<Req, Res> {
  readonly endpoint: Endpoint<Req, Res>;
  close(): Promise<void>;
}

/**
 * httpClient builds a client endpoint on an undici keep-alive Pool (go-kit
 * `httptransport.NewClient`). It forwards `X-Request-Id` and `traceparent` from the
 * context. Caller cancellation is rethrown as the signal's reason, untouched, so retries
 * and breakers can recognise it; every other failure is an UpstreamError.
 */
export function httpClient<Req, Res>(options: HttpClientOptions<Req, Res>): HttpClient<Req, Res> {
  const { instance, path, decode } = options;
  const method = options.method ?? 'POST';
  const encode = options.encode ?? ((request: Req) => request);
  const timeoutMs = options.timeoutMs ?? 1000;
  const maxResponseBytes = options.maxResponseBytes ?? 4 * 1024 * 1024;
  const pool = new Pool(`http://${instance}`, {
    connections: options.connections ?? 16,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
  });

  const endpoint: Endpoint<Req, Res> = async (ctx, request) => {
    let answer: Answer;
    try {
      answer = await exchange(
        pool,
        { path, method, headers: headersFor(ctx), body: JSON.stringify(encode(request)) },
        { timeoutMs: Math.min(timeoutMs, remainingMs(ctx)), signal: ctx.signal, maxBytes: maxResponseBytes },
      );
    } catch (err) {
      throw failure(ctx, instance, err);
    }
    const { status } = answer;
    if (status < 200 || status > 299) {
      throw new UpstreamError('bad_response', instance, `HTTP ${status}`, { status });
    }
    let body: unknown;
    try {
      body = JSON.parse(answer.body.toString('utf8'));
    } catch (err) {
      throw new UpstreamError('bad_response', instance, 'response is not JSON', { cause: err, status });
    }
    try {
      return decode(body);
    } catch (err) {
      throw new UpstreamError('bad_response', instance, `unexpected response shape: ${String(err)}`, { cause: err, status });
    }
  };

  return { endpoint, close: () => pool.close() };
}

function headersFor(ctx: Context): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    'x-request-id': ctx.requestId,
  };
  if (ctx.traceparent) headers.traceparent = ctx.traceparent;
  return headers;
}

function failure(ctx: Context, instance: string, err: unknown): unknown {
  if (cancelled(ctx)) return ctx.signal.reason;
  if (err instanceof CallTimeoutError || expired(ctx)) {
    return new UpstreamError('timeout', instance, 'timed out', { cause: err });
  }
  if (err instanceof AnswerTooLargeError) return new UpstreamError('bad_response', instance, err.message, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new UpstreamError('unreachable', instance, message, { cause: err });
}
