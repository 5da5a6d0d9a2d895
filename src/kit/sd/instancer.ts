/**
 * An instance is one reachable backend address, `host:port`; IPv6 hosts are bracketed
 * (`[::1]:8080`) so the string can be put straight into a URL.
 */
export type Instance = string;

/**
 * InstanceEvent is what an Instancer publishes: always the *full* current set, never a
 * delta, so a subscriber that missed updates is still right after the next one. On a
 * discovery failure `err` is set and `instances` is absent.
 */
export type InstanceEvent =
  | { readonly instances: readonly Instance[]; readonly err?: undefined }
  | { readonly instances?: undefined; readonly err: Error };

/** InstanceListener receives every InstanceEvent of an Instancer. */
export type InstanceListener = (event: InstanceEvent) => void;

/**
 * Instancer is a source of instance sets (go-kit `sd.Instancer`): a fixed list, a
 * Kubernetes watch… New subscribers receive the current state immediately.
 */
export interface Instancer {
  /** subscribe registers a listener and returns the function that removes it. */
  subscribe(listener: InstanceListener): () => void;
}

/**
 * InstanceBroadcaster holds the latest InstanceEvent and fans it out to subscribers;
 * concrete instancers embed one and call `update` (go-kit `sd/internal/instance.Cache`).
 */
export class InstanceBroadcaster implements Instancer {
  #state: InstanceEvent = { instances: [] };
  readonly #listeners = new Set<InstanceListener>();

  /** update replaces the current state and notifies every subscriber. */
  update(event: InstanceEvent): void {
    this.#state = event.err ? { err: event.err } : { instances: [...event.instances] };
    for (const listener of [...this.#listeners]) listener(this.#state);
  }

  subscribe(listener: InstanceListener): () => void {
    this.#listeners.add(listener);
    listener(this.#state);
    return () => {
      this.#listeners.delete(listener);
    };
  }
}

/** FixedInstancer publishes one static set forever, e.g. from a `--proxy` flag or in tests. */
export class FixedInstancer implements Instancer {
  readonly #broadcaster = new InstanceBroadcaster();

  constructor(instances: readonly Instance[]) {
    this.#broadcaster.update({ instances });
  }

  subscribe(listener: InstanceListener): () => void {
    return this.#broadcaster.subscribe(listener);
  }
}
