import type { Handler, ServerRequest } from './handler.ts';
import { HttpError } from './errors.ts';

/**
 * rawBody buffers the request body into `req.body` as bytes, refusing more than `limitBytes`
 * with 413 — up front from Content-Length when given, else as soon as the stream passes it.
 * It replaces `express.raw`, whose content-type sniffing and generic stream plumbing we do not
 * need: we parse JSON whatever the type.
 */
export function rawBody(limitBytes: number): Handler {
  return (req, _res, next) => {
    const declared = req.headers['content-length'];
    if (declared === undefined && req.headers['transfer-encoding'] === undefined) return next();
    const encoding = req.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity') return next(new HttpError(415, `unsupported Content-Encoding "${encoding}"`));
    if (declared !== undefined && Number(declared) > limitBytes) return next(tooLarge(limitBytes));

    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    // Plain listeners, never removed: `once` wraps each in two more objects, and these die with
    // the request anyway; `done` makes late data (after a 413) a no-op. No `close` listener:
    // a body that never ends means the client went away (or the server's request timeout cut
    // it off), and there is no one left to answer; the access log reports the abort.
    const finish = (err?: HttpError) => {
      if (done) return;
      done = true;
      if (err) {
        req.resume(); // discard the rest so the connection can still answer
        return next(err);
      }
      req.body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
      next();
    };
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > limitBytes) finish(tooLarge(limitBytes));
      else chunks.push(chunk);
    });
    req.on('end', () => finish());
  };
}

function tooLarge(limitBytes: number): HttpError {
  return new HttpError(413, `request body exceeds the ${limitBytes}-byte limit`);
}

/**
 * jsonObjectBody parses the raw request body as a JSON object. The body is read as bytes
 * whatever the Content-Type (go-kit clients and `curl -d` send form or no content type),
 * and on GET too, because go-kit's proxying client sends GET with a JSON body.
 */
export function jsonObjectBody(req: ServerRequest): Record<string, unknown> {
  const raw: unknown = req.body;
  if (!Buffer.isBuffer(raw) || raw.length === 0) throw new HttpError(400, 'request body is empty; expected a JSON object');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new HttpError(400, `malformed JSON: ${(e as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, 'request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/**
 * stringField reads a required string field, naming the field in the error. A lone surrogate
 * (`"\ud800"`) becomes U+FFFD, as Go's decoder makes it, so answers and byte counts agree.
 */
export function stringField(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (v === undefined) throw new HttpError(400, `missing field "${name}"`);
  if (typeof v !== 'string') throw new HttpError(400, `field "${name}" must be a string`);
  return v.isWellFormed() ? v : v.toWellFormed();
}
