import type { ServerReply, ServerRequest } from './handler.ts';
import { CancelledError, DeadlineExceededError, type Context, type Logger } from '../../context.ts';

/**
 * RequestContext is the endpoint Context of one HTTP request. Its signal aborts with a
 * CancelledError when the client goes away before the answer is sent, or with a
 * DeadlineExceededError when the handler deadline passes, so upstream calls made on its behalf
 * stop too. The signal and its watch (a timer and a close listener) are made on first read, as
 * is the logger: a backend that never calls upstream pays for none of them.
 */
class RequestContext implements Context {
  readonly requestId: string;
  readonly deadline: number;
  readonly traceparent?: string;
  readonly tracestate?: string;
  readonly #res: ServerReply;
  readonly #base: Logger;
  #logger: Logger | undefined;
  #signal: AbortSignal | undefined;

  constructor(requestId: string, base: Logger, deadline: number, res: ServerReply, traceparent: string | undefined, tracestate: string | undefined) {
    this.requestId = requestId;
    this.#base = base;
    this.deadline = deadline;
    if (traceparent !== undefined) this.traceparent = traceparent;
    if (traceparent !== undefined && tracestate !== undefined) this.tracestate = tracestate;
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
    const res = this.#res;
    const timer = setTimeout(() => ac.abort(new DeadlineExceededError('handler deadline exceeded')), Math.max(0, this.deadline - Date.now()));
    timer.unref();
    const onClose = () => {
      clearTimeout(timer);
      if (!res.writableFinished) ac.abort(new CancelledError('client closed the request'));
    };
    if (res.closed) onClose();
    else res.on('close', onClose); // a response closes once: no once-wrapper needed
    return ac.signal;
  }
}

/**
 * requestContext builds the endpoint Context for one HTTP request named `requestId`, with a
 * `timeoutMs` deadline and a logger that is `logger` bound to the id.
 */
export function requestContext(req: ServerRequest, res: ServerReply, requestId: string, logger: Logger, timeoutMs: number): Context {
  const { traceparent, tracestate } = req.headers;
  return new RequestContext(
    requestId,
    logger,
    Date.now() + timeoutMs,
    res,
    typeof traceparent === 'string' ? traceparent : undefined,
    typeof tracestate === 'string' ? tracestate : undefined,
  );
}
