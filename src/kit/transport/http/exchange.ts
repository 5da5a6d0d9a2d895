import type { Dispatcher } from 'undici';

/** Answer is one whole upstream response: its status and its body bytes. */
export interface Answer {
  status: number;
  body: Buffer;
}

/** AnswerTooLargeError ends a call whose response body passed the size cap. */
export class AnswerTooLargeError extends Error {
  override readonly name = 'AnswerTooLargeError';
}

/** CallTimeoutError ends a call that ran out of time; the caller maps it to its own error. */
export class CallTimeoutError extends Error {
  override readonly name = 'CallTimeoutError';
}

/** ExchangeOptions bound one call. */
export interface ExchangeOptions {
  /** timeoutMs bounds the whole call, queueing for a connection included. */
  timeoutMs: number;
  /** signal is the caller's: when it aborts, the call ends with its reason. */
  signal: AbortSignal;
  /** maxBytes caps the body kept in memory; a larger answer fails with AnswerTooLargeError. */
  maxBytes: number;
}

/**
 * exchange sends one request through an undici dispatcher and gathers the whole answer. It uses
 * the low-level handler API with one timer and one listener on the caller's signal: undici's
 * `request()` adds a body stream and an AbortController per call, which a proxy's hot path does
 * not need. A call still queued for a connection when it is
 * cancelled is refused at once and aborted when it would have started.
 */
export function exchange(dispatcher: Dispatcher, request: Dispatcher.DispatchOptions, options: ExchangeOptions): Promise<Answer> {
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
