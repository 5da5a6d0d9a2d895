import type { ServerRequest } from './handler.ts';
import { HttpError } from './errors.ts';

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
