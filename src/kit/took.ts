/**
 * took renders the time since `begin` (a `performance.now()` reading) the way Go prints a
 * time.Duration (`5.168µs`, `4.39012ms`, `1.2s`), so our logs read like the seed's.
 */
export function took(begin: number, now = performance.now()): string {
  // Whole nanoseconds, then plain division: toFixed is slow, and this runs on every request.
  const ns = Math.round((now - begin) * 1e6);
  if (ns < 1e6) return `${ns / 1000}µs`;
  if (ns < 1e9) return `${Math.round(ns / 1000) / 1000}ms`;
  return `${Math.round(ns / 1e6) / 1000}s`;
}
