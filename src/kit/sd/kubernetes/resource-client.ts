/** WatchEventType is the `type` of a Kubernetes watch event. */
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** Listed is a list response: the items and the resourceVersion to watch from. */
export interface Listed<T> {
  items: T[];
  resourceVersion: string;
}

/** WatchHandle stops one watch connection. */
export interface WatchHandle {
  abort(): void;
}

/**
 * ResourceClient is the list and watch of one collection, e.g. a Service's EndpointSlices.
 * `watch` resolves once the server accepted the watch; `onDone` is called once when the
 * stream ends, with the error if there was one.
 */
export interface ResourceClient<T> {
  list(): Promise<Listed<T>>;
  watch(
    resourceVersion: string,
    onEvent: (type: WatchEventType, object: unknown) => void,
    onDone: (err: unknown) => void,
  ): Promise<WatchHandle>;
}

/** StatusError is a watch ERROR event turned into an error, carrying the HTTP-like code. */
export class StatusError extends Error {
  override readonly name = 'StatusError';
  readonly code: number;

  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

/** statusCode extracts the HTTP status from client errors (ApiException, Watch errors, StatusError). */
export function statusCode(err: unknown): number | undefined {
  const e = err as { code?: unknown; statusCode?: unknown } | null;
  if (typeof e?.code === 'number') return e.code;
  if (typeof e?.statusCode === 'number') return e.statusCode;
  return undefined;
}
