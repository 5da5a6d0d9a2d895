import { readFileSync } from 'node:fs';

/** serviceAccountNamespaceFile is where Kubernetes mounts the pod's namespace. */
export const serviceAccountNamespaceFile = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

/** NamespaceSources are the places a namespace may come from, most specific first. */
export interface NamespaceSources {
  /** `--namespace`, empty when not given. */
  flag: string;
  env?: NodeJS.ProcessEnv;
  /** Reads the mounted ServiceAccount namespace file; undefined when absent. */
  readServiceAccount?(): string | undefined;
  /** Namespace of the kubeconfig's current context, if any. */
  kubeconfigNamespace?: string;
}

/**
 * resolveNamespace picks the ConfigMap's namespace: the flag, then `POD_NAMESPACE` (downward
 * API), then the mounted ServiceAccount file, then the kubeconfig context, then `default`.
 */
export function resolveNamespace(s: NamespaceSources): string {
  const env = s.env ?? process.env;
  const read = s.readServiceAccount ?? readServiceAccountNamespace;
  return s.flag || env['POD_NAMESPACE'] || read() || s.kubeconfigNamespace || 'default';
}

function readServiceAccountNamespace(): string | undefined {
  try {
    return readFileSync(serviceAccountNamespaceFile, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
