// The single-binary tools the tests build from the Go module proxy. Each has a wrapper module under
// test/controlplane/tools/<dir>/ pinning its version, and is built once into
// ~/.cache/stringsvc/<dir>-<version>/, under a lock so parallel test files never build twice.
// (Kubernetes, etcd and helm are in binaries.ts: one build makes several binaries.)
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, go, toolsDir, withLock } from './binaries.ts';

/** One binary of a wrapper module. */
export interface GoTool {
  /** Folder of the wrapper module under test/controlplane/tools/, and prefix of the cache folder. */
  dir: string;
  /** The module whose pinned version names the cache folder. */
  module: string;
  /** Package to build. */
  pkg: string;
  /** Name of the binary. */
  bin: string;
  /** Environment variable that points at a prebuilt binary instead. */
  override: string;
  /** Extra linker flags, given the pinned version (e.g. the version a binary reports). */
  ldflags?: (version: string) => string[];
  /**
   * Built without the compiler's optimizations and inlining (about 14 % less compile CPU on a cold
   * first run): for tools only the tests talk to; the ones a benchmark's figures pass through stay
   * optimized.
   */
  unoptimized?: boolean;
}

/** Reads the version a wrapper module pins, so its go.mod stays the single source of truth. */
export function pinnedVersion(dir: string, module: string): string {
  const mod = readFileSync(join(toolsDir, dir, 'go.mod'), 'utf8');
  const m = new RegExp(`^\\s*(?:require\\s+)?${module.replaceAll('.', '\\.')} (v\\S+)`, 'm').exec(mod);
  if (!m?.[1]) throw new Error(`no pinned ${module} in tools/${dir}/go.mod`);
  return m[1];
}

/** CoreDNS, the real node's cluster DNS. */
export const coredns: GoTool = {
  unoptimized: true,
  dir: 'coredns',
  module: 'github.com/coredns/coredns',
  pkg: 'github.com/coredns/coredns',
  bin: 'coredns',
  override: 'TEST_ASSET_COREDNS',
};

/** toxiproxy-server: latency on the wire in front of one backend (balancer tests and bench). */
export const toxiproxy: GoTool = {
  dir: 'toxiproxy',
  module: 'github.com/Shopify/toxiproxy/v2',
  pkg: 'github.com/Shopify/toxiproxy/v2/cmd/server',
  bin: 'toxiproxy-server',
  override: 'TEST_ASSET_TOXIPROXY',
};

/**
 * Jaeger v2 all-in-one (tracing tests and bench). Its wrapper module names it as a `tool`: a plain
 * `go install` is refused, its go.mod having a replace.
 */
export const jaeger: GoTool = {
  dir: 'jaeger',
  module: 'github.com/jaegertracing/jaeger',
  pkg: 'github.com/jaegertracing/jaeger/cmd/jaeger',
  bin: 'jaeger',
  override: 'TEST_ASSET_JAEGER',
};

/** skaffold, the dev loop on the real node. */
export const skaffold: GoTool = {
  unoptimized: true,
  dir: 'skaffold',
  module: 'github.com/GoogleContainerTools/skaffold/v2',
  pkg: 'github.com/GoogleContainerTools/skaffold/v2/cmd/skaffold',
  bin: 'skaffold',
  override: 'TEST_ASSET_SKAFFOLD',
  ldflags: (v) => [`-X github.com/GoogleContainerTools/skaffold/v2/pkg/skaffold/version.version=${v}`],
};

const operatorVersionFlags = (v: string): string[] => [
  `-X github.com/prometheus/common/version.Version=${v.slice(1)}`,
  '-X github.com/prometheus/common/version.Branch=release',
];

export const prometheusOperator: GoTool = {
  unoptimized: true,
  dir: 'prometheus-operator',
  module: 'github.com/prometheus-operator/prometheus-operator',
  pkg: 'github.com/prometheus-operator/prometheus-operator/cmd/operator',
  bin: 'operator',
  override: 'TEST_ASSET_PROMETHEUS_OPERATOR',
  ldflags: operatorVersionFlags,
};

export const configReloader: GoTool = {
  unoptimized: true,
  dir: 'prometheus-operator',
  module: 'github.com/prometheus-operator/prometheus-operator',
  pkg: 'github.com/prometheus-operator/prometheus-operator/cmd/prometheus-config-reloader',
  bin: 'prometheus-config-reloader',
  override: 'TEST_ASSET_PROMETHEUS_CONFIG_RELOADER',
  ldflags: operatorVersionFlags,
};

/** Prometheus itself: Debian's build (the `prometheus` package) has no Kubernetes service discovery. */
export const prometheus: GoTool = {
  unoptimized: true,
  dir: 'prometheus',
  module: 'github.com/prometheus/prometheus',
  pkg: 'github.com/prometheus/prometheus/cmd/prometheus',
  bin: 'prometheus',
  override: 'TEST_ASSET_PROMETHEUS',
  ldflags: (v) => [`-X github.com/prometheus/common/version.Version=${prometheusRelease(v).slice(1)}`],
};

/** Prometheus's Go module versions are v0.<minor>.<patch> for release v2.<minor>.<patch>. */
export function prometheusRelease(moduleVersion: string): string {
  return moduleVersion.replace(/^v0\./, 'v2.');
}

/** The version a tool's wrapper module pins. */
export function toolVersion(t: GoTool): string {
  return pinnedVersion(t.dir, t.module);
}

/** Where a tool's binary lives (or will, once built). */
export function toolPath(t: GoTool): string {
  const prebuilt = process.env[t.override];
  if (prebuilt) return prebuilt;
  return join(cacheDir(), '..', `${t.dir}-${pinnedVersion(t.dir, t.module)}`, t.bin);
}

/** Builds the tool unless it is cached; resolves with its path. */
export async function ensureTool(t: GoTool): Promise<string> {
  const out = toolPath(t);
  if (existsSync(out)) return out;
  const version = pinnedVersion(t.dir, t.module);
  const dir = join(out, '..');
  mkdirSync(dir, { recursive: true });
  await withLock(dir, async () => {
    if (existsSync(out)) return;
    const ldflags = ['-s', '-w', ...(t.ldflags?.(version) ?? [])].join(' ');
    const gcflags = t.unoptimized ? ['-gcflags=all=-N -l'] : [];
    await go(['build', ...gcflags, '-ldflags', ldflags, '-o', `${out}.partial`, t.pkg], join(toolsDir, t.dir), `${t.bin} ${version}`);
    renameSync(`${out}.partial`, out);
  });
  return out;
}

/** Every tool above, in the order the suite first needs them. */
export const goTools: readonly GoTool[] = [toxiproxy, jaeger, coredns, skaffold, prometheusOperator, configReloader, prometheus];
