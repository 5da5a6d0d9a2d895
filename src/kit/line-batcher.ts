/** BlockSink is where gathered blocks go: sonic-boom, which owns the fd (partial writes, EAGAIN, EPIPE). */
export interface BlockSink {
  write(block: string): boolean;
  flush(cb?: (err?: Error) => void): void;
}

/**
 * LineBatcher gathers log lines in an array and hands them to the sink joined, one block at a
 * time. sonic-boom could gather them itself, but it appends each line to one growing string
 * and measures that string's UTF-8 length on every write: O(block) per line, which under load
 * cost more than serializing the line. Here a line costs a push.
 */
export class LineBatcher {
  readonly #sink: BlockSink;
  readonly #blockChars: number;
  #lines: string[] = [];
  #chars = 0;

  /** `blockChars` is a threshold in UTF-16 units, close enough to bytes for deciding when to write. */
  constructor(sink: BlockSink, blockChars: number) {
    this.#sink = sink;
    this.#blockChars = blockChars;
  }

  /** write takes one serialized line (pino's stream contract). */
  write(line: string): boolean {
    this.#lines.push(line);
    this.#chars += line.length;
    if (this.#chars >= this.#blockChars) this.#pass();
    return true;
  }

  /** pending tells whether lines wait for a block to fill, so a flush tick can skip idle rounds. */
  get pending(): boolean {
    return this.#chars > 0;
  }

  /** flush passes what is gathered on and asks the sink to write it now; `cb` runs once written. */
  flush(cb?: (err?: Error) => void): void {
    this.#pass();
    this.#sink.flush(cb);
  }

  #pass(): void {
    if (this.#chars === 0) return;
    const block = this.#lines.join('');
    this.#lines = [];
    this.#chars = 0;
    this.#sink.write(block);
  }
}
