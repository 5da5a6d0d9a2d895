/**
 * The demo's log lines for a person: when the demo writes to a terminal, each process's JSON line
 * is pretty-printed on one line by pino-pretty (a dev dependency: the image, which runs without
 * it, and any pipe get the JSON lines unchanged). `NO_COLOR` turns off colours, `STRINGSVC_PRETTY=0`
 * the pretty printing. `err` is the seed's field, a string or null, so it stays on the line.
 */

/** Formats one log line; lines that are not JSON come back as they are. */
export type LineFormatter = (line: string) => string;

/** prettyLines returns a formatter when `out` is a terminal and pino-pretty is installed, else undefined. */
export async function prettyLines(out: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Promise<LineFormatter | undefined> {
  if (!out.isTTY || env['STRINGSVC_PRETTY'] === '0') return undefined;
  let factory: typeof import('pino-pretty').prettyFactory;
  try {
    ({ prettyFactory: factory } = await import('pino-pretty'));
  } catch {
    return undefined; // a production install: JSON it is
  }
  const pretty = factory({ colorize: !env['NO_COLOR'], singleLine: true, errorLikeObjectKeys: [], translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  return (line) => {
    if (!line.startsWith('{')) return line;
    const out = pretty(line);
    return typeof out === 'string' && out !== '' ? out.trimEnd() : line;
  };
}
