import type { Registry } from 'prom-client';
import type { Logger } from '../kit/context.ts';
import { RepeatLog } from '../kit/log-repeats.ts';
import type { BalancerChoice } from '../kit/lb/choose.ts';
import type { ClientTracing } from '../kit/tracing/tracing.ts';
import { FixedInstancer, type Instancer } from '../kit/sd/instancer.ts';
import { instrumentingMiddleware } from './instrumenting.ts';
import { loggingMiddleware } from './logging.ts';
import type { ProxyConfig } from './proxy-flags.ts';
import { balancedEndpoint, proxyingMiddleware, uppercaseMethod } from './proxying.ts';
import { newStringService, type StringService } from './service.ts';
import { upstreamMetrics } from './upstream-metrics.ts';

/** ComposeOptions is what the process hands over after reading its flags. */
export interface ComposeOptions {
  proxy: ProxyConfig;
  registry: Registry;
  logger: Logger;
  requestLog: boolean;
  metricsPrefix: string;
  /** metricsInstanceLimit is upstreamMetrics' detailLimit; default 100. */
  metricsInstanceLimit?: number;
  /** balancer spreads proxied calls; default round robin. */
  balancer?: BalancerChoice;
  /**
   * discovered replaces the `--proxy` list with a discovering Instancer (Kubernetes);
   * `describe` is logged on the `proxying` line.
   */
  discovered?: { instancer: Instancer; describe: Record<string, unknown>; invalidateOnErrorMs?: number };
  /** With tracing on, spans for each proxied call and its attempts. */
  tracing?: ClientTracing;
}

/** Composed is the service onion plus what the transport and shutdown need from it. */
export interface Composed {
  svc: StringService;
  /** close releases upstream pools and writes pending warning summaries; call it once the server has drained. */
  close(): void;
  /** repeats sums up the frontend's per-request warnings (retries, upstream failures); the transport uses it too. */
  repeats: RepeatLog;
}

/**
 * composeService assembles stringsvc3's onion, innermost first: the service, the proxying
 * middleware when `--proxy` names instances, then logging and instrumenting — so the
 * frontend's log lines and metrics cover the remote call, as in the seed.
 */
export function composeService(options: ComposeOptions): Composed {
  const { proxy, registry, logger } = options;
  let svc = newStringService();
  let close = () => {};
  // One per process: an overload or an outage must not turn every request into log lines.
  const repeats = new RepeatLog(logger);
  const discovered = options.discovered;
  if (proxy.instances.length === 0 && !discovered) {
    logger.info({ proxy_to: 'none' }, 'proxying');
  } else {
    const uppercase = balancedEndpoint(uppercaseMethod, {
      instancer: discovered?.instancer ?? new FixedInstancer(proxy.instances),
      resilience: proxy.resilience,
      // Kubernetes discovery logs its own failures already; the Endpointer's echo of them is debug.
      observer: upstreamMetrics({ registry, detailLimit: options.metricsInstanceLimit ?? 100, onError: (err) => logger[discovered ? 'debug' : 'warn']({ err }, 'upstream discovery') }),
      ...(discovered?.invalidateOnErrorMs !== undefined ? { invalidateOnErrorMs: discovered.invalidateOnErrorMs } : {}),
      ...(options.balancer ? { balancer: options.balancer } : {}),
      ...(options.tracing ? { tracing: options.tracing } : {}),
      repeats,
    });
    svc = proxyingMiddleware(uppercase.endpoint)(svc);
    close = uppercase.close;
    // The seed prints Go's `fmt.Sprint` of the list.
    // The seed's line as it was, unless another balancer than the seed's round robin is in use.
    const balancer = options.balancer && options.balancer.kind !== 'round-robin' ? { balancer: options.balancer.kind } : {};
    logger.info(discovered ? { proxy_to: discovered.describe, ...balancer } : { proxy_to: `[${proxy.instances.join(' ')}]`, ...balancer }, 'proxying');
  }
  if (options.requestLog) svc = loggingMiddleware()(svc);
  svc = instrumentingMiddleware({ registry, prefix: options.metricsPrefix })(svc);
  return {
    svc,
    close: () => {
      close();
      repeats.flush();
    },
    repeats,
  };
}
