import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { discoveryMetrics } from './discovery-metrics.ts';

test('discovery metrics count events and restarts, gauge instances, and age the last sync at scrape time', async () => {
  const registry = new Registry();
  let now = 1_000;
  const m = discoveryMetrics({ registry, now: () => now });
  now = 2_000;
  assert.match(await registry.metrics(), /stringsvc_discovery_seconds_since_last_sync 1\n/);
  now = 1_000;
  m.onEvent('ADDED');
  m.onEvent('BOOKMARK');
  m.onRestart('gone');
  m.onSynced();
  m.onInstances(['a:1', 'b:1']);
  now = 3_500;
  const text = await registry.metrics();
  assert.match(text, /stringsvc_discovery_events_total\{type="ADDED"\} 1/);
  assert.match(text, /stringsvc_discovery_watch_restarts_total\{reason="gone"\} 1/);
  assert.match(text, /stringsvc_discovery_instances 2/);
  assert.match(text, /stringsvc_discovery_seconds_since_last_sync 2.5/);
});
