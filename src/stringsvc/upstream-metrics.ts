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
   * Also how long an instance counts as in trouble after its last failure (see detailLimit).
   */
  retainMs?: number;
  /**
   * Up to this many instances (default 100) each has its own series. Above it only the instances
   * in trouble do — breaker not closed, or a failed or refused call within retainMs — and the
   * rest are counted together as `instance="other"`, so a scrape's size follows the trouble, not
   * the Service: Envoy keeps per-host statistics out of its default stats for the same reason.
   */
  detailLimit?: number;
}

/** The `instance` label of the calls of instances without series of their own. */
export const otherInstances = 'other';

/**
 * upstreamMetrics is an UpstreamObserver that records the proxy's view of its backends:
 * `stringsvc_upstream_requests_total{instance,outcome}`,
 * `stringsvc_upstream_request_duration_seconds{instance}`,
 * `stringsvc_upstream_breaker_state{instance}` (0 closed, 1 half-open, 2 open),
 * `stringsvc_upstream_breaker_transitions_total{instance,from,to}`,
 * `stringsvc_upstream_rate_limited_total{instance}`, and for the whole Service
 * `stringsvc_upstream_breakers{state}`, `stringsvc_upstream_retries_total` and
 * `stringsvc_upstream_endpoints`. Which instances have series of their own: see detailLimit. A
 * removed instance's series are dropped after `retainMs`, so churn (pods coming and going) does
 * not grow the registry without bound. Per-call updates are applied in batches and before every
 * scrape (see Batched).
 */
export function upstreamMetrics(options: UpstreamMetricsOptions): UpstreamObserver {
  const registers = [options.registry];
  const retainMs = options.retainMs ?? 60_000;
  const detailLimit = options.detailLimit ?? 100;
  let known = new Set<Instance>();
  let inUse = 0;
  // Instances with series of their own now, so they can be dropped when they no longer qualify.
  const detailed = new Set<Instance>();
  // Instances in trouble, until when (Infinity while their breaker is not closed).
  const trouble = new Map<Instance, number>();
  // Breakers not closed, for the Service-level count per state.
  const notClosed = new Map<Instance, BreakerState>();
  const label = (instance: Instance): string => {
    if (inUse > detailLimit && !trouble.has(instance)) return otherInstances;
    detailed.add(instance);
    return instance;
  };
  const troubled = (instance: Instance, until = Date.now() + retainMs) => {
    const was = trouble.get(instance);
    // Its calls so far were counted under `other`; from now on they are its own.
    if (was === undefined) calls.flush();
    trouble.set(instance, was === Infinity && until !== Infinity ? until : Math.max(was ?? 0, until));
    sweeper ??= setInterval(sweep, Math.max(retainMs, 1000)).unref();
  };
  const calls = new Batched<{ instance: Instance; outcome: RequestOutcome; seconds: number }>(({ instance, outcome, seconds }) => {
    if (!known.has(instance)) return;
    const l = label(instance);
    requests.inc({ instance: l, outcome });
    duration.observe({ instance: l }, seconds);
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
  new Gauge({
    name: 'stringsvc_upstream_breakers',
    help: 'Upstream instances in use by circuit breaker state.',
    labelNames: ['state'] as const,
    registers,
    collect() {
      let open = 0;
      let halfOpen = 0;
      for (const [instance, state] of notClosed) {
        if (!known.has(instance)) continue;
        if (state === 'open') open++;
        else halfOpen++;
      }
      this.set({ state: 'open' }, open);
      this.set({ state: 'halfOpen' }, halfOpen);
      this.set({ state: 'closed' }, Math.max(0, inUse - open - halfOpen));
    },
  });

  const forget = (instance: Instance) => {
    if (!detailed.delete(instance)) return;
    for (const outcome of requestOutcomes) requests.remove(instance, outcome);
    duration.remove(instance);
    breakerState.remove(instance);
    rateLimited.remove(instance);
    for (const from of states) for (const to of states) transitions.remove(instance, from, to);
  };
  // Over the limit, an instance whose trouble is over goes back to `other`: its series go.
  let sweeper: NodeJS.Timeout | undefined;
  const sweep = () => {
    const now = Date.now();
    calls.flush();
    for (const [instance, until] of trouble) {
      if (until > now) continue;
      trouble.delete(instance);
      if (inUse > detailLimit) forget(instance);
    }
    if (trouble.size === 0) {
      clearInterval(sweeper);
      sweeper = undefined;
    }
  };
  // Departed instances whose series are kept a while; they still count their late events.
  const departing = new Map<Instance, NodeJS.Timeout>();
  const drop = (instance: Instance) => {
    departing.delete(instance);
    calls.flush();
    known.delete(instance);
    trouble.delete(instance);
    notClosed.delete(instance);
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
      const wasDetailed = inUse <= detailLimit;
      inUse = next.size;
      if (wasDetailed && inUse > detailLimit) for (const instance of [...detailed]) if (!trouble.has(instance)) forget(instance);
      if (!wasDetailed && inUse <= detailLimit) {
        // Back under the limit: every instance in use has its series again, as from discovery.
        for (const instance of next) {
          if (detailed.has(instance) || !known.has(instance)) continue;
          breakerState.set({ instance: label(instance) }, stateValue[notClosed.get(instance) ?? 'closed']);
          rateLimited.inc({ instance }, 0);
        }
      }
      for (const instance of next) {
        const timer = departing.get(instance);
        if (timer) {
          clearTimeout(timer);
          departing.delete(instance);
        } else if (!known.has(instance) && label(instance) === instance) {
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
      if (outcome !== 'success' && outcome !== 'cancelled' && known.has(instance)) troubled(instance);
      calls.add({ instance, outcome, seconds });
    },
    onLimited(instance) {
      if (!known.has(instance)) return;
      troubled(instance);
      rateLimited.inc({ instance: label(instance) });
    },
    onBreakerStateChange(instance, from, to) {
      if (!known.has(instance)) return;
      if (to === 'closed') notClosed.delete(instance);
      else notClosed.set(instance, to);
      troubled(instance, to === 'closed' ? Date.now() + retainMs : Infinity);
      breakerState.set({ instance: label(instance) }, stateValue[to]);
      transitions.inc({ instance, from, to });
    },
    onRetry() {
      retries.inc();
    },
    onError: options.onError,
  };
}
