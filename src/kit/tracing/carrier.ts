import { ROOT_CONTEXT, trace, type Span, type TextMapPropagator } from '@opentelemetry/api';
import type { Carrier } from './traced-context.ts';

const setter = {
  set(carrier: Carrier, key: string, value: string): void {
    if (key === 'traceparent' || key === 'tracestate') carrier[key] = value;
  },
};

/** inject renders `span`'s context as the W3C headers, once per span, for every call made under it. */
export function inject(propagator: TextMapPropagator, span: Span): Carrier {
  const carrier: Carrier = {};
  propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, setter);
  return carrier;
}
