// The frontend logs each discovery change as a diff (count, added, removed); tests that ask which
// set a frontend held at some moment rebuild it by folding those lines in order.

type Line = Record<string, unknown>;

/** True for the lines that carry a change of the instance set. */
export const isDiscoveryLine = (l: Line): boolean => l['msg'] === 'discovery synced' || l['msg'] === 'discovered instances changed';

/** One logged set: the line that made it, and the sorted instances after it. */
export interface LoggedSet {
  line: Line;
  instances: string[];
}

/**
 * loggedSets folds the discovery lines into the set after each one. A line whose lists were
 * capped (more added or removed than listed) cannot be folded: that throws, naming the line,
 * rather than returning a wrong set; tests keep their sets under the cap.
 */
export function loggedSets(lines: readonly Line[]): LoggedSet[] {
  const out: LoggedSet[] = [];
  let set = new Set<string>();
  for (const l of lines.filter(isDiscoveryLine)) {
    const added = l['added'] as string[];
    const removed = l['removed'] as string[];
    if (added.length !== l['added_count'] || removed.length !== l['removed_count']) throw new Error(`a capped discovery line cannot be folded: ${JSON.stringify(l)}`);
    if (l['msg'] === 'discovery synced') set = new Set();
    for (const i of removed) set.delete(i);
    for (const i of added) set.add(i);
    if (set.size !== l['count']) throw new Error(`folded ${set.size} instances, the line says ${String(l['count'])}: ${JSON.stringify(l)}`);
    out.push({ line: l, instances: [...set].sort() });
  }
  return out;
}

/** The set after the last discovery line, or undefined before the first. */
export function loggedInstances(lines: readonly Line[]): string[] | undefined {
  return loggedSets(lines).at(-1)?.instances;
}
