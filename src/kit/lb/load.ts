/**
 * Load is what a load-aware balancer knows about one instance: a cost to compare, and the
 * hooks that keep it current around each call it sends there.
 */
export interface Load {
  /**
   * cost at time `now` (ms, monotonic); lower is better. A load that has not measured its
   * instance yet uses `neutral`, the balancer's estimate for an average instance.
   */
  cost(now: number, neutral: number): number;
  /** estimate is the measured part of the cost (e.g. the latency), undefined before any sample. */
  estimate?(now: number): number | undefined;
  /** start records a call going out; the returned function records how it ended. */
  start(now: number): (now: number, ok: boolean) => void;
}

/** LoadFactory makes the Load of one new instance. */
export type LoadFactory = () => Load;

/**
 * outstanding is the least-request load: the number of calls in flight, as Envoy's
 * LEAST_REQUEST counts them. It always has a cost, so a new instance (zero) is tried first.
 */
export function outstanding(): LoadFactory {
  return () => {
    let inFlight = 0;
    return {
      cost: () => inFlight,
      start() {
        inFlight++;
        let done = false;
        return () => {
          // An end reported twice must not drive the count below the real one.
          if (done) return;
          done = true;
          inFlight--;
        };
      },
    };
  };
}
