import { parseArgs } from 'node:util';

/** FlagSpec describes one `--name=value` flag; every flag can also come from the environment. */
export interface FlagSpec {
  default: string;
  help: string;
}

/** UsageError is a bad command line: the program prints it and exits 2, like Go's flag package. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** envName maps a flag to its environment variable: `body-limit` → `STRINGSVC_BODY_LIMIT`. */
export function envName(prefix: string, flag: string): string {
  return `${prefix}_${flag.replace(/-/g, '_').toUpperCase()}`;
}

/**
 * parseFlags reads flags (highest precedence), then `PREFIX_NAME` environment variables, then
 * defaults. Go-style single-dash flags (`-listen=:8001`, as the seed types them) are accepted.
 * Returns undefined when `--help` was asked for (the usage text is printed).
 */
export function parseFlags<S extends Record<string, FlagSpec>>(
  argv: string[],
  specs: S,
  program: { name: string; summary: string; envPrefix: string },
  env: NodeJS.ProcessEnv = process.env,
): { [K in keyof S]: string } | undefined {
  const goStyle = argv.map((a) => (/^-[a-z][a-z-]+(=.*)?$/.test(a) ? `-${a}` : a));
  const options = Object.fromEntries(Object.keys(specs).map((k) => [k, { type: 'string' as const }]));
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: goStyle,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new UsageError((e as Error).message.split('\n')[0] ?? String(e));
  }
  if (parsed.values.help) {
    process.stdout.write(usage(specs, program));
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const given = parsed.values[name];
    out[name] = typeof given === 'string' ? given : (env[envName(program.envPrefix, name)] ?? spec.default);
  }
  return out as { [K in keyof S]: string };
}

/** usage renders the `--help` text: one line per flag with its env variable and default. */
export function usage(specs: Record<string, FlagSpec>, program: { name: string; summary: string; envPrefix: string }): string {
  const lines = Object.entries(specs).map(
    ([name, s]) => `  --${name}=…\n      ${s.help}\n      env ${envName(program.envPrefix, name)}, default "${s.default}"`,
  );
  return `${program.name} — ${program.summary}\n\nUsage: ${program.name} [flags]\n\nFlags:\n${lines.join('\n')}\n  --help\n      Show this help.\n`;
}

const durationUnits: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** durationMs parses a Go-style duration (`250ms`, `10s`, `1.5m`) into milliseconds. */
export function durationMs(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(value.trim());
  if (!m) throw new UsageError(`--${flag}: "${value}" is not a duration like 250ms, 10s or 1m`);
  return Number(m[1]) * durationUnits[m[2] as string]!;
}

const byteUnits: Record<string, number> = { '': 1, b: 1, kb: 1024, kib: 1024, mb: 1024 ** 2, mib: 1024 ** 2 };

/** bytes parses a size (`1048576`, `512kb`, `1mb`) into a byte count. */
export function bytes(flag: string, value: string): number {
  const m = /^(\d+)\s*([a-z]*)$/i.exec(value.trim());
  const unit = m ? byteUnits[(m[2] ?? '').toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new UsageError(`--${flag}: "${value}" is not a size like 1048576, 512kb or 1mb`);
  return Number(m[1]) * unit;
}

/** bool parses `true`/`false` (and 1/0). */
export function bool(flag: string, value: string): boolean {
  if (/^(true|1)$/i.test(value)) return true;
  if (/^(false|0)$/i.test(value)) return false;
  throw new UsageError(`--${flag}: "${value}" is not true or false`);
}

/** positiveNumber parses a number greater than zero. */
export function positiveNumber(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${flag}: "${value}" is not a positive number`);
  return n;
}

/** wholeNumber parses an integer of 0 or more. */
export function wholeNumber(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || value.trim() === '') throw new UsageError(`--${flag}: "${value}" is not a whole number ≥ 0`);
  return n;
}

/** listenAddress parses `:8080`, `127.0.0.1:8001` or `[::1]:8080`; an empty host means every interface. */
export function listenAddress(flag: string, value: string): { host?: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) throw new UsageError(`--${flag}: "${value}" is not an address like :8080 or 127.0.0.1:8080`);
  const host = m[1] ?? m[2];
  return host ? { host, port } : { port };
}
