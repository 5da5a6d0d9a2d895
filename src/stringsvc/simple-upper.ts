/**
 * Where JavaScript's full case mapping turns one code point into several (ß → SS, ᾳ → ΑΙ), Go's
 * `strings.ToUpper` — and so go-kit's stringsvc — keeps one code point: Unicode's simple
 * mapping. These are the code points whose simple upper case differs from themselves; every
 * other expanding code point stays as it is. Generated with Go 1.26's `unicode.ToUpper` over
 * all code points that `String.prototype.toUpperCase` expands.
 */
const simple = new Map<number, number>([
  [0x1f80, 0x1f88],
  [0x1f81, 0x1f89],
  [0x1f82, 0x1f8a],
  [0x1f83, 0x1f8b],
  [0x1f84, 0x1f8c],
  [0x1f85, 0x1f8d],
  [0x1f86, 0x1f8e],
  [0x1f87, 0x1f8f],
  [0x1f90, 0x1f98],
  [0x1f91, 0x1f99],
  [0x1f92, 0x1f9a],
  [0x1f93, 0x1f9b],
  [0x1f94, 0x1f9c],
  [0x1f95, 0x1f9d],
  [0x1f96, 0x1f9e],
  [0x1f97, 0x1f9f],
  [0x1fa0, 0x1fa8],
  [0x1fa1, 0x1fa9],
  [0x1fa2, 0x1faa],
  [0x1fa3, 0x1fab],
  [0x1fa4, 0x1fac],
  [0x1fa5, 0x1fad],
  [0x1fa6, 0x1fae],
  [0x1fa7, 0x1faf],
  [0x1fb3, 0x1fbc],
  [0x1fc3, 0x1fcc],
  [0x1ff3, 0x1ffc],
]);

/**
 * toUpperSimple upper-cases one code point to one code point, as Go does, so answers match
 * go-kit byte for byte. The common case (nothing expands) costs one toUpperCase call.
 */
export function toUpperSimple(s: string): string {
  const full = s.toUpperCase();
  // Expansions only ever lengthen the string: equal length means none happened.
  if (full.length === s.length) return full;
  let out = '';
  for (const ch of s) {
    const up = ch.toUpperCase();
    if (up.length === ch.length) out += up;
    else {
      const cp = ch.codePointAt(0)!;
      out += String.fromCodePoint(simple.get(cp) ?? cp);
    }
  }
  return out;
}
