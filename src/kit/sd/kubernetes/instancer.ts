import { InstanceBroadcaster, type Instance } from '../instancer.ts';
import { endpointsContribution, type EndpointsLike } from './endpoints.ts';
import { MergedSet, sliceContribution, type Contribution, type EndpointSliceLike, type PortSelector } from './endpointslices.ts';
import { preferLocal, sliceHints, type Hints, type Locality, type TopologyDecision } from './topology.ts';
import { Watcher, type BackoffOptions, type RestartReason, type Timers } from './watcher.ts';
import type { ResourceClient, WatchEventType } from './resource-client.ts';

/** KubernetesInstancerOptions configure a KubernetesInstancer; events are optional callbacks. */
export interface KubernetesInstancerOptions {
  /**
   * client lists and watches the Service's objects: its EndpointSlices (see
   * endpointSliceClient) or its legacy Endpoints (endpointsClient), as `kind` says.
   */
  client: ResourceClient<EndpointSliceLike> | ResourceClient<EndpointsLike>;
  kind: 'endpointslices' | 'endpoints';
  /** port picks the backend port by name (`http`) or number (`8080`). */
  port: PortSelector;
  /** silentMs restarts a watch that has delivered nothing, not even a bookmark, for this long. */
  silentMs?: number;
  backoff?: BackoffOptions;
  timers?: Timers;
  random?(): number;
  /**
   * topology, for EndpointSlices, keeps to the instances hinted for this node or zone, as
   * kube-proxy does (see preferLocal); undefined uses every instance.
   */
  topology?: Locality;
  /** onInstances is called with each new set, and once after the first sync even if empty. */
  onInstances?(instances: readonly Instance[], first: boolean, topology?: TopologyDecision): void;
  /** onSynced is called whenever the view is known to be current (list, watch connect, event, bookmark). */
  onSynced?(): void;
  /** onEvent counts watch events by type, plus `RELIST` for each full list. */
  onEvent?(type: WatchEventType | 'RELIST'): void;
  /** onRestart reports watch restarts and why. */
  onRestart?(reason: RestartReason, delayMs: number, err?: unknown): void;
  /** onError reports list and watch failures; the last good set stays in force. */
  onError?(err: unknown): void;
}

/**
 * KubernetesInstancer turns a Service's EndpointSlices (or legacy Endpoints) into instance
 * sets. Each object's contribution is kept apart, so an update recomputes only that object
 * and merges incrementally; a full set is published only when it changed. On a failure an
 * error event is published (the Endpointer keeps the last good set); the next successful
 * sync publishes the set again, changed or not.
 */
export class KubernetesInstancer extends InstanceBroadcaster {
  readonly #o: KubernetesInstancerOptions;
  readonly #merged = new MergedSet();
  /** versions remembers each object's resourceVersion, so a relist skips unchanged ones. */
  readonly #versions = new Map<string, string>();
  readonly #watcher: Watcher<EndpointSliceLike | EndpointsLike>;
  /** hints keeps each slice's endpoint hints, only when topology is on. */
  readonly #hints = new Map<string, Map<Instance, Hints | undefined>>();
  #published: readonly Instance[] = [];
  #synced = false;
  #failing = false;
  #firstSync: { promise: Promise<void>; resolve: () => void };

