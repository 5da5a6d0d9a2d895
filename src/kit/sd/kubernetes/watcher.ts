import { StatusError, statusCode, type Listed, type ResourceClient, type WatchEventType, type WatchHandle } from './resource-client.ts';

/**
 * RestartReason says why a watch was restarted: `gone` (410, history compacted: relist),
 * `error` (connection or server error), `closed` (the server ended it normally, e.g. its
 * timeout), `silent` (no event or bookmark for too long: presumed dead).
 */
export type RestartReason = 'gone' | 'error' | 'closed' | 'silent';

/** Timers are injectable so backoff and the silent-watch detector can be tested without waiting. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** BackoffOptions size the jittered exponential backoff between failed attempts. */
export interface BackoffOptions {
  /** initialMs is the first delay (default 100 ms). */
  initialMs?: number;
  /** maxMs caps the delay (default 30 s). */
  maxMs?: number;
}

/** WatcherOptions configure a Watcher; only the client and the two state callbacks are required. */
export interface WatcherOptions<T> {
  client: ResourceClient<T>;
  /** onReset receives the full list after every (re)list; the receiver diffs it against what it holds. */
  onReset(items: T[]): void;
  /** onChange receives each ADDED, MODIFIED or DELETED object. */
  onChange(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: T): void;
  /** onSynced is called whenever the watcher knows it is up to date: after a list, a (re)connected watch, an event or a bookmark. */
  onSynced?(): void;
  /** onEvent sees every event type, bookmarks included, e.g. for a counter. */
  onEvent?(type: WatchEventType): void;
  /** onError reports a failed list or watch; the last state stays in force. */
  onError?(err: unknown): void;
  /** onRestart is called before each restart with the reason and the delay chosen. */
  onRestart?(reason: RestartReason, delayMs: number, err?: unknown): void;
  /** silentMs restarts a watch that delivered nothing, not even a bookmark, for this long (default 2 min). */
  silentMs?: number;
  backoff?: BackoffOptions;
  /** random in [0, 1), for jitter. */
  random?(): number;
  timers?: Timers;
  /** now is the clock for how long a watch stayed up. */
  now?(): number;
  /** healthyAfterMs: an accepted watch that lasted this long counts as healthy even without events (default 1 s). */
  healthyAfterMs?: number;
}

