/**
 * took renders the time since `begin` (a `performance.now()` reading) the way Go prints a
 * time.Duration (`5.168µs`, `4.39012ms`, `1.2s`), so our logs read like the seed's.
 */
export function took(begin: number): string {
  const ms = performance.now() - begin;
  if (ms < 1) return `${+(ms * 1000).toFixed(3)}µs`;
  if (ms < 1000) return `${+ms.toFixed(3)}ms`;
  return `${+(ms / 1000).toFixed(3)}s`;
}
