import type { Logger } from './context.ts';

/** RepeatLogOptions size the window and the number of kinds tracked at once; both optional. */
export interface RepeatLogOptions {
  /** windowMs is how long repeats of a kind are counted before one line sums them up. Default 10 s. */
  windowMs?: number;
  /** maxKinds bounds the kinds tracked in one window; further kinds are summed up together. Default 64. */
  maxKinds?: number;
}

/** The request a warning is about: its id, and the logger bound to it. */
export interface Occurrence {
  readonly requestId: string;
  readonly logger: Logger;
}

interface Kind {
  msg: string;
  fields: object;
  repeated: number;
  example?: string;
}

/** The kind that collects occurrences once maxKinds kinds are tracked. */
const otherKinds = '\u0000other';

/**
 * RepeatLog keeps warnings that come once per request or attempt from multiplying an overload or
 * an outage into as many log lines: the first warning of a kind (an instance and a reason, say) is
 * logged at once, on the request's own logger; its repeats within the window are only counted, and
 * when the window ends one line per kind gives the count and an example request id. So a window
 * writes at most two lines per kind, and at most maxKinds + 1 kinds, whatever the request rate.
 * (pino has no sampling or deduplication of its own; this is the smallest piece that bounds it.)
 */
export class RepeatLog {
  readonly #logger: Logger;
  readonly #windowMs: number;
  readonly #maxKinds: number;
  readonly #kinds = new Map<string, Kind>();
  #timer: NodeJS.Timeout | undefined;

  /** `logger` writes the summaries, which belong to no single request. */
  constructor(logger: Logger, options: RepeatLogOptions = {}) {
    this.#logger = logger;
    this.#windowMs = options.windowMs ?? 10_000;
    this.#maxKinds = options.maxKinds ?? 64;
  }

  /** warn logs `msg` with `fields` now if `kind` is new in this window, else counts it. */
  warn(kind: string, at: Occurrence, fields: object, msg: string): void {
    const seen = this.#kinds.get(kind) ?? (this.#kinds.size >= this.#maxKinds ? this.#kinds.get(otherKinds) : undefined);
    if (seen) {
      seen.repeated++;
      seen.example = at.requestId;
      seen.fields = fields;
      return;
    }
    const full = this.#kinds.size >= this.#maxKinds;
    // Past the bound, the first warning of any further kind is still logged, then they count as one.
    this.#kinds.set(full ? otherKinds : kind, { msg: full ? 'warnings of further kinds' : msg, fields, repeated: 0 });
    at.logger.warn(fields, msg);
    // Unref'd: a pending summary never keeps a process alive; close() flushes it on the way out.
    this.#timer ??= setTimeout(() => this.flush(), this.#windowMs).unref();
  }

  /** flush writes the summaries of the window so far and starts a new one. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const k of this.#kinds.values()) {
      if (k.repeated === 0) continue;
      this.#logger.warn({ ...k.fields, repeated: k.repeated, example_request_id: k.example, window_ms: this.#windowMs }, `${k.msg} (repeated)`);
    }
    this.#kinds.clear();
  }
}
