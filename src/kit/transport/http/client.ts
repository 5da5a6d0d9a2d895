import { type Dispatcher, Pool } from 'undici';
import type { Endpoint } from '../../endpoint.ts';
import { cancelled, type Context, expired, remainingMs } from '../../context.ts';

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
  // The pool is made on the first call and let go once its last connection has closed: undici's
  // Pool reserves its request queue up front (figures: docs/discovery.md), and a frontend may know thousands of
  // instances it calls rarely or not yet. (undici's Agent does the same per origin, but cannot
  // close one origin's pool when its instance leaves; a closed client must refuse new calls.)
  let pool: Pool | undefined;
  let closed = false;
  const open = (): Pool => {
    if (pool) return pool;
    const p = new Pool(`http://${instance}`, {
      connections: options.connections ?? 16,
      keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    });
    p.on('disconnect', () => {
      if (closed || pool !== p) return;
      const { connected, pending, running } = p.stats;
      if (connected > 0 || pending > 0 || running > 0) return;
      pool = undefined;
      // Nothing is queued or running on it: closing cannot fail a call.
      p.close().catch(() => {});
    });
    return (pool = p);
  };

  const endpoint: Endpoint<Req, Res> = async (ctx, request) => {
    let answer: Answer;
    try {
      answer = await exchange(
        open(),
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

  return {
    endpoint,
    close: () => {
      closed = true;
      // The pool stays, closed, so later calls are refused (unreachable) rather than reconnecting.
      return open().close();
    },
  };
}

function headersFor(ctx: Context): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json',
    'x-request-id': ctx.requestId,
  };
  if (ctx.traceparent) headers.traceparent = ctx.traceparent;
  if (ctx.tracestate) headers.tracestate = ctx.tracestate;
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

/** Answer is one whole upstream response: its status and its body bytes. */
type Answer = { status: number; body: Buffer };

/** AnswerTooLargeError and CallTimeoutError end an exchange; failure() maps them to UpstreamErrors. */
class AnswerTooLargeError extends Error { override readonly name = 'AnswerTooLargeError'; }
class CallTimeoutError extends Error { override readonly name = 'CallTimeoutError'; }

/** ExchangeOptions bound one call: the whole of it (queueing included), the caller's signal, the body size. */
type ExchangeOptions = { timeoutMs: number; signal: AbortSignal; maxBytes: number };

/**
 * exchange sends one request through an undici dispatcher and gathers the whole answer. It uses
 * the low-level handler API with one timer and one listener on the caller's signal: undici's
 * `request()` adds a body stream and an AbortController per call, which a proxy's hot path does
 * not need. A call still queued for a connection when it is cancelled is refused at once and
 * aborted when it would have started.
 */
function exchange(dispatcher: Dispatcher, request: Dispatcher.DispatchOptions, options: ExchangeOptions): Promise<Answer> {
  return new Promise<Answer>((resolve, reject) => {
    const handler = new ExchangeHandler(resolve, reject, options);
    if (handler.settled) return; // the signal had aborted already
    if (options.timeoutMs <= 0) return handler.cancel(new CallTimeoutError('no time left for the call'));
    try {
      dispatcher.dispatch(request, handler);
    } catch (err) {
      handler.cancel(err as Error);
    }
  });
}

/** ExchangeHandler is the handler of one call: it gathers the body and settles the promise once. */
class ExchangeHandler implements Dispatcher.DispatchHandler {
  readonly #resolve: (answer: Answer) => void;
  readonly #reject: (err: unknown) => void;
  readonly #maxBytes: number;
  readonly #timer: NodeJS.Timeout;
  #stopWaiting: (() => void) | undefined;
  #controller: Dispatcher.DispatchController | undefined;
  #cancelled: unknown;
  #settled = false;
  #status = 0;
  #chunks: Buffer[] = [];
  #bytes = 0;

  constructor(resolve: (answer: Answer) => void, reject: (err: unknown) => void, options: ExchangeOptions) {
    this.#resolve = resolve;
    this.#reject = reject;
    this.#maxBytes = options.maxBytes;
    this.#timer = setTimeout(() => this.cancel(new CallTimeoutError(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    // Last: a signal that has aborted already cancels the call right here.
    const signal = options.signal;
    if (signal.aborted) {
      this.cancel(signal.reason);
    } else {
      const onAbort = () => this.cancel(signal.reason);
      signal.addEventListener('abort', onAbort);
      this.#stopWaiting = () => signal.removeEventListener('abort', onAbort);
    }
  }

  /** settled is true once the call has an outcome. */
  get settled(): boolean {
    return this.#settled;
  }

  /** cancel fails the call now with `reason` and aborts the exchange, or will abort it once it starts. */
  cancel(reason: unknown): void {
    if (this.#settled) return;
    this.#settle(reason, undefined);
    if (this.#controller) this.#controller.abort(reason as Error);
    else this.#cancelled = reason;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.#settled) controller.abort((this.#cancelled ?? new Error('call settled before it started')) as Error);
    else this.#controller = controller;
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.#status = statusCode;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#bytes += chunk.length;
    if (this.#bytes > this.#maxBytes) {
      const err = new AnswerTooLargeError(`response body over ${this.#maxBytes} bytes`);
      this.#settle(err, undefined);
      controller.abort(err);
      return;
    }
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    const chunks = this.#chunks;
    this.#settle(undefined, { status: this.#status, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, this.#bytes) });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.#settle(err, undefined);
  }

  #settle(err: unknown, answer: Answer | undefined): void {
    if (this.#settled) return;
    this.#settled = true;
    clearTimeout(this.#timer);
    this.#stopWaiting?.();
    if (answer) this.#resolve(answer);
    else this.#reject(err);
  }
}
