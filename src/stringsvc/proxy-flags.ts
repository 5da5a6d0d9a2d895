import { durationMs, positiveNumber, UsageError, type FlagSpec } from '../kit/cli.ts';
import type { Instance } from '../kit/sd/instancer.ts';
import type { Resilience } from './proxying.ts';

/** proxyFlags are the frontend's flags; with `--proxy` empty the process is a plain backend. */
export const proxyFlags = {
  proxy: { default: '', help: 'Comma-separated host:port list to proxy Uppercase to; empty serves it locally.' },
  'max-attempts': { default: '3', help: 'Attempts per proxied call, the first included.' },
  'max-time': { default: '250ms', help: 'Deadline for all attempts of one proxied call.' },
  'attempt-timeout': { default: '100ms', help: 'Deadline for one attempt, so a hung backend leaves time for others.' },
  qps: { default: '100', help: 'Token bucket refill per backend instance, calls per second.' },
  burst: { default: '100', help: 'Token bucket size per backend instance.' },
  'breaker-failures': { default: '5', help: 'Consecutive failures that open a backend instance’s breaker.' },
  'breaker-reset': { default: '10s', help: 'Time a breaker stays open before one trial call.' },
  'retry-budget': { default: '0.2', help: 'Retries allowed as a share of calls (on top of 10 retries/s).' },
} satisfies Record<string, FlagSpec>;

/** ProxyConfig is the frontend configuration read from proxyFlags. */
export interface ProxyConfig {
  /** instances is empty in backend mode. */
  instances: Instance[];
  resilience: Required<Resilience>;
}

/** proxyConfig validates the frontend flags; mistakes are UsageErrors (exit 2). */
export function proxyConfig(f: { [K in keyof typeof proxyFlags]: string }): ProxyConfig {
  const resilience = {
    maxAttempts: count('max-attempts', f['max-attempts']),
    maxTimeMs: durationMs('max-time', f['max-time']),
    attemptTimeoutMs: durationMs('attempt-timeout', f['attempt-timeout']),
    qps: positiveNumber('qps', f.qps),
    burst: count('burst', f.burst),
    breakerFailures: count('breaker-failures', f['breaker-failures']),
    breakerResetMs: durationMs('breaker-reset', f['breaker-reset']),
    retryBudgetRatio: ratio('retry-budget', f['retry-budget']),
  };
  if (resilience.maxTimeMs <= 0 || resilience.attemptTimeoutMs <= 0) {
    throw new UsageError('--max-time and --attempt-timeout must be greater than zero');
  }
  return { instances: instanceList('proxy', f.proxy), resilience };
}

/** instanceList parses `host:port,host:port` (IPv6 bracketed); blanks around commas are ignored. */
export function instanceList(flag: string, value: string): Instance[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const item of items) {
    const m = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(item);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) {
      throw new UsageError(`--${flag}: "${item}" is not an instance like localhost:8001 or [::1]:8001`);
    }
  }
  return [...new Set(items)];
}

function count(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${flag}: "${value}" is not a whole number ≥ 1`);
  return n;
}

function ratio(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new UsageError(`--${flag}: "${value}" is not a ratio ≥ 0`);
  return n;
}
