/** Span is a span as Jaeger's query API returns it, flattened for assertions. */
export interface Span {
  spanId: string;
  /** parentId is the CHILD_OF reference, which may name a span outside the trace (the caller's). */
  parentId: string | undefined;
  name: string;
  service: string;
  tags: Record<string, unknown>;
  /** events (Jaeger's span logs) by name, with their attributes. */
  events: Array<Record<string, unknown>>;
}

interface RawTag { key: string; value: unknown }
interface RawSpan {
  spanID: string;
  operationName: string;
  processID: string;
  references?: Array<{ refType: string; spanID: string }>;
  tags?: RawTag[];
  logs?: Array<{ fields: RawTag[] }>;
}
interface RawTrace { traceID: string; spans: RawSpan[]; processes: Record<string, { serviceName: string }> }

/** flatten turns one trace of the query API into Spans. */
function flatten(t: RawTrace): Span[] {
  return t.spans.map((s) => ({
    spanId: s.spanID,
    parentId: s.references?.find((r) => r.refType === 'CHILD_OF')?.spanID,
    name: s.operationName,
    service: t.processes[s.processID]?.serviceName ?? '?',
    tags: Object.fromEntries((s.tags ?? []).map((tag) => [tag.key, tag.value])),
    events: (s.logs ?? []).map((l) => Object.fromEntries(l.fields.map((f) => [f.key, f.value]))),
  }));
}

/** getTrace fetches one trace by id: its spans, or undefined while Jaeger has none of it (404). */
export async function getTrace(query: string, traceId: string): Promise<Span[] | undefined> {
  const res = await fetch(`${query}/api/traces/${traceId}`);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`jaeger query: HTTP ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { data: RawTrace[] };
  if (body.data.length !== 1) throw new Error(`expected one trace ${traceId}, got ${body.data.length}`);
  return flatten(body.data[0]!);
}

/**
 * tracesOf lists every trace Jaeger holds with a span of `service` (the default lookback is far
 * longer than any test), by trace id.
 */
export async function tracesOf(query: string, service: string): Promise<Map<string, Span[]>> {
  const res = await fetch(`${query}/api/traces?service=${encodeURIComponent(service)}&limit=1000`);
  if (!res.ok) throw new Error(`jaeger query: HTTP ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { data: RawTrace[] | null };
  return new Map((body.data ?? []).map((t) => [t.traceID, flatten(t)]));
}

/**
 * waitForTrace polls until the trace holds spans that `complete` accepts (spans of several
 * processes arrive in separate batches), failing with what it last saw after `timeoutMs`.
 */
export async function waitForTrace(query: string, traceId: string, complete: (spans: Span[]) => boolean, timeoutMs = 20_000): Promise<Span[]> {
  const deadline = Date.now() + timeoutMs;
  let last: Span[] | undefined;
  for (;;) {
    last = await getTrace(query, traceId);
    if (last && complete(last)) return last;
    if (Date.now() > deadline) throw new Error(`trace ${traceId} incomplete after ${timeoutMs} ms: ${JSON.stringify(last?.map((s) => `${s.service}:${s.name}`))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** tree renders spans as an indented tree (children under parents), for messages and the docs. */
export function tree(spans: Span[]): string {
  const ids = new Set(spans.map((s) => s.spanId));
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    for (const s of spans.filter((x) => (parent === undefined ? !x.parentId || !ids.has(x.parentId) : x.parentId === parent))) {
      const extra = ['server.address', 'attempt.number', 'attempt.outcome', 'http.response.status_code'].filter((k) => s.tags[k] !== undefined).map((k) => `${k}=${String(s.tags[k])}`);
      const events = s.events.map((e) => `«${String(e['event'])}»`);
      lines.push(`${'  '.repeat(depth)}${s.service}: ${s.name} #${s.spanId}${extra.length ? ` [${extra.join(' ')}]` : ''}${events.length ? ` ${events.join(' ')}` : ''}`);
      walk(s.spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines.join('\n');
}
