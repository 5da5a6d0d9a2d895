import { Counter, Gauge, type Registry } from 'prom-client';
import type { Instance } from '../kit/sd/instancer.ts';

/** DiscoveryObserver is what the Kubernetes instancer reports, as metrics see it. */
export interface DiscoveryObserver {
  onEvent(type: string): void;
  onRestart(reason: string): void;
  onSynced(): void;
  onInstances(instances: readonly Instance[]): void;
}

/**
 * discoveryMetrics records the discovery line's health:
 * `stringsvc_discovery_events_total{type}` (watch events, bookmarks, relists),
 * `stringsvc_discovery_watch_restarts_total{reason}` (gone, error, closed, silent),
 * `stringsvc_discovery_seconds_since_last_sync` (computed at scrape time, so a stuck
 * watch shows as a growing number) and `stringsvc_discovery_instances`.
 */
export function discoveryMetrics(options: { registry: Registry; now?: () => number }): DiscoveryObserver {
  const registers = [options.registry];
  const now = options.now ?? Date.now;
  // Before the first sync it counts from creation, so a startup that never syncs shows too.
  let lastSync = now();
  const events = new Counter({ name: 'stringsvc_discovery_events_total', help: 'Discovery watch events by type, bookmarks and relists included.', labelNames: ['type'] as const, registers });
  const restarts = new Counter({ name: 'stringsvc_discovery_watch_restarts_total', help: 'Discovery watch restarts by reason.', labelNames: ['reason'] as const, registers });
  const instances = new Gauge({ name: 'stringsvc_discovery_instances', help: 'Backend instances discovery currently reports.', registers });
  new Gauge({
    name: 'stringsvc_discovery_seconds_since_last_sync',
    help: 'Seconds since discovery last knew it was current (list, watch connect, event or bookmark), or since start before the first one.',
    registers,
    collect() {
      this.set((now() - lastSync) / 1000);
    },
  });
  return {
    onEvent: (type) => events.inc({ type }),
    onRestart: (reason) => restarts.inc({ reason }),
    onSynced: () => (lastSync = now()),
    onInstances: (set) => instances.set(set.length),
  };
}
