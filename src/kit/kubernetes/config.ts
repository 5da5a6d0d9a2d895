import { existsSync, readFileSync, statSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { KubeConfig, type User } from '@kubernetes/client-node';

/** serviceAccountDir is where Kubernetes mounts the pod's ServiceAccount credentials. */
export const serviceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/** rotatingTokenProvider names our auth provider in the in-cluster KubeConfig. */
const rotatingTokenProvider = 'stringsvc-rotating-token-file';

/** RotatingTokenOptions make the token re-read testable. */
export interface RotatingTokenOptions {
  /** maxAgeMs forces a re-read even when the mtime looks unchanged (default 60 s, as client-go). */
  maxAgeMs?: number;
  now?(): number;
}

/**
 * RotatingTokenFile is a KubeConfig authenticator for bound ServiceAccount tokens: they
 * expire (typically after an hour) and the kubelet rewrites the file well before that, so
 * the file is re-read when its mtime changes, and at least once a minute regardless. Why not
 * client-node's `loadFromCluster`: its FileAuth re-reads only once a minute, so for up to a
 * minute after a rotation it still sends the old token.
 */
export class RotatingTokenFile {
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #token = '';
  #mtimeMs = -1;
  #readAt = -Infinity;

  constructor(options: RotatingTokenOptions = {}) {
    this.#maxAgeMs = options.maxAgeMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** isAuthProvider claims users configured by inClusterConfig. */
  isAuthProvider(user: User): boolean {
    return user.authProvider?.name === rotatingTokenProvider;
  }

  /** applyAuthentication sets the bearer token, re-reading the file when it may have rotated. The
   * file is under `config.path`, not `tokenFile`, so client-node's own FileAuth does not claim it. */
  async applyAuthentication(user: User, opts: { headers?: Record<string, string | string[] | number | undefined> }): Promise<void> {
    const file = (user.authProvider?.config as { path?: string } | undefined)?.path ?? `${serviceAccountDir}/token`;
    opts.headers ??= {};
    opts.headers['Authorization'] = `Bearer ${this.token(file)}`;
  }

  /** token returns the current token of `file`, re-read when its mtime changed or it is older than maxAgeMs. */
  token(file: string): string {
    const now = this.#now();
    const mtimeMs = statSync(file).mtimeMs;
    if (mtimeMs !== this.#mtimeMs || now - this.#readAt >= this.#maxAgeMs) {
      this.#token = readFileSync(file, 'utf8').trim();
      this.#mtimeMs = mtimeMs;
      this.#readAt = now;
    }
    return this.#token;
  }
}

/** ConfigSources are the inputs of loadKubeConfig, injectable for tests. */
export interface ConfigSources {
  env?: NodeJS.ProcessEnv;
  /** saDir replaces the ServiceAccount mount directory (tests). */
  saDir?: string;
}

/**
 * loadKubeConfig finds the API server: `KUBECONFIG` when set (development, tests); in a pod,
 * the ServiceAccount mount with a token re-read on rotation; otherwise `~/.kube/config`.
 */
export function loadKubeConfig(sources: ConfigSources = {}): KubeConfig {
  const env = sources.env ?? process.env;
  const kc = new KubeConfig();
  if (env['KUBECONFIG']) {
    kc.loadFromDefault();
    return kc;
  }
  const host = env['KUBERNETES_SERVICE_HOST'];
  const port = env['KUBERNETES_SERVICE_PORT'];
  if (host && port) return inClusterConfig(host, port, sources.saDir ?? serviceAccountDir);
  kc.loadFromDefault();
  return kc;
}

/** inClusterConfig is client-node's in-cluster config with the rotating token authenticator. */
export function inClusterConfig(host: string, port: string, saDir: string): KubeConfig {
  const kc = new KubeConfig();
  kc.addAuthenticator(new RotatingTokenFile());
  kc.loadFromClusterAndUser(
    { name: 'in-cluster', server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`, caFile: `${saDir}/ca.crt`, skipTLSVerify: false },
    { name: 'service-account', authProvider: { name: rotatingTokenProvider, config: { path: `${saDir}/token` } } },
  );
  return kc;
}

/**
 * resolveNamespace picks the namespace to watch: the flag, else `POD_NAMESPACE` (downward
 * API), else the ServiceAccount's `namespace` file, else the kubeconfig context's, else `default`.
 */
export function resolveNamespace(flag: string, kc: KubeConfig, sources: ConfigSources = {}): string {
  if (flag) return flag;
  const env = sources.env ?? process.env;
  if (env['POD_NAMESPACE']) return env['POD_NAMESPACE'];
  const file = `${sources.saDir ?? serviceAccountDir}/namespace`;
  if (existsSync(file)) {
    const ns = readFileSync(file, 'utf8').trim();
    if (ns) return ns;
  }
  return kc.getContextObject(kc.getCurrentContext())?.namespace || 'default';
}
