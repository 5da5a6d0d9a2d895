import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const run = promisify(execFile);

/** WrkResult is what one wrk run measured. */
export interface WrkResult {
  rps: number;
  /** requests completed in the run, for per-request costs. */
  requests: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

/** WrkOptions shape one closed-loop load run. */
export interface WrkOptions {
  url: string;
  body: string;
  method?: string;
  connections: number;
  durationS: number;
  /** CPU list for the load generator (`taskset -c`), so it does not steal the server's core. */
  cpus?: string;
  /** Command prefix wrk runs under, e.g. nsenter into the network namespace of the peer. */
  prefix?: string[];
}

/** wrk runs Debian's wrk against `url` with a fixed JSON body and parses its summary. */
export async function wrk(options: WrkOptions): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'wrk-'));
  const script = join(dir, 'body.lua');
  writeFileSync(
    script,
    `wrk.method = ${JSON.stringify(options.method ?? 'POST')}\nwrk.body = ${JSON.stringify(options.body)}\nwrk.headers["Content-Type"] = "application/json"\n`,
  );
  const args = ['-t1', `-c${options.connections}`, `-d${options.durationS}s`, '--latency', '-s', script, options.url];
  const full = [...(options.cpus ? ['taskset', '-c', options.cpus] : []), ...(options.prefix ?? []), 'wrk', ...args];
  const { stdout } = await run(full[0]!, full.slice(1), { timeout: (options.durationS + 30) * 1000 });
  return parseWrk(stdout);
}

/** parseWrk reads requests and requests/s, latency percentiles and error counts from wrk's text output. */
export function parseWrk(text: string): WrkResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(text)?.[1]);
  const pct = (p: string) => toMs(new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(text));
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const sockErrors = sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  if (!Number.isFinite(rps)) throw new Error(`cannot parse wrk output:\n${text}`);
  return { rps, requests, p50Ms: pct('50'), p99Ms: pct('99'), errors: non2xx + sockErrors };
}

function toMs(m: RegExpExecArray | null): number {
  if (!m) return NaN;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}
