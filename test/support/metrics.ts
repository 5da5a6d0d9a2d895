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

/** AmbiguousSeriesError says which series a partial set of labels could have meant. */
export class AmbiguousSeriesError extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'AmbiguousSeriesError';
  }
}

/** describeSeries renders `name{k="v",…}` for messages. */
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

interface Sample {
  labels: Record<string, string>;
  value: number;
}

/** samples lists the series named `name` whose labels include every given label. */
function samples(text: string, name: string, labels: Record<string, string>): Sample[] {
  const found: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((p) => [p[1]!, p[2]!]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) found.push({ labels: have, value: Number(m[3]) });
  }
  return found;
}

/** absent is what a lookup that found no series gives: `absentAs` for a declared metric, else an error. */
function absent(text: string, name: string, labels: Record<string, string>, options: MetricOptions): number {
  if (!declared(text, name)) throw new MissingSeriesError(`metric ${name} is not exposed at all (misspelt, or not registered)`);
  if (options.absentAs !== undefined) return options.absentAs;
  throw new MissingSeriesError(`no series ${describeSeries(name, labels)} (pass { absentAs: 0 } where a missing series means 0)`);
}

/**
 * metricValue reads one series from a Prometheus text exposition: the one named `name` whose label
 * set is exactly `labels`. Labels that only narrow it down (fewer than the series has) are refused
 * with AmbiguousSeriesError naming every series they match, even a single one: which series a
 * check reads must be spelt out, not depend on what else happens to be exposed. Use metricSum for
 * an aggregate. A missing series throws MissingSeriesError unless `options.absentAs` is given (and
 * even then the metric must be declared).
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}, options: MetricOptions = {}): number {
  const partial = samples(text, name, labels);
  const exact = partial.filter((s) => Object.keys(s.labels).length === Object.keys(labels).length);
  if (exact.length === 1) return exact[0]!.value;
  if (partial.length > 0) {
    const names = partial.map((s) => describeSeries(name, s.labels)).join(', ');
    throw new AmbiguousSeriesError(`${describeSeries(name, labels)} does not name one series exactly; it matches ${names} (give every label, or use metricSum)`);
  }
  return absent(text, name, labels, options);
}

/**
 * metricSum adds up every series named `name` whose labels include the given ones, for a check
 * that means the aggregate ("no call timed out, on any instance"). None matching is treated as in
 * metricValue.
 */
export function metricSum(text: string, name: string, labels: Record<string, string> = {}, options: MetricOptions = {}): number {
  const found = samples(text, name, labels);
  if (found.length === 0) return absent(text, name, labels, options);
  return found.reduce((n, s) => n + s.value, 0);
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
