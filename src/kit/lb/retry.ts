import { cancelled, expired, withDeadline, type Context } from '../context.ts';
import type { Endpoint } from '../endpoint.ts';
import { isNoEndpointsError, isNoHealthyEndpointsError, type Balancer } from './balancer.ts';
import type { RetryBudget } from './retry-budget.ts';

/** AttemptError is one failed attempt: its number (1-based), where it went and why it failed. */
export interface AttemptError {
  readonly attempt: number;
  /** instance is undefined when the balancer had nothing to pick. */
  readonly instance: string | undefined;
  readonly error: unknown;
}

/**
 * RetryError is the final error of a retried call: every attempt's error in order, and
 * why retrying stopped, so the transport can pick a status (see `classify`).
 */
export class RetryError extends Error {
  override readonly name = 'RetryError';
  readonly attempts: readonly AttemptError[];
  /** deadlineExceeded is true when the overall deadline ended the call. */
  readonly deadlineExceeded: boolean;
  /** budgetExhausted is true when the retry budget refused a further attempt. */
  readonly budgetExhausted: boolean;

  constructor(attempts: readonly AttemptError[], why: { deadlineExceeded: boolean; budgetExhausted: boolean }) {
    const stop = why.deadlineExceeded ? ' (deadline exceeded)' : why.budgetExhausted ? ' (retry budget exhausted)' : '';
    const detail = attempts
      .map((a) => `#${a.attempt} ${a.instance ?? '-'}: ${a.error instanceof Error ? a.error.message : String(a.error)}`)
      .join('; ');
    super(`${attempts.length} attempt(s) failed${stop}: ${detail}`, { cause: attempts.at(-1)?.error });
    this.attempts = attempts;
    this.deadlineExceeded = why.deadlineExceeded;
    this.budgetExhausted = why.budgetExhausted;
  }
}

/** isRetryError is the type guard for RetryError. */
export function isRetryError(err: unknown): err is RetryError {
  return err instanceof RetryError;
}

/** RetryInfo describes a retry that is about to happen. */
export interface RetryInfo {
  /** attempt is the number of the attempt about to start (2 for the first retry). */
  readonly attempt: number;
  /** previous is the failure that triggered it. */
  readonly previous: AttemptError;
}

/** RetryOptions configures retry; every field is optional. */
export interface RetryOptions {
  /** maxAttempts counts the first try. Default 3. */
  maxAttempts?: number;
  /** maxTimeMs is the overall deadline for all attempts together. Default 250. */
  maxTimeMs?: number;
  /** budget, when given, must allow each retry. */
  budget?: RetryBudget;
  /** onRetry is called before each retry with the call's context, e.g. to count or log retries. */
  onRetry?(info: RetryInfo, ctx: Context): void;
  /**
   * retryable is retry's one predicate: whether an attempt's error is worth another attempt.
   * Default: every error but an empty or all-open balancer (NoEndpointsError,
   * NoHealthyEndpointsError), which will not change within one request's deadline.
   */
  retryable?(err: unknown): boolean;
}

function notExhausted(err: unknown): boolean {
  return !isNoEndpointsError(err) && !isNoHealthyEndpointsError(err);
}

/**
 * retry turns a balancer into one robust endpoint (go-kit `lb.Retry`): each attempt asks
 * the balancer again, passing the instances already tried so it goes to another one
 * while one is left, under one overall deadline.
 * Business errors are response values and are returned, not retried. The caller's own
 * cancellation is rethrown as is. Retrying stops at `maxAttempts`, the deadline, a
 * refusal by the budget, or an error `retryable` rejects; then a RetryError listing every
 * attempt is thrown.
 *
 * The deadline reaches the attempts as `ctx.deadline` (no extra signal or timer per call), so
 * endpoints must bound their own waits by it, as the HTTP client does; the caller's signal
 * still cancels them.
 */
export function retry<Req, Res>(options: RetryOptions = {}): (balancer: Balancer<Req, Res>) => Endpoint<Req, Res> {
  const maxAttempts = options.maxAttempts ?? 3;
  const maxTimeMs = options.maxTimeMs ?? 250;
  const retryable = options.retryable ?? notExhausted;
  return (balancer) => {
    async function attemptAll(ctx: Context, parent: Context, request: Req): Promise<Res> {
      options.budget?.recordRequest();
      // Made on the first failure: most calls succeed at once and never need them.
      let attempts: AttemptError[] | undefined;
      // Instances this call failed on, so the next attempt goes elsewhere when it can.
      let tried: string[] | undefined;
      let budgetExhausted = false;
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        if (attempt > 1) {
          if (expired(ctx)) break;
          if (options.budget && !options.budget.tryRetry()) {
            budgetExhausted = true;
            break;
          }
          options.onRetry?.({ attempt, previous: attempts!.at(-1)! }, parent);
        }
        let instance: string | undefined;
        try {
          const picked = balancer.pick(tried);
          instance = picked.instance;
          return await picked.endpoint(ctx, request);
        } catch (error) {
          if (cancelled(parent)) throw error;
          (attempts ??= []).push({ attempt, instance, error });
          if (instance !== undefined) (tried ??= []).push(instance);
          if (!retryable(error)) break;
          if (ctx.signal.aborted) break;
        }
      }
      throw new RetryError(attempts ?? [], { deadlineExceeded: expired(ctx), budgetExhausted });
    }

    return (parent, request) => attemptAll(withDeadline(parent, maxTimeMs), parent, request);
  };
}
