import type { Request, Response } from 'express';
import type { Context, Logger } from '../../context.ts';

/**
 * requestContext builds the endpoint Context for one HTTP request. Its signal aborts when
 * the client goes away before the answer is sent, or when the handler deadline passes, so
 * upstream calls made on its behalf stop too.
 */
export function requestContext(req: Request, res: Response, logger: Logger, timeoutMs: number): Context {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new DOMException('handler deadline exceeded', 'TimeoutError')), timeoutMs);
  timer.unref();
  res.once('close', () => {
    clearTimeout(timer);
    if (!res.writableFinished) ac.abort(new DOMException('client closed the request', 'AbortError'));
  });
  const traceparent = req.headers.traceparent;
  return {
    requestId: String((req as { id?: unknown }).id ?? ''),
    logger,
    signal: ac.signal,
    deadline: Date.now() + timeoutMs,
    ...(typeof traceparent === 'string' ? { traceparent } : {}),
  };
}
