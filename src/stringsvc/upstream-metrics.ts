import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { Batched } from '../kit/metrics/batched.ts';
import type { BreakerState } from '../kit/circuitbreaker/breaker.ts';
import type { Instance } from '../kit/sd/instancer.ts';
import { requestOutcomes, type RequestOutcome, type UpstreamObserver } from './proxying.ts';

const stateValue: Record<BreakerState, number> = { closed: 0, halfOpen: 1, open: 2 };
const states = Object.keys(stateValue) as BreakerState[];

/** UpstreamMetricsOptions say where the frontend's client metrics go. */
export interface UpstreamMetricsOptions {
  registry: Registry;
  /** onError receives discovery and pool-close errors, which are logged rather than counted. */
  onError?(err: unknown): void;
  /**
   * How long a departed instance's series stay, so the failures counted just before it left are
   * still scraped (default 60 s, two default Prometheus scrape intervals); 0 drops them at once.
   */
  retainMs?: number;
}

/**
 * upstreamMetrics is an UpstreamObserver that records the proxy's view of its backends:
 * `stringsvc_upstream_requests_total{instance,outcome}`,
 * `stringsvc_upstream_request_duration_seconds{instance}`,
 * `stringsvc_upstream_breaker_state{instance}` (0 closed, 1 half-open, 2 open),
 * `stringsvc_upstream_breaker_transitions_total{instance,from,to}`,
 * `stringsvc_upstream_rate_limited_total{instance}`, `stringsvc_upstream_retries_total`
 * and `stringsvc_upstream_endpoints`. A removed instance's series are dropped after `retainMs`, so
 * churn (pods coming and going) does not grow the registry without bound. Per-call updates
 * are applied in batches and before every scrape (see Batched).
 */
export function upstreamMetrics(options: UpstreamMetricsOptions): UpstreamObserver {
  const registers = [options.registry];
  let known = new Set<Instance>();
  const calls = new Batched<{ instance: Instance; outcome: RequestOutcome; seconds: number }>(({ instance, outcome, seconds }) => {
    if (!known.has(instance)) return;
    requests.inc({ instance, outcome });
    duration.observe({ instance }, seconds);
  });
  const collect = () => calls.flush();
  const requests = new Counter({
    name: 'stringsvc_upstream_requests_total',
    help: 'Calls sent to each upstream instance, by outcome.',
    labelNames: ['instance', 'outcome'] as const,
    registers,
    collect,
  });
  const duration = new Histogram({
    name: 'stringsvc_upstream_request_duration_seconds',
    help: 'Duration of calls to each upstream instance.',
    labelNames: ['instance'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers,
    collect,
  });
  const breakerState = new Gauge({
    name: 'stringsvc_upstream_breaker_state',
    help: 'Circuit breaker state per upstream instance: 0 closed, 1 half-open, 2 open.',
    labelNames: ['instance'] as const,
    registers,
  });
  const transitions = new Counter({
    name: 'stringsvc_upstream_breaker_transitions_total',
    help: 'Circuit breaker transitions per upstream instance.',
    labelNames: ['instance', 'from', 'to'] as const,
    registers,
  });
  const rateLimited = new Counter({
    name: 'stringsvc_upstream_rate_limited_total',
    help: 'Calls refused by the per-instance token bucket.',
    labelNames: ['instance'] as const,
    registers,
  });
  const retries = new Counter({ name: 'stringsvc_upstream_retries_total', help: 'Retries of upstream calls.', registers });
  const endpoints = new Gauge({ name: 'stringsvc_upstream_endpoints', help: 'Upstream instances currently in use.', registers });

  const forget = (instance: Instance) => {
    for (const outcome of requestOutcomes) requests.remove(instance, outcome);
    duration.remove(instance);
    breakerState.remove(instance);
    rateLimited.remove(instance);
    for (const from of states) for (const to of states) transitions.remove(instance, from, to);
  };
  const retainMs = options.retainMs ?? 60_000;
  // Departed instances whose series are kept a while; they still count their late events.
  const departing = new Map<Instance, NodeJS.Timeout>();
  const drop = (instance: Instance) => {
    departing.delete(instance);
    calls.flush();
    known.delete(instance);
    forget(instance);
  };
  // Late events of a removed instance (in-flight calls, its disposed breaker) must not
  // bring its series back once they are gone, hence the `known` checks.
  return {
    onInstances(instances) {
      const next = new Set(instances);
      // Calls made while an instance was known are applied before its series go, so none
      // lands on the series of its comeback.
      calls.flush();
      for (const instance of next) {
        const timer = departing.get(instance);
        if (timer) {
          clearTimeout(timer);
          departing.delete(instance);
        } else if (!known.has(instance)) {
          breakerState.set({ instance }, stateValue.closed);
          // Present at 0 from discovery on, so rate() and the dashboard read 0, not "no data".
          rateLimited.inc({ instance }, 0);
        }
      }
      const left = [...known].filter((i) => !next.has(i) && !departing.has(i));
      known = new Set([...next, ...departing.keys(), ...left]);
      for (const instance of left) {
        if (retainMs <= 0) drop(instance);
        else departing.set(instance, setTimeout(() => drop(instance), retainMs).unref());
      }
      endpoints.set(next.size);
    },
    onRequest(instance, outcome, seconds) {
      calls.add({ instance, outcome, seconds });
    },
    onLimited(instance) {
      if (!known.has(instance)) return;
      rateLimited.inc({ instance });
    },
    onBreakerStateChange(instance, from, to) {
      if (!known.has(instance)) return;
      breakerState.set({ instance }, stateValue[to]);
      transitions.inc({ instance, from, to });
    },
    onRetry() {
      retries.inc();
    },
    onError: options.onError,
  };
}
