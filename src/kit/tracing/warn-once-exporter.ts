import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from '../context.ts';

/**
 * warnOnce decorates an exporter so a collector that is down costs one warning, not one per
 * batch: the first failed export logs, later ones are silent (their spans dropped) until an
 * export succeeds again, which logs the recovery. The SDK itself only reports through its
 * diagnostic logger, which is off by default, so without this an outage would go unseen.
 */
export function warnOnce(inner: SpanExporter, logger: Logger, endpoint: string): SpanExporter {
  let failing = false;
  let dropped = 0;
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
      inner.export(spans, (result) => {
        if (result.code !== ExportResultCode.SUCCESS) {
          dropped += spans.length;
          const error = result.error?.message ?? 'export failed';
          if (!failing) {
            failing = true;
            logger.warn({ endpoint, error }, 'trace export failing; dropping spans until the collector answers');
          } else {
            logger.debug({ endpoint, error, dropped }, 'trace export still failing');
          }
        } else if (failing) {
          failing = false;
          logger.info({ endpoint, dropped }, 'trace export recovered');
          dropped = 0;
        }
        done(result);
      });
    },
    shutdown: () => inner.shutdown(),
    ...(inner.forceFlush ? { forceFlush: () => inner.forceFlush!() } : {}),
  };
}
