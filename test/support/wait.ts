import { once } from 'node:events';

// Every wait on an event in the tests has a deadline, so a regression that stops the event from
// coming fails in minutes and says what never came, instead of hanging the run until its global
// timeout names only the test. The deadlines are generous: they turn a hang into a failure on a
// loaded machine and are never what a test checks (polling for a state is `eventually`, metrics.ts).

/** TimedOut is the failure of a bounded wait; its message names what was awaited. */
export class TimedOut extends Error {
  override name = 'TimedOut';
  constructor(ms: number, what: string) {
    super(timedOutMessage(ms, what));
  }
}

/** timedOutMessage is the one wording for a deadline passed, shared with the polling helpers. */
export function timedOutMessage(ms: number, what: string): string {
  return `timed out after ${ms / 1000} s waiting for ${what}`;
}

/** within settles as `promise` does, or rejects with TimedOut after `ms`; its timer goes either way. */
export function within<T>(promise: PromiseLike<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimedOut(ms, what)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * onceWithin is `events.once` with a deadline (an AbortSignal.timeout): the event's arguments, or
 * TimedOut after `ms`. The listener goes either way, and an 'error' event still rejects as with once.
 */
export async function onceWithin(emitter: NodeJS.EventEmitter | EventTarget, event: string, ms: number, what: string): Promise<unknown[]> {
  const signal = AbortSignal.timeout(ms);
  try {
    return await once(emitter as NodeJS.EventEmitter, event, { signal });
  } catch (err) {
    throw signal.aborted ? new TimedOut(ms, what) : err;
  }
}
