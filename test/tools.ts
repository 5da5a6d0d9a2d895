// Every tool the suite builds from the Go module proxy, in the order the test files first need
// them. `npm test` runs this file in the background at the lowest CPU priority
// (test/global-setup.ts), so a first run compiles while earlier test files run; a test file that
// needs a tool not built yet waits on that tool's lock, as it would for another test file.
// `npm run tools` runs it in the foreground, to prepare a machine before the first `npm test`.
import { existsSync } from 'node:fs';
import { ensureBuilt, findBinaries, haveGo, type Name, type NodeName } from './controlplane/binaries.ts';
import { configReloader, coredns, ensureTool, type GoTool, jaeger, prometheus, prometheusOperator, skaffold, toolPath, toxiproxy } from './controlplane/go-tools.ts';
import { ensureGokit, missingGokit } from './gokit/binaries.ts';

/** One thing to build: whether it is cached, and how to build it. */
export interface Step {
  name: string;
  cached(): boolean;
  build(): Promise<unknown>;
}

const kubernetes: (Name | NodeName)[] = [
  'etcd', 'kube-apiserver', 'kube-controller-manager', 'kubectl', 'helm', 'kube-scheduler', 'kubelet', 'kube-proxy',
];

const goTool = (t: GoTool): Step => ({ name: t.bin, cached: () => existsSync(toolPath(t)), build: () => ensureTool(t) });

/**
 * Roughly in the order test files first need them (they run in path order: src/, then test/).
 * Kubernetes comes first although test/balancer-latency needs toxiproxy a little earlier: it is by
 * far the longest build and the chart tests need it a minute later; that test builds toxiproxy (a
 * minute) itself meanwhile.
 */
export const steps: readonly Step[] = [
  // The chart tests, then test/cluster/: one Kubernetes build for the control plane and the node.
  { name: 'kubernetes, etcd, helm', cached: () => findBinaries(kubernetes).missing.length === 0, build: () => ensureBuilt(kubernetes) },
  goTool(toxiproxy), // test/balancer-latency.e2e
  goTool(coredns),
  goTool(prometheusOperator),
  goTool(configReloader),
  goTool(prometheus),
  goTool(skaffold),
  { name: 'go-kit examples', cached: () => missingGokit().length === 0, build: () => ensureGokit() }, // test/gokit-interop
  goTool(jaeger), // test/tracing*
];

/** What a run would build: nothing once the cache is warm, or without Go (the tests then say why). */
export function uncached(): Step[] {
  return haveGo() ? steps.filter((s) => !s.cached()) : [];
}

let coldAtLoad: boolean | undefined;

/**
 * setupTimeout is the `timeout` for a hook (or test) that starts something built here: a control
 * plane, helm, Jaeger, the go-kit peers. `--test-timeout` gives every hook and test 10 min, and
 * none inherits its describe's timeout. On a cold cache such a hook may wait on the build lock for
 * most of a first run (the background build took 44 min), so it gets 50 min; when every tool was
 * cached as the test file loaded, a setup that has nothing to build fails within 8 min.
 */
export function setupTimeout(): number {
  coldAtLoad ??= uncached().length > 0;
  return coldAtLoad ? 50 * 60_000 : 8 * 60_000;
}

/** Builds every uncached step in order, with a line per step on stderr. */
export async function buildAll(log: (msg: string) => void): Promise<void> {
  for (const s of uncached()) {
    const started = Date.now();
    await s.build();
    log(`${s.name} ready after ${Math.round((Date.now() - started) / 1000)} s`);
  }
}

if (import.meta.main) {
  const log = (msg: string): void => void process.stderr.write(`[tools] ${msg}\n`);
  if (!haveGo()) {
    log('no go on PATH: nothing can be built (the tests that need these tools will say so)');
    process.exit(1);
  }
  await buildAll(log);
  log('every tool is cached');
}
