import CircuitBreaker from 'opossum';
import { cancelled, type Context } from '../context.ts';
import type { Middleware } from '../endpoint.ts';

/** BreakerState is where a circuit breaker stands; balancers skip `open` instances. */
export type BreakerState = 'closed' | 'open' | 'halfOpen';

/**
 * Breaker is the small interface the middleware needs from a circuit breaker, so the
 * library behind it (opossum today) stays replaceable.
 */
export interface Breaker {
  /** state is the current state, read by balancers and metrics. */
  readonly state: BreakerState;
  /** execute runs `call` if the breaker admits it, else throws BrokenCircuitError. */
  execute<T>(ctx: Context, call: () => Promise<T>): Promise<T>;
  /** dispose stops the breaker's timers when its instance goes away. */
  dispose(): void;
}

/** BrokenCircuitError is thrown, without calling the upstream, while the breaker is open. */
export class BrokenCircuitError extends Error {
  override readonly name = 'BrokenCircuitError';

  constructor(message = 'circuit breaker is open') {
    super(message);
  }
}

/** isBrokenCircuitError is the type guard for BrokenCircuitError. */
export function isBrokenCircuitError(err: unknown): err is BrokenCircuitError {
  return err instanceof BrokenCircuitError;
}

/** circuitBreaker guards an endpoint with a Breaker (go-kit `circuitbreaker.Gobreaker`). */
export function circuitBreaker<Req, Res>(breaker: Breaker): Middleware<Req, Res> {
  return (next) => (ctx, request) => breaker.execute(ctx, () => next(ctx, request));
}

/** OpossumBreakerOptions tunes the breaker like gobreaker; every field is optional. */
export interface OpossumBreakerOptions {
  /** consecutiveFailures opens the breaker after this many failures in a row. Default 5. */
  consecutiveFailures?: number;
  /** resetTimeoutMs is how long the breaker stays open before one trial call. Default 10 s. */
  resetTimeoutMs?: number;
  /**
   * isFailure is the breaker's one predicate: whether a thrown error counts against the
   * upstream. By default every error counts but the caller's own cancellation.
   */
  isFailure?(err: unknown, ctx: Context): boolean;
  /** onStateChange reports every transition, e.g. for a state gauge. */
  onStateChange?(from: BreakerState, to: BreakerState): void;
}

/** notCancelled is the default isFailure: nobody waiting any more says nothing of the upstream. */
function notCancelled(_err: unknown, ctx: Context): boolean {
  return !cancelled(ctx);
}

/**
 * opossumBreaker is a Breaker on opossum with gobreaker's behaviour: it opens after
 * `consecutiveFailures` failures in a row, half-opens after `resetTimeoutMs`, lets one
 * trial call through and closes if it succeeds (or reopens if it fails).
 *
 * opossum trips on an error percentage over a rolling window, which has no exact
 * "N in a row" setting. So its own trip is switched off (`errorThresholdPercentage: 100`:
 * the rate is compared with `>`, so it can never trip), the consecutive count is kept
 * here and `breaker.open()` is called at N; opossum still owns open → halfOpen → closed,
 * and exists only from the trip until the breaker has closed again.
 * Its own timeout is off too: the HTTP client already bounds each attempt.
 *
 * Business errors are values in the response, so they never reach the breaker. Errors
 * `isFailure` rejects neither count nor reset the streak; if one ends a half-open trial
 * the trial is inconclusive and the breaker goes back to open for another reset period.
 */
export function opossumBreaker(options: OpossumBreakerOptions = {}): Breaker {
  const threshold = options.consecutiveFailures ?? 5;
  const isFailure = options.isFailure ?? notCancelled;
  let streak = 0;
  let inconclusiveTrial = false;
  let disposed = false;
  let reported: BreakerState = 'closed';
  const report = (to: BreakerState) => {
    if (to === reported) return;
    const from = reported;
    reported = to;
    options.onStateChange?.(from, to);
  };
  // opossum is made when the streak trips the breaker and let go once it has closed again: a
  // closed breaker is only the streak, kept here anyway, while opossum's object is several KiB, which
  // a frontend balancing over thousands of mostly healthy instances would pay for each (figures:
  // docs/discovery.md).
  let cb: CircuitBreaker | undefined;
  const trip = (): void => {
    const opened = new CircuitBreaker((call: () => Promise<unknown>, _ctx: Context, _trial: boolean) => call(), {
      timeout: false,
      errorFilter: (err: unknown, _call?: unknown, ctx?: Context, trial?: boolean) => {
        if (isFailure(err, ctx!)) return false;
        if (trial) inconclusiveTrial = true;
        return true;
      },
      resetTimeout: options.resetTimeoutMs ?? 10_000,
      errorThresholdPercentage: 100,
      volumeThreshold: 0,
      rollingPercentilesEnabled: false,
      enableSnapshots: false,
    });
    opened.on('failure', () => {
      if (++streak >= threshold && !opened.opened) opened.open();
    });
    opened.on('open', () => report('open'));
    opened.on('halfOpen', () => report('halfOpen'));
    opened.on('close', () => {
      streak = 0;
      if (inconclusiveTrial) {
        inconclusiveTrial = false;
        opened.open();
        return;
      }
      report('closed');
      // After the trial's own handlers have run: closed again, nothing of opossum is needed.
      queueMicrotask(() => {
        if (cb !== opened || !opened.closed) return;
        cb = undefined;
        opened.shutdown();
      });
    });
    cb = opened;
    opened.open();
  };

  return {
    get state(): BreakerState {
      if (disposed) return 'open';
      if (!cb) return 'closed';
      return cb.opened || cb.isShutdown ? 'open' : cb.halfOpen ? 'halfOpen' : 'closed';
    },

    async execute<T>(ctx: Context, call: () => Promise<T>): Promise<T> {
      if (disposed) throw new BrokenCircuitError('circuit breaker is disposed: instance removed');
      let result: T;
      if (!cb) {
        try {
          result = await call();
        } catch (err) {
          if (isFailure(err, ctx) && ++streak >= threshold && !cb && !disposed) trip();
          throw err;
        }
        streak = 0;
        return result;
      }
      try {
        result = (await cb.fire(call, ctx, cb.halfOpen)) as T;
      } catch (err) {
        const refusal = refusalCode(err);
        if (refusal === 'EOPENBREAKER') throw new BrokenCircuitError();
        if (refusal === 'ESHUTDOWN') throw new BrokenCircuitError('circuit breaker is disposed: instance removed');
        throw err;
      }
      streak = 0;
      return result;
    },

    dispose() {
      disposed = true;
      cb?.shutdown();
    },
  };
}

/** refusalCode returns opossum's code when it refused the call itself rather than running it. */
function refusalCode(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}
