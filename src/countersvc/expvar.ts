/** Var is one published variable; its value is read at render time and must be JSON-able. */
export type Var = () => unknown;

/** IntVar is an integer counter, like Go's `expvar.Int`. */
export interface IntVar {
  add(delta: number): void;
  value(): number;
}

/**
 * Expvar is a registry of named variables rendered the way Go's `expvar` handler does:
 * a JSON object with keys sorted, one per line, so the article's `curl …/debug/vars` and
 * tools that scrape Go services read it unchanged.
 */
export class Expvar {
  readonly #vars = new Map<string, Var>();

  /** publish registers `name`; a name may be published once, as in Go (which panics). */
  publish(name: string, v: Var): void {
    if (this.#vars.has(name)) throw new Error(`expvar: reuse of exported var name: ${name}`);
    this.#vars.set(name, v);
  }

  /** newInt publishes and returns a counter starting at zero. */
  newInt(name: string): IntVar {
    let n = 0;
    this.publish(name, () => n);
    return {
      add(delta) {
        n += delta;
      },
      value: () => n,
    };
  }

  /** render is the `/debug/vars` body. */
  render(): string {
    const entries = [...this.#vars.keys()].sort().map((k) => `${JSON.stringify(k)}: ${JSON.stringify(this.#vars.get(k)!())}`);
    return `{\n${entries.join(',\n')}\n}\n`;
  }
}

/**
 * publishProcessVars adds what Go's expvar always publishes: `cmdline` (argv) and `memstats`.
 * Node has no runtime.MemStats, so `memstats` carries the Go fields with a direct Node
 * counterpart (heap used/reserved, resident set); `memoryUsage` is Node's own reading.
 */
export function publishProcessVars(vars: Expvar, argv: string[] = process.argv): void {
  vars.publish('cmdline', () => argv);
  vars.publish('memstats', () => {
    const m = process.memoryUsage();
    return { Alloc: m.heapUsed, HeapAlloc: m.heapUsed, HeapInuse: m.heapUsed, HeapSys: m.heapTotal, Sys: m.rss };
  });
  vars.publish('memoryUsage', () => process.memoryUsage());
}
