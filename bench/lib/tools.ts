/**
 * What each bench section needs from the machine, looked up before anything is built or started:
 * `npm run bench` on a machine without wrk once built everything, then died with
 * `taskset: failed to execute wrk`. `npm run bench -- --list` prints this table.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { missingGokit } from '../../test/gokit/binaries.ts';
import { findBinaries } from '../../test/controlplane/binaries.ts';
import { toxiproxyPath } from '../../test/support/toxiproxy.ts';
import { jaegerPath, jaegerVersion } from '../../test/tracing/jaeger.ts';

/** An external program and the Debian package that installs it. */
export interface Tool {
  command: string;
  debian: string;
}

export const tools = {
  taskset: { command: 'taskset', debian: 'util-linux' },
  wrk: { command: 'wrk', debian: 'wrk' },
  haproxy: { command: 'haproxy', debian: 'haproxy' },
  nginx: { command: 'nginx', debian: 'nginx' },
  go: { command: 'go', debian: 'golang-go' },
  unshare: { command: 'unshare', debian: 'util-linux' },
  ip: { command: 'ip', debian: 'iproute2' },
} satisfies Record<string, Tool>;

/** What one section needs: tools always, `go` only while the binaries it builds are not cached. */
export interface Needs {
  tools: Tool[];
  /** Returns why go is needed (what is not cached yet), or undefined when nothing must be built. */
  build?: () => string | undefined;
  /** Needs no lookup can check here, in words. */
  note?: string;
}

const gokitBuild = (): string | undefined => {
  const missing = missingGokit();
  return missing.length ? `to build go-kit's ${missing.join(', ')} (once, cached)` : undefined;
};
const controlPlaneBuild = (): string | undefined => {
  const { missing } = findBinaries(['etcd', 'kube-apiserver', 'kube-controller-manager']);
  return missing.length ? `to build ${missing.join(', ')} (once, cached; or set KUBEBUILDER_ASSETS)` : undefined;
};

const toxiproxyBuild = (): string | undefined => (existsSync(toxiproxyPath()) ? undefined : 'to build toxiproxy-server (once, cached)');
const jaegerBuild = (): string | undefined => (existsSync(jaegerPath()) ? undefined : `to build Jaeger ${jaegerVersion} (once, cached)`);

/** The sections of bench/run.ts and what each needs; `taskset` pins the bench process itself. */
export const sectionNeeds: Record<string, Needs> = {
  backend: { tools: [tools.taskset, tools.wrk] },
  gokit: { tools: [tools.taskset, tools.wrk, tools.unshare, tools.ip], build: gokitBuild, note: 'network namespaces (root, or unprivileged user namespaces)' },
  frontend: { tools: [tools.taskset, tools.wrk, tools.haproxy, tools.nginx] },
  discovery: { tools: [tools.taskset], build: controlPlaneBuild },
  balancer: { tools: [tools.taskset], build: toxiproxyBuild },
  tracing: { tools: [tools.taskset, tools.wrk], build: jaegerBuild },
  soak: { tools: [tools.taskset, tools.wrk] },
  cluster: { tools: [tools.taskset], note: 'root and the real node\'s packages and binaries, checked by test/cluster (docs/cluster.md)' },
};

/** onPath reports whether `command` is an executable file in one of the PATH's folders. */
export function onPath(command: string, path = process.env['PATH'] ?? ''): boolean {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** A missing tool and the sections that need it. */
export interface Missing extends Tool {
  sections: string[];
}

/** The tools `sections` need that `have` does not find (go included when something must be built). */
export function missingTools(sections: string[], have: (command: string) => boolean = (c) => onPath(c)): Missing[] {
  const missing = new Map<string, Missing>();
  for (const name of sections) {
    const needs = sectionNeeds[name];
    if (!needs) continue;
    const wanted = [...needs.tools, ...(needs.build?.() ? [tools.go] : [])];
    for (const t of wanted) {
      if (have(t.command)) continue;
      const m = missing.get(t.command) ?? { ...t, sections: [] };
      m.sections.push(name);
      missing.set(t.command, m);
    }
  }
  return [...missing.values()];
}

/** The one line `npm run bench` exits 2 with when tools are missing. */
export function missingMessage(missing: Missing[]): string {
  const packages = [...new Set(missing.map((t) => t.debian))];
  return `npm run bench: not found on the PATH: ${missing.map((t) => `${t.command} (for ${t.sections.join(', ')})`).join(', ')}; ` +
    `install the Debian packages: sudo apt-get install ${packages.join(' ')} (npm run bench -- --list says what each section needs)`;
}

/** The `--list` text: each section, the tools it needs and whether this machine has them. */
export function listNeeds(sections: string[], optional: Set<string>, have: (command: string) => boolean = (c) => onPath(c)): string {
  const out: string[] = [];
  for (const name of sections) {
    const needs = sectionNeeds[name];
    if (!needs) continue;
    const why = needs.build?.();
    const items = [...needs.tools.map((t) => `${t.command} (${t.debian})${have(t.command) ? '' : ' MISSING'}`)];
    if (why) items.push(`go (golang-go) ${why}${have('go') ? '' : ' MISSING'}`);
    out.push(`${name}${optional.has(name) ? ' (only when named)' : ''}: ${items.join(', ')}${needs.note ? `; also ${needs.note}` : ''}`);
  }
  return out.join('\n');
}
