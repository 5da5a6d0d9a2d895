import type { Context } from '../kit/context.ts';
import { toUpperSimple } from './simple-upper.ts';

/** StringService provides operations on strings — the seed's business interface. */
export interface StringService {
  /** uppercase maps `s` to upper case code point by code point, as Go does; empty input is an error. */
  uppercase(ctx: Context, s: string): Promise<string>;
  /** count is the length of `s` in UTF-8 bytes, as Go's `len(s)`. */
  count(ctx: Context, s: string): Promise<number>;
}

/** ServiceMiddleware decorates a StringService with one business-domain concern. */
export type ServiceMiddleware = (next: StringService) => StringService;

/**
 * ServiceError is a business error: the request was understood and answered, just not with
 * a value. Transports report it in the body (`err`) with HTTP 200, as go-kit does, and
 * resilience middlewares never count it as a failure or retry it.
 */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
}

/** isServiceError tells business errors from infrastructure ones. */
export function isServiceError(e: unknown): e is ServiceError {
  return e instanceof ServiceError;
}

/** ErrEmpty is returned when the input string is empty. */
export const ErrEmpty = new ServiceError('empty string');

/** newStringService returns the plain implementation, with no logging or metrics. */
export function newStringService(): StringService {
  return {
    async uppercase(_ctx, s) {
      if (s === '') throw ErrEmpty;
      return toUpperSimple(s);
    },
    async count(_ctx, s) {
      return Buffer.byteLength(s, 'utf8');
    },
  };
}
