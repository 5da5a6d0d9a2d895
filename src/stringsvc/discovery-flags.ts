import { durationMs, UsageError, type FlagSpec } from '../kit/cli.ts';
import type { Instance } from '../kit/sd/instancer.ts';

/** discoveryFlags choose where the frontend's backend instances come from. */
export const discoveryFlags = {
  discovery: { default: '', help: 'static (the --proxy list), endpointslices or endpoints (legacy v1). Default: static when --proxy is set.' },
  service: { default: '', help: 'Backend Service to discover (endpointslices, endpoints).' },
  namespace: { default: '', help: 'Namespace of --service. Default: POD_NAMESPACE, else the ServiceAccount namespace, else the kubeconfig context.' },
  'port-name': { default: 'http', help: 'Backend port, by name (http) or number (8080).' },
  'watch-timeout': { default: '2m', help: 'Restart a discovery watch that delivered nothing, not even a bookmark, for this long.' },
  'invalidate-after': { default: '0s', help: 'Drop the discovered instances after discovery has failed this long; 0s keeps the last good set.' },
} satisfies Record<string, FlagSpec>;

/** DiscoveryMode is where instances come from; `none` means the process is a plain backend. */
export type DiscoveryMode = 'none' | 'static' | 'endpointslices' | 'endpoints';

/** DiscoveryConfig is the validated discovery part of the command line. */
export interface DiscoveryConfig {
  mode: DiscoveryMode;
  service: string;
  /** namespace is empty when it is to be found from the pod or kubeconfig. */
  namespace: string;
  port: string;
  silentMs: number;
  /** invalidateOnErrorMs is undefined when the last good set is kept forever. */
  invalidateOnErrorMs?: number;
}

/** discoveryConfig validates the discovery flags against the `--proxy` list; mistakes are UsageErrors. */
export function discoveryConfig(f: { [K in keyof typeof discoveryFlags]: string }, proxy: readonly Instance[]): DiscoveryConfig {
  const mode = f.discovery === '' ? (proxy.length > 0 ? 'static' : 'none') : f.discovery;
  if (mode !== 'none' && mode !== 'static' && mode !== 'endpointslices' && mode !== 'endpoints') {
    throw new UsageError(`--discovery: "${f.discovery}" is not static, endpointslices or endpoints`);
  }
  if (mode === 'static' && proxy.length === 0) throw new UsageError('--discovery=static needs --proxy=host:port,...');
  const kube = mode === 'endpointslices' || mode === 'endpoints';
  if (kube && proxy.length > 0) throw new UsageError(`--proxy cannot be combined with --discovery=${mode}`);
  if (kube && f.service === '') throw new UsageError(`--discovery=${mode} needs --service`);
  if (!/^(\d{1,5}|[a-z0-9]([-a-z0-9]*[a-z0-9])?)$/.test(f['port-name'])) {
    throw new UsageError(`--port-name: "${f['port-name']}" is not a port name or number`);
  }
  const silentMs = durationMs('watch-timeout', f['watch-timeout']);
  if (silentMs <= 0) throw new UsageError('--watch-timeout must be greater than zero');
  const invalidate = durationMs('invalidate-after', f['invalidate-after']);
  return {
    mode,
    service: f.service,
    namespace: f.namespace,
    port: f['port-name'],
    silentMs,
    ...(invalidate > 0 ? { invalidateOnErrorMs: invalidate } : {}),
  };
}
