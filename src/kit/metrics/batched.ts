/**
 * Batched queues metric updates made on a request's path and applies them together: once
 * `size` are queued, and whenever `flush` is called. Wire `flush` to each metric's `collect`
 * option, which prom-client calls before every scrape, so a scrape never reads a stale value.
 *
 * Why: a prom-client update made once per request, amid all the request's other work, cost
 * several times what the same update costs among many in a row. Measured on the frontend, its
 * four updates per proxied call took 15–20 % of its CPU; applied in batches, they cost too little
 * to tell from the noise, with the same library doing the same counting.
 */
export class Batched<T> {
  readonly #apply: (update: T) => void;
  readonly #size: number;
  #queued: T[] = [];

  /** `apply` makes one update for real; `size` (default 256) bounds how many wait. */
  constructor(apply: (update: T) => void, size = 256) {
    this.#apply = apply;
    this.#size = size;
  }

  /** add queues an update, applying the whole batch when it is full. */
  add(update: T): void {
    this.#queued.push(update);
    if (this.#queued.length >= this.#size) this.flush();
  }

  /** flush applies every queued update, in the order they were added. */
  flush(): void {
    const queued = this.#queued;
    if (queued.length === 0) return;
    this.#queued = [];
    for (const update of queued) this.#apply(update);
  }
}
