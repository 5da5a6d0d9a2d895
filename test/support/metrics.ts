/** MetricOptions say what a missing series means. */
export interface MetricOptions {
  /**
   * absentAs is the value of a series that is not exposed (a counter never incremented, a dropped
   * series). Without it a missing series is an error, so a misspelt name cannot pass a "still 0"
   * check; with it the metric itself must still be declared (its `# TYPE` line), for the same reason.
   */
  absentAs?: number;
}

/** MissingSeriesError says which series a scrape lacked. */
export class MissingSeriesError extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'MissingSeriesError';
  }
}

/** describe renders `name{k="v",…}` for messages. */
function describeSeries(name: string, labels: Record<string, string>): string {
  const l = Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(',');
  return l ? `${name}{${l}}` : name;
}

/** declared tells whether the exposition has a `# TYPE` line for `name` (or the histogram/summary it belongs to). */
function declared(text: string, name: string): boolean {
  const family = name.replace(/_(bucket|sum|count)$/, '');
  return text.split('\n').some((line) => {
    const m = /^# TYPE (\S+) /.exec(line);
    return m !== null && (m[1] === name || m[1] === family);
  });
}

/**
 * metricValue reads one sample from a Prometheus text exposition: the first series named
 * `name` whose labels include every given label. A missing series throws MissingSeriesError
 * unless `options.absentAs` is given (and even then the metric must be declared).
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}, options: MetricOptions = {}): number {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((p) => [p[1], p[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  if (!declared(text, name)) throw new MissingSeriesError(`metric ${name} is not exposed at all (misspelt, or not registered)`);
  if (options.absentAs !== undefined) return options.absentAs;
  throw new MissingSeriesError(`no series ${describeSeries(name, labels)} (pass { absentAs: 0 } where a missing series means 0)`);
}

/** scrape fetches a process's `/metrics` text. */
export async function scrape(baseUrl: string): Promise<string> {
  const res = await fetch(`${baseUrl}/metrics`);
  return res.text();
}

/** eventually polls `check` until it returns true, failing after `timeoutMs`. */
export async function eventually(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
