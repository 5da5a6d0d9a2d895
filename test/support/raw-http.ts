import { connect } from 'node:net';
import { onceWithin, within } from './wait.ts';

/**
 * rawExchange writes exact bytes to `host:port`, ends its side, and returns everything the
 * server sent until it closed: for requests fetch refuses to send (GET with a body, bad
 * framing) and for answers that must be read byte for byte. A server that never closes fails
 * the exchange after `timeoutMs`, with what it had sent so far.
 */
export async function rawExchange(host: string, port: number, bytes: string, timeoutMs = 30_000): Promise<string> {
  const sock = connect(port, host);
  let out = '';
  try {
    await onceWithin(sock, 'connect', timeoutMs, `a connection to ${host}:${port}`);
    sock.end(bytes);
    await within((async () => {
      for await (const chunk of sock) out += (chunk as Buffer).toString();
    })(), timeoutMs, `${host}:${port} to answer and close the connection`);
    return out;
  } catch (err) {
    throw out ? new Error(`${(err as Error).message}; it sent: ${JSON.stringify(out.slice(0, 2000))}`) : err;
  } finally {
    sock.destroy();
  }
}
