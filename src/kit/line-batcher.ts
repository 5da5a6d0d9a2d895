/** BlockSink is where gathered blocks go: sonic-boom in buffer mode, which owns the fd (partial writes, EAGAIN, EPIPE). */
export interface BlockSink {
  write(block: Buffer): boolean;
  flush(cb?: (err?: Error) => void): void;
}

/** A UTF-16 code unit never takes more than 3 bytes in UTF-8. */
const maxBytesPerUnit = 3;

/**
 * LineBatcher encodes each log line into a block of bytes as it comes and hands the sink whole
 * blocks. Why encode at once: pino builds a line from dozens of small string pieces. Kept as
 * strings until a block is due, every line of a block lived through young-generation GCs (all
 * of its pieces copied each time) and was then flattened with cold caches: under load that cost
 * more than serializing the line. Encoded right away, a line's pieces die young. (Why our own
 * blocks: handing sonic-boom a Buffer per line would allocate one per line and concatenate them
 * at write time; in its string mode it re-measures its whole buffer on every line.)
 */
export class LineBatcher {
  readonly #sink: BlockSink;
  readonly #blockBytes: number;
  #block: Buffer;
  #used = 0;
  #unflushed = false;

  constructor(sink: BlockSink, blockBytes: number) {
    this.#sink = sink;
    this.#blockBytes = blockBytes;
    this.#block = Buffer.allocUnsafe(blockBytes);
  }

  /** write takes one serialized line (pino's stream contract). */
  write(line: string): boolean {
    const worst = line.length * maxBytesPerUnit;
    if (this.#used + worst > this.#blockBytes) {
      this.#pass();
      // A line longer than a block goes on by itself.
      if (worst > this.#blockBytes) {
        this.#unflushed = true;
        return this.#sink.write(Buffer.from(line, 'utf8'));
      }
    }
    this.#used += this.#block.write(line, this.#used, 'utf8');
    return true;
  }

  /** pending tells whether lines wait for a block to fill, so a flush tick can skip idle rounds. */
  get pending(): boolean {
    return this.#used > 0;
  }

  /**
   * unflushed tells whether blocks went to the sink since the last flush: the sink may still hold
   * them (sonic-boom waits for its minLength), so a flush tick knows without reading its internals.
   */
  get unflushed(): boolean {
    return this.#unflushed;
  }

  /** flush passes what is gathered on and asks the sink to write it now; `cb` runs once written. */
  flush(cb?: (err?: Error) => void): void {
    this.#pass();
    this.#unflushed = false;
    this.#sink.flush(cb);
  }

  /** #pass hands the filled part of the block over; the sink keeps it, so a fresh block follows. */
  #pass(): void {
    if (this.#used === 0) return;
    const filled = this.#block.subarray(0, this.#used);
    this.#block = Buffer.allocUnsafe(this.#blockBytes);
    this.#used = 0;
    this.#unflushed = true;
    this.#sink.write(filled);
  }
}
