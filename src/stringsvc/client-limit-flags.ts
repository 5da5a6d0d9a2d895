import { UsageError, wholeNumber, type FlagSpec } from '../kit/cli.ts';

/** clientLimitFlags turn on per-client limits of inbound requests; off by default. */
export const clientLimitFlags = {
  'client-qps': { default: '0', help: 'Requests a second each client may make (a one-second window per client); 0 turns per-client limits off.' },
  'client-burst': { default: '0', help: 'Requests a client may make beyond --client-qps, per 60 s window; 0 for none.' },
  'client-key-header': { default: '', help: 'Header that names the client (set by a trusted proxy); empty: the connection’s remote address.' },
} satisfies Record<string, FlagSpec>;

/** ClientLimitConfig is the per-client limit read from clientLimitFlags. */
export interface ClientLimitConfig {
  qps: number;
  burst: number;
  /** keyHeader is lower case; unset keys clients by remote address. */
  keyHeader?: string;
}

/** An HTTP field name (RFC 9110 token). */
const fieldName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** clientLimitConfig validates the flags: undefined when off; mistakes are UsageErrors (exit 2). */
export function clientLimitConfig(f: { [K in keyof typeof clientLimitFlags]: string }): ClientLimitConfig | undefined {
  const qps = wholeNumber('client-qps', f['client-qps']);
  const burst = wholeNumber('client-burst', f['client-burst']);
  const header = f['client-key-header'].trim();
  if (header !== '' && !fieldName.test(header)) throw new UsageError(`--client-key-header: "${header}" is not a header name`);
  if (qps === 0) {
    // A burst or a key with no limit to go with it is a mistake, not a no-op to pass over.
    if (burst > 0) throw new UsageError('--client-burst needs --client-qps greater than 0');
    if (header !== '') throw new UsageError('--client-key-header needs --client-qps greater than 0');
    return undefined;
  }
  return { qps, burst, ...(header !== '' ? { keyHeader: header.toLowerCase() } : {}) };
}
