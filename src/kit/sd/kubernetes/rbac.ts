import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { ResourceRef } from './resources.ts';
import { AccessDeniedError, type AccessAttributes } from './access-denied.ts';
import { statusCode } from './resource-client.ts';

/** CheckAccessOptions say what to check; verbs default to the ones a watch needs. */
export interface CheckAccessOptions extends ResourceRef {
  namespace: string;
  verbs?: readonly string[];
}

/**
 * checkAccess asks the API server (SelfSubjectAccessReview) whether discovery may list and
 * watch its resource, and throws an AccessDeniedError naming the first missing verb. Other
 * failures (API server unreachable) are thrown as they are: the caller may retry instead.
 */
export async function checkAccess(kc: KubeConfig, options: CheckAccessOptions): Promise<void> {
  const api = kc.makeApiClient(AuthorizationV1Api);
  for (const verb of options.verbs ?? ['list', 'watch']) {
    const review = await api.createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { namespace: options.namespace, verb, group: options.group, resource: options.resource } } },
    });
    if (!review.status?.allowed) {
      throw new AccessDeniedError({ group: options.group, resource: options.resource, namespace: options.namespace, verb, user: await whoAmI(kc) });
    }
  }
}

/** whoAmI asks the API server for our user name (SelfSubjectReview); undefined if it cannot tell. */
export async function whoAmI(kc: KubeConfig): Promise<string | undefined> {
  try {
    const review = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({ body: {} });
    return review.status?.userInfo?.username;
  } catch {
    return undefined;
  }
}

/** accessDenied maps a 403 from a list or watch to an AccessDeniedError; anything else is returned as is. */
export function accessDenied(err: unknown, attributes: AccessAttributes): unknown {
  return statusCode(err) === 403 ? new AccessDeniedError(attributes) : err;
}
