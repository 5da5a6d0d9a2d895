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
