import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { ensureBinaries } from '../controlplane/binaries.ts';
import { repoRoot } from './process.ts';
import { setupTimeout } from '../tools.ts';

/** Rendering the chart with helm in a scratch directory, for template tests. */

export const chart = join(repoRoot, 'charts', 'stringsvc');

export type Obj = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // Manifests are checked field by field; typing every Kubernetes kind here would add nothing.
  spec?: any;
  [k: string]: any;
};

export type ChartTools = {
  /** The scratch directory (removed by `cleanup`). */
  work: string;
  /** Renders without a cluster, unless given a kubeconfig to talk to one. */
  helm(args: string[], kubeconfig?: string): Promise<{ stdout: string; stderr: string }>;
  /** Runs helm expecting failure; returns its stderr. */
  helmFails(args: string[], kubeconfig?: string): Promise<string>;
  /** `helm template stringsvc <chart> --namespace demo …`, parsed. */
  render(args?: string[], chartDir?: string): Promise<Obj[]>;
  /** A values file holding `values` (JSON is YAML). */
  valuesFile(name: string, values: object): string;
  cleanup(): void;
};

/** The oldest Kubernetes the chart supports (Chart.yaml's kubeVersion). */
export const minKubeVersion = '1.23.0';

/**
 * `helm template` renders for Kubernetes 1.20 unless told otherwise, which the chart's kubeVersion
 * refuses: render for the oldest supported version unless the arguments name one (a later
 * `--kube-version` wins).
 */
export function withKubeVersion(args: string[]): string[] {
  return args[0] === 'template' ? [args[0], '--kube-version', minKubeVersion, ...args.slice(1)] : args;
}

export async function chartTools(): Promise<ChartTools> {
  const helmBin = (await ensureBinaries()).helm;
  const work = mkdtempSync(join(tmpdir(), 'stringsvc-chart-'));
  const env = {
    ...process.env,
    HELM_CACHE_HOME: join(work, 'helm-cache'),
    HELM_CONFIG_HOME: join(work, 'helm-config'),
    HELM_DATA_HOME: join(work, 'helm-data'),
  };
  const helm = (args: string[], kubeconfig?: string) =>
    promisify(execFile)(helmBin, kubeconfig ? [...args, '--kubeconfig', kubeconfig] : withKubeVersion(args), { env, maxBuffer: 64 << 20 });
  return {
    work,
    helm,
    async helmFails(args, kubeconfig) {
      try {
        await helm(args, kubeconfig);
      } catch (err) {
        return String((err as { stderr?: string }).stderr ?? err);
      }
      throw new Error(`helm ${args.join(' ')} succeeded but should have failed`);
    },
    async render(args = [], chartDir = chart) {
      const { stdout } = await helm(['template', 'stringsvc', chartDir, '--namespace', 'demo', ...args]);
      return parseAllDocuments(stdout).map((d) => d.toJS() as Obj).filter(Boolean);
    },
    valuesFile(name, values) {
      const file = join(work, `${name}.yaml`);
      writeFileSync(file, JSON.stringify(values));
      return file;
    },
    cleanup: () => rmSync(work, { recursive: true, force: true }),
  };
}

/**
 * chartToolsForSuite registers hooks in the enclosing describe: the tools are made before its first
 * test and cleaned up after its last. Use them only inside tests and hooks that run after that.
 */
export function chartToolsForSuite(): ChartTools {
  let tools: ChartTools | undefined;
  before(async () => {
    tools = await chartTools();
  }, { timeout: setupTimeout() });
  after(() => tools?.cleanup());
  const made = (): ChartTools => {
    if (!tools) throw new Error('chart tools are made in the suite\'s before hook');
    return tools;
  };
  return {
    get work() {
      return made().work;
    },
    helm: (args, kubeconfig) => made().helm(args, kubeconfig),
    helmFails: (args, kubeconfig) => made().helmFails(args, kubeconfig),
    render: (args, chartDir) => made().render(args, chartDir),
    valuesFile: (name, values) => made().valuesFile(name, values),
    cleanup: () => made().cleanup(),
  };
}

export function find(objs: Obj[], kind: string, name: string): Obj {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  assert.ok(o, `no ${kind}/${name} in ${objs.map((x) => `${x.kind}/${x.metadata.name}`).join(', ')}`);
  return o;
}

/** Pod specs of the Deployments and of the helm test Pod. */
export function podSpecs(objs: Obj[]): [string, any][] {
  return objs.flatMap((o): [string, any][] =>
    o.kind === 'Deployment' ? [[`Deployment/${o.metadata.name}`, o.spec.template.spec]] : o.kind === 'Pod' ? [[`Pod/${o.metadata.name}`, o.spec]] : [],
  );
}

/** The Deployment of a tier (release `stringsvc`). */
export function deployment(objs: Obj[], tier: 'backend' | 'frontend' | 'counter'): Obj {
  return find(objs, 'Deployment', `stringsvc-${tier}`);
}

/** Does a label selector (matchLabels + matchExpressions In/NotIn/Exists) select these labels? */
export function selects(sel: { matchLabels?: Record<string, string>; matchExpressions?: { key: string; operator: string; values?: string[] }[] }, labels: Record<string, string> = {}): boolean {
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of sel.matchExpressions ?? []) {
    const has = e.key in labels;
    const v = labels[e.key];
    if (e.operator === 'In' && !(has && e.values?.includes(v!))) return false;
    if (e.operator === 'NotIn' && has && e.values?.includes(v!)) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** The value of `--flag=` in a pod spec's first container. */
export function arg(spec: any, flag: string): string | undefined {
  const args: string[] = spec.containers[0].args;
  return args.find((a) => a.startsWith(`--${flag}=`))?.slice(flag.length + 3);
}
