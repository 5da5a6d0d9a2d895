import { ApiException, type V1ConfigMap } from '@kubernetes/client-node';
import { checkedSum, OutOfRangeError, StoreUnavailableError, type Store, type StoreEvents } from './store.ts';

/** ConfigMapApi is the slice of client-node's CoreV1Api the store uses; tests pass fakes. */
export interface ConfigMapApi {
  readNamespacedConfigMap(param: { name: string; namespace: string }): Promise<V1ConfigMap>;
  createNamespacedConfigMap(param: { namespace: string; body: V1ConfigMap }): Promise<V1ConfigMap>;
  replaceNamespacedConfigMap(param: { name: string; namespace: string; body: V1ConfigMap }): Promise<V1ConfigMap>;
}

/** KubernetesStoreOptions say which ConfigMap holds the total and how hard to retry conflicts. */
export interface KubernetesStoreOptions {
  api: ConfigMapApi;
  namespace: string;
  /** ConfigMap name; created (total 0) when missing. */
  name: string;
  /** Data key holding the total as a decimal string (default `total`). */
  key?: string;
  /** Time one API call may take (default 10s); past it the batch fails with 503, not retried. */
  callTimeoutMs?: number;
  /** Attempts per batch before answering 503 (default 50). */
  maxAttempts?: number;
  /** Delay before attempt `n + 1` after `n` conflicts (default: jittered, 5ms doubling, capped at 250ms). */
  backoffMs?(attempt: number): number;
  /** Sleep, injectable for tests. */
  sleep?(ms: number): Promise<void>;
  /** Called for every 409 on replace, e.g. to count contention. */
  onConflict?(attempt: number): void;
  /** Called when a batch is written: its size and how many attempts it took. */
  onCommit?(batch: number, attempts: number): void;
}

/** defaultBackoffMs is full jitter over 5ms·2^(n-1), capped at 250ms, so contending replicas spread out. */
export function defaultBackoffMs(attempt: number): number {
  return Math.random() * Math.min(250, 5 * 2 ** (attempt - 1));
}

/** isConflict tells a 409 from the API server: the write was refused, never applied. */
export function isConflict(err: unknown): boolean {
  return err instanceof ApiException && err.code === 409;
}

function isNotFound(err: unknown): boolean {
  return err instanceof ApiException && err.code === 404;
}

interface Pending {
  delta: number;
  events: StoreEvents | undefined;
  resolve(total: number): void;
  reject(err: unknown): void;
}

interface Snapshot {
  configMap: V1ConfigMap;
  total: number;
}

/**
 * kubernetesStore keeps the total in a ConfigMap shared by every replica, updated with
 * optimistic concurrency: read, add, replace with the read resourceVersion; a 409 means
 * another writer won, so re-read and try again. An add resolves only after its replace
 * succeeded, so no acknowledged add is lost.
 *
 * Adds waiting while a write is in flight are committed together in the next write (group
 * commit): one process then has one write in flight, contention is between replicas only,
 * and each add still gets the total right after it. Only 409s are retried: after any other
 * failure the write may or may not have landed, and retrying could apply it twice — those
 * adds fail with StoreUnavailableError (503) instead.
 */
