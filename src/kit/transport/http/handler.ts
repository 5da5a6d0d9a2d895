import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from '../../context.ts';

/**
 * ServerRequest is what our handlers rely on: node's request and the body the prelude
 * buffered. Express's Request is one, so the same handlers mount in express too.
 */
export interface ServerRequest extends IncomingMessage {
  body?: unknown;
}

/** ServerReply is node's response plus `locals.ctx`, the request Context the prelude built. */
export interface ServerReply extends ServerResponse {
  locals: Record<string, unknown> & { ctx?: Context };
}

/** NextFunction passes control on, or an error to the error handler (express's contract). */
export type NextFunction = (err?: unknown) => void;

/** Handler serves or passes on one request; an express-compatible middleware signature. */
export type Handler = (req: ServerRequest, res: ServerReply, next: NextFunction) => unknown;

/** pathOf is the request path without its query string. */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}
