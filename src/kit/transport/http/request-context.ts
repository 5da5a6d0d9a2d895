import type { ServerReply, ServerRequest } from './handler.ts';
import { noop, type Context, type Logger } from '../../context.ts';

/**
 * RequestContext is the endpoint Context of one HTTP request. It is done when the client goes away
 * before the answer is sent, or when the handler deadline passes, so upstream calls made on its
 * behalf stop too. The watch (a timer and a close listener) starts on first use, as do the signal
 * and the logger: a backend that never calls upstream never pays for them, and a proxy that only
 * waits through afterFunc never builds the signal.
 */
class RequestContext implements Context {
  readonly requestId: string;
  readonly deadline: number;
  readonly traceparent?: string;
  readonly #res: ServerReply;
  readonly #base: Logger;
  #logger: Logger | undefined;
  #signal: AbortSignal | undefined;
  /** undefined until the watch starts; then whoever waits for the end. */
  #waiters: Array<(reason: unknown) => void> | undefined;
  #done = false;
  #reason: unknown;

  constructor(requestId: string, base: Logger, deadline: number, res: ServerReply, traceparent: string | undefined) {
    this.requestId = requestId;
    this.#base = base;
    this.deadline = deadline;
    if (traceparent !== undefined) this.traceparent = traceparent;
    this.#res = res;
  }

  /** The logger bound to the request id, made on first use: a quiet request never pays for it. */
  get logger(): Logger {
    return (this.#logger ??= this.#base.child({ request_id: this.requestId }));
  }

  get signal(): AbortSignal {
    if (this.#signal) return this.#signal;
    const ac = new AbortController();
    this.#signal = ac.signal;
    this.onDone((reason) => ac.abort(reason));
    return ac.signal;
  }

  onDone(fn: (reason: unknown) => void): () => void {
    if (this.#waiters === undefined) this.#watch();
    if (this.#done) {
      fn(this.#reason);
      return noop;
    }
    const waiters = this.#waiters!;
    waiters.push(fn);
    return () => {
      const i = waiters.indexOf(fn);
      if (i !== -1) waiters.splice(i, 1);
    };
  }

  #watch(): void {
    this.#waiters = [];
    const res = this.#res;
    const timer = setTimeout(
      () => this.#finish(new DOMException('handler deadline exceeded', 'TimeoutError')),
      Math.max(0, this.deadline - Date.now()),
    );
    timer.unref();
    const onClose = () => {
      clearTimeout(timer);
      if (!res.writableFinished) this.#finish(new DOMException('client closed the request', 'AbortError'));
    };
    if (res.closed) onClose();
    else res.on('close', onClose); // a response closes once: no once-wrapper needed
  }

  #finish(reason: unknown): void {
    if (this.#done) return;
    this.#done = true;
    this.#reason = reason;
    const waiters = this.#waiters!;
    this.#waiters = [];
    for (const fn of waiters) fn(reason);
  }
}

/**
 * requestContext builds the endpoint Context for one HTTP request named `requestId`, with a
 * `timeoutMs` deadline and a logger that is `logger` bound to the id.
 */
export function requestContext(req: ServerRequest, res: ServerReply, requestId: string, logger: Logger, timeoutMs: number): Context {
  const traceparent = req.headers.traceparent;
  return new RequestContext(
    requestId,
    logger,
    Date.now() + timeoutMs,
    res,
    typeof traceparent === 'string' ? traceparent : undefined,
  );
}
