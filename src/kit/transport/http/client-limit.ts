import { hash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { refusalHeaders } from '../../ratelimit/headers.ts';
import type { KeyedLimiter, Verdict } from '../../ratelimit/keyed.ts';
import type { Handler, ServerReply } from './handler.ts';
import { encodeJSON } from './server.ts';

/** ClientLimitOptions say who a client is and what happens on each verdict. */
export interface ClientLimitOptions {
  limiter: KeyedLimiter;
  /** keyHeader (lower case) names the header that names the client; unset: the remote address. */
  keyHeader?: string;
  onAllowed?(): void;
  /** onRefused is called before the 429 is written; `client` is the key (see clientKey). */
  onRefused?(client: string, res: ServerReply, verdict: Verdict): void;
}

/**
 * clientLimit is a prelude handler that answers a client over its limit with 429 — before the
 * body is read or any endpoint runs, so a refusal costs a lookup and a short answer — and lets
 * every other request through. The body is `{"err": …}`, as for the other refusals that are
 * the client's doing (400, 413, 405), with Retry-After and the RateLimit fields (headers.ts).
 */
export function clientLimit(options: ClientLimitOptions): Handler {
  const { limiter, keyHeader } = options;
  return (req, res, next) => {
    const client = clientKey(req, keyHeader);
    return limiter.take(client).then((verdict) => {
      if (verdict.allowed) {
        options.onAllowed?.();
        return next();
      }
      options.onRefused?.(client, res, verdict);
      encodeJSON(res, { err: 'client rate limit exceeded' }, 429, refusalHeaders(limiter.policies, verdict));
    });
  };
}

/**
 * clientKey names the client: the value of `keyHeader` when the request has it, else the
 * connection's remote address (IPv4 without the `::ffff:` of a dual-stack socket). A header
 * value is replaced by a digest (`sha256:` and 32 hex digits): it may be a credential (an API
 * key), which then appears in no log line, and a 16 KiB header costs the limiter's store no
 * more than a short one.
 */
export function clientKey(req: IncomingMessage, keyHeader?: string): string {
  if (keyHeader !== undefined) {
    const given = req.headers[keyHeader];
    const value = Array.isArray(given) ? given.join(',') : given;
    if (value) return `sha256:${hash('sha256', value, 'hex').slice(0, 32)}`;
  }
  const address = req.socket.remoteAddress ?? 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
