import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './process.ts';

/** The pinned schemathesis version, read from the one place that pins it (.ci/run installs from it). */
export const requirements = join(repoRoot, '.ci', 'schemathesis-requirements.txt');
export const schemathesisVersion = /^schemathesis==(\S+)$/m.exec(readFileSync(requirements, 'utf8'))![1]!;

/** Where `.ci/run` installs it: a venv under the gitignored `.cache/`. */
export const venvBin = join(repoRoot, '.cache', 'schemathesis', 'bin', 'schemathesis');

/**
 * findSchemathesis returns the schemathesis to run (the `SCHEMATHESIS` env var, else the `.ci/run`
 * venv, else one on the PATH) if it is the pinned version, or why there is none: a fixed seed only
 * reproduces the same run with the same generator.
 */
export function findSchemathesis(): { bin: string } | { reason: string } {
  const candidates = [process.env['SCHEMATHESIS'], existsSync(venvBin) ? venvBin : undefined, 'schemathesis'].filter((c): c is string => !!c);
  const seen: string[] = [];
  for (const bin of candidates) {
    const r = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
    if (r.error || r.status !== 0) continue;
    const version = /version (\S+)/.exec(r.stdout)?.[1];
    if (version === schemathesisVersion) return { bin };
    seen.push(`${bin} is ${version ?? 'of an unknown version'}`);
  }
  const install =
    `python3 -m venv .cache/schemathesis && .cache/schemathesis/bin/pip install -r .ci/schemathesis-requirements.txt (as .ci/run does)`;
  return { reason: `the contract fuzz needs schemathesis ${schemathesisVersion}${seen.length ? ` (${seen.join('; ')})` : ''}: ${install}` };
}