export function kubernetesStore(options: KubernetesStoreOptions): Store {
  const { api, namespace, name } = options;
  const key = options.key ?? 'total';
  const maxAttempts = options.maxAttempts ?? 50;
  const callTimeoutMs = options.callTimeoutMs ?? 10_000;
  const backoffMs = options.backoffMs ?? defaultBackoffMs;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  // A hung API server must not hold every later add behind one call forever.
  const bounded = <T>(what: string, call: Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreUnavailableError(`kubernetes API: ${what} timed out after ${callTimeoutMs}ms; add not acknowledged`)), callTimeoutMs);
    });
    return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
  };
  let queue: Pending[] = [];
  let running: Promise<void> | undefined;
  // Last state we wrote or read; saves a GET per write while this replica is the only writer.
  let cached: Snapshot | undefined;

  const totalOf = (cm: V1ConfigMap): number => {
    const raw = cm.data?.[key];
    if (raw === undefined) return 0;
    const n = /^-?\d{1,16}$/.test(raw) ? Number(raw) : NaN;
    // Refuse to overwrite what we cannot read: that would lose the total.
    if (!Number.isSafeInteger(n)) throw new StoreUnavailableError(`ConfigMap ${namespace}/${name} data.${key} is not an integer: ${JSON.stringify(raw)}`);
    return n;
  };

  const read = async (): Promise<Snapshot> => {
    try {
      const cm = await bounded('read', api.readNamespacedConfigMap({ name, namespace }));
      return { configMap: cm, total: totalOf(cm) };
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    try {
      const cm = await bounded('create', api.createNamespacedConfigMap({
        namespace,
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, labels: { 'app.kubernetes.io/component': 'counter' } }, data: { [key]: '0' } },
      }));
      return { configMap: cm, total: 0 };
    } catch (err) {
      // Another replica created it first: read theirs.
      if (!isConflict(err)) throw err;
      const cm = await bounded('read', api.readNamespacedConfigMap({ name, namespace }));
      return { configMap: cm, total: totalOf(cm) };
    }
  };

  const commit = async (batch: Pending[]): Promise<void> => {
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      let outcomes: Array<number | OutOfRangeError>;
      try {
        const base = cached ?? (await read());
        let total = base.total;
        outcomes = batch.map((p) => {
          try {
            total = checkedSum(total, p.delta);
            return total;
          } catch (e) {
            return e as OutOfRangeError;
          }
        });
        const body: V1ConfigMap = { ...base.configMap, data: { ...base.configMap.data, [key]: String(total) } };
        const written = await bounded('replace', api.replaceNamespacedConfigMap({ name, namespace, body }));
        cached = { configMap: written, total };
      } catch (err) {
        cached = undefined;
        if (isConflict(err)) {
          options.onConflict?.(attempt);
          for (const p of batch) p.events?.addEvent('configmap conflict; retrying', { attempt, batch: batch.length });
          if (attempt < maxAttempts) await sleep(backoffMs(attempt));
          continue;
        }
        const failure = err instanceof StoreUnavailableError ? err : new StoreUnavailableError(`kubernetes API: ${describe(err)}; add not acknowledged`, { cause: err });
        for (const p of batch) p.events?.addEvent('configmap write failed', { attempt, error: failure.message });
        for (const p of batch) p.reject(failure);
        return;
      }
      options.onCommit?.(batch.length, attempt);
      for (const p of batch) p.events?.addEvent('configmap written', { attempt, batch: batch.length });
      batch.forEach((p, i) => {
        const o = outcomes[i];
        if (typeof o === 'number') p.resolve(o);
        else p.reject(o);
      });
      return;
    }
    const failure = new StoreUnavailableError(`total not updated: ${maxAttempts} attempts conflicted with other writers`);
    for (const p of batch) p.reject(failure);
  };

  const pump = async (): Promise<void> => {
    while (queue.length > 0) {
      const batch = queue;
      queue = [];
      await commit(batch);
    }
    running = undefined;
  };

  return {
    add(delta, events) {
      return new Promise<number>((resolve, reject) => {
        queue.push({ delta, events, resolve, reject });
        running ??= pump();
      });
    },
    async close() {
      await running;
    },
  };
}

/** describe names an API failure with the server's own Status message when there is one. */
function describe(err: unknown): string {
  if (!(err instanceof ApiException)) return err instanceof Error ? err.message : String(err);
  let message: unknown;
  try {
    const body: unknown = typeof err.body === 'string' ? JSON.parse(err.body) : err.body;
    message = (body as { message?: unknown } | null)?.message;
  } catch {
    // Not a Status object: the code alone will do.
  }
  return typeof message === 'string' ? `HTTP ${err.code}: ${message}` : `HTTP ${err.code}`;
}
