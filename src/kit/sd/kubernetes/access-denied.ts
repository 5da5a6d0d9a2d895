import type { ResourceRef } from './resources.ts';

// Kept apart from rbac.ts (and the Kubernetes client it loads), so a process that only needs
// to recognise the error, like the stringsvc cmd without discovery, does not pay for the client.

/** AccessAttributes name what discovery must be allowed to do. */
export interface AccessAttributes extends ResourceRef {
  namespace: string;
  verb: string;
  /** user is who asked, when known. */
  user?: string;
}

/** qualified renders `endpointslices.discovery.k8s.io` (core resources stay bare), as kubectl does. */
export function qualified(ref: ResourceRef): string {
  return ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
}

/**
 * AccessDeniedError is an RBAC refusal, with a message saying exactly which permission is
 * missing and for whom, so a misconfigured deployment is fixed from the log line alone.
 */
export class AccessDeniedError extends Error {
  override readonly name = 'AccessDeniedError';
  readonly attributes: AccessAttributes;

  /** `need` replaces the default advice (discovery's Role) for other permissions. */
  constructor(attributes: AccessAttributes, need?: string) {
    const who = attributes.user ? `user "${attributes.user}"` : 'this identity';
    const where = attributes.namespace ? ` in namespace "${attributes.namespace}"` : '';
    super(
      `RBAC: ${who} may not ${attributes.verb} ${qualified(attributes)}${where}; ` +
        (need ?? `discovery needs get, list and watch on ${qualified(attributes)} there (a Role plus RoleBinding, as the chart installs)`),
    );
    this.attributes = attributes;
  }
}

/** isAccessDeniedError is the type guard for AccessDeniedError. */
export function isAccessDeniedError(err: unknown): err is AccessDeniedError {
  return err instanceof AccessDeniedError;
}