  constructor(options: KubernetesInstancerOptions) {
    super();
    this.#o = options;
    let resolve!: () => void;
    this.#firstSync = { promise: new Promise<void>((r) => (resolve = r)), resolve };
    this.#watcher = new Watcher<EndpointSliceLike | EndpointsLike>({
      client: options.client as ResourceClient<EndpointSliceLike | EndpointsLike>,
      silentMs: options.silentMs,
      backoff: options.backoff,
      timers: options.timers,
      random: options.random,
      onReset: (items) => this.#reset(items),
      onChange: (type, object) => this.#change(type, object),
      onSynced: () => this.#onSynced(),
      onEvent: (type) => options.onEvent?.(type),
      onRestart: (reason, delay, err) => options.onRestart?.(reason, delay, err),
      onError: (err) => this.#fail(err),
    });
  }

  /** start begins watching; `synced` resolves after the first successful list. */
  start(): this {
    this.#watcher.start();
    return this;
  }

  /** synced resolves once the first list has been applied. */
  get synced(): Promise<void> {
    return this.#firstSync.promise;
  }

  /** instances is the current set: merged, then kept to the local ones when topology is on. */
  instances(): readonly Instance[] {
    return this.#published;
  }

  /** stop ends the watch. */
  stop(): Promise<void> {
    return this.#watcher.stop();
  }

  #contribution(key: string, object: EndpointSliceLike | EndpointsLike): Contribution {
    if (this.#o.topology && this.#o.kind === 'endpointslices') this.#hints.set(key, sliceHints(object as EndpointSliceLike, this.#o.port));
    return this.#o.kind === 'endpoints'
      ? endpointsContribution(object as EndpointsLike, this.#o.port)
      : sliceContribution(object as EndpointSliceLike, this.#o.port);
  }

  #reset(items: Array<EndpointSliceLike | EndpointsLike>): void {
    this.#o.onEvent?.('RELIST');
    let changed = false;
    const present = new Set<string>();
    for (const item of items) {
      const key = item.metadata?.name ?? '';
      present.add(key);
      const rv = item.metadata?.resourceVersion ?? '';
      if (rv !== '' && this.#versions.get(key) === rv) continue;
      this.#versions.set(key, rv);
      changed = this.#merged.apply(key, this.#contribution(key, item)) || changed;
    }
    for (const key of [...this.#versions.keys()]) {
      if (present.has(key)) continue;
      this.#versions.delete(key);
      this.#hints.delete(key);
      changed = this.#merged.apply(key, undefined) || changed;
    }
    this.#publish(changed);
  }

  #change(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: EndpointSliceLike | EndpointsLike): void {
    const key = object.metadata?.name ?? '';
    let changed: boolean;
    if (type === 'DELETED') {
      this.#versions.delete(key);
      this.#hints.delete(key);
      changed = this.#merged.apply(key, undefined);
    } else {
      this.#versions.set(key, object.metadata?.resourceVersion ?? '');
      changed = this.#merged.apply(key, this.#contribution(key, object));
    }
    this.#publish(changed);
  }

  #publish(changed: boolean): void {
    const first = !this.#synced;
    const decision = this.#decide();
    // With topology on, a change of hints alone changes the set: compare what would be published.
    if (decision) changed = !sameList(decision.instances, this.#published);
    if (!changed && !first && !this.#failing) return;
    this.#synced = true;
    this.#failing = false;
    const instances = decision?.instances ?? this.#merged.instances();
    this.#published = instances;
    this.update({ instances });
    this.#o.onInstances?.(instances, first, decision);
    if (first) this.#firstSync.resolve();
  }

  /** decide applies the topology rules to the merged set; undefined when topology is off. */
  #decide(): TopologyDecision | undefined {
    const here = this.#o.topology;
    if (!here || this.#o.kind !== 'endpointslices') return undefined;
    const byInstance = new Map<Instance, Hints | undefined>();
    for (const hints of this.#hints.values()) for (const [instance, h] of hints) if (!byInstance.has(instance) || h) byInstance.set(instance, h);
    return preferLocal(this.#merged.instances(), (i) => byInstance.get(i), here);
  }

  #onSynced(): void {
    // A reconnected watch proves the held set current again: clear a published error.
    if (this.#failing && this.#synced) this.#publish(false);
    this.#o.onSynced?.();
  }

  #fail(err: unknown): void {
    this.#o.onError?.(err);
    this.#failing = true;
    this.update({ err: err instanceof Error ? err : new Error(String(err)) });
  }
}

function sameList(a: readonly Instance[], b: readonly Instance[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
