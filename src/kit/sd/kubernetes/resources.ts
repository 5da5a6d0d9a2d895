import { CoreV1Api, DiscoveryV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { EndpointsLike } from './endpoints.ts';
import type { EndpointSliceLike } from './endpointslices.ts';
import { listAllPages } from './pages.ts';
import { watchStream } from './watch-stream.ts';
import type { ResourceClient } from './resource-client.ts';

/** Resource names one discovery source reads, for RBAC checks and messages. */
export interface ResourceRef {
  group: string;
  resource: string;
}

/** endpointSlicesRef is what `--discovery=endpointslices` reads. */
export const endpointSlicesRef: ResourceRef = { group: 'discovery.k8s.io', resource: 'endpointslices' };

/** endpointsRef is what `--discovery=endpoints` reads. */
export const endpointsRef: ResourceRef = { group: '', resource: 'endpoints' };

/** ServiceRef names the watched Service. */
export interface ServiceRef {
  namespace: string;
  service: string;
  /** pageSize bounds each list response; a bigger collection is read in several. Default 500. */
  pageSize?: number;
}

/** serviceNameLabel is set by the EndpointSlice controllers to the owning Service's name. */
export const serviceNameLabel = 'kubernetes.io/service-name';

/**
 * watchTimeoutSeconds asks the server to end each watch after 5–10 minutes, as client-go
 * does, so connections are renewed (and load spreads over apiservers) without errors.
 */
function watchTimeoutSeconds(): number {
  return 300 + Math.floor(Math.random() * 300);
}

/** rawWatch watches `path` from a resourceVersion (not client-node's informer, which gives up on non-410 errors). */
function rawWatch(kc: KubeConfig, path: string, params: Record<string, string>): ResourceClient<never>['watch'] {
  return (resourceVersion, onEvent, onDone) => {
    const query = { ...params, resourceVersion, allowWatchBookmarks: 'true', timeoutSeconds: String(watchTimeoutSeconds()) };
    return watchStream(kc, path, query, onEvent, onDone);
  };
}

/** endpointSliceClient lists (in pages) and watches the Service's EndpointSlices (all of them, by label). */
export function endpointSliceClient(kc: KubeConfig, ref: ServiceRef): ResourceClient<EndpointSliceLike> {
  const api = kc.makeApiClient(DiscoveryV1Api);
  const labelSelector = `${serviceNameLabel}=${ref.service}`;
  return {
    list: () =>
      listAllPages(
        (limit, token) => api.listNamespacedEndpointSlice({ namespace: ref.namespace, labelSelector, limit, ...(token ? { _continue: token } : {}) }),
        ref.pageSize,
      ),
    watch: rawWatch(kc, `/apis/discovery.k8s.io/v1/namespaces/${ref.namespace}/endpointslices`, { labelSelector }),
  };
}

/** endpointsClient lists and watches the Service's legacy v1 Endpoints object. */
export function endpointsClient(kc: KubeConfig, ref: ServiceRef): ResourceClient<EndpointsLike> {
  const api = kc.makeApiClient(CoreV1Api);
  const fieldSelector = `metadata.name=${ref.service}`;
  return {
    list: () =>
      listAllPages(
        (limit, token) => api.listNamespacedEndpoints({ namespace: ref.namespace, fieldSelector, limit, ...(token ? { _continue: token } : {}) }),
        ref.pageSize,
      ),
    watch: rawWatch(kc, `/api/v1/namespaces/${ref.namespace}/endpoints`, { fieldSelector }),
  };
}
