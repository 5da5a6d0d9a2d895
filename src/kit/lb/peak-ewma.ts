import type { Load, LoadFactory } from './load.ts';

/** PeakEwmaOptions tune peakEwma; decayMs is the time constant of the moving average. */
export interface PeakEwmaOptions {
  decayMs: number;
}

/**
 * peakEwma is the Finagle/Linkerd/tower latency load: a moving average of round-trip times
 * that jumps straight up to a slower sample (peak-sensitive) and decays towards faster ones
 * with time constant `decayMs`, times (calls in flight + 1).
 *
 * The average also decays towards zero while no answer comes in, as Finagle's does: an
 * instance avoided for being slow is tried again after a few decay times instead of being
 * shunned forever on an old estimate.
 *
 * A failed call may raise the estimate but never lowers it: an instance that refuses
 * connections answers fast, and must not look cheap for it (its breaker handles the rest).
 */
export function peakEwma(options: PeakEwmaOptions): LoadFactory {
  const tau = options.decayMs;
  if (!(tau > 0)) throw new RangeError('peakEwma: decayMs must be greater than zero');
  return (): Load => {
    let ewma: number | undefined;
    let stamp = 0;
    let inFlight = 0;
    const decayed = (now: number): number => (ewma ?? 0) * Math.exp(-Math.max(0, now - stamp) / tau);
    const observe = (now: number, rtt: number, ok: boolean): void => {
      if (ewma === undefined) {
        ewma = rtt;
      } else {
        const current = decayed(now);
        if (rtt > current) ewma = rtt;
        else if (ok) {
          const w = Math.exp(-Math.max(0, now - stamp) / tau);
          ewma = ewma * w + rtt * (1 - w);
        } else ewma = current;
      }
      stamp = now;
    };
    return {
      cost(now, neutral) {
        return (ewma === undefined ? neutral : decayed(now)) * (inFlight + 1);
      },
      estimate: (now) => (ewma === undefined ? undefined : decayed(now)),
      start(begin) {
        inFlight++;
        let done = false;
        return (end, ok) => {
          if (done) return;
          done = true;
          inFlight--;
          observe(end, end - begin, ok);
        };
      },
    };
  };
}
