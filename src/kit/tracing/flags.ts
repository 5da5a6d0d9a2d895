import { UsageError, type FlagSpec } from '../cli.ts';

/**
 * tracingFlags turn tracing on and shape it. Each falls back to the OpenTelemetry variable of
 * the same meaning, so a standard deployment needs no flags at all.
 */
export const tracingFlags = {
  'otlp-endpoint': { default: '', help: 'OTLP/HTTP collector base URL, e.g. http://jaeger:4318 (default $OTEL_EXPORTER_OTLP_ENDPOINT); empty: tracing off.' },
  'service-name': { default: '', help: 'service.name of the spans (default $OTEL_SERVICE_NAME, else the program name).' },
  'traces-sampler': { default: '', help: 'always_on, always_off, traceidratio or their parentbased_ forms (default $OTEL_TRACES_SAMPLER, else parentbased_always_on).' },
  'traces-sampler-arg': { default: '', help: 'Ratio for the traceidratio samplers, 0 to 1 (default $OTEL_TRACES_SAMPLER_ARG, else 1).' },
  'resource-attributes': { default: '', help: 'Extra resource attributes as key=value,… (default $OTEL_RESOURCE_ATTRIBUTES).' },
} satisfies Record<string, FlagSpec>;

/** SamplerName is one of the standard OTEL_TRACES_SAMPLER values we support. */
export type SamplerName = 'always_on' | 'always_off' | 'traceidratio' | 'parentbased_always_on' | 'parentbased_always_off' | 'parentbased_traceidratio';

const samplers: readonly SamplerName[] = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

/** TracingConfig is tracingFlags parsed and checked; there is none when tracing is off. */
export interface TracingConfig {
  /** OTLP/HTTP base URL; spans go to `<endpoint>/v1/traces`. */
  endpoint: string;
  serviceName: string;
  sampler: SamplerName;
  ratio: number;
  resourceAttributes: Record<string, string>;
}

/**
 * tracingConfig reads the flags (then the OTEL_* variables); undefined means tracing is off,
 * and then nothing of the SDK is loaded. Throws UsageError on a bad value.
 */
export function tracingConfig(f: Record<keyof typeof tracingFlags, string>, program: string, env: NodeJS.ProcessEnv = process.env): TracingConfig | undefined {
  const pick = (flag: keyof typeof tracingFlags, name: string) => f[flag] || env[name] || '';
  const endpoint = pick('otlp-endpoint', 'OTEL_EXPORTER_OTLP_ENDPOINT').replace(/\/+$/, '');
  if (!endpoint) return undefined;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new UsageError(`--otlp-endpoint: "${endpoint}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--otlp-endpoint: "${endpoint}" must be http:// or https://`);
  const sampler = (pick('traces-sampler', 'OTEL_TRACES_SAMPLER') || 'parentbased_always_on') as SamplerName;
  if (!samplers.includes(sampler)) throw new UsageError(`--traces-sampler: "${sampler}" is not one of ${samplers.join(', ')}`);
  const rawRatio = pick('traces-sampler-arg', 'OTEL_TRACES_SAMPLER_ARG') || '1';
  const ratio = Number(rawRatio);
  if (!(ratio >= 0 && ratio <= 1)) throw new UsageError(`--traces-sampler-arg: "${rawRatio}" is not a ratio between 0 and 1`);
  return {
    endpoint,
    serviceName: pick('service-name', 'OTEL_SERVICE_NAME') || program,
    sampler,
    ratio,
    resourceAttributes: parseAttributes(pick('resource-attributes', 'OTEL_RESOURCE_ATTRIBUTES')),
  };
}

/** parseAttributes reads the `key=value,…` list of OTEL_RESOURCE_ATTRIBUTES (values percent-decoded). */
export function parseAttributes(list: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of list.split(',')) {
    if (pair.trim() === '') continue;
    const eq = pair.indexOf('=');
    const key = eq > 0 ? pair.slice(0, eq).trim() : '';
    if (!key) throw new UsageError(`--resource-attributes: "${pair}" is not key=value`);
    try {
      out[key] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      throw new UsageError(`--resource-attributes: "${pair}" has a bad percent escape`);
    }
  }
  return out;
}
