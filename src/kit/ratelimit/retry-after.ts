/**
 * retryAfterSeconds turns a wait into a `Retry-After` value (RFC 9110 delay-seconds): whole
 * seconds, rounded up so a client that obeys it is not refused again for being early, and at
 * least 1, since 0 would invite the immediate retry the refusal is there to prevent.
 */
export function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
