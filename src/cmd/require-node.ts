/**
 * The runtime guard, imported first by every entry point: started on a Node older than
 * {@link REQUIRED_NODE_MAJOR}, the program exits 1 with one line naming the version it needs and how
 * to get it, before any dependency loads (undici, for one, fails deep inside on Node 20).
 */
import { basename } from 'node:path';

/** The oldest Node major the programs run on (`engines.node` in package.json). */
export const REQUIRED_NODE_MAJOR = 24;

/** nodeTooOld returns the one-line message for `version` (`v20.20.2`), or undefined when it is new enough. */
export function nodeTooOld(version: string, program: string): string | undefined {
  const major = Number(/^v?(\d+)/.exec(version)?.[1]);
  if (major >= REQUIRED_NODE_MAJOR) return undefined;
  // npm puts the pinned Node (the `node` devDependency) first on the PATH of what it runs.
  const pinned = program === 'demo' ? '`npm start`' : `\`npx ${program} …\``;
  return `${program}: needs Node.js ${REQUIRED_NODE_MAJOR} or newer, this is ${version}; ` +
    `after \`npm ci\`, ${pinned} runs it on the project's pinned Node ${REQUIRED_NODE_MAJOR}, or install Node ${REQUIRED_NODE_MAJOR} LTS`;
}

const message = nodeTooOld(process.version, basename(process.argv[1] ?? 'stringsvc').replace(/\.[cm]?[jt]s$/, ''));
if (message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}
