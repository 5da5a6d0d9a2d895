/**
 * HttpError is an error that already knows its HTTP status: decode failures (400, 413),
 * routing failures (404, 405). Anything else reaching the error encoder is a 500.
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

/** isHttpError tells whether `e` carries its own HTTP status. */
export function isHttpError(e: unknown): e is HttpError {
  return e instanceof HttpError;
}

/**
 * fromBodyParserError turns the errors express's body parser throws (they carry `status`
 * and `type`) into HttpErrors with messages a client can act on; others pass through.
 */
export function fromBodyParserError(err: unknown, limitBytes: number): unknown {
  if (typeof err !== 'object' || err === null || !('type' in err)) return err;
  switch ((err as { type: unknown }).type) {
    case 'entity.too.large':
      return new HttpError(413, `request body exceeds the ${limitBytes}-byte limit`);
    case 'request.aborted':
      return new HttpError(400, 'request body aborted by the client');
    case 'request.size.invalid':
      return new HttpError(400, 'request body length does not match Content-Length');
    case 'encoding.unsupported':
      return new HttpError(415, 'unsupported Content-Encoding');
    default:
      return err;
  }
}
