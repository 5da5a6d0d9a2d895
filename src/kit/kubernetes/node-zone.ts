import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { AccessDeniedError } from '../sd/kubernetes/access-denied.ts';
import { statusCode } from '../sd/kubernetes/resource-client.ts';

/** zoneLabel is the well-known label the cloud provider (or the admin) puts on each Node. */
export const zoneLabel = 'topology.kubernetes.io/zone';

/**
 * nodeZone reads the zone label of Node `name`; undefined when the Node has none. A 403 becomes
 * an AccessDeniedError naming the missing `get` on nodes, so the deployment is fixed from the log.
 */
export async function nodeZone(kc: KubeConfig, name: string): Promise<string | undefined> {
  try {
    const node = await kc.makeApiClient(CoreV1Api).readNode({ name });
    return node.metadata?.labels?.[zoneLabel] || undefined;
  } catch (err) {
    if (statusCode(err) === 403) {
      throw new AccessDeniedError(
        { group: '', resource: 'nodes', namespace: '', verb: 'get' },
        `topology needs get on nodes to read its zone (a ClusterRole, as the chart installs with topology.enabled), or --zone`,
      );
    }
    throw err;
  }
}
