import type { QuotaPolicy, Verdict } from './keyed.ts';
import { retryAfterSeconds } from './retry-after.ts';

/**
 * refusalHeaders are the header fields of a 429 from a keyed limiter: `Retry-After`, and the
 * `RateLimit-Policy` and `RateLimit` fields of draft-ietf-httpapi-ratelimit-headers (revision
 * 11): Structured Field lists whose items are the policy names as Strings, with `q` (quota) and
 * `w` (window, seconds) parameters in the policy, `r` (quota left) and `t` (seconds until the
 * window ends) in the limit. The limit names the one-second policy: whatever the burst has
 * left, the client has its full quota again when that window ends. `t` and `Retry-After`
 * agree, as the draft asks (Retry-After not before the window's end).
 */
export function refusalHeaders(policies: readonly QuotaPolicy[], verdict: Verdict): Record<string, string> {
  const seconds = retryAfterSeconds(verdict.msBeforeNext);
  const first = policies[0]!;
  return {
    'retry-after': String(seconds),
    'ratelimit-policy': policyField(policies),
    ratelimit: `"${first.name}";r=${verdict.remaining};t=${seconds}`,
  };
}

/** policyField renders the policies as a RateLimit-Policy value; names are ours (no quotes or backslashes). */
export function policyField(policies: readonly QuotaPolicy[]): string {
  return policies.map((p) => `"${p.name}";q=${p.quota};w=${p.windowSec}`).join(', ');
}
