import type { Context } from './context.ts';

/**
 * callerCancelled reports whether the context was aborted by the caller going away rather
 * than by a deadline. Resilience middlewares use it to tell "nobody is waiting any more"
 * (never retried, never held against an upstream) from "the upstream was too slow".
 * Deadlines abort with a `TimeoutError` reason (AbortSignal.timeout, the server's handler
 * deadline); anything else counts as a cancellation.
 */
export function callerCancelled(ctx: Context): boolean {
  if (!ctx.signal.aborted) return false;
  if (isTimeoutReason(ctx.signal.reason)) return false;
  return Date.now() < ctx.deadline;
}

/** deadlineExceeded reports whether the context's deadline has passed. */
export function deadlineExceeded(ctx: Context): boolean {
  return ctx.deadline !== Infinity && Date.now() >= ctx.deadline;
}

function isTimeoutReason(reason: unknown): boolean {
  return reason instanceof Error || reason instanceof DOMException ? reason.name === 'TimeoutError' : false;
}