/** backoffDelay is the jittered exponential delay for the n-th consecutive failure (n ≥ 1): between half and all of the capped exponential. */
export function backoffDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  const initial = options.initialMs ?? 100;
  const max = options.maxMs ?? 30_000;
  const ceiling = Math.min(max, initial * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** WatchOutcome is how one watch connection ended. */
interface WatchOutcome {
  reason: RestartReason;
  err?: unknown;
  /**
   * progressed is true when the connection delivered an event, or was accepted and stayed up
   * for `healthyAfterMs`: a quiet but healthy watch must not grow the backoff.
   */
  progressed: boolean;
}

/**
 * Watcher keeps a local view of one collection current, the way client-go's reflector does
 * but without its informer's habit of giving up: list, then watch from the list's
 * resourceVersion with bookmarks; on any end of the watch, watch again from the last
 * resourceVersion seen; on 410 relist and hand the full list to `onReset` (the receiver
 * diffs, so nothing flaps to empty in between). Failures back off exponentially with
 * jitter; a watch silent for `silentMs` is presumed dead and restarted.
 */
export class Watcher<T> {
  readonly #o: WatcherOptions<T>;
  readonly #timers: Timers;
  readonly #random: () => number;
  #stopped = false;
  #wake: (() => void) | undefined;
  #handle: WatchHandle | undefined;
  #endWatch: (() => void) | undefined;
  #running: Promise<void> | undefined;

  constructor(options: WatcherOptions<T>) {
    this.#o = options;
    this.#timers = options.timers ?? realTimers;
    this.#random = options.random ?? Math.random;
  }

  /** start begins listing and watching; it runs until stop. */
  start(): void {
    this.#running ??= this.#run();
  }

  /** stop ends the current watch and any pending retry; resolves when the loop has exited. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#endWatch?.();
    this.#wake?.();
    await this.#running;
  }

  async #run(): Promise<void> {
    let rv: string | undefined;
    let failures = 0;
    while (!this.#stopped) {
      if (rv === undefined) {
        try {
          const listed = await this.#listWithin(this.#o.silentMs ?? 120_000);
          if (this.#stopped) return;
          rv = listed.resourceVersion;
          failures = 0;
          this.#o.onReset(listed.items);
          this.#o.onSynced?.();
        } catch (err) {
          if (this.#stopped) return;
          this.#o.onError?.(err);
          failures++;
          await this.#restart('error', failures, err);
          continue;
        }
      }
      const outcome = await this.#watchOnce(rv, (next) => (rv = next));
      if (this.#stopped) return;
      if (outcome.progressed) failures = 0;
      if (outcome.reason === 'gone') {
        // History we need is compacted away: relist at once, the held state stays in force meanwhile.
        rv = undefined;
        await this.#restart('gone', 0, outcome.err);
      } else if (outcome.reason === 'closed' && outcome.progressed) {
        await this.#restart('closed', 0);
      } else {
        if (outcome.reason === 'error') this.#o.onError?.(outcome.err);
        failures++;
        await this.#restart(outcome.reason, failures, outcome.err);
      }
    }
  }

  /** listWithin bounds a list like a watch: an API server that hangs must not stall discovery for good. */
  #listWithin(ms: number): Promise<Listed<T>> {
    return new Promise((resolve, reject) => {
      const timer = this.#timers.setTimeout(() => reject(new Error(`list did not answer within ${ms} ms`)), ms);
      this.#o.client.list().then(
        (listed) => {
          this.#timers.clearTimeout(timer);
          resolve(listed);
        },
        (err: unknown) => {
          this.#timers.clearTimeout(timer);
          reject(err);
        },
      );
    });
  }

  /** restart reports the restart and waits out its backoff (none when failures is 0). */
  async #restart(reason: RestartReason, failures: number, err?: unknown): Promise<void> {
    const delay = failures === 0 ? 0 : backoffDelay(failures, this.#o.backoff ?? {}, this.#random);
    this.#o.onRestart?.(reason, delay, err);
    if (delay > 0) await this.#sleep(delay);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.#timers.setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        this.#timers.clearTimeout(handle);
        this.#wake = undefined;
        resolve();
      };
    });
  }

  #watchOnce(rv: string, setRv: (rv: string) => void): Promise<WatchOutcome> {
    return new Promise<WatchOutcome>((resolve) => {
      let settled = false;
      let progressed = false;
      let connectedAt: number | undefined;
      let silentTimer: unknown;
      const now = this.#o.now ?? Date.now;
      const finish = (reason: RestartReason, err?: unknown) => {
        if (settled) return;
        settled = true;
        this.#endWatch = undefined;
        this.#timers.clearTimeout(silentTimer);
        this.#handle?.abort();
        this.#handle = undefined;
        if (connectedAt !== undefined && now() - connectedAt >= (this.#o.healthyAfterMs ?? 1000)) progressed = true;
        resolve({ reason, err, progressed });
      };
      const armSilent = () => {
        this.#timers.clearTimeout(silentTimer);
        silentTimer = this.#timers.setTimeout(() => finish('silent'), this.#o.silentMs ?? 120_000);
      };
      const onEvent = (type: WatchEventType, object: unknown) => {
        if (settled) return;
        armSilent();
        this.#o.onEvent?.(type);
        if (type === 'ERROR') {
          const status = object as { code?: number; message?: string } | null;
          const err = new StatusError(status?.code ?? 0, status?.message ?? 'watch error');
          finish(err.code === 410 ? 'gone' : 'error', err);
          return;
        }
        progressed = true;
        const next = (object as { metadata?: { resourceVersion?: string } } | null)?.metadata?.resourceVersion;
        if (next) setRv(next);
        if (type !== 'BOOKMARK') this.#o.onChange(type, object as T);
        this.#o.onSynced?.();
      };
      const onDone = (err: unknown) => {
        if (!err) finish('closed');
        else finish(statusCode(err) === 410 ? 'gone' : 'error', err);
      };
      this.#endWatch = () => finish('closed');
      armSilent();
      if (this.#stopped) return finish('closed');
      this.#o.client.watch(rv, onEvent, onDone).then(
        (handle) => {
          if (settled) return handle.abort();
          this.#handle = handle;
          connectedAt = now();
          this.#o.onSynced?.();
        },
        (err: unknown) => onDone(err ?? new Error('watch failed')),
      );
    });
  }
}
