import { newRequestId } from './request-id.ts';

/** Logger is the slice of pino's API the kit relies on, so tests can pass any compatible logger. */
export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

/**
 * Context carries request-scoped values across layers, like Go's `context.Context`:
 * the request id (propagated to upstreams), a logger already bound to it, and a signal
 * that aborts when the client goes away or the deadline passes.
 */
export interface Context {
  readonly requestId: string;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  /** Absolute deadline in epoch milliseconds; Infinity when there is none. */
  readonly deadline: number;
  /** W3C trace context of the incoming request, forwarded untouched when present. */
  readonly traceparent?: string;
  /**
   * onDone, where a context offers it, tells of the end the signal would tell of without building
   * the signal (a controller and an event target per request). Call afterFunc, not this.
   */
  onDone?(fn: (reason: unknown) => void): () => void;
}

/** A logger that drops everything; handy for tests and library callers that do not log. */
export const nopLogger: Logger = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  child() {
    return nopLogger;
  },
};

/** background returns a root context with no deadline, for programs and tests. */
export function background(logger: Logger = nopLogger, requestId: string = newRequestId()): Context {
  return { requestId, logger, signal: new AbortController().signal, deadline: Infinity };
}

/**
 * withTimeout derives a context whose deadline is at most `ms` from now (the earlier of the two
 * deadlines wins) and which is cancelled with its parent. Like Go's `context.WithTimeout` it
 * returns a cancel function: call it when the work is done, so the timer and the listener on the
 * parent are released at once rather than living on until the deadline.
 */
export function withTimeout(parent: Context, ms: number): [Context, () => void] {
  const deadline = Math.min(parent.deadline, Date.now() + ms);
  const ac = new AbortController();
  const parentSignal = parent.signal;
  const onParentAbort = () => ac.abort(parentSignal.reason);
  let timer: NodeJS.Timeout | undefined;
  if (parentSignal.aborted) {
    ac.abort(parentSignal.reason);
  } else {
    parentSignal.addEventListener('abort', onParentAbort, { once: true });
    timer = setTimeout(() => ac.abort(new DOMException('deadline exceeded', 'TimeoutError')), Math.max(0, deadline - Date.now()));
    timer.unref();
  }
  const cancel = () => {
    clearTimeout(timer);
    parentSignal.removeEventListener('abort', onParentAbort);
  };
  return [{ requestId: parent.requestId, logger: parent.logger, deadline, signal: ac.signal, ...(parent.traceparent ? { traceparent: parent.traceparent } : {}) }, cancel];
}

/**
 * withDeadline derives a context whose deadline is at most `ms` from now and which shares its
 * parent's signal: no timer, no controller. It suits callers whose every wait is bounded by the
 * deadline anyway (the HTTP client times each call out at the deadline), where withTimeout's
 * signal would only repeat that at a cost on every request.
 */
export function withDeadline(parent: Context, ms: number): Context {
  const deadline = Math.min(parent.deadline, Date.now() + ms);
  return deadline === parent.deadline ? parent : new DeadlineContext(parent, deadline);
}

/** DeadlineContext reads through to its parent, so a lazy logger or signal stays unmade. */
class DeadlineContext implements Context {
  readonly #parent: Context;
  readonly deadline: number;

  constructor(parent: Context, deadline: number) {
    this.#parent = parent;
    this.deadline = deadline;
  }

  get requestId(): string {
    return this.#parent.requestId;
  }

  get logger(): Logger {
    return this.#parent.logger;
  }

  get signal(): AbortSignal {
    return this.#parent.signal;
  }

  get traceparent(): string | undefined {
    return this.#parent.traceparent;
  }

  onDone(fn: (reason: unknown) => void): () => void {
    return afterFunc(this.#parent, fn);
  }
}

/**
 * afterFunc calls `fn` once, with the abort reason, when `ctx` is done: when its signal aborts, as
 * Go's `context.AfterFunc`. It returns `stop`, which unregisters `fn`; call it when the wait is
 * over. If the context is done already, `fn` runs before afterFunc returns.
 */
export function afterFunc(ctx: Context, fn: (reason: unknown) => void): () => void {
  if (ctx.onDone) return ctx.onDone(fn);
  const signal = ctx.signal;
  if (signal.aborted) {
    fn(signal.reason);
    return noop;
  }
  const listener = () => fn(signal.reason);
  signal.addEventListener('abort', listener, { once: true });
  return () => signal.removeEventListener('abort', listener);
}

/** noop is the stop of a wait that never began. */
export function noop(): void {}

/** remainingMs is the time left before the context's deadline (Infinity when none). */
export function remainingMs(ctx: Context): number {
  return ctx.deadline === Infinity ? Infinity : Math.max(0, ctx.deadline - Date.now());
}
