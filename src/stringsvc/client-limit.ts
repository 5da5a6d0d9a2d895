import { Counter, type Registry } from 'prom-client';
import type { Logger } from '../kit/context.ts';
import { RepeatLog } from '../kit/log-repeats.ts';
import { keyedLimiter } from '../kit/ratelimit/keyed.ts';
import { retryAfterSeconds } from '../kit/ratelimit/retry-after.ts';
import { clientLimit } from '../kit/transport/http/client-limit.ts';
import type { Handler } from '../kit/transport/http/handler.ts';
import type { ClientLimitConfig } from './client-limit-flags.ts';

/** ClientLimiting is the admission handler and what shutdown needs of it. */
export interface ClientLimiting {
  admission: Handler;
  /** close writes the pending summaries of refusals. */
  close(): void;
}

/**
 * clientLimiting composes the per-client limit: the keyed limiter, its 429s, a count by
 * outcome — `stringsvc_client_limit_total{outcome="allowed|refused"}`, never by client, whose
 * number has no bound — and a warning on a client's first refusal in a minute. The warnings go
 * through a RepeatLog of their own with a one-minute window, keyed by client: a client's
 * further refusals in that minute are only counted (one summary line at its end), and past 64
 * clients in a minute the rest are logged once and summed together, so a flood from many
 * addresses costs at most 65 lines at once and 65 summaries a minute.
 */
export function clientLimiting(config: ClientLimitConfig, deps: { registry: Registry; logger: Logger }): ClientLimiting {
  const limiter = keyedLimiter({ qps: config.qps, burst: config.burst });
  const repeats = new RepeatLog(deps.logger, { windowMs: 60_000 });
  // Counted as plain numbers and added to the counter before each scrape: two increments per
  // request cost less than prom-client's labelled inc (see kit/metrics/batched.ts for why).
  let allowed = 0;
  let refused = 0;
  new Counter({
    name: 'stringsvc_client_limit_total',
    help: 'Requests the per-client limit (--client-qps) let through or refused with 429.',
    labelNames: ['outcome'],
    registers: [deps.registry],
    collect() {
      this.inc({ outcome: 'allowed' }, allowed);
      this.inc({ outcome: 'refused' }, refused);
      allowed = refused = 0;
    },
  });
  deps.logger.info({ client_qps: config.qps, client_burst: config.burst, client_key: config.keyHeader ?? 'remote address' }, 'client limits');
  const admission = clientLimit({
    limiter,
    ...(config.keyHeader !== undefined ? { keyHeader: config.keyHeader } : {}),
    onAllowed: () => allowed++,
    onRefused: (client, res, verdict) => {
      refused++;
      const ctx = res.locals.ctx;
      if (ctx) repeats.warn(client, ctx, { client, retry_after_s: retryAfterSeconds(verdict.msBeforeNext) }, 'client rate limited');
    },
  });
  return { admission, close: () => repeats.flush() };
}
