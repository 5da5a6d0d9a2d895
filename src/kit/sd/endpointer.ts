import type { Endpoint } from '../endpoint.ts';
import type { Instance, InstanceEvent, Instancer } from './instancer.ts';

/**
 * InstanceEndpoint is what a Factory builds for one instance: the client endpoint (usually
 * limiter → breaker → HTTP client), how to release it, and an optional health hook that
 * balancers read to skip the instance (e.g. "its breaker is open").
 */
export interface InstanceEndpoint<Req, Res> {
  readonly endpoint: Endpoint<Req, Res>;
  close(): void | Promise<void>;
  healthy?(): boolean;
}

/** Factory turns an instance address into its client endpoint (go-kit `sd.Factory`). */
export type Factory<Req, Res> = (instance: Instance) => InstanceEndpoint<Req, Res>;

/** ResolvedEndpoint is one live entry of an Endpointer, as a balancer sees it. */
export interface ResolvedEndpoint<Req, Res> {
  readonly instance: Instance;
  readonly endpoint: Endpoint<Req, Res>;
  /** healthy is false when the instance should be skipped for now. */
  healthy(): boolean;
}

/** EndpointerOptions tunes error handling and reports changes; every field is optional. */
export interface EndpointerOptions {
  /**
   * After a discovery error the last good set is kept (go-kit default). With this set,
   * it is dropped once the error has lasted this long, leaving no endpoints.
   */
  invalidateOnErrorMs?: number;
  /** onChange receives the instances in use after every change, e.g. for a gauge. */
  onChange?(instances: readonly Instance[]): void;
  /** onError receives discovery errors and failures to close an endpoint. */
  onError?(err: unknown): void;
  /** now is the clock; injectable so invalidation can be tested without waiting. */
  now?(): number;
}

/**
 * Endpointer keeps one client endpoint per discovered instance (go-kit `sd.Endpointer`).
 * Endpoints are cached by instance across updates, so an instance that stays keeps its
 * breaker, limiter and connection pool; endpoints whose instance disappears are closed.
 */
export class Endpointer<Req, Res> {
  readonly #factory: Factory<Req, Res>;
  readonly #options: EndpointerOptions;
  readonly #now: () => number;
  readonly #cache = new Map<Instance, ResolvedEndpoint<Req, Res> & { close(): void | Promise<void> }>();
  #current: readonly ResolvedEndpoint<Req, Res>[] = [];
  #errorSince: number | undefined;
  #invalidateTimer: NodeJS.Timeout | undefined;
  readonly #unsubscribe: () => void;

  constructor(instancer: Instancer, factory: Factory<Req, Res>, options: EndpointerOptions = {}) {
    this.#factory = factory;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#unsubscribe = instancer.subscribe((event) => this.#onEvent(event));
  }

  /** endpoints returns the current endpoints, ordered by instance for determinism. */
  endpoints(): readonly ResolvedEndpoint<Req, Res>[] {
    this.#invalidateIfStale();
    return this.#current;
  }

  /** close stops listening to the instancer and closes every endpoint. */
  close(): void {
    this.#unsubscribe();
    clearTimeout(this.#invalidateTimer);
    this.#replace([]);
  }

  #onEvent(event: InstanceEvent): void {
    if (event.err) {
      this.#options.onError?.(event.err);
      if (this.#errorSince === undefined) {
        this.#errorSince = this.#now();
        this.#armInvalidation();
      }
      return;
    }
    this.#errorSince = undefined;
    clearTimeout(this.#invalidateTimer);
    this.#replace(event.instances);
  }

  #armInvalidation(): void {
    const ms = this.#options.invalidateOnErrorMs;
    if (ms === undefined) return;
    // The timer only makes the change visible to onChange promptly; endpoints() re-checks the clock.
    this.#invalidateTimer = setTimeout(() => this.#invalidateIfStale(), ms);
    this.#invalidateTimer.unref();
  }

  #invalidateIfStale(): void {
    const ms = this.#options.invalidateOnErrorMs;
    if (ms === undefined || this.#errorSince === undefined || this.#cache.size === 0) return;
    if (this.#now() - this.#errorSince >= ms) this.#replace([]);
  }

  #replace(instances: readonly Instance[]): void {
    const wanted = [...new Set(instances)].sort();
    const keep = new Set(wanted);
    for (const [instance, entry] of this.#cache) {
      if (keep.has(instance)) continue;
      this.#cache.delete(instance);
      this.#closeQuietly(entry);
    }
    for (const instance of wanted) {
      if (this.#cache.has(instance)) continue;
      const built = this.#factory(instance);
      this.#cache.set(instance, {
        instance,
        endpoint: built.endpoint,
        healthy: built.healthy?.bind(built) ?? (() => true),
        close: () => built.close(),
      });
    }
    const next = wanted.map((instance) => this.#cache.get(instance)!);
    const changed =
      next.length !== this.#current.length || next.some((entry, i) => entry !== this.#current[i]);
    this.#current = next;
    if (changed) this.#options.onChange?.(wanted);
  }

  #closeQuietly(entry: { close(): void | Promise<void> }): void {
    try {
      Promise.resolve(entry.close()).catch((err: unknown) => this.#options.onError?.(err));
    } catch (err) {
      this.#options.onError?.(err);
    }
  }
}
