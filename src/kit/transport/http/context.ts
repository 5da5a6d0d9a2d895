import type { Request, Response } from 'express';
import type { Context, Logger } from '../../context.ts';

/**
 * RequestContext is the endpoint Context of one HTTP request. Its signal aborts when the client
 * goes away before the answer is sent, or when the handler deadline passes, so upstream calls
 * made on its behalf stop too. The signal (a controller, a timer and a listener) is built on
 * first use: a backend that never calls upstream never pays for it.
 */
class RequestContext implements Context {
  readonly requestId: string;
  readonly logger: Logger;
  readonly deadline: number;
  readonly traceparent?: string;
  readonly #res: Response;
  #signal: AbortSignal | undefined;

  constructor(requestId: string, logger: Logger, deadline: number, res: Response, traceparent: string | undefined) {
    this.requestId = requestId;
    this.logger = logger;
    this.deadline = deadline;
    if (traceparent !== undefined) this.traceparent = traceparent;
    this.#res = res;
  }

  get signal(): AbortSignal {
    if (this.#signal) return this.#signal;
    const ac = new AbortController();
    const res = this.#res;
    const timer = setTimeout(
      () => ac.abort(new DOMException('handler deadline exceeded', 'TimeoutError')),
      Math.max(0, this.deadline - Date.now()),
    );
    timer.unref();
    const onClose = () => {
      clearTimeout(timer);
      if (!res.writableFinished) ac.abort(new DOMException('client closed the request', 'AbortError'));
    };
    if (res.closed) onClose();
    else res.once('close', onClose);
    this.#signal = ac.signal;
    return ac.signal;
  }
}

/** requestContext builds the endpoint Context for one HTTP request with a `timeoutMs` deadline. */
export function requestContext(req: Request, res: Response, logger: Logger, timeoutMs: number): Context {
  const traceparent = req.headers.traceparent;
  return new RequestContext(
    String((req as { id?: unknown }).id ?? ''),
    logger,
    Date.now() + timeoutMs,
    res,
    typeof traceparent === 'string' ? traceparent : undefined,
  );
}
