import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import type { Logger } from '../context.ts';
import { clientSpans } from './client.ts';
import { endpointSpans } from './endpoint.ts';
import type { TracingConfig, SamplerName } from './flags.ts';
import { serverSpans } from './server.ts';
import type { Tracing } from './tracing.ts';
import { warnOnce } from './warn-once-exporter.ts';

/**
 * startTracing starts the OpenTelemetry trace SDK for one process: a tracer provider with the
 * configured sampler and resource, a batch span processor (its OTEL_BSP_* variables apply) and
 * an OTLP/HTTP protobuf exporter. Loaded with `import()` only when tracing is configured, so a
 * process without it never loads the SDK. Nothing is registered globally: spans are passed
 * along in our own Context, as go-kit passes them in Go's, so no async-context hook is needed.
 */
export function startTracing(config: TracingConfig, logger: Logger): Tracing {
  const exporter = warnOnce(new OTLPTraceExporter({ url: `${config.endpoint}/v1/traces` }), logger, config.endpoint);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ ...config.resourceAttributes, 'service.name': config.serviceName }),
    sampler: sampler(config.sampler, config.ratio),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('stringsvc/kit/tracing');
  const propagator = new W3CTraceContextPropagator();
  logger.info({ endpoint: config.endpoint, service_name: config.serviceName, sampler: config.sampler, ratio: config.ratio }, 'tracing');
  return {
    server: (routes) => serverSpans(tracer, propagator, routes),
    client: clientSpans(tracer, propagator),
    endpoint: endpointSpans(tracer, propagator),
    // Bounded: a collector that hangs must not hold a draining pod past its grace period.
    shutdown: () => {
      let timer: NodeJS.Timeout | undefined;
      const giveUp = new Promise<void>((resolve) => (timer = setTimeout(resolve, shutdownMs)));
      return Promise.race([provider.shutdown(), giveUp]).finally(() => clearTimeout(timer));
    },
  };
}

/** Longest a shutdown waits for the last spans to be exported. */
const shutdownMs = 2000;

/** sampler builds the named standard sampler; the parentbased ones follow a caller's decision. */
function sampler(name: SamplerName, ratio: number): Sampler {
  const root = name.endsWith('always_on') ? new AlwaysOnSampler() : name.endsWith('always_off') ? new AlwaysOffSampler() : new TraceIdRatioBasedSampler(ratio);
  return name.startsWith('parentbased_') ? new ParentBasedSampler({ root }) : root;
}
