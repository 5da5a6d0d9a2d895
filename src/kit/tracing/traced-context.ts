import type { Span } from '@opentelemetry/api';
import type { Context, Logger } from '../context.ts';

/** Carrier is the W3C pair a span's context is sent upstream as. */
export interface Carrier {
  traceparent?: string;
  tracestate?: string;
}

/**
 * TracedContext is `parent` with `span` as the current span: upstream calls send the span's
 * traceparent, so the callee's spans become its children. It reads everything else through,
 * keeping a parent's lazy logger and signal unmade. With `bindLogger`, its logger carries
 * trace_id and span_id (made on first use); otherwise it keeps the parent's, so a line never
 * carries two span ids.
 */
export class TracedContext implements Context {
  readonly #parent: Context;
  readonly span: Span;
  readonly traceparent: string | undefined;
  readonly tracestate: string | undefined;
  readonly #bindLogger: boolean;
  #logger: Logger | undefined;

  constructor(parent: Context, span: Span, carrier: Carrier, bindLogger: boolean) {
    this.#parent = parent;
    this.span = span;
    this.traceparent = carrier.traceparent;
    this.tracestate = carrier.tracestate;
    this.#bindLogger = bindLogger;
  }

  get requestId(): string {
    return this.#parent.requestId;
  }

  get deadline(): number {
    return this.#parent.deadline;
  }

  get signal(): AbortSignal {
    return this.#parent.signal;
  }

  get logger(): Logger {
    if (!this.#bindLogger) return this.#parent.logger;
    return (this.#logger ??= this.#parent.logger.child(traceFields(this)!));
  }
}

/**
 * traceFields are the log fields that join a line to its trace (trace_id, span_id), or
 * undefined outside a span; for loggers not bound through a TracedContext (access lines, the
 * counter's logging middleware, which logs with the process logger).
 */
export function traceFields(ctx: Context | undefined): { trace_id: string; span_id: string } | undefined {
  const span = ctx?.span;
  if (!span) return undefined;
  const sc = span.spanContext();
  return { trace_id: sc.traceId, span_id: sc.spanId };
}
