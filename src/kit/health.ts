/**
 * Readiness is the `/readyz` answer: ready while nothing blocks it. Independent parts of a
 * process block it for their own reason (first discovery sync pending, shutting down) and
 * unblock when done, so none of them needs to know about the others.
 */
export class Readiness {
  readonly #blockers = new Set<string>();

  /** block marks the process not ready for `reason` until `unblock(reason)`. */
  block(reason: string): void {
    this.#blockers.add(reason);
  }

  /** unblock removes one reason; the process is ready once none is left. */
  unblock(reason: string): void {
    this.#blockers.delete(reason);
  }

  /** ready is true when no part of the process holds readiness back. */
  get ready(): boolean {
    return this.#blockers.size === 0;
  }

  /** reasons lists what currently holds readiness back, for the `/readyz` body. */
  get reasons(): string[] {
    return [...this.#blockers];
  }
}
