import type { Span } from '@opentelemetry/api';
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
 * Context carries request-scoped values across layers, like Go's `context.Context`: the request
 * id (propagated to upstreams), a logger already bound to it, an absolute deadline, and one
 * signal that aborts when the caller goes away (reason: CancelledError) or the deadline passes
 * (reason: DeadlineExceededError). A context may build its signal on first read, so work that
 * never waits on it never pays for it.
 */
export interface Context {
  readonly requestId: string;
  readonly logger: Logger;
  /** Absolute deadline in epoch milliseconds; Infinity when there is none. */
  readonly deadline: number;
  readonly signal: AbortSignal;
  /**
   * W3C trace context sent upstream: the incoming request's, forwarded untouched, or, with
   * tracing on, the current span's (kit/tracing).
   */
  readonly traceparent?: string;
  readonly tracestate?: string;
  /** The current span when tracing is on (kit/tracing); middlewares add events to it. */
  readonly span?: Span;
}

/** CancelledError is the abort reason of a context whose caller went away; named `AbortError`, as the platform names it. */
export class CancelledError extends Error {
  override readonly name = 'AbortError';

  constructor(message = 'caller went away') {
    super(message);
  }
}

/** DeadlineExceededError is the abort reason of a context whose deadline passed; named `TimeoutError`, as the platform names it. */
export class DeadlineExceededError extends Error {
  override readonly name = 'TimeoutError';

  constructor(message = 'deadline exceeded') {
    super(message);
  }
}

/**
 * isDeadlineReason tells a deadline's abort reason from a cancellation's: ours are typed, and a
 * signal from elsewhere follows the platform's convention (`AbortSignal.timeout` aborts with a
 * `TimeoutError`, `abort()` with an `AbortError`).
 */
export function isDeadlineReason(reason: unknown): boolean {
  return reason instanceof DeadlineExceededError || ((reason instanceof Error || reason instanceof DOMException) && reason.name === 'TimeoutError');
}

/**
 * cancelled reports whether the caller went away: the signal aborted for a reason other than a
 * deadline. Resilience policies use it to tell "nobody is waiting any more" (never retried,
 * never held against an upstream) from "the upstream was too slow".
 */
export function cancelled(ctx: Context): boolean {
  const signal = ctx.signal;
  return signal.aborted && !isDeadlineReason(signal.reason);
}

/** expired reports whether the deadline has passed, by the clock or by the signal's reason. */
export function expired(ctx: Context): boolean {
  if (ctx.deadline !== Infinity && Date.now() >= ctx.deadline) return true;
  const signal = ctx.signal;
  return signal.aborted && isDeadlineReason(signal.reason);
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
    timer = setTimeout(() => ac.abort(new DeadlineExceededError()), Math.max(0, deadline - Date.now()));
    timer.unref();
  }
  const cancel = () => {
    clearTimeout(timer);
    parentSignal.removeEventListener('abort', onParentAbort);
  };
  const ctx: { -readonly [K in keyof Context]: Context[K] } = { requestId: parent.requestId, logger: parent.logger, deadline, signal: ac.signal };
  if (parent.traceparent) ctx.traceparent = parent.traceparent;
  if (parent.tracestate) ctx.tracestate = parent.tracestate;
  if (parent.span) ctx.span = parent.span;
  return [ctx, cancel];
}

/**
 * withDeadline derives a context whose deadline is at most `ms` from now and which shares its
 * parent's signal: no timer, no controller. It suits callers whose every wait is bounded by the
 * deadline anyway (the HTTP client times each call out at the deadline); `expired` reads it.
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

  get tracestate(): string | undefined {
    return this.#parent.tracestate;
  }

  get span(): Span | undefined {
    return this.#parent.span;
  }
}

/** remainingMs is the time left before the context's deadline (Infinity when none). */
export function remainingMs(ctx: Context): number {
  return ctx.deadline === Infinity ? Infinity : Math.max(0, ctx.deadline - Date.now());
}
