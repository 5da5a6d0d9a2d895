/**
 * Store keeps the running total. `add` applies one delta atomically and resolves with the
 * total right after it; when it resolves the change is durable for that store (for the
 * Kubernetes store: written to the API server), so an acknowledged add is never lost.
 */
export interface Store {
  /** `events`, when the add is traced, receives what the store did for it (writes, retries). */
  add(delta: number, events?: StoreEvents): Promise<number>;
  /** close releases what the store holds; pending adds still settle. */
  close?(): Promise<void>;
}

/** StoreEvents is the slice of a trace span a store records its work on. */
export interface StoreEvents {
  addEvent(name: string, attributes?: Record<string, string | number | boolean>): unknown;
}

/** OutOfRangeError refuses an add that is not a safe integer or would take the total out of that range. */
export class OutOfRangeError extends Error {
  override readonly name = 'OutOfRangeError';
}

/** isOutOfRangeError is the type guard for OutOfRangeError. */
export function isOutOfRangeError(err: unknown): err is OutOfRangeError {
  return err instanceof OutOfRangeError;
}

/**
 * StoreUnavailableError means the add was not acknowledged: the backing store could not be
 * reached or kept conflicting. The client may retry; the total it sees next is authoritative.
 */
export class StoreUnavailableError extends Error {
  override readonly name = 'StoreUnavailableError';
}

/** isStoreUnavailableError is the type guard for StoreUnavailableError. */
export function isStoreUnavailableError(err: unknown): err is StoreUnavailableError {
  return err instanceof StoreUnavailableError;
}

/**
 * checkedSum is `total + delta`, refusing anything outside the safe-integer range: past it
 * JavaScript numbers silently round, and a counter that rounds loses updates.
 */
export function checkedSum(total: number, delta: number): number {
  if (!Number.isSafeInteger(delta)) throw new OutOfRangeError(`v must be a safe integer, got ${delta}`);
  const next = total + delta;
  if (!Number.isSafeInteger(next)) {
    throw new OutOfRangeError(`adding ${delta} to ${total} would leave the safe-integer range (±${Number.MAX_SAFE_INTEGER}); total unchanged`);
  }
  return next;
}
