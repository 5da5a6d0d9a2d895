/**
 * RetryBudget caps retries relative to traffic so a sick fleet is not hammered by
 * retries on top of its normal load (Finagle/Linkerd-style budget).
 */
export interface RetryBudget {
  /** recordRequest counts one incoming request (not its retries). */
  recordRequest(): void;
  /** tryRetry withdraws one retry from the budget; false means "do not retry". */
  tryRetry(): boolean;
}

/** RetryBudgetOptions sizes the budget; every field is optional. */
export interface RetryBudgetOptions {
  /** ratio of retries to requests allowed over the window. Default 0.2. */
  ratio?: number;
  /** minRetriesPerSecond is a floor so low traffic can still retry. Default 10. */
  minRetriesPerSecond?: number;
  /** windowMs is the sliding window, kept in 10 buckets. Default 10 s. */
  windowMs?: number;
  /** now is the clock; injectable for tests. */
  now?(): number;
}

const BUCKETS = 10;

/**
 * retryBudget allows a retry while, over the last `windowMs`,
 * `retries < ratio × requests + minRetriesPerSecond × windowSeconds`.
 * Defaults (20 %, 10/s over 10 s) follow Linkerd's: at most +20 % load from retries,
 * but a quiet service can still retry ~10 times a second.
 */
export function retryBudget(options: RetryBudgetOptions = {}): RetryBudget {
  const ratio = options.ratio ?? 0.2;
  const floor = (options.minRetriesPerSecond ?? 10) * ((options.windowMs ?? 10_000) / 1000);
  const bucketMs = (options.windowMs ?? 10_000) / BUCKETS;
  const now = options.now ?? Date.now;
  const requests = new Array<number>(BUCKETS).fill(0);
  const retries = new Array<number>(BUCKETS).fill(0);
  const epochs = new Array<number>(BUCKETS).fill(-1);

  const slot = (): number => {
    const epoch = Math.floor(now() / bucketMs);
    const i = epoch % BUCKETS;
    if (epochs[i] !== epoch) {
      epochs[i] = epoch;
      requests[i] = 0;
      retries[i] = 0;
    }
    return i;
  };
  const sum = (counts: number[]): number => {
    const oldest = Math.floor(now() / bucketMs) - BUCKETS + 1;
    let total = 0;
    for (let i = 0; i < BUCKETS; i++) if (epochs[i]! >= oldest) total += counts[i]!;
    return total;
  };

  return {
    recordRequest() {
      requests[slot()]!++;
    },
    tryRetry() {
      const i = slot();
      if (sum(retries) >= ratio * sum(requests) + floor) return false;
      retries[i]!++;
      return true;
    },
  };
}
