/** median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** quantile by nearest rank, q in [0, 1]. */
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** round to `digits` decimals, for reports. */
export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * pairedRatio is the median over rounds of `a[i] / b[i]`. Each round measures both targets
 * back to back, so the machine's slow drift (neighbours on a shared VM) cancels within a pair;
 * the ratio of the two medians would mix rounds taken under different loads.
 */
export function pairedRatio(a: number[], b: number[]): number {
  if (a.length !== b.length || a.length === 0) throw new Error(`pairedRatio needs equal, non-empty rounds (${a.length} vs ${b.length})`);
  return median(a.map((x, i) => x / b[i]!));
}
