// The chart's README, generated helm-docs style from Chart.yaml and the `# --` comments of values.yaml:
// `npm run chart-readme` writes charts/stringsvc/README.md; a test fails when the checked-in one drifts.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { repoRoot } from './process.ts';

export const chartDir = join(repoRoot, 'charts', 'stringsvc');
export const readmePath = join(chartDir, 'README.md');

type Row = { key: string; type: string; value: unknown; description: string };

function typeOf(v: unknown): string {
  if (v === null) return 'string';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  if (typeof v === 'boolean') return 'bool';
  return 'string';
}

function at(values: unknown, path: string[]): unknown {
  let v = values;
  for (const k of path) v = (v as Record<string, unknown>)?.[k];
  return v;
}

/**
 * One row per key that has a `# --` comment right above it (its lines continue with `# `), and per leaf
 * without one (a scalar, an empty list or map); lists are never entered. A blank line ends a comment;
 * `# -- (int) …` names the type where the default cannot.
 */
export function valueRows(text: string): Row[] {
  const values = parse(text) as Record<string, unknown>;
  const rows: Row[] = [];
  const stack: { indent: number; key: string }[] = [];
  let pending: string[] | undefined;
  let skipDeeperThan = -1;
  for (const line of text.split('\n')) {
    const indent = line.length - line.trimStart().length;
    const trimmed = line.trim();
    if (skipDeeperThan >= 0) {
      if (trimmed === '' || indent > skipDeeperThan || (indent === skipDeeperThan && trimmed.startsWith('- '))) continue;
      skipDeeperThan = -1;
    }
    if (trimmed === '') {
      pending = undefined;
      continue;
    }
    if (trimmed.startsWith('# --')) {
      pending = [trimmed.slice(4).trim()];
      continue;
    }
    if (trimmed.startsWith('#')) {
      if (pending) pending.push(trimmed.replace(/^#\s?/, ''));
      continue;
    }
    const m = /^([A-Za-z0-9_.-]+):(.*)$/.exec(trimmed);
    if (!m) continue;
    while (stack.length > 0 && stack.at(-1)!.indent >= indent) stack.pop();
    const path = [...stack.map((s) => s.key), m[1]!];
    const value = at(values, path);
    const leaf = typeof value !== 'object' || value === null || Array.isArray(value) || Object.keys(value).length === 0;
    if (pending || leaf) {
      // helm-docs' `# -- (type) description` names the type where the default cannot (null).
      const typed = /^\((\w+)\)\s*(.*)$/s.exec((pending ?? []).join(' '));
      rows.push({ key: path.join('.'), type: typed ? typed[1]! : typeOf(value), value, description: typed ? typed[2]! : (pending ?? []).join(' ') });
    }
    pending = undefined;
    if (Array.isArray(value)) skipDeeperThan = indent;
    else if (!leaf) stack.push({ indent, key: m[1]! });
  }
  return rows;
}

const cell = (s: string) => s.replaceAll('|', '\\|');

export function chartReadme(): string {
  const meta = parse(readFileSync(join(chartDir, 'Chart.yaml'), 'utf8')) as Record<string, any>;
  const rows = valueRows(readFileSync(join(chartDir, 'values.yaml'), 'utf8'));
  return [
    `# ${meta.name}`,
    '',
    `![Version: ${meta.version}](https://img.shields.io/badge/Version-${meta.version}-informational?style=flat-square) ` +
      `![Type: ${meta.type}](https://img.shields.io/badge/Type-${meta.type}-informational?style=flat-square) ` +
      `![AppVersion: ${meta.appVersion}](https://img.shields.io/badge/AppVersion-${meta.appVersion}-informational?style=flat-square)`,
    '',
    meta.description.trim(),
    '',
    `**Homepage:** <${meta.home}>`,
    '',
    '<!-- Generated from Chart.yaml and the `# --` comments of values.yaml by `npm run chart-readme` (helm-docs style); do not edit. -->',
    '',
    '## Maintainers',
    '',
    '| Name | Email | Url |',
    '| ---- | ------ | --- |',
    ...meta.maintainers.map((m: Record<string, string>) => `| ${m.name} | ${m.email ?? ''} | ${m.url ? `<${m.url}>` : ''} |`),
    '',
    '## Source Code',
    '',
    ...meta.sources.map((s: string) => `* <${s}>`),
    '',
    '## Requirements',
    '',
    `Kubernetes: \`${meta.kubeVersion}\``,
    '',
    'More on the values, with examples: [docs/kubernetes.md](../../docs/kubernetes.md#chart-values).',
    '',
    '## Values',
    '',
    '| Key | Type | Default | Description |',
    '|-----|------|---------|-------------|',
    ...rows.map((r) => `| ${cell(r.key)} | ${r.type} | \`${cell(JSON.stringify(r.value ?? null))}\` | ${cell(r.description)} |`),
    '',
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(readmePath, chartReadme());
  console.log(`wrote ${readmePath}`);
}
