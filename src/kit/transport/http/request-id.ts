import type { IncomingMessage } from 'node:http';
import { newRequestId } from '../../request-id.ts';

/** Ids we accept from callers: short and printable, so they are safe to log and echo. */
const acceptable = /^[\w.:@/+=-]{1,128}$/;

/**
 * requestIdOf honours an incoming `X-Request-Id` (as the counter article's router sets one)
 * and otherwise generates one (see newRequestId), so every log line of one request can be joined up.
 */
export function requestIdOf(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && acceptable.test(given) ? given : newRequestId();
}
