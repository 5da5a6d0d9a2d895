// The chart's alerting rules checked offline: rendered by `helm template`, then evaluated by
// promtool (Debian's `prometheus` package, the same 2.42 the real-node test runs) against fixtures
// of our own (test/fixtures/prometheus-rules.test.yaml).
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { stringify } from 'yaml';
import { skipOrThrow } from './controlplane/require.ts';
import { type ChartTools, chartTools } from './support/chart.ts';
import { repoRoot } from './support/process.ts';
import { setupTimeout } from './tools.ts';

const havePromtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
const skip = skipOrThrow('promtool', havePromtool ? undefined : 'promtool is missing: apt-get install -y prometheus');
const fixture = join(repoRoot, 'test', 'fixtures', 'prometheus-rules.test.yaml');

describe('the chart\'s PrometheusRule under promtool', { skip }, () => {
  let t: ChartTools | undefined;
  before(async () => {
    t = await chartTools();
  }, { timeout: setupTimeout() });
  after(() => t?.cleanup());

  const renderRules = async (args: string[] = []): Promise<string> => {
    const objs = await t!.render(['--api-versions', 'monitoring.coreos.com/v1', '--set', 'metrics.prometheusRule.enabled=true', ...args]);
    const rule = objs.find((o) => o.kind === 'PrometheusRule');
    assert.ok(rule, 'the chart renders a PrometheusRule');
    const file = join(t!.work, 'rules.yaml');
    writeFileSync(file, stringify({ groups: rule.spec.groups }));
    copyFileSync(fixture, join(t!.work, 'rules.test.yaml'));
    return file;
  };

  test('promtool check rules accepts the rendered groups', async () => {
    const file = await renderRules();
    const { stdout } = await promisify(execFile)('promtool', ['check', 'rules', file]);
    assert.match(stdout, /SUCCESS: 3 rules found/);
  });

  test('the fixtures pass: error rate, no endpoints and breaker fire when they should, and only then', async () => {
    await renderRules();
    const { stdout } = await promisify(execFile)('promtool', ['test', 'rules', join(t!.work, 'rules.test.yaml')]);
    assert.match(stdout, /SUCCESS/);
  });

  test('the fixtures bite: with the no-endpoints alert held for 10m instead of 2m, they fail', async () => {
    await renderRules(['--set', 'metrics.prometheusRule.noEndpoints.for=10m']);
    const res = await promisify(execFile)('promtool', ['test', 'rules', join(t!.work, 'rules.test.yaml')]).then(() => undefined, (err: { stdout: string; stderr: string }) => err);
    assert.ok(res, 'promtool test rules failed');
    assert.match(res.stdout + res.stderr, /alertname: StringsvcNoEndpoints/);
  });
});
